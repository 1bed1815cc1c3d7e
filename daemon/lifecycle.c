/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The VM lifecycle's machine: a run per VM moves through the steps of lifecycle-steps.c
 * (run_start_at → step_done/step_fail → the next step, or run_release → each acquired step's
 * undo, top down → run_finish), the one kill escalation behind a stop and the launch step's
 * undo, and the public API of lifecycle.h. What a run comes to is told to the notify callback;
 * nothing here answers a client. The step contract is in lifecycle-internal.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/macro.h"
#include "daemon/lifecycle-internal.h"
#include "daemon/progress.h"
#include "daemon/save-retry.h"
#include "daemon/ssh-keys.h"
#include "daemon/vm-state.h"

/* what a completed start holds: a re-adopted VM is assumed to hold all of it */
#define ACQUIRED_BY_START                                                                          \
	((1u << STEP_TAP) | (1u << STEP_DISK) | (1u << STEP_JAIL) | (1u << STEP_LAUNCH) |          \
		(1u << STEP_SOCKET))

static void run_unwind(struct run *r);

uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

struct vm *run_vm(struct run *r)
{
	return store_vm_by_id(&r->lc->d->store, r->vm_id);
}

const char *run_name(struct run *r)
{
	struct vm *vm = run_vm(r);

	return vm ? vm->name : r->vm_id;
}

struct run *run_find(struct lifecycle *lc, const char *vm_id)
{
	for (struct run *r = lc->runs; r; r = r->next)
		if (streq(r->vm_id, vm_id))
			return r;
	return NULL;
}

struct run *run_get(struct lifecycle *lc, const char *vm_id)
{
	struct run *r = run_find(lc, vm_id);

	if (r)
		return r;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->lc = lc;
	r->console.fd = -1;
	snprintf(r->vm_id, sizeof(r->vm_id), "%s", vm_id);
	r->next = lc->runs;
	lc->runs = r;
	return r;
}

void run_clear_pending(struct run *r)
{
	struct lifecycle_ports *p = &r->lc->ports;

	if (r->fc_req > 0)
		p->fc_cancel(p->data, r->fc_req);
	r->fc_req = 0;
	if (r->child)
		p->spawn_cancel(p->data, r->child);
	r->child = NULL;
	if (r->sync)
		p->sync_free(p->data, r->sync);
	r->sync = NULL;
	r->timer = sd_event_source_disable_unref(r->timer);
	r->undo_timer = sd_event_source_disable_unref(r->undo_timer);
	for (size_t i = 0; i < r->n_boot_config; i++)
		fc_request_done(&r->boot_config[i]);
	r->n_boot_config = 0;
}

void run_free(struct run *r)
{
	struct lifecycle *lc = r->lc;

	for (struct run **p = &lc->runs; *p; p = &(*p)->next)
		if (*p == r) {
			*p = r->next;
			break;
		}
	run_clear_pending(r);
	run_kill_cancel(r);
	run_console_close(r);
	run_unwatch_vmm(r);
	free(r);
}

void run_mark_acquired(struct run *r, enum step s)
{
	if (lifecycle_steps[s].undo)
		r->acquired |= 1u << s;
}

/* A record change the lifecycle makes is what happened: it stands in memory and is published
 * even when its save fails, and save-retry.c saves it again until it lands (vm-state.h). The
 * run does not wait for the disk, and a failed save never rolls a record back. */
static void record_set_state(
	struct lifecycle *lc, struct vm *vm, enum vm_state st, const char *reason)
{
	int k = daemon_vm_set_state(lc->d, vm, st, reason && *reason ? reason : NULL);

	if (k < 0)
		log_vm_errno(LOG_DEBUG, k, vm->name, "vm.state",
			"VM %s: its %s state is not saved yet (%m); save-retry has it", vm->name,
			vm_state_to_string(st));
}

void run_set_state(struct run *r, enum vm_state st, const char *reason)
{
	struct vm *vm = run_vm(r);

	if (vm)
		record_set_state(r->lc, vm, st, reason);
}

void run_record_updated(struct run *r)
{
	struct vm *vm = run_vm(r);
	int k;

	if (!vm)
		return;
	k = daemon_vm_update(r->lc->d, vm);
	if (k < 0)
		log_vm_errno(LOG_DEBUG, k, vm->name, "vm.updated",
			"VM %s: its record is not saved yet (%m); save-retry has it", vm->name);
}

/* Sends req (freed) to the VM's VMM. */
int64_t run_fc_send(
	struct run *r, struct fc_request *req, uint64_t timeout_usec, fc_api_done_t done)
{
	struct lifecycle_ports *p = &r->lc->ports;
	int64_t id = p->fc_send(p->data, r->link, req, timeout_usec, done, r);

	fc_request_done(req);
	return id;
}

void run_notify(struct run *r, enum lifecycle_event ev, const struct rpc_error *err)
{
	struct lifecycle *lc = r->lc;

	char id[sizeof(r->vm_id)];

	/* a copy: on LIFECYCLE_DELETE the callee frees r (and the record) while it still uses id */
	memcpy(id, r->vm_id, sizeof(id));
	if (lc->notify)
		lc->notify(lc, id, run_vm(r), ev, err, lc->userdata);
}

/* ---- start ---------------------------------------------------------------------------------- */

static void run_running(struct run *r)
{
	struct lifecycle *lc = r->lc;
	struct vm *vm = run_vm(r);

	r->mode = RUN_RUNNING;
	r->have_timings = true;
	run_set_state(r, VM_STATE_RUNNING, "");
	rfc3339_now(vm->started_at, sizeof(vm->started_at));
	run_record_updated(r); /* boot_id (set by the ssh step), started_at */
	daemon_publish(lc->d, "vm.boot_id",
		json_pack(
			"{s:s, s:s, s:s}", "id", vm->id, "name", vm->name, "boot_id", vm->boot_id));
	lifecycle_handles_save(lc);
	run_notify(r, LIFECYCLE_STARTED, NULL);
}

/* A stop during a start: undo what the start acquired and end up stopped. */
static void run_abort_now(struct run *r)
{
	r->abort_requested = false;
	snprintf(r->final_reason, sizeof(r->final_reason), "stopped during start");
	r->final_state = VM_STATE_STOPPED;
	run_release(r);
}

/* The current step failed (fail_err, fail_msg): stopped if a stop waited for it, else error. */
static void run_fail(struct run *r)
{
	run_clear_pending(r);
	if (r->fail_code == RPC_ERROR_INTERNAL || r->fail_code < 0)
		r->fail_code = rpc_error_code_from_errno(r->fail_err);
	if (r->abort_requested) {
		log_vm(LOG_INFO, run_name(r), lifecycle_steps[r->step].name,
			"VM %s: step \"%s\" failed while stopping: %s", run_name(r),
			lifecycle_steps[r->step].name, r->fail_msg);
		run_abort_now(r);
		return;
	}
	snprintf(r->final_reason, sizeof(r->final_reason), "start failed at step \"%s\": %s",
		lifecycle_steps[r->step].name, r->fail_msg);
	r->final_state = VM_STATE_ERROR;
	if (r->restoring) {
		/* nothing of the snapshot was changed: it stays, for another try or a cold start */
		snprintf(r->final_reason, sizeof(r->final_reason),
			"restore failed at step \"%s\": %s; the snapshot is kept (banger vm start "
			"--cold discards it)",
			lifecycle_steps[r->step].name, r->fail_msg);
		r->final_state = VM_STATE_SUSPENDED;
	}
	log_vm(LOG_ERR, run_name(r), lifecycle_steps[r->step].name, "VM %s: %s", run_name(r),
		r->final_reason);
	run_release(r);
}

/* Runs steps from r->step + 1 for as long as they finish before returning. */
static void run_next(struct run *r)
{
	for (;;) {
		struct lifecycle *lc = r->lc;

		if (r->abort_requested) {
			run_abort_now(r);
			return;
		}
		if (r->step + 1 >= _STEP_MAX) {
			run_running(r);
			return;
		}
		r->step++;
		r->step_started = now_usec();
		progress_step_begin(
			lc->d, run_vm(r), lifecycle_steps[r->step].name, r->step + 1, _STEP_MAX);
		if (r->step == STEP_BOOT)
			r->guest_deadline = r->step_started + lc->timing.guest_budget_usec;
		r->in_call = true;
		r->report = REPORT_NONE;
		lifecycle_steps[r->step].run(r);
		r->in_call = false;
		switch (r->report) {
		case REPORT_FAILED:
			run_fail(r); /* it sent nothing: nothing of it to undo */
			return;
		case REPORT_NONE:
			/* A request that went out may do its work even if its answer never comes
			 * back (bangerd-root killed mid-way): from now on a failure undoes it. */
			run_mark_acquired(r, r->step);
			return;
		case REPORT_DONE:
			run_mark_acquired(r, r->step);
			r->timings[r->step] = now_usec() - r->step_started;
			break;
		case REPORT_RETRY: /* an undo's report: not a step's */
		case _REPORT_MAX:
		case _REPORT_INVALID:
			return;
		}
	}
}

void step_done(struct run *r)
{
	if (r->mode != RUN_STARTING)
		return; /* an answer for a start that is over */
	if (r->in_call) {
		r->report = REPORT_DONE;
		return;
	}
	r->timings[r->step] = now_usec() - r->step_started;
	run_next(r);
}

void step_fail(struct run *r, int err, const char *fmt, ...)
{
	va_list ap;

	if (r->mode != RUN_STARTING)
		return;
	va_start(ap, fmt);
	vsnprintf(r->fail_msg, sizeof(r->fail_msg), fmt, ap);
	va_end(ap);
	r->fail_err = err;
	if (r->in_call) {
		r->report = REPORT_FAILED;
		return;
	}
	run_fail(r);
}

void run_start_at(struct run *r, enum step s)
{
	uint64_t now = now_usec();

	r->mode = RUN_STARTING;
	r->fail_code = RPC_ERROR_INTERNAL;
	r->abort_requested = false;
	r->keep_record_state = false;
	r->undo_backoff = 0;
	r->kill_gave_up = false;
	r->final_reason[0] = '\0';
	memset(r->timings, 0, sizeof(r->timings));
	if (s > STEP_BOOT)
		/* resumed after the boot step: the guest's budget starts now */
		r->guest_deadline = now + r->lc->timing.guest_budget_usec;
	r->step = s - 1; /* run_next() enters s */
	run_next(r);
}

/* ---- release -------------------------------------------------------------------------------- */

void run_release(struct run *r)
{
	run_pause_cancel(r, "the VM is being released");
	r->paused = false;
	run_clear_pending(r);
	run_kill_cancel(r);
	r->mode = RUN_UNWINDING;
	r->unwind_at = _STEP_MAX - 1;
	run_unwind(r);
}

void run_adopt(struct run *r)
{
	for (int s = 0; s < _STEP_MAX; s++)
		if (ACQUIRED_BY_START & (1u << s))
			run_mark_acquired(r, s);
}

void undo_done(struct run *r)
{
	if (r->mode != RUN_UNWINDING)
		return;
	if (r->in_call) {
		r->report = REPORT_DONE;
		return;
	}
	r->acquired &= ~(1u << r->undoing);
	r->unwind_at = r->undoing - 1;
	run_unwind(r);
}

static int on_undo_retry(_unused_ sd_event_source *s, _unused_ uint64_t usec, void *userdata)
{
	struct run *r = userdata;

	r->undo_timer = sd_event_source_disable_unref(r->undo_timer);
	run_unwind(r);
	return 0;
}

/* An undo could not reach bangerd-root, so what it releases is still there: the unwind waits and
 * tries the same undo again (doubling the wait up to a bound, for as long as it takes) rather
 * than leave a tap, a disk or a VMM behind for a manual reconcile. */
void undo_retry(struct run *r, const char *why)
{
	struct lifecycle *lc = r->lc;
	int k;

	if (r->mode != RUN_UNWINDING)
		return;
	r->unwind_at = r->undoing; /* the bit stays: it is still held */
	if (r->undo_backoff == 0) {
		log_vm(LOG_WARNING, run_name(r), "release",
			"VM %s: releasing its %s must wait for bangerd-root (%s); trying again "
			"until "
			"it answers",
			run_name(r), lifecycle_steps[r->undoing].name, why);
		r->undo_backoff = lc->timing.undo_retry_min_usec;
	} else
		r->undo_backoff = MIN(r->undo_backoff * 2, lc->timing.undo_retry_max_usec);
	r->undo_timer = sd_event_source_disable_unref(r->undo_timer);
	k = sd_event_add_time_relative(lc->d->event, &r->undo_timer, CLOCK_MONOTONIC,
		r->undo_backoff, TIMER_ACCURACY_USEC, on_undo_retry, r);
	if (k < 0) {
		log_vm_errno(LOG_ERR, k, run_name(r), "release",
			"VM %s: cannot wait to release its %s: %m", run_name(r),
			lifecycle_steps[r->undoing].name);
		undo_done(r); /* reconcile's sweep is what is left */
		return;
	}
	if (r->in_call)
		r->report = REPORT_RETRY;
}

static void run_finish(struct run *r);

/* Undoes acquired steps from the top down; each undo may finish later. */
static void run_unwind(struct run *r)
{
	while (r->unwind_at >= 0) {
		int s = r->unwind_at;

		if (!(r->acquired & (1u << s)) || !lifecycle_steps[s].undo) {
			r->unwind_at--;
			continue;
		}
		r->undoing = s;
		r->in_call = true;
		r->report = REPORT_NONE;
		lifecycle_steps[s].undo(r);
		r->in_call = false;
		switch (r->report) {
		case REPORT_DONE:
			r->acquired &= ~(1u << s);
			r->unwind_at--;
			continue;
		case REPORT_NONE:
		case REPORT_RETRY:
			return;     /* continues from undo_done() or the retry's timer */
		case REPORT_FAILED: /* a step's report: not an undo's */
		case _REPORT_MAX:
		case _REPORT_INVALID:
			return;
		}
	}
	run_finish(r);
}

/* Everything is released: the record says so, and those who wait hear it. */
static void run_finish(struct run *r)
{
	struct lifecycle *lc = r->lc;
	struct vm *vm = run_vm(r);
	struct vm before;
	struct rpc_error e;
	bool restart = r->restart_after && r->final_state == VM_STATE_STOPPED;

	r->mode = RUN_IDLE;
	r->acquired = 0;
	r->undo_backoff = 0;
	r->restart_after = false;
	run_clear_pending(r);
	run_kill_cancel(r);
	run_unwatch_vmm(r);
	r->vmm_pid = 0;
	r->launch_sent = 0;
	if (!vm) {
		run_free(r);
		return;
	}
	before = *vm;
	vm->pid = 0;
	vm->started_at[0] = '\0';
	vm->halted = false;
	if (!streq(before.started_at, "") || before.pid != 0 || before.halted)
		run_record_updated(r);
	if (r->suspending)
		suspend_finish(r);
	r->restoring = false;
	if (r->keep_record_state) {
		/* an orphan's VMM and jail are gone: the record said the truth about the rest */
		r->keep_record_state = false;
		r->final_state = vm->state;
		snprintf(r->final_reason, sizeof(r->final_reason), "%s", vm->reason);
	}
	if (vm->state != r->final_state || !streq(vm->reason, r->final_reason))
		run_set_state(r, r->final_state, r->final_reason);
	lifecycle_handles_save(lc);
	rpc_error_set(&e, 0, r->final_state == VM_STATE_ERROR ? r->fail_code : RPC_ERROR_CONFLICT,
		"VM %s: %s", vm->name, r->final_reason);
	run_notify(r, LIFECYCLE_RELEASED, NULL);
	if (r->delete_after) {
		r->delete_after = false;
		run_notify(r, LIFECYCLE_START_ENDED, &e);
		/* the callee removes vm and, through lifecycle_forget(), r: touch neither after */
		run_notify(r, LIFECYCLE_DELETE, NULL);
		return;
	}
	if (restart) {
		struct rpc_error serr;

		if (lifecycle_start(lc, vm, &serr) < 0)
			run_notify(r, LIFECYCLE_START_ENDED, &serr);
		return;
	}
	run_notify(r, LIFECYCLE_START_ENDED, &e);
}

/* ---- public --------------------------------------------------------------------------------- */

static void timing_defaults(struct lifecycle_timing *t, const struct banger_config *cfg)
{
	*t = (struct lifecycle_timing){
		.console_tick_usec = 200 * 1000,
		.api_poll_usec = 20 * 1000,
		.api_budget_usec = (uint64_t)cfg->vmm_api_timeout_sec * 1000000u,
		.api_timeout_usec = (uint64_t)cfg->vmm_api_timeout_sec * 1000000u,
		.guest_budget_usec = (uint64_t)cfg->ssh_timeout_sec * 1000000u,
		.ssh_retry_usec = 500 * 1000,
		.stop_timeout_usec = (uint64_t)cfg->stop_timeout_sec * 1000000u,
		.kill_grace_usec = 3 * 1000 * 1000,
		.signal_retry_usec = 1000 * 1000,
		.undo_retry_min_usec = 500 * 1000,
		.undo_retry_max_usec = 5 * 1000 * 1000,
		/* bangerd-root gives the jailer 10 s to become the VMM (op-jail-launch.c) and
		 * kills it after that; an unanswered launch is looked for once that has passed */
		.launch_settle_usec = 11 * 1000 * 1000,
		.readopt_retry_usec = 5 * 1000 * 1000,
	};
}

int lifecycle_new(struct daemon *d, const struct banger_config *cfg,
	const struct lifecycle_ports *ports, lifecycle_notify_t notify_fn, void *userdata,
	struct lifecycle **ret)
{
	struct lifecycle *lc = calloc(1, sizeof(*lc));
	int k;

	if (!lc)
		return -ENOMEM;
	lc->d = d;
	lc->notify = notify_fn;
	lc->userdata = userdata;
	lc->cfg = *cfg;
	lc->cfg.n_sync = 0; /* the copy below owns its strings */
	for (size_t i = 0; i < cfg->n_sync; i++) {
		lc->cfg.sync[i] = strdup(cfg->sync[i]);
		if (!lc->cfg.sync[i]) {
			k = -ENOMEM;
			goto fail;
		}
		lc->cfg.n_sync++;
	}
	timing_defaults(&lc->timing, cfg);
	if (ports)
		lc->ports = *ports;
	else {
		k = lifecycle_ports_new(d, &lc->ports, &lc->real);
		if (k < 0)
			goto fail;
	}
	k = layout_ssh_dir(&d->layout, d->owner.owner_home, lc->ssh_dir, sizeof(lc->ssh_dir));
	if (k < 0)
		goto fail;
	k = ssh_key_ensure(lc->ssh_dir, &lc->pubkey);
	if (k < 0) {
		log_error_errno(k, "Failed to create the owner's SSH key in %s: %m", lc->ssh_dir);
		goto fail;
	}
	k = lifecycle_console_start(lc);
	if (k < 0)
		goto fail;
	*ret = lc;
	return 0;
fail:
	lifecycle_free(lc);
	return k;
}

struct lifecycle *lifecycle_free(struct lifecycle *lc)
{
	struct rpc_error e;

	if (!lc)
		return NULL;
	save_retry_forget_file(lc->d, lc);
	/* pending helper calls fail now, while their runs exist, and find them ignoring it */
	lc->freeing = true;
	lifecycle_ports_close_helper(lc->real);
	rpc_error_set(&e, 0, RPC_ERROR_UNAVAILABLE, "bangerd is shutting down");
	restore_cancel_all(lc, "bangerd is shutting down");
	while (lc->runs) {
		struct run *r = lc->runs;

		run_notify(r, LIFECYCLE_SHUTDOWN, &e);
		run_snapshot_cancel(
			r, e.message); /* its copy child killed, its .new- dir removed */
		run_free(r);
	}
	sd_event_source_disable_unref(lc->tick);
	sd_event_source_disable_unref(lc->readopt_retry);
	lifecycle_ports_free(lc->real);
	free(lc->pubkey);
	config_done(&lc->cfg);
	free(lc);
	return NULL;
}

struct lifecycle_timing *lifecycle_timing(struct lifecycle *lc)
{
	return &lc->timing;
}

bool lifecycle_follows(struct lifecycle *lc, const struct vm *vm)
{
	struct run *r = run_find(lc, vm->id);

	return r && r->mode == RUN_RUNNING;
}

bool lifecycle_busy(struct lifecycle *lc, const struct vm *vm)
{
	struct run *r = run_find(lc, vm->id);

	return r &&
	       (r->mode == RUN_STARTING || r->mode == RUN_STOPPING || r->mode == RUN_UNWINDING);
}

static bool record_says_running(const struct vm *vm)
{
	return !vm_state_is_inactive(vm->state);
}

int readopt_first(struct lifecycle *lc, struct vm *vm, struct rpc_error *err)
{
	/* Nothing follows a record that says it runs only while its re-adoption waits for
	 * bangerd-root: a second VMM must not start beside one that may run, and calling it
	 * stopped would be a guess (a VMM that does run would be re-adopted later). */
	(void)readopt_one(lc, vm, NULL); /* -EBUSY: already asked */
	return rpc_error_set(err, -EAGAIN, RPC_ERROR_UNAVAILABLE,
		"VM \"%s\" is being re-adopted: bangerd-root has to say whether its VMM runs "
		"first; try again once it answers",
		vm->name);
}

int lifecycle_start(struct lifecycle *lc, struct vm *vm, struct rpc_error *err)
{
	struct run *r = run_get(lc, vm->id);

	if (!r)
		return rpc_error_set(err, -ENOMEM, RPC_ERROR_INTERNAL, "Out of memory");
	switch (r->mode) {
	case RUN_STARTING:
		return 0; /* a second caller waits for the same outcome */
	case RUN_RUNNING:
		return rpc_error_set(err, -EALREADY, RPC_ERROR_CONFLICT,
			"VM \"%s\" is already running", vm->name);
	case RUN_STOPPING:
	case RUN_UNWINDING:
		return rpc_error_set(err, -EBUSY, RPC_ERROR_CONFLICT,
			"VM \"%s\" is stopping; start it again once it is stopped", vm->name);
	case RUN_IDLE:
	case _RUN_MODE_MAX:
	case _RUN_MODE_INVALID:
		break;
	}
	if (record_says_running(vm))
		return readopt_first(lc, vm, err);
	if (restore_refuse(lc, vm, err) < 0)
		return -EBUSY;
	if (!store_image_by_name(&lc->d->store, vm->image))
		return rpc_error_set(err, -ENOENT, RPC_ERROR_NOT_FOUND,
			"VM \"%s\" uses image \"%s\", which does not exist (banger image list)",
			vm->name, vm->image);
	r->restoring = false;
	r->expect_boot_id[0] = '\0';
	if (vm->state == VM_STATE_SUSPENDED) {
		int k = restore_check(lc, vm, r, err);
		if (k < 0)
			return k;
		r->restoring = true;
	}
	r->acquired = 0;
	r->vmm_pid = 0;
	r->vmm_exited = false;
	r->launch_sent = 0;
	r->launch_answered = false;
	vm->boot_id[0] = '\0';
	vm->halted = false;
	r->paused = false;
	(void)snapshot_pause_mark(lc, vm->id, false); /* a VMM that ended paused left it */
	run_set_state(r, VM_STATE_STARTING, "");
	run_start_at(r, STEP_ADDRESS);
	return 0;
}

int lifecycle_start_cold(struct lifecycle *lc, struct vm *vm, struct rpc_error *err)
{
	struct run *r = run_find(lc, vm->id);

	if (restore_refuse(lc, vm, err) < 0)
		return -EBUSY;
	if (vm->state == VM_STATE_SUSPENDED && (!r || r->mode == RUN_IDLE)) {
		snapshot_discard(lc, vm);
		record_set_state(
			lc, vm, VM_STATE_STOPPED, "its snapshot was discarded (cold start)");
	}
	return lifecycle_start(lc, vm, err);
}

int lifecycle_stop(struct lifecycle *lc, struct vm *vm, struct rpc_error *err)
{
	struct run *r = run_find(lc, vm->id);

	if (!r || r->mode == RUN_IDLE) {
		if (restore_cancel(lc, vm->id, "cancelled by a stop") > 0) {
			if (lc->notify) /* stopped it is, as it was */
				lc->notify(lc, vm->id, vm, LIFECYCLE_RELEASED, NULL, lc->userdata);
			return 0;
		}
		if (record_says_running(vm))
			return readopt_first(lc, vm, err);
		return rpc_error_set(err, -EALREADY, RPC_ERROR_CONFLICT,
			"VM \"%s\" is not running (%s)", vm->name, vm_state_to_string(vm->state));
	}
	switch (r->mode) {
	case RUN_STARTING:
		/* Abort the start. Waiting on the VMM's API, its console or SSH holds nothing that
		 * cannot be dropped at once; a helper call (or a resize of the disk) in flight is
		 * let finish, so what it creates is known and undone. */
		run_notify(r, LIFECYCLE_START_ENDED,
			&(struct rpc_error){
				RPC_ERROR_CONFLICT, "The start was cancelled by a stop"});
		run_set_state(r, VM_STATE_STOPPING, "");
		if (r->step >= STEP_SOCKET)
			run_abort_now(r);
		else
			r->abort_requested = true;
		break;
	case RUN_RUNNING:
		run_stop_begin(r, "");
		break;
	case RUN_STOPPING:
	case RUN_UNWINDING:
		/* a re-adoption in flight releases rather than keeps or finishes the VM */
		r->abort_requested = true;
		if (r->restart_after) {
			/* the stop half of a restart: the user now wants it stopped, so it stays so
			 */
			r->restart_after = false;
			r->final_reason[0] = '\0';
			run_notify(r, LIFECYCLE_START_ENDED,
				&(struct rpc_error){
					RPC_ERROR_CONFLICT, "The restart was cancelled by a stop"});
		}
		break; /* already on its way: this caller waits for the same end */
	case RUN_IDLE:
	case _RUN_MODE_MAX:
	case _RUN_MODE_INVALID:
		break;
	}
	return 0;
}

int lifecycle_delete(struct lifecycle *lc, struct vm *vm, struct rpc_error *err)
{
	struct run *r = run_find(lc, vm->id);
	int k;

	if (!r || r->mode == RUN_IDLE) {
		if (record_says_running(vm))
			record_set_state(lc, vm, VM_STATE_STOPPED, "no VMM was running");
		return 0;
	}
	r->delete_after = true;
	r->restart_after = false;
	if (r->mode == RUN_RUNNING || r->mode == RUN_STARTING) {
		k = lifecycle_stop(lc, vm, err);
		if (k < 0)
			return k;
	}
	return 1;
}

int lifecycle_restart(struct lifecycle *lc, struct vm *vm, struct rpc_error *err)
{
	struct run *r = run_find(lc, vm->id);

	if (!r || r->mode == RUN_IDLE)
		return lifecycle_start(lc, vm, err);
	if (r->mode != RUN_RUNNING)
		return rpc_error_set(err, -EBUSY, RPC_ERROR_CONFLICT,
			"VM \"%s\" is %s; restart it once that is done", vm->name,
			vm_state_to_string(vm->state));
	r->restart_after = true;
	run_stop_begin(r, "restarting");
	return 0;
}

void lifecycle_forget(struct lifecycle *lc, struct vm *vm)
{
	struct run *r = run_find(lc, vm->id);

	(void)restore_cancel(lc, vm->id, "the VM is deleted");
	if (vm->ip[0])
		(void)ssh_known_hosts_forget(lc->ssh_dir, vm->ip); /* a stale entry only */
	if (r && r->mode == RUN_IDLE)
		run_free(r);
}

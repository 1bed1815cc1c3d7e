/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* How a VMM ends: its exit, followed through the one pidfd watch (run_watch_vmm()), the one kill
 * escalation (Ctrl-Alt-Del → SIGTERM → SIGKILL → giving up, each stage bounded, a signal that
 * could not reach bangerd-root sent again rather than skipped), and a stop, which is that
 * escalation followed by the release of everything. The launch step's undo enters the same
 * escalation at SIGKILL. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/macro.h"
#include "daemon/lifecycle-internal.h"

void run_unwatch_vmm(struct run *r)
{
	if (r->vmm)
		r->lc->ports.unwatch_pid(r->lc->ports.data, r->vmm);
	r->vmm = NULL;
}

/* ---- the VMM's exit -------------------------------------------------------------------------- */

static void kill_end(struct run *r, bool exited);

static void on_vmm_exit(void *userdata)
{
	struct run *r = userdata;

	r->vmm_exited = true;
	run_unwatch_vmm(r);
	if (r->kill_active) {
		kill_end(r, true);
		return;
	}
	switch (r->mode) {
	case RUN_RUNNING:
		/* The guest powered off or rebooted (reboot=k: the VMM exits), or the VMM died. */
		snprintf(r->final_reason, sizeof(r->final_reason),
			"the VMM (pid %d) exited: the guest powered off or rebooted", r->vmm_pid);
		r->final_state = VM_STATE_STOPPED;
		log_vm(LOG_INFO, run_name(r), "exit", "VM %s: %s", run_name(r), r->final_reason);
		run_release(r);
		break;
	case RUN_STARTING:
		step_fail(r, -ESRCH, "the VMM (pid %d) exited during start", r->vmm_pid);
		break;
	case RUN_STOPPING:
		run_release(r);
		break;
	case RUN_UNWINDING:
	case RUN_IDLE:
	case _RUN_MODE_MAX:
	case _RUN_MODE_INVALID:
		break;
	}
}

int run_watch_vmm(struct run *r)
{
	struct lifecycle_ports *p = &r->lc->ports;
	int k;

	run_unwatch_vmm(r);
	r->vmm_exited = false;
	k = p->watch_pid(p->data, r->vmm_pid, on_vmm_exit, r, &r->vmm);
	if (k < 0) {
		r->vmm = NULL;
		if (k == -ESRCH)
			r->vmm_exited = true;
	}
	return k;
}

/* ---- the kill escalation ------------------------------------------------------------------- */

static const char *const kill_signal[_KILL_STAGE_MAX] = {
	[KILL_CTRL_ALT_DEL] = NULL,
	[KILL_TERM] = "TERM",
	[KILL_KILL] = "KILL",
};

static void kill_stage_run(struct run *r);

void run_kill_cancel(struct run *r)
{
	struct lifecycle_ports *p = &r->lc->ports;

	r->kill_active = false;
	r->kill_timer = sd_event_source_disable_unref(r->kill_timer);
	if (r->kill_stage == KILL_CTRL_ALT_DEL && r->fc_req > 0) {
		p->fc_cancel(p->data, r->fc_req);
		r->fc_req = 0;
	}
}

/* The escalation is over: the VMM exited, or even SIGKILL did not end it. */
static void kill_end(struct run *r, bool exited)
{
	bool for_undo = r->kill_for_undo;

	run_kill_cancel(r);
	if (!exited) {
		r->kill_gave_up = true;
		log_vm(LOG_WARNING, run_name(r), "release",
			"The VMM of %s (pid %d) did not exit after SIGKILL; releasing the rest",
			run_name(r), r->vmm_pid);
	}
	if (for_undo) {
		undo_done(r);
		return;
	}
	if (!exited) {
		snprintf(r->final_reason, sizeof(r->final_reason),
			"the VMM (pid %d) did not exit after SIGKILL", r->vmm_pid);
		r->final_state = VM_STATE_ERROR;
	}
	run_release(r);
}

static int on_kill_timer(_unused_ sd_event_source *s, _unused_ uint64_t usec, void *userdata)
{
	struct run *r = userdata;

	r->kill_timer = sd_event_source_disable_unref(r->kill_timer);
	if (r->kill_pending)
		kill_stage_run(
			r); /* the same signal again: the last one never reached the helper */
	else if (r->kill_stage == KILL_KILL)
		kill_end(r, false);
	else {
		r->kill_stage++;
		kill_stage_run(r);
	}
	return 0;
}

static void kill_wait(struct run *r, uint64_t usec)
{
	int k;

	r->kill_timer = sd_event_source_disable_unref(r->kill_timer);
	k = sd_event_add_time_relative(r->lc->d->event, &r->kill_timer, CLOCK_MONOTONIC, usec,
		TIMER_ACCURACY_USEC, on_kill_timer, r);
	if (k < 0) {
		log_vm_errno(LOG_ERR, k, run_name(r), "stop", "VM %s: cannot wait for its VMM: %m",
			run_name(r));
		kill_end(r, false);
	}
}

static void on_signal_sent(_unused_ struct helper_client *h, int k, _unused_ json_t *result,
	const struct rpc_error *err, void *userdata)
{
	struct run *r = userdata;

	if (r->lc->freeing || !r->kill_active || !r->kill_pending)
		return;
	if (!helper_answered(k)) {
		/* nothing was sent: send the same signal again once bangerd-root answers, rather
		 * than escalate, or give up on a VMM that was never told */
		log_vm(LOG_WARNING, run_name(r), "stop", "Cannot signal the VMM of %s yet: %s",
			run_name(r), err ? err->message : strerror(-k));
		kill_wait(r, r->lc->timing.signal_retry_usec);
		return;
	}
	r->kill_pending = false;
	if (k < 0 && err && err->code == RPC_ERROR_NOT_FOUND) {
		/* no such VMM any more: its exit may not have been seen yet, but nothing runs */
		r->vmm_exited = true;
		run_unwatch_vmm(r);
		kill_end(r, true);
		return;
	}
	if (k < 0)
		log_vm(LOG_WARNING, run_name(r), "stop", "Signalling the VMM of %s failed: %s",
			run_name(r), err ? err->message : strerror(-k));
	kill_wait(r, r->lc->timing.kill_grace_usec);
}

static void on_ctrl_alt_del(
	_unused_ struct fc_api *api, const struct fc_api_result *res, void *userdata)
{
	struct run *r = userdata;

	r->fc_req = 0;
	if (!r->kill_active || r->kill_stage != KILL_CTRL_ALT_DEL)
		return;
	if (res->r < 0 || res->status >= 300) {
		log_vm(LOG_WARNING, run_name(r), "stop",
			"VM %s: SendCtrlAltDel failed (%s); signalling", run_name(r),
			res->err.message);
		r->kill_stage = KILL_TERM;
		kill_stage_run(r);
	}
}

static void send_ctrl_alt_del(struct run *r)
{
	struct fc_request req;
	int64_t id;

	id = fc_request_action(FC_ACTION_SEND_CTRL_ALT_DEL, &req);
	if (id >= 0)
		id = run_fc_send(r, &req, 5 * 1000 * 1000, on_ctrl_alt_del);
	r->fc_req = id > 0 ? id : 0;
}

/* A paused guest hears no Ctrl-Alt-Del: it is resumed first, so it shuts down cleanly (its disk
 * consistent) rather than being signalled. Ctrl-Alt-Del follows whatever the resume came to:
 * a guest that still does not hear it is signalled when stop_timeout_sec runs out, as always. */
static void on_stop_resumed(
	_unused_ struct fc_api *api, const struct fc_api_result *res, void *userdata)
{
	struct run *r = userdata;

	r->fc_req = 0;
	if (!r->kill_active || r->kill_stage != KILL_CTRL_ALT_DEL)
		return;
	if (res->r < 0 || res->status >= 300)
		log_vm(LOG_WARNING, run_name(r), "stop",
			"VM %s: resuming it before Ctrl-Alt-Del failed (%s)", run_name(r),
			res->err.message);
	else
		r->paused = false;
	send_ctrl_alt_del(r);
}

static void kill_stage_run(struct run *r)
{
	struct lifecycle *lc = r->lc;
	struct fc_request req;
	int64_t id;
	int k;

	if (r->kill_stage == KILL_CTRL_ALT_DEL && r->paused) {
		id = fc_request_vm_state(false, &req);
		if (id >= 0)
			id = run_fc_send(r, &req, 5 * 1000 * 1000, on_stop_resumed);
		r->fc_req = id > 0 ? id : 0;
		if (!r->fc_req)
			send_ctrl_alt_del(r);
		kill_wait(r, lc->timing.stop_timeout_usec);
		return;
	}
	if (r->kill_stage == KILL_CTRL_ALT_DEL) {
		id = fc_request_action(FC_ACTION_SEND_CTRL_ALT_DEL, &req);
		if (id >= 0)
			id = run_fc_send(r, &req, 5 * 1000 * 1000, on_ctrl_alt_del);
		r->fc_req = id > 0 ? id : 0;
		kill_wait(r, lc->timing.stop_timeout_usec);
		return;
	}
	log_vm(LOG_INFO, run_name(r), "stop", "VM %s: sending SIG%s to the VMM (pid %d)",
		run_name(r), kill_signal[r->kill_stage], r->vmm_pid);
	r->kill_pending = true;
	k = helper_call_proc_signal(&lc->ports.helper,
		&(struct helper_req_proc_signal){.vm_id = r->vm_id,
			.signal = kill_signal[r->kill_stage],
			.has_pid = true,
			.pid = r->vmm_pid},
		on_signal_sent, r);
	if (k < 0) {
		log_vm_errno(LOG_WARNING, k, run_name(r), "stop",
			"Cannot signal the VMM of %s yet: %m", run_name(r));
		kill_wait(r, lc->timing.signal_retry_usec);
	}
}

static void kill_begin(struct run *r, enum kill_stage first, bool for_undo)
{
	r->kill_active = true;
	r->kill_for_undo = for_undo;
	r->kill_pending = false;
	r->kill_stage = first;
	kill_stage_run(r);
}

/* A stop without Ctrl-Alt-Del or grace: SIGKILL at once, also to a VMM a graceful stop is
 * waiting for; the release that follows is a stop's. */
int lifecycle_kill(struct lifecycle *lc, struct vm *vm, struct rpc_error *err)
{
	int k = lifecycle_stop(lc, vm, err);
	struct run *r = run_find(lc, vm->id);

	if (k == 0 && r && r->mode == RUN_STOPPING && r->kill_active && !r->kill_for_undo &&
		r->kill_stage != KILL_KILL) {
		run_kill_cancel(r);
		kill_begin(r, KILL_KILL, false);
	}
	return k;
}

void run_kill_now(struct run *r)
{
	kill_begin(r, KILL_KILL, false);
}

void run_kill_for_undo(struct run *r)
{
	kill_begin(r, KILL_KILL, true);
}

/* ---- stop ----------------------------------------------------------------------------------- */

void run_stop_begin(struct run *r, const char *reason)
{
	struct vm *vm = run_vm(r);
	/* a pause in flight may have been carried out: resuming a running guest is harmless */
	bool maybe_paused = r->paused || (r->pause_req > 0 && r->pause_target);

	run_pause_cancel(r, "a stop came first");
	r->paused = maybe_paused;
	r->mode = RUN_STOPPING;
	r->final_state = VM_STATE_STOPPED;
	snprintf(r->final_reason, sizeof(r->final_reason), "%s", reason);
	run_set_state(r, VM_STATE_STOPPING, "");
	if (r->vmm_exited || !r->vmm) {
		run_release(r);
		return;
	}
	/* a halted guest hears no Ctrl-Alt-Del: do not make the user wait for it */
	kill_begin(r, vm->halted ? KILL_TERM : KILL_CTRL_ALT_DEL, false);
}

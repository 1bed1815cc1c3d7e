/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Re-adoption: VMMs an earlier daemon left running are found again (handles.json, then
 * bangerd-root's proc.find) and followed, finished or released by the lifecycle's machine; and
 * handles.json itself, what a later daemon needs to find them. reconcile.c decides when. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/handles.h"
#include "common/log.h"
#include "common/macro.h"
#include "daemon/lifecycle-internal.h"
#include "daemon/netalloc.h"
#include "daemon/save-retry.h"
#include "daemon/ssh-keys.h"

/* ---- handles.json: what reconcile needs to find again ------------------------------------------
 */

static int handles_write(struct lifecycle *lc);

static int handles_retry(void *userdata)
{
	return handles_write(userdata);
}

void lifecycle_handles_save(struct lifecycle *lc)
{
	(void)handles_write(lc); /* its failure is handed to save-retry, which logs it */
}

static int handles_write(struct lifecycle *lc)
{
	struct handles_file h = {};
	int k = 0;

	for (struct run *r = lc->runs; r && k >= 0; r = r->next) {
		struct vm_handles v = {.pid = r->vmm_pid, .next_line = r->console.next_line};

		if (r->mode == RUN_IDLE)
			continue;
		snprintf(v.vm_id, sizeof(v.vm_id), "%s", r->vm_id);
		snprintf(v.tap, sizeof(v.tap), "%s", r->tap);
		snprintf(v.chroot, sizeof(v.chroot), "%s", r->jail_root);
		snprintf(v.api_sock, sizeof(v.api_sock), "%s", r->api_sock);
		snprintf(v.link, sizeof(v.link), "%s", r->link);
		snprintf(v.disk_kind, sizeof(v.disk_kind), "%s", r->disk_kind);
		snprintf(v.device, sizeof(v.device), "%s", r->device);
		k = handles_file_add(&h, &v);
	}
	if (k >= 0)
		k = handles_file_save(lc->d->layout.handles_json, &h);
	handles_file_done(&h);
	/* retried until it lands (the pids in it are what a later daemon looks for) */
	if (k < 0)
		save_retry_file(lc->d, "handles.json", handles_retry, lc, k);
	else
		save_retry_forget_file(lc->d, lc);
	return k;
}

/* ---- re-adoption after a daemon restart ------------------------------------------------------ */

/* What the processes say wins over what the record says: a record is only a daemon's last word,
 * and that word may not have reached the disk (a full state directory), or may be from a daemon
 * killed half-way through a start. A live VMM whose guest has booted is never killed for it. */

static int on_readopt_retry(_unused_ sd_event_source *s, _unused_ uint64_t usec, void *userdata)
{
	struct lifecycle *lc = userdata;

	lc->readopt_retry = sd_event_source_disable_unref(lc->readopt_retry);
	lifecycle_readopt(lc);
	return 0;
}

static void readopt_console(struct run *r)
{
	char path[PATH_MAX];
	uint64_t next = r->console.next_line;

	if (!next &&
		layout_vm_file(&r->lc->d->layout, r->vm_id, "console.log", path, sizeof(path)) >= 0)
		next = console_count_lines(path) + 1;
	run_console_open(r, next ? next : 1);
}

/* A running VM's VMM still runs: follow it again. */
static void readopt_running(struct run *r)
{
	struct vm *vm = run_vm(r);

	r->mode = RUN_RUNNING;
	run_adopt(r); /* what a start acquires, so a later stop releases it all */
	readopt_console(r);
	if (vm->pid != r->vmm_pid) {
		vm->pid = r->vmm_pid;
		run_record_updated(r);
	}
	log_vm(LOG_INFO, vm->name, "reconcile", "Re-adopted VM %s (VMM pid %d)", vm->name,
		r->vmm_pid);
}

/* The host key of the guest's current boot, if its console printed it already: the first
 * "banger-hostkey:" line after the last kernel banner in the console log. */
static void readopt_hostkey(struct run *r)
{
	char path[PATH_MAX], **lines = NULL;
	size_t n = 0, boot = 0;

	r->hostkey_seen = false;
	if (layout_vm_file(&r->lc->d->layout, r->vm_id, "console.log", path, sizeof(path)) < 0 ||
		console_log_tail(path, 5000, &lines, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++)
		if (strstr(lines[i], "Linux version "))
			boot = i;
	for (size_t i = boot; i < n && !r->hostkey_seen; i++)
		if (strstr(lines[i], SSH_HOSTKEY_MARKER) &&
			ssh_hostkey_from_console_line(lines[i], r->hostkey, sizeof(r->hostkey)) > 0)
			r->hostkey_seen = true;
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
}

/* A start an earlier daemon did not finish (or whose "running" never reached the disk), with a
 * guest that booted: take the start over from the host key, so it ends running with its boot
 * id read, or fails (and is released) the way a start does. */
static void readopt_resume(struct run *r)
{
	struct vm *vm = run_vm(r);

	run_adopt(r);
	readopt_console(r);
	readopt_hostkey(r);
	vm->boot_id[0] = '\0';
	vm->pid = r->vmm_pid;
	log_vm(LOG_INFO, vm->name, "reconcile",
		"VM %s: its VMM (pid %d) runs a booted guest although the record says %s; "
		"finishing its start",
		vm->name, r->vmm_pid, vm_state_to_string(vm->state));
	if (vm->state != VM_STATE_STARTING)
		run_set_state(r, VM_STATE_STARTING, "its VMM was found running a booted guest");
	else
		run_record_updated(r);
	run_start_at(r, STEP_HOSTKEY);
}

/* Nothing to keep: release what the VM holds (killing a VMM that runs) and mark it stopped, or,
 * for an orphan whose record already said it was not running, leave the record as it was. */
static void readopt_release(struct run *r, const char *reason)
{
	snprintf(r->final_reason, sizeof(r->final_reason), "%s", reason);
	r->final_state = VM_STATE_STOPPED;
	run_adopt(r);
	run_release(r);
}

static void on_readopt_api(
	_unused_ struct fc_api *api, const struct fc_api_result *res, void *userdata)
{
	struct run *r = userdata;
	const char *st = res->r == 0 && res->status == 200
				 ? json_string_value(json_object_get(res->body, "state"))
				 : NULL;

	r->fc_req = 0;
	if (st && streq(st, "Running") && !r->abort_requested && !r->delete_after &&
		!r->vmm_exited) {
		readopt_resume(r);
		return;
	}
	readopt_release(r,
		st ? "the daemon restarted while the VM was starting, before its guest booted"
		   : "the daemon restarted while the VM was starting, and its VMM does not answer");
}

static void on_found(_unused_ struct helper_client *h, int k, json_t *result,
	const struct rpc_error *err, void *userdata)
{
	struct run *r = userdata;
	struct lifecycle *lc = r->lc;
	struct vm *vm = run_vm(r);
	json_t *pid = k == 0 ? json_object_get(result, "pid") : NULL;
	bool alive, interrupted_suspend;

	if (lc->freeing)
		return;
	if (!vm) {
		run_free(r);
		return;
	}
	if (!helper_answered(k) || (err && err->code == RPC_ERROR_UNAVAILABLE)) {
		/* Without the helper nothing can be known about the VMM: leave the record as it is
		 * and ask again shortly. */
		log_vm(LOG_WARNING, vm->name, "reconcile",
			"Cannot re-adopt VM %s yet: %s; retrying", vm->name,
			err ? err->message : strerror(-k));
		r->mode = RUN_IDLE;
		r->keep_record_state = false;
		if (!lc->readopt_retry &&
			sd_event_add_time_relative(lc->d->event, &lc->readopt_retry,
				CLOCK_MONOTONIC, lc->timing.readopt_retry_usec, 0, on_readopt_retry,
				lc) < 0)
			log_vm(LOG_ERR, vm->name, "reconcile",
				"Cannot schedule the re-adoption of VM %s again; run banger "
				"reconcile",
				vm->name);
		return;
	}
	alive = json_is_integer(pid);
	r->vmm_exited = !alive;
	if (alive) {
		r->vmm_pid = (int)json_integer_value(pid);
		alive = run_watch_vmm(r) >= 0;
	}
	/* a suspend the last bangerd did not finish: its snapshot was never recorded, and the
	 * guest runs on rather than lose its memory to a release */
	interrupted_suspend = alive && vm->state == VM_STATE_STOPPING &&
			      streq(vm->reason, SUSPENDING_REASON) && !r->abort_requested &&
			      !r->delete_after;
	if (alive && (vm->state == VM_STATE_RUNNING || vm->state == VM_STATE_PAUSED ||
			     interrupted_suspend)) {
		/* the record says whether it was paused, until the VMM answers GET / */
		r->paused = vm->state == VM_STATE_PAUSED;
		readopt_running(r);
		if (interrupted_suspend) {
			log_vm(LOG_NOTICE, vm->name, "reconcile",
				"VM %s: the last bangerd ended during its suspend; the suspend is "
				"undone and the VM runs on (suspend it again)",
				vm->name);
			run_set_state(r, VM_STATE_RUNNING, "");
		}
		run_probe_paused(r);
		return;
	}
	if (alive && vm->state != VM_STATE_STOPPING && !r->abort_requested && !r->delete_after) {
		/* Caught half-way through a start, or a record that never heard it ran: a booted
		 * guest is kept, one whose start had not reached InstanceStart is not. */
		struct fc_request req;
		int64_t id = fc_request_instance_info(&req);

		if (id >= 0)
			id = run_fc_send(r, &req, 2 * 1000 * 1000, on_readopt_api);
		if (id > 0) {
			r->fc_req = id;
			return;
		}
	}
	readopt_release(r, !alive ? "its VMM was no longer running when the daemon started"
			   : vm->state == VM_STATE_STOPPING
				   ? "the daemon restarted while the VM was stopping"
				   : "a stop was asked for while it was re-adopted");
}

/* Asks the helper about vm's VMM and re-adopts, finishes or releases it. */
int readopt_one(struct lifecycle *lc, struct vm *vm, const struct vm_handles *h)
{
	struct run *r = run_find(lc, vm->id);
	int k;

	if (r && r->mode != RUN_IDLE)
		return -EBUSY; /* being handled (a retry racing a start, or a live run) */
	r = run_get(lc, vm->id);
	if (!r)
		return -ENOMEM;
	(void)net_tap_name(vm->id, r->tap); /* an id that cannot name one has no tap */
	if (h) {
		snprintf(r->jail_root, sizeof(r->jail_root), "%s", h->chroot);
		snprintf(r->api_sock, sizeof(r->api_sock), "%s", h->api_sock);
		snprintf(r->disk_kind, sizeof(r->disk_kind), "%s", h->disk_kind);
		snprintf(r->device, sizeof(r->device), "%s", h->device);
		r->console.next_line = h->next_line;
	}
	if (layout_vm_sock_link(&lc->d->layout, vm->id, r->link, sizeof(r->link)) < 0)
		r->link[0] = '\0';
	r->keep_record_state = vm_state_is_inactive(vm->state);
	r->abort_requested = false;
	r->mode = RUN_UNWINDING; /* busy until proc.find answers */
	k = helper_call_proc_find(
		&lc->ports.helper, &(struct helper_req_proc_find){.vm_id = vm->id}, on_found, r);
	if (k < 0) {
		r->mode = RUN_IDLE;
		return k;
	}
	return 0;
}

void lifecycle_readopt(struct lifecycle *lc)
{
	struct handles_file handles = {};

	/* without the file (or with a damaged one) the helper still finds the VMMs */
	if (handles_file_load(lc->d->layout.handles_json, &handles) < 0)
		handles_file_done(&handles);
	for (size_t i = 0; i < lc->d->store.n_vms; i++) {
		struct vm *vm = lc->d->store.vms[i];

		if (vm_state_is_inactive(vm->state))
			continue;
		/* -EBUSY: already followed; else it is asked again at the next reconcile */
		(void)readopt_one(lc, vm, handles_file_find(&handles, vm->id));
	}
	handles_file_done(&handles);
}

int lifecycle_readopt_orphan(struct lifecycle *lc, struct vm *vm)
{
	return readopt_one(lc, vm, NULL);
}

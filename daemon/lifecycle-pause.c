/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pause and resume of a running VM: PATCH /vm to its VMM, the record following what the VMM
 * answered (paused only once it said so), and the callers of a pause or resume told when a stop
 * or the VMM's end overtakes it. The run stays RUN_RUNNING while paused: it holds the same
 * resources and a stop releases them the same way (lifecycle-stop.c resumes the guest first, so
 * it hears Ctrl-Alt-Del). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/macro.h"
#include "daemon/lifecycle-internal.h"

void run_pause_cancel(struct run *r, const char *why)
{
	struct lifecycle_ports *p = &r->lc->ports;
	struct rpc_error e = {};

	run_snapshot_cancel(r, why); /* a snapshot is a pause too */
	if (r->pause_req <= 0)
		return;
	p->fc_cancel(p->data, r->pause_req);
	r->pause_req = 0;
	if (r->pause_probe) {
		r->pause_probe = false; /* nobody waits for it */
		return;
	}
	rpc_error_set(&e, -ECANCELED, RPC_ERROR_CONFLICT, "The %s of VM \"%s\" was cancelled: %s",
		r->pause_target ? "pause" : "resume", run_name(r), why);
	run_notify(r, LIFECYCLE_PAUSE_ENDED, &e);
}

static void on_vm_state(
	_unused_ struct fc_api *api, const struct fc_api_result *res, void *userdata)
{
	struct run *r = userdata;
	const char *verb = r->pause_target ? "pause" : "resume";
	struct rpc_error e = {};

	r->pause_req = 0;
	if (res->r < 0 || res->status >= 300) {
		rpc_error_set(&e, res->r < 0 ? res->r : -EIO, RPC_ERROR_INTERNAL,
			"Failed to %s VM \"%s\": the VMM answered: %s", verb, run_name(r),
			res->err.message[0] ? res->err.message : "no reason given");
		log_vm(LOG_WARNING, run_name(r), verb, "%s", e.message);
		run_notify(r, LIFECYCLE_PAUSE_ENDED, &e);
		return;
	}
	r->paused = r->pause_target;
	log_vm(LOG_INFO, run_name(r), verb, "VM %s %s", run_name(r),
		r->paused ? "paused" : "resumed");
	run_set_state(r, r->paused ? VM_STATE_PAUSED : VM_STATE_RUNNING, "");
	run_notify(r, LIFECYCLE_PAUSE_ENDED, NULL);
}

/* The resume of a guest that a live snapshot or a suspend paused before the last bangerd
 * ended. */
static void on_snapshot_pause_undone(
	_unused_ struct fc_api *api, const struct fc_api_result *res, void *userdata)
{
	struct run *r = userdata;
	bool ok = res->r == 0 && res->status < 300;

	r->pause_req = 0;
	r->pause_probe = false;
	(void)snapshot_pause_mark(r->lc, r->vm_id, false);
	if (r->mode != RUN_RUNNING)
		return;
	r->paused = !ok;
	if (ok)
		log_vm(LOG_NOTICE, run_name(r), "reconcile",
			"VM %s: resumed the guest, which a snapshot or suspend had paused "
			"when the last bangerd ended",
			run_name(r));
	else
		log_vm(LOG_WARNING, run_name(r), "reconcile",
			"VM %s: a snapshot or suspend had paused the guest when the last bangerd "
			"ended, and its resume failed (%s); it stays paused: banger vm resume %s",
			run_name(r), res->err.message[0] ? res->err.message : "no reason given",
			run_name(r));
	run_set_state(r, ok ? VM_STATE_RUNNING : VM_STATE_PAUSED, "");
}

/* Sends that resume; false when it cannot go out (the guest is then recorded paused). */
static bool probe_resume_snapshot_pause(struct run *r)
{
	struct fc_request req;
	int64_t id = fc_request_vm_state(false, &req);

	if (id >= 0)
		id = run_fc_send(r, &req, 5 * 1000 * 1000, on_snapshot_pause_undone);
	if (id <= 0)
		return false;
	r->pause_req = id;
	r->pause_target = false;
	r->pause_probe = true; /* nobody waits for it: a stop meanwhile just cancels it */
	return true;
}

/* What the VMM says wins over the record: a pause whose record never reached the disk (a full
 * state directory, a crash between the answer and the save) is found paused. Until the answer
 * comes, a pause or resume is refused as in flight; a stop overtakes it like one. A guest
 * paused with the snapshot mark in its directory was paused by a snapshot or suspend the last
 * bangerd did not live to finish: it is resumed. */
static void on_probe_state(
	_unused_ struct fc_api *api, const struct fc_api_result *res, void *userdata)
{
	struct run *r = userdata;
	const char *st = res->r == 0 && res->status == 200
				 ? json_string_value(json_object_get(res->body, "state"))
				 : NULL;
	bool paused;

	r->pause_req = 0;
	r->pause_probe = false;
	if (r->mode != RUN_RUNNING || !st || (!streq(st, "Paused") && !streq(st, "Running")))
		return; /* no answer, or none to act on: the record stands */
	paused = streq(st, "Paused");
	if (snapshot_pause_marked(r->lc, r->vm_id)) {
		if (paused && probe_resume_snapshot_pause(r)) {
			r->paused = true; /* until the VMM says it runs */
			return;
		}
		(void)snapshot_pause_mark(r->lc, r->vm_id, false);
	}
	if (paused == r->paused)
		return;
	log_vm(LOG_NOTICE, run_name(r), "reconcile",
		"VM %s: its VMM says the guest is %s although the record said otherwise",
		run_name(r), paused ? "paused" : "running");
	r->paused = paused;
	run_set_state(r, paused ? VM_STATE_PAUSED : VM_STATE_RUNNING, "");
}

void run_probe_paused(struct run *r)
{
	struct fc_request req;
	int64_t id = fc_request_instance_info(&req);

	if (id >= 0)
		id = run_fc_send(r, &req, 2 * 1000 * 1000, on_probe_state);
	if (id <= 0)
		return; /* the record stands */
	r->pause_req = id;
	r->pause_target = r->paused; /* what a stop meanwhile assumes */
	r->pause_probe = true;
}

int lifecycle_set_paused(struct lifecycle *lc, struct vm *vm, bool paused, struct rpc_error *err)
{
	struct run *r = run_find(lc, vm->id);
	const char *verb = paused ? "pause" : "resume";
	struct fc_request req;
	int64_t id;

	if (!r || r->mode == RUN_IDLE) {
		if (!vm_state_is_inactive(vm->state))
			return readopt_first(lc, vm, err);
		return rpc_error_set(err, -ENOTCONN, RPC_ERROR_CONFLICT,
			"Cannot %s VM \"%s\": it is not running (%s)", verb, vm->name,
			vm_state_to_string(vm->state));
	}
	switch (r->mode) {
	case RUN_STARTING:
	case RUN_STOPPING:
	case RUN_UNWINDING:
		return rpc_error_set(err, -EBUSY, RPC_ERROR_CONFLICT,
			"Cannot %s VM \"%s\" while it is %s", verb, vm->name,
			vm_state_to_string(vm->state));
	case RUN_RUNNING:
	case RUN_IDLE:
	case _RUN_MODE_MAX:
	case _RUN_MODE_INVALID:
		break;
	}
	if (r->snap)
		return rpc_error_set(err, -EBUSY, RPC_ERROR_CONFLICT,
			"Cannot %s VM \"%s\": a snapshot of it is being taken; try again when it "
			"is "
			"done",
			verb, vm->name);
	if (r->pause_req > 0)
		return rpc_error_set(err, -EBUSY, RPC_ERROR_CONFLICT, "Cannot %s VM \"%s\": %s",
			verb, vm->name,
			r->pause_probe    ? "its VMM is being asked whether it is paused; try again"
			: r->pause_target ? "a pause of it is in flight"
					  : "a resume of it is in flight");
	if (r->paused == paused)
		return rpc_error_set(err, -EALREADY, RPC_ERROR_CONFLICT, "VM \"%s\" is %s",
			vm->name, paused ? "already paused" : "not paused");
	id = fc_request_vm_state(paused, &req);
	if (id >= 0)
		id = run_fc_send(r, &req, 5 * 1000 * 1000, on_vm_state);
	if (id <= 0)
		return rpc_error_set(err, id < 0 ? (int)id : -EIO, RPC_ERROR_INTERNAL,
			"Failed to %s VM \"%s\": cannot reach its VMM's API: %s", verb, vm->name,
			strerror(id < 0 ? (int)-id : EIO));
	r->pause_req = id;
	r->pause_target = paused;
	return 0;
}

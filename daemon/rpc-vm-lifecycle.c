/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vm.start, vm.stop, vm.restart, vm.pause, vm.resume, vm.snapshot, vm.snapshot_restore, a forced
 * vm.delete and vm.logs: the methods backed by the VM lifecycle, and the callers who wait for what
 * a start, stop or delete comes to. The lifecycle tells rpc_vm_lifecycle_notify(); this file
 * answers the calls. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/macro.h"
#include "daemon/console-log.h"
#include "daemon/daemon.h"
#include "daemon/lifecycle.h"
#include "daemon/progress.h"
#include "daemon/rpc-vm.h"
#include "daemon/rpc.h"
#include "protocol/jsonrpc.h"

#define MAX_WAITERS 16 /* per VM and kind */

enum waiter_kind {
	WAIT_START,    /* STARTED or START_ENDED */
	WAIT_STOP,     /* RELEASED */
	WAIT_DELETE,   /* DELETE */
	WAIT_PAUSE,    /* PAUSE_ENDED (a pause or a resume) */
	WAIT_SNAPSHOT, /* SNAPSHOT_ENDED */
	_WAIT_KIND_MAX,
	_WAIT_KIND_INVALID = -EINVAL,
};

struct vm_waiter {
	struct vm_waiter *next;
	char vm_id[VM_ID_LEN + 1];
	enum waiter_kind kind;
	struct rpc_call *call;
};

static int waiter_add(struct daemon *d, const struct vm *vm, enum waiter_kind kind,
	const struct rpc_call *call, struct vm_waiter **ret, struct rpc_error *err)
{
	struct vm_waiter *w;
	size_t n = 0;

	for (w = d->vm_waiters; w; w = w->next)
		n += w->kind == kind && streq(w->vm_id, vm->id);
	if (n >= MAX_WAITERS)
		return rpc_error_set(err, -EBUSY, RPC_ERROR_CONFLICT,
			"Too many clients are already waiting for this VM");
	w = calloc(1, sizeof(*w));
	if (w)
		w->call = rpc_call_defer(call);
	if (!w || !w->call) {
		free(w);
		return rpc_error_set(err, -ENOMEM, RPC_ERROR_INTERNAL, "Out of memory");
	}
	snprintf(w->vm_id, sizeof(w->vm_id), "%s", vm->id);
	w->kind = kind;
	w->next = d->vm_waiters;
	d->vm_waiters = w;
	*ret = w;
	return 0;
}

/* Unlinks w if it still waits; true if it did (it is then the caller's to answer or drop). */
static bool waiter_take(struct daemon *d, struct vm_waiter *w)
{
	for (struct vm_waiter **p = &d->vm_waiters; *p; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			return true;
		}
	return false;
}

/* The lifecycle refused at once (err), or (err NULL) answered at once with result (stolen): the
 * waiter answers, unless the outcome was told already. Returns RPC_REPLY_LATER for the handler. */
static int waiter_answer_now(
	struct daemon *d, struct vm_waiter *w, json_t *result, const struct rpc_error *err)
{
	if (!waiter_take(d, w)) {
		json_decref(result);
		return RPC_REPLY_LATER;
	}
	if (err)
		rpc_call_fail(w->call, err);
	else
		rpc_call_reply(w->call, result ? result : json_object());
	free(w);
	return RPC_REPLY_LATER;
}

/* Answers (and frees) every waiter of vm_id of kind: result (a reference each) or err. */
static void waiters_answer(struct daemon *d, const char *vm_id, enum waiter_kind kind,
	json_t *result, const struct rpc_error *err)
{
	struct vm_waiter **p = &d->vm_waiters;

	while (*p) {
		struct vm_waiter *w = *p;

		if (w->kind != kind || !streq(w->vm_id, vm_id)) {
			p = &w->next;
			continue;
		}
		*p = w->next;
		if (err)
			rpc_call_fail(w->call, err);
		else
			rpc_call_reply(w->call, result ? json_incref(result) : json_object());
		free(w);
	}
}

void rpc_vm_lifecycle_notify(struct lifecycle *lc, const char *vm_id, struct vm *vm,
	enum lifecycle_event ev, const struct rpc_error *err, void *userdata)
{
	struct daemon *d = userdata;
	json_t *o = NULL, *res = NULL;
	struct rpc_error derr = {};
	int k;

	switch (ev) {
	case LIFECYCLE_STARTED:
		/* the answer carries where the start's time went, step by step (µs) */
		o = vm ? vm_to_json(vm) : NULL;
		if (o)
			json_object_set_new(o, "start_timings_us", lifecycle_timings(lc, vm));
		waiters_answer(d, vm_id, WAIT_START, o, NULL);
		if (vm)
			progress_done(d, vm, NULL);
		break;
	case LIFECYCLE_START_ENDED:
		waiters_answer(d, vm_id, WAIT_START, NULL, err);
		if (vm)
			progress_done(d, vm, err && err->message[0] ? err->message : "stopped");
		break;
	case LIFECYCLE_RELEASED:
		o = vm ? vm_to_json(vm) : NULL;
		waiters_answer(d, vm_id, WAIT_STOP, o, NULL);
		break;
	case LIFECYCLE_DELETE:
		k = vm ? daemon_vm_remove(d, vm, &res, &derr) : 0;
		waiters_answer(d, vm_id, WAIT_DELETE, res, k < 0 ? &derr : NULL);
		json_decref(res);
		break;
	case LIFECYCLE_PAUSE_ENDED:
		o = vm && !err ? vm_to_json(vm) : NULL;
		waiters_answer(d, vm_id, WAIT_PAUSE, o, err);
		break;
	case LIFECYCLE_SUSPEND_FAILED:
		waiters_answer(d, vm_id, WAIT_STOP, NULL, err);
		break;
	case LIFECYCLE_SNAPSHOT_ENDED:
		res = err ? NULL : lifecycle_snapshot_take_result(lc, vm_id);
		waiters_answer(d, vm_id, WAIT_SNAPSHOT, res, err);
		json_decref(res);
		break;
	case LIFECYCLE_SHUTDOWN:
		for (enum waiter_kind kind = 0; kind < _WAIT_KIND_MAX; kind++)
			waiters_answer(d, vm_id, kind, NULL, err);
		break;
	case _LIFECYCLE_EVENT_MAX:
	case _LIFECYCLE_EVENT_INVALID:
		break;
	}
	json_decref(o);
}

typedef int (*lifecycle_op_t)(struct lifecycle *, struct vm *, struct rpc_error *);

static int run_op(struct rpc_call *call, const char *name, const char *id, struct rpc_error *err,
	enum waiter_kind kind, lifecycle_op_t op)
{
	struct daemon *d = call->d;
	struct vm_waiter *w;
	struct vm *vm;
	int r;

	r = rpc_vm_lookup(d, name, id, &vm, err);
	/* first: the outcome may be told before the lifecycle returns */
	r = r ?: waiter_add(d, vm, kind, call, &w, err);
	if (r < 0)
		return r;
	r = op(d->lifecycle, vm, err);
	if (r < 0)
		return waiter_answer_now(d, w, NULL, err);
	return RPC_REPLY_LATER;
}

int rpc_vm_start(struct rpc_call *call, const struct rpc_vm_start_args *args, json_t **ret_result,
	struct rpc_error *err)
{
	(void)ret_result;
	return run_op(call, args->name, args->id, err, WAIT_START,
		args->cold ? lifecycle_start_cold : lifecycle_start);
}

/* force: SIGKILL to the VMM at once instead of asking the guest to halt (lifecycle_kill). */
int rpc_vm_stop(struct rpc_call *call, const struct rpc_vm_stop_args *args, json_t **ret_result,
	struct rpc_error *err)
{
	(void)ret_result;
	if (args->force && args->snapshot)
		return rpc_error_set(err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT,
			"force and snapshot exclude each other: a killed VMM saves nothing");
	return run_op(call, args->name, args->id, err, WAIT_STOP,
		args->snapshot ? lifecycle_suspend
		: args->force  ? lifecycle_kill
			       : lifecycle_stop);
}

int rpc_vm_restart(struct rpc_call *call, const struct rpc_vm_restart_args *args,
	json_t **ret_result, struct rpc_error *err)
{
	(void)ret_result;
	return run_op(call, args->name, args->id, err, WAIT_START, lifecycle_restart);
}

static int lifecycle_pause(struct lifecycle *lc, struct vm *vm, struct rpc_error *err)
{
	return lifecycle_set_paused(lc, vm, true, err);
}

static int lifecycle_resume(struct lifecycle *lc, struct vm *vm, struct rpc_error *err)
{
	return lifecycle_set_paused(lc, vm, false, err);
}

/* Answered with the VM once its VMM said it is paused (resumed). */
int rpc_vm_pause(struct rpc_call *call, const struct rpc_vm_pause_args *args, json_t **ret_result,
	struct rpc_error *err)
{
	(void)ret_result;
	return run_op(call, args->name, args->id, err, WAIT_PAUSE, lifecycle_pause);
}

int rpc_vm_resume(struct rpc_call *call, const struct rpc_vm_resume_args *args, json_t **ret_result,
	struct rpc_error *err)
{
	(void)ret_result;
	return run_op(call, args->name, args->id, err, WAIT_PAUSE, lifecycle_resume);
}

/* A snapshot op answered once its copies are done: the waiter first, so the answer finds it. */
static int snapshot_op(struct rpc_call *call, const char *name, const char *id,
	const char *snapshot, struct rpc_error *err,
	int (*op)(struct lifecycle *lc, struct vm *vm, const char *snapshot, struct rpc_error *err))
{
	struct daemon *d = call->d;
	struct vm_waiter *w;
	struct vm *vm;
	int r;

	r = rpc_vm_lookup(d, name, id, &vm, err);
	r = r ?: waiter_add(d, vm, WAIT_SNAPSHOT, call, &w, err);
	if (r < 0)
		return r;
	r = op(d->lifecycle, vm, snapshot, err);
	if (r < 0)
		return waiter_answer_now(d, w, NULL, err);
	return RPC_REPLY_LATER;
}

/* Answered with the new snapshot's record (sizes, how long the guest stood) once it is complete;
 * a failure leaves none, and the VM as it was. */
int rpc_vm_snapshot(struct rpc_call *call, const struct rpc_vm_snapshot_args *args,
	json_t **ret_result, struct rpc_error *err)
{
	(void)ret_result;
	return snapshot_op(call, args->name, args->id, args->snapshot, err, lifecycle_snapshot);
}

/* {"name"|"id", "snapshot"} → the restored snapshot's record, once its copies are made; the VM
 * is then suspended and its next vm.start restores the snapshot (its boot id, its disk). */
int rpc_vm_snapshot_restore(struct rpc_call *call, const struct rpc_vm_snapshot_restore_args *args,
	json_t **ret_result, struct rpc_error *err)
{
	(void)ret_result;
	return snapshot_op(
		call, args->name, args->id, args->snapshot, err, lifecycle_snapshot_restore);
}

int rpc_vm_delete(struct rpc_call *call, const struct rpc_vm_delete_args *args, json_t **ret_result,
	struct rpc_error *err)
{
	struct daemon *d = call->d;
	struct vm_waiter *w;
	json_t *res = NULL;
	struct vm *vm;
	int r;

	r = rpc_vm_lookup(d, args->name, args->id, &vm, err);
	if (r < 0)
		return r;
	if (!vm_state_is_inactive(vm->state) || lifecycle_busy(d->lifecycle, vm)) {
		if (!args->force)
			return rpc_error_set(err, -EBUSY, RPC_ERROR_CONFLICT,
				"VM \"%s\" is %s; stop it first or delete with force", vm->name,
				vm_state_to_string(vm->state));
		/* stop first (releasing everything), then remove: answered when both are done */
		r = waiter_add(d, vm, WAIT_DELETE, call, &w, err);
		if (r < 0)
			return r;
		r = lifecycle_delete(d->lifecycle, vm, err);
		if (r > 0)
			return RPC_REPLY_LATER;
		if (r == 0)
			r = daemon_vm_remove(d, vm, &res, err);
		return waiter_answer_now(d, w, r < 0 ? NULL : res, r < 0 ? err : NULL);
	}
	return daemon_vm_remove(d, vm, ret_result, err);
}

/* {"name"|"id", "tail"?: N} → {"id", "name", "lines": [...], "next_line": N}: the last N console
 * lines (default 100) and the number the next live line will carry, so `vm logs -f` can join
 * the vm.log events without a gap or a repeat. */
int rpc_vm_logs(struct rpc_call *call, const struct rpc_vm_logs_args *args, json_t **ret_result,
	struct rpc_error *err)
{
	struct daemon *d = call->d;
	char path[PATH_MAX];
	char **lines = NULL;
	size_t n = 0;
	uint64_t next;
	json_t *arr, *o;
	struct vm *vm;
	int r;

	r = rpc_vm_lookup(d, args->name, args->id, &vm, err);
	if (r < 0)
		return r;
	r = layout_vm_file(&d->layout, vm->id, "console.log", path, sizeof(path));
	if (r < 0)
		return rpc_error_set(
			err, r, RPC_ERROR_INTERNAL, "No console log path for %s", vm->name);
	/* first: it catches the daemon up on the file, so the tail below ends at line next - 1 */
	next = lifecycle_next_line(d->lifecycle, vm);
	r = console_log_tail(path, (unsigned)args->tail, &lines, &n);
	if (r < 0 && r != -ENOENT)
		return rpc_error_set(err, r, RPC_ERROR_INTERNAL,
			"Failed to read the console log of %s: %s", vm->name, strerror(-r));
	arr = json_array();
	for (size_t i = 0; i < n; i++) {
		if (arr)
			json_array_append_new(
				arr, json_string(lines[i]) ?: json_string("\xef\xbf\xbd"));
		free(lines[i]);
	}
	free(lines);
	o = json_pack("{s:s, s:s, s:o, s:I}", "id", vm->id, "name", vm->name, "lines",
		arr ? arr : json_array(), "next_line", (json_int_t)next);
	if (!o)
		return rpc_error_set(err, -ENOMEM, RPC_ERROR_INTERNAL, "Out of memory");
	*ret_result = o;
	return 0;
}

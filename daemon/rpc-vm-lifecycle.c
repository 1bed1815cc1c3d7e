/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vm.start, vm.stop, vm.restart, vm.logs: the methods backed by the VM lifecycle. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/macro.h"
#include "daemon/console-log.h"
#include "daemon/daemon.h"
#include "daemon/lifecycle.h"
#include "daemon/rpc-vm.h"
#include "daemon/rpc.h"

typedef int (*lifecycle_op_t)(struct lifecycle *, struct vm *, struct rpc_call *, struct rpc_error *);

static int run_op(struct rpc_call *call, const char *name, const char *id, json_t **ret_result,
		struct rpc_error *err, lifecycle_op_t op)
{
	struct vm *vm;
	int r;

	r = rpc_vm_lookup(call->d, name, id, &vm, err);
	if (r < 0)
		return r;
	r = op(call->d->lifecycle, vm, call, err);
	if (r == 0)
		*ret_result = vm_to_json(vm);
	return r;
}

int rpc_vm_start(struct rpc_call *call, const struct rpc_vm_start_args *args, json_t **ret_result,
		struct rpc_error *err)
{
	return run_op(call, args->name, args->id, ret_result, err, lifecycle_start);
}

int rpc_vm_stop(struct rpc_call *call, const struct rpc_vm_stop_args *args, json_t **ret_result,
		struct rpc_error *err)
{
	return run_op(call, args->name, args->id, ret_result, err, lifecycle_stop);
}

int rpc_vm_restart(struct rpc_call *call, const struct rpc_vm_restart_args *args,
		json_t **ret_result, struct rpc_error *err)
{
	return run_op(call, args->name, args->id, ret_result, err, lifecycle_restart);
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
		return rpc_error_set(err, r, RPC_ERROR_INTERNAL, "No console log path for %s", vm->name);
	/* first: it catches the daemon up on the file, so the tail below ends at line next - 1 */
	next = lifecycle_next_line(d->lifecycle, vm);
	r = console_log_tail(path, (unsigned)args->tail, &lines, &n);
	if (r < 0 && r != -ENOENT)
		return rpc_error_set(err, r, RPC_ERROR_INTERNAL, "Failed to read the console log of %s: %s",
				vm->name, strerror(-r));
	arr = json_array();
	for (size_t i = 0; i < n; i++) {
		if (arr)
			json_array_append_new(arr, json_string(lines[i]) ?: json_string("\xef\xbf\xbd"));
		free(lines[i]);
	}
	free(lines);
	o = json_pack("{s:s, s:s, s:o, s:I}", "id", vm->id, "name", vm->name, "lines",
			arr ? arr : json_array(), "next_line",
			(json_int_t)next);
	if (!o)
		return rpc_error_set(err, -ENOMEM, RPC_ERROR_INTERNAL, "Out of memory");
	*ret_result = o;
	return 0;
}

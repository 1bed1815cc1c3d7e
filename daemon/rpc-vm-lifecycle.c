/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vm.start, vm.stop, vm.restart, vm.logs: the methods backed by the VM lifecycle. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/macro.h"
#include "daemon/console-log.h"
#include "daemon/daemon.h"
#include "daemon/lifecycle.h"
#include "daemon/rpc.h"
#include "daemon/vm-params.h"
#include "protocol/jsonrpc.h"

static const char *const vm_keys[] = { "name", "id", NULL };

typedef int (*lifecycle_op_t)(struct lifecycle *, struct vm *, struct rpc_call *, struct rpc_error *);

static int run_op(struct rpc_call *call, json_t *params, json_t **ret_result, struct rpc_error *err,
		lifecycle_op_t op)
{
	struct vm *vm;
	int r;

	r = rpc_params_check_keys(params, vm_keys, err);
	r = r ?: rpc_vm_lookup(call->d, params, &vm, err);
	if (r < 0)
		return r;
	r = op(call->d->lifecycle, vm, call, err);
	if (r == 0)
		*ret_result = vm_to_json(vm);
	return r;
}

int rpc_vm_start(struct rpc_call *call, json_t *params, json_t **ret_result, struct rpc_error *err)
{
	return run_op(call, params, ret_result, err, lifecycle_start);
}

/* {"name"|"id", "force"?: bool}: force kills the VMM instead of asking the guest to halt. */
int rpc_vm_stop(struct rpc_call *call, json_t *params, json_t **ret_result, struct rpc_error *err)
{
	static const char *const keys[] = { "name", "id", "force", NULL };
	bool force = false;
	struct vm *vm;
	int r;

	r = rpc_params_check_keys(params, keys, err);
	r = r ?: rpc_param_bool(params, "force", false, &force, err);
	r = r ?: rpc_vm_lookup(call->d, params, &vm, err);
	if (r < 0)
		return r;
	r = (force ? lifecycle_kill : lifecycle_stop)(call->d->lifecycle, vm, call, err);
	if (r == 0)
		*ret_result = vm_to_json(vm);
	return r;
}

int rpc_vm_restart(struct rpc_call *call, json_t *params, json_t **ret_result, struct rpc_error *err)
{
	return run_op(call, params, ret_result, err, lifecycle_restart);
}

/* {"name"|"id", "tail"?: N} → {"id", "name", "lines": [...], "next_line": N}: the last N console
 * lines (default 100) and the number the next live line will carry, so `vm logs -f` can join
 * the vm.log events without a gap or a repeat. */
int rpc_vm_logs(struct rpc_call *call, json_t *params, json_t **ret_result, struct rpc_error *err)
{
	static const char *const keys[] = { "name", "id", "tail", NULL };
	struct daemon *d = call->d;
	char path[PATH_MAX];
	char **lines = NULL;
	size_t n = 0;
	json_int_t tail = 100;
	uint64_t next;
	json_t *arr, *o;
	struct vm *vm;
	int r;

	r = rpc_params_check_keys(params, keys, err);
	r = r ?: rpc_param_int(params, "tail", false, 0, 100000, &tail, err);
	r = r ?: rpc_vm_lookup(d, params, &vm, err);
	if (r < 0)
		return r;
	r = layout_vm_file(&d->layout, vm->id, "console.log", path, sizeof(path));
	if (r < 0)
		return rpc_error_set(err, r, RPC_ERROR_INTERNAL, "No console log path for %s", vm->name);
	/* first: it catches the daemon up on the file, so the tail below ends at line next - 1 */
	next = lifecycle_next_line(d->lifecycle, vm);
	r = console_log_tail(path, (unsigned)tail, &lines, &n);
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

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* proc.find: the pid of a VM's VMM, by command line (--id and the jail's API socket) or else by
 * the jailer's pid file; either way its comm must be the VMM's exec name and it must run as the
 * owner.
 * Security: read-only; looks only at /proc and at the pid file inside the VM's own chroot,
 * opened without following symlinks. */
#include "common/macro.h"
#include "helper/helper.h"
#include "helper/ops.h"
#include "helper/proc.h"
#include "helper/validate.h"

int op_proc_find_run(const struct helper_ctx *ctx, const struct helper_request *req,
	json_t **ret_result, struct rpc_error *err)
{
	enum proc_found_by by = _PROC_FOUND_BY_INVALID;
	pid_t pid = 0;
	int r;

	if (!ctx->cfg->exec_name[0])
		return rpc_error_set(
			err, -EHOSTDOWN, RPC_ERROR_UNAVAILABLE, "No VMM is configured");
	r = proc_find_vmm(ctx->cfg, req->vm_id, &pid, &by);
	if (r < 0)
		return rpc_error_set(
			err, r, RPC_ERROR_INTERNAL, "Failed to scan /proc: %s", strerror(-r));
	if (pid > 0)
		*ret_result = json_pack("{s:i, s:s, s:s}", "pid", (int)pid, "found_by",
			proc_found_by_to_string(by), "exec", ctx->cfg->exec_name);
	else
		*ret_result = json_pack(
			"{s:n, s:n, s:s}", "pid", "found_by", "exec", ctx->cfg->exec_name);
	return *ret_result ? 0 : -ENOMEM;
}

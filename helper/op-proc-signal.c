/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* proc.signal: sends TERM, KILL or INT to a VM's VMM and to nothing else.
 * Security: the target is found the way proc.find finds it (comm = VMM exec name, owner uid,
 * command line or pid file of this VM); a pid the caller names must be that process (pid 1 and
 * the helper itself are refused outright). The signal goes through a pidfd opened before the
 * final check, so a recycled pid cannot receive it. */
#define _GNU_SOURCE 1
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/macro.h"
#include "helper/helper.h"
#include "helper/ops.h"
#include "helper/proc.h"
#include "helper/validate.h"

int op_proc_signal_validate(const struct helper_request *req, struct rpc_error *err)
{
	json_t *p = json_object_get(req->params, "pid");
	if (p && json_integer_value(p) == 1)
		return rpc_error_set(err, -EPERM, RPC_ERROR_PERMISSION_DENIED,
			"Refusing to signal pid 1: it is not a VMM");
	return 0;
}

int op_proc_signal_run(const struct helper_ctx *ctx, const struct helper_request *req,
	json_t **ret_result, struct rpc_error *err)
{
	const char *sname = json_string_value(json_object_get(req->params, "signal"));
	json_t *p = json_object_get(req->params, "pid");
	enum proc_found_by by;
	_cleanup_close_ int pidfd = -1;
	pid_t pid = 0, want = p ? (pid_t)json_integer_value(p) : 0;
	int sig = signal_from_name(sname), r;

	if (want == getpid())
		return rpc_error_set(err, -EPERM, RPC_ERROR_PERMISSION_DENIED,
			"Refusing to signal pid %d: it is the helper itself", (int)want);
	if (!ctx->cfg->exec_name[0])
		return rpc_error_set(
			err, -EHOSTDOWN, RPC_ERROR_UNAVAILABLE, "No VMM is configured");
	r = proc_find_vmm(ctx->cfg, req->vm_id, &pid, &by);
	if (r < 0)
		return rpc_error_set(
			err, r, RPC_ERROR_INTERNAL, "Failed to scan /proc: %s", strerror(-r));
	if (pid <= 0) {
		if (want)
			return rpc_error_set(err, -EPERM, RPC_ERROR_PERMISSION_DENIED,
				"Refusing to signal pid %d: it is not VM \"%s\"'s VMM (none runs)",
				(int)want, req->vm_id);
		return rpc_error_set(
			err, -ESRCH, RPC_ERROR_NOT_FOUND, "No VMM runs for VM \"%s\"", req->vm_id);
	}
	if (want && want != pid)
		return rpc_error_set(err, -EPERM, RPC_ERROR_PERMISSION_DENIED,
			"Refusing to signal pid %d: it is not VM \"%s\"'s VMM (that is pid %d)",
			(int)want, req->vm_id, (int)pid);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return rpc_error_set(err, negative_errno(), RPC_ERROR_NOT_FOUND,
			"VMM pid %d is gone: %m", (int)pid);
	/* Same process as the pidfd now: check it once more before signalling. */
	if (!proc_is_vmm_exec(ctx->cfg, pid))
		return rpc_error_set(
			err, -ESRCH, RPC_ERROR_NOT_FOUND, "VMM pid %d is gone", (int)pid);
	if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
		return rpc_error_set(err, negative_errno(), RPC_ERROR_INTERNAL,
			"Failed to send SIG%s to pid %d: %m", sname, (int)pid);
	*ret_result = json_pack("{s:i, s:s, s:s}", "pid", (int)pid, "signal", sname, "found_by",
		proc_found_by_to_string(by));
	return *ret_result ? 0 : -ENOMEM;
}

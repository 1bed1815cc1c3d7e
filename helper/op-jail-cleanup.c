/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* jail.cleanup: unmounts everything under the VM's chroot (per the mount table, deepest first,
 * the self-bind last) and removes <jail base>/<exec>/<vm id>.
 * Security: the path is built from the root-owned jail base, the configured exec name and a
 * validated VM id, so it cannot leave the base; every level is opened without following
 * symlinks and must be root's; mount points are reached only through real directories beneath
 * the chroot (openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS) and removal never follows a symlink or
 * enters another filesystem. A jail whose VMM still runs is refused (signal it first). */
#include "common/macro.h"
#include "helper/helper.h"
#include "helper/jail.h"
#include "helper/ops.h"
#include "helper/proc.h"
#include "helper/validate.h"

int op_jail_cleanup_run(const struct helper_ctx *ctx, const struct helper_request *req,
	json_t **ret_result, struct rpc_error *err)
{
	json_t *unmounted = json_array();
	bool removed;
	int r;

	if (ctx->cfg->exec_name[0]) {
		enum proc_found_by by;
		pid_t pid = 0;
		if (proc_find_vmm(ctx->cfg, req->vm_id, &pid, &by) >= 0 && pid > 0) {
			json_decref(unmounted);
			return rpc_error_set(err, -EBUSY, RPC_ERROR_CONFLICT,
				"VM \"%s\"'s VMM still runs (pid %d); proc.signal it first",
				req->vm_id, (int)pid);
		}
	}
	if (!unmounted)
		return -ENOMEM;
	r = jail_teardown(ctx->cfg, req->vm_id, unmounted, &removed, err);
	if (r < 0) {
		json_decref(unmounted);
		return r;
	}
	*ret_result = json_pack("{s:o, s:b}", "unmounted", unmounted, "removed", removed);
	return *ret_result ? 0 : -ENOMEM;
}

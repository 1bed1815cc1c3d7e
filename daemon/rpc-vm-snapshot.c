/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vm.snapshot_list and vm.snapshot_delete: a VM's kept snapshots (taking one is vm.snapshot and
 * restoring one vm.snapshot_restore, in rpc-vm-lifecycle.c, as they wait for the lifecycle). */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "common/macro.h"
#include "daemon/daemon.h"
#include "daemon/lifecycle.h"
#include "daemon/rpc-vm.h"
#include "daemon/rpc.h"
#include "daemon/snapshot.h"
#include "daemon/store.h"
#include "protocol/jsonrpc.h"

/* {"name"|"id"} → {"id", "name", "snapshots": [record, ...]}, oldest first. */
int rpc_vm_snapshot_list(struct rpc_call *call, const struct rpc_vm_snapshot_list_args *args,
	json_t **ret_result, struct rpc_error *err)
{
	struct daemon *d = call->d;
	json_t *list = NULL;
	struct vm *vm;
	int r;

	r = rpc_vm_lookup(d, args->name, args->id, &vm, err);
	if (r < 0)
		return r;
	r = snapshot_list(&d->layout, vm->id, &list);
	if (r < 0)
		return rpc_error_set(err, r, RPC_ERROR_INTERNAL,
			"Failed to list the snapshots of VM \"%s\": %s", vm->name, strerror(-r));
	*ret_result =
		json_pack("{s:s, s:s, s:o}", "id", vm->id, "name", vm->name, "snapshots", list);
	return *ret_result ? 0 : rpc_error_set(err, -ENOMEM, RPC_ERROR_INTERNAL, "Out of memory");
}

/* {"name"|"id", "snapshot"} → the deleted snapshot's record. Allowed whatever the VM's state:
 * a snapshot is only files, no run uses them; only a restore from it must end first. */
int rpc_vm_snapshot_delete(struct rpc_call *call, const struct rpc_vm_snapshot_delete_args *args,
	json_t **ret_result, struct rpc_error *err)
{
	struct daemon *d = call->d;
	struct snapshot_meta m;
	char dir[PATH_MAX];
	struct stat st;
	struct vm *vm;
	int r;

	r = rpc_vm_lookup(d, args->name, args->id, &vm, err);
	if (r < 0)
		return r;
	if (lifecycle_restoring_from(d->lifecycle, vm, args->snapshot))
		return rpc_error_set(err, -EBUSY, RPC_ERROR_CONFLICT,
			"Cannot delete snapshot \"%s\" of VM \"%s\": it is being restored; delete "
			"it once that is done (or stop the VM to cancel the restore)",
			args->snapshot, vm->name);
	r = snapshot_dir(&d->layout, vm->id, args->snapshot, dir, sizeof(dir));
	if (r >= 0 && lstat(dir, &st) < 0)
		r = -errno;
	if (r == -ENOENT)
		return rpc_error_set(err, r, RPC_ERROR_NOT_FOUND,
			"VM \"%s\" has no snapshot named \"%s\" (banger vm snapshot list %s)",
			vm->name, args->snapshot, vm->name);
	if (r < 0)
		return rpc_error_set(err, r, RPC_ERROR_INTERNAL,
			"Failed to delete snapshot \"%s\" of VM \"%s\": %s", args->snapshot,
			vm->name, strerror(-r));
	if (snapshot_meta_read(dir, &m) < 0) {
		/* damaged: it goes all the same, named by its directory */
		m = (struct snapshot_meta){};
		snprintf(m.name, sizeof(m.name), "%s", args->snapshot);
		snprintf(m.vm_id, sizeof(m.vm_id), "%s", vm->id);
		snprintf(m.vm_name, sizeof(m.vm_name), "%s", vm->name);
	}
	r = remove_flat_dir(dir);
	if (r < 0)
		return rpc_error_set(err, r, RPC_ERROR_INTERNAL,
			"Failed to delete snapshot \"%s\" of VM \"%s\": removing %s: %s",
			args->snapshot, vm->name, dir, strerror(-r));
	snapshot_publish(d, "vm.snapshot_deleted", vm, &m);
	*ret_result = snapshot_meta_to_json(&m);
	return *ret_result ? 0 : rpc_error_set(err, -ENOMEM, RPC_ERROR_INTERNAL, "Out of memory");
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vm.snapshot_restore: a stopped or suspended VM gets a named snapshot's disk, memory and state.
 * The copies (disk.restore, snapshot.mem.restore, snapshot.state.restore next to their targets)
 * run one after the other in a child process (daemon/file-copy.h), so the loop serves everyone
 * meanwhile; then the renames, the disk last, and the VM is suspended. A start is refused while
 * they run, a stop or a delete cancels them (the child killed, the .restore files removed): until
 * the renames the VM is unchanged. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/log.h"
#include "common/macro.h"
#include "daemon/file-copy.h"
#include "daemon/lifecycle-internal.h"
#include "daemon/snapshot.h"
#include "daemon/store.h"
#include "daemon/vm-state.h"
#include "protocol/jsonrpc.h"

#define RESTORE_COPY_TIMEOUT_USEC (3600ULL * 1000 * 1000)

static const char *const restore_files[] = {SNAPSHOT_DISK, SNAPSHOT_MEM, SNAPSHOT_STATE};
#define N_RESTORE_FILES ELEMENTSOF(restore_files)

struct snap_restore {
	struct snap_restore *next;
	struct lifecycle *lc;
	char vm_id[VM_ID_LEN + 1];
	char vm_name[VM_NAME_MAX + 1];
	struct snapshot_meta m;
	char dir[PATH_MAX]; /* the snapshot's */
	char dst[N_RESTORE_FILES][PATH_MAX], tmp[N_RESTORE_FILES][PATH_MAX];
	size_t at; /* the file being copied */
	struct child *copy;
	json_t *result; /* the snapshot's record, for its caller's answer */
};

static struct snap_restore *restore_find(struct lifecycle *lc, const char *vm_id)
{
	for (struct snap_restore *rs = lc->restores; rs; rs = rs->next)
		if (streq(rs->vm_id, vm_id))
			return rs;
	return NULL;
}

bool restore_running(struct lifecycle *lc, const char *vm_id)
{
	return restore_find(lc, vm_id) != NULL;
}

bool lifecycle_restoring_from(struct lifecycle *lc, const struct vm *vm, const char *snapshot)
{
	struct snap_restore *rs = restore_find(lc, vm->id);

	return rs && streq(rs->m.name, snapshot);
}

json_t *restore_take_result(struct lifecycle *lc, const char *vm_id)
{
	struct snap_restore *rs = restore_find(lc, vm_id);

	return rs ? TAKE_PTR(rs->result) : NULL;
}

int restore_refuse(struct lifecycle *lc, const struct vm *vm, struct rpc_error *err)
{
	struct snap_restore *rs = restore_find(lc, vm->id);

	if (!rs)
		return 0;
	return rpc_error_set(err, -EBUSY, RPC_ERROR_CONFLICT,
		"VM \"%s\" is being restored from its snapshot \"%s\"; try again once that is done "
		"(or stop it to cancel the restore)",
		vm->name, rs->m.name);
}

/* The end, either way: the copy child is gone, the caller hears (err NULL: the result). */
static void restore_end(struct snap_restore *rs, const struct rpc_error *err)
{
	struct lifecycle *lc = rs->lc;
	char id[sizeof(rs->vm_id)];

	if (err)
		for (size_t j = 0; j <= rs->at && j < N_RESTORE_FILES; j++)
			(void)unlink(rs->tmp[j]);
	memcpy(id, rs->vm_id, sizeof(id));
	if (lc->notify)
		lc->notify(lc, id, store_vm_by_id(&lc->d->store, id), LIFECYCLE_SNAPSHOT_ENDED, err,
			lc->userdata);
	for (struct snap_restore **p = &lc->restores; *p; p = &(*p)->next)
		if (*p == rs) {
			*p = rs->next;
			break;
		}
	json_decref(rs->result);
	free(rs);
}

static void restore_copy_failed(struct snap_restore *rs, int k)
{
	struct rpc_error e;

	rpc_error_set(&e, k, k == -ENOSPC ? RPC_ERROR_UNAVAILABLE : RPC_ERROR_INTERNAL,
		"Cannot restore snapshot \"%s\" of VM \"%s\": copying its %s: %s; the VM is "
		"unchanged",
		rs->m.name, rs->vm_name, restore_files[rs->at], strerror(-k));
	log_vm(LOG_WARNING, rs->vm_name, "snapshot", "%s", e.message);
	restore_end(rs, &e);
}

/* Every copy is made: the renames, the disk last, then the record. */
static void restore_commit(struct snap_restore *rs)
{
	struct lifecycle *lc = rs->lc;
	struct vm *vm = store_vm_by_id(&lc->d->store, rs->vm_id);
	const struct snapshot_meta *m = &rs->m;
	char reason[256];
	struct rpc_error e;
	int k;

	if (!vm) { /* cannot be: a delete cancels the restore first */
		rpc_error_set(&e, -ENOENT, RPC_ERROR_NOT_FOUND, "VM \"%s\" is gone", rs->vm_name);
		restore_end(rs, &e);
		return;
	}
	for (size_t i = N_RESTORE_FILES; i-- > 0;)
		if (rename(rs->tmp[i], rs->dst[i]) < 0) {
			k = negative_errno();
			snapshot_discard(lc, vm);
			daemon_vm_set_state(lc->d, vm, VM_STATE_STOPPED,
				"a snapshot restore failed half-way: the next start boots");
			rpc_error_set(&e, k, RPC_ERROR_INTERNAL,
				"Cannot restore snapshot \"%s\" of VM \"%s\": renaming %s: %s",
				m->name, vm->name, rs->tmp[i], strerror(-k));
			rs->at = i; /* what is left to remove */
			restore_end(rs, &e);
			return;
		}
	(void)fsync_parent_dir(rs->dst[0]);
	k = suspend_record_write(lc, vm, m->boot_id);
	if (k < 0) {
		snapshot_discard(lc, vm);
		daemon_vm_set_state(lc->d, vm, VM_STATE_STOPPED,
			"restored a snapshot's disk, but its record could not be written: the next "
			"start boots that disk");
		rpc_error_set(&e, k, RPC_ERROR_INTERNAL,
			"Cannot restore snapshot \"%s\" of VM \"%s\": writing its record: %s",
			m->name, vm->name, strerror(-k));
		restore_end(rs, &e);
		return;
	}
	if (!vm->disk_strategy[0]) {
		snprintf(vm->disk_strategy, sizeof(vm->disk_strategy), "%s", m->disk_strategy);
		daemon_vm_update(lc->d, vm);
	}
	snprintf(reason, sizeof(reason),
		"restored from snapshot %s (taken %s): vm start resumes it", m->name,
		m->created_at);
	daemon_vm_set_state(lc->d, vm, VM_STATE_SUSPENDED, reason);
	log_vm(LOG_INFO, vm->name, "snapshot", "VM %s: snapshot %s restored; suspended", vm->name,
		m->name);
	snapshot_publish(lc->d, "vm.snapshot_restored", vm, m);
	rs->result = snapshot_meta_to_json(m);
	if (!rs->result) {
		rpc_error_set(&e, -ENOMEM, RPC_ERROR_INTERNAL, "Out of memory");
		rs->at = N_RESTORE_FILES; /* nothing to remove: it is restored */
		restore_end(rs, &e);
		return;
	}
	restore_end(rs, NULL);
}

static int restore_next(struct snap_restore *rs);

static void on_restore_copied(
	_unused_ struct child *c, const struct child_result *res, void *userdata)
{
	struct snap_restore *rs = userdata;
	bool reflinked;
	int k;

	rs->copy = NULL;
	k = file_copy_result(res, &reflinked);
	if (k >= 0 && ++rs->at < N_RESTORE_FILES)
		k = restore_next(rs);
	if (k < 0)
		restore_copy_failed(rs, k);
	else if (rs->at == N_RESTORE_FILES)
		restore_commit(rs);
}

/* Starts the copy of file rs->at next to its target. */
static int restore_next(struct snap_restore *rs)
{
	struct lifecycle_ports *p = &rs->lc->ports;
	char src[PATH_MAX];
	int k = snapshot_dir_file(rs->dir, restore_files[rs->at], src, sizeof(src));

	if (k < 0)
		return k;
	(void)unlink(rs->tmp[rs->at]); /* what a daemon that ended mid-restore left */
	return p->copy(p->data, src, rs->tmp[rs->at], RESTORE_COPY_TIMEOUT_USEC, on_restore_copied,
		rs, &rs->copy);
}

int restore_cancel(struct lifecycle *lc, const char *vm_id, const char *why)
{
	struct snap_restore *rs = restore_find(lc, vm_id);
	struct rpc_error e;

	if (!rs)
		return 0;
	if (rs->copy) /* killed and reaped: nothing writes the .restore file once removed */
		lc->ports.spawn_cancel(lc->ports.data, rs->copy);
	rs->copy = NULL;
	rpc_error_set(&e, -ECANCELED, RPC_ERROR_CONFLICT,
		"The restore of snapshot \"%s\" into VM \"%s\" was cancelled: %s; the VM is "
		"unchanged",
		rs->m.name, rs->vm_name, why);
	log_vm(LOG_INFO, rs->vm_name, "snapshot", "%s", e.message);
	restore_end(rs, &e);
	return 1;
}

void restore_cancel_all(struct lifecycle *lc, const char *why)
{
	while (lc->restores)
		(void)restore_cancel(lc, lc->restores->vm_id, why);
}

int lifecycle_snapshot_restore(
	struct lifecycle *lc, struct vm *vm, const char *name, struct rpc_error *err)
{
	struct run *r = run_find(lc, vm->id);
	struct image *img = store_image_by_name(&lc->d->store, vm->image);
	_cleanup_free_ struct snap_restore *rs = NULL;
	struct snapshot_meta *m;
	uint64_t need, avail;
	struct statvfs sv;
	int k;

	if ((r && r->mode != RUN_IDLE) ||
		!(vm_state_is_inactive(vm->state) || vm->state == VM_STATE_SUSPENDED))
		return rpc_error_set(err, -EBUSY, RPC_ERROR_CONFLICT,
			"Cannot restore a snapshot of VM \"%s\": it is %s; stop it first (banger "
			"vm stop %s), then restore and start it",
			vm->name, vm_state_to_string(vm->state), vm->name);
	k = restore_refuse(lc, vm, err);
	if (k < 0)
		return k;
	rs = calloc(1, sizeof(*rs));
	if (!rs)
		return rpc_error_set(err, -ENOMEM, RPC_ERROR_INTERNAL, "Out of memory");
	m = &rs->m;
	k = snapshot_dir(&lc->d->layout, vm->id, name, rs->dir, sizeof(rs->dir));
	if (k >= 0)
		k = snapshot_meta_read(rs->dir, m);
	if (k == -ENOENT)
		return rpc_error_set(err, k, RPC_ERROR_NOT_FOUND,
			"VM \"%s\" has no snapshot named \"%s\" (banger vm snapshot list %s)",
			vm->name, name, vm->name);
	if (k < 0)
		return rpc_error_set(err, k, RPC_ERROR_INTERNAL,
			"Cannot restore snapshot \"%s\" of VM \"%s\": its record in %s cannot be "
			"read: %s",
			name, vm->name, rs->dir, strerror(-k));
	if (!img || !streq(img->part[IMAGE_PART_ROOTFS].sha256, m->image_rootfs_sha256) ||
		!streq(vm->image, m->image))
		return rpc_error_set(err, -ESTALE, RPC_ERROR_CONFLICT,
			"Cannot restore snapshot \"%s\" of VM \"%s\": its image \"%s\" is gone or "
			"its root filesystem changed since the snapshot",
			name, vm->name, m->image);
	if (vm->disk_strategy[0] && !streq(vm->disk_strategy, m->disk_strategy))
		return rpc_error_set(err, -ESTALE, RPC_ERROR_CONFLICT,
			"Cannot restore snapshot \"%s\" of VM \"%s\": its disk is a %s, the "
			"snapshot's a %s",
			name, vm->name, vm->disk_strategy, m->disk_strategy);
	need = m->disk_allocated_bytes + m->mem_bytes + (lc->d->config.state_min_free_mib << 20);
	if (statvfs(rs->dir, &sv) == 0 && (avail = (uint64_t)sv.f_bavail * sv.f_frsize) < need)
		return rpc_error_set(err, -ENOSPC, RPC_ERROR_UNAVAILABLE,
			"Cannot restore snapshot \"%s\" of VM \"%s\": not enough space: the state "
			"directory has %llu MiB free, a copy of the snapshot may need %llu MiB",
			name, vm->name, (unsigned long long)(avail >> 20),
			(unsigned long long)(need >> 20));
	for (size_t i = 0; i < N_RESTORE_FILES; i++) {
		char path[PATH_MAX];

		k = snapshot_path(
			lc, vm->id, i == 0 ? "disk" : restore_files[i], path, sizeof(path));
		if (k >= 0 && (size_t)snprintf(rs->tmp[i], sizeof(rs->tmp[i]), "%s.restore",
				      path) >= sizeof(rs->tmp[i]))
			k = -ENAMETOOLONG;
		if (k >= 0)
			memcpy(rs->dst[i], path, sizeof(path));
		if (k < 0)
			return rpc_error_set(err, k, RPC_ERROR_INTERNAL,
				"Cannot restore snapshot \"%s\" of VM \"%s\": its %s: %s", name,
				vm->name, restore_files[i], strerror(-k));
	}
	rs->lc = lc;
	snprintf(rs->vm_id, sizeof(rs->vm_id), "%s", vm->id);
	snprintf(rs->vm_name, sizeof(rs->vm_name), "%s", vm->name);
	/* copies first, one by one, next to their targets */
	k = restore_next(rs);
	if (k < 0) {
		(void)unlink(rs->tmp[0]);
		return rpc_error_set(err, k,
			k == -ENOSPC ? RPC_ERROR_UNAVAILABLE : RPC_ERROR_INTERNAL,
			"Cannot restore snapshot \"%s\" of VM \"%s\": copying its %s: %s; the VM "
			"is "
			"unchanged",
			name, vm->name, restore_files[0], strerror(-k));
	}
	log_vm(LOG_INFO, vm->name, "snapshot", "VM %s: restoring snapshot %s", vm->name, m->name);
	rs->next = lc->restores;
	lc->restores = TAKE_PTR(rs);
	return 0;
}

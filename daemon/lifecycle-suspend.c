/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Suspend and restore: vm.stop with snapshot pauses the guest, asks its VMM for a Full snapshot
 * (PUT /snapshot/create: the memory into the VM's own snapshot.mem, bound into the jail as a
 * drive; the small state file into the jail's /run, copied out next to the disk), then ends the
 * VMM and releases everything like a stop, ending `suspended`. What the disk and the image were
 * when that release finished is recorded in snapshot.json; a start of a suspended VM restores
 * only over that same disk and image (else it refuses and offers a cold start), and only a
 * guest with the same boot id counts as restored. A failed suspend leaves the VM as it was
 * (running, or paused); a failed restore leaves it suspended with its snapshot. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/log.h"
#include "common/macro.h"
#include "daemon/lifecycle-internal.h"
#include "protocol/jsonrpc.h"

#define SNAPSHOT_META_SCHEMA 1
#define SNAPSHOT_STATE_MAX (1024 * 1024)
#define SNAPSHOT_CREATE_TIMEOUT_USEC (120ULL * 1000 * 1000)

/* The disk's identity: a write by anyone (the VMM, a loop device, the owner) moves its mtime,
 * a replaced file has another inode. Cheap, unlike hashing gigabytes at every suspend. */
struct disk_id {
	uint64_t dev, ino, size, mtime_ns;
};

static int disk_id_of(struct lifecycle *lc, const struct vm *vm, struct disk_id *ret)
{
	char path[PATH_MAX];
	struct stat st;
	int k;

	k = layout_vm_file(&lc->d->layout, vm->id, "disk", path, sizeof(path));
	if (k < 0)
		return k;
	if (stat(path, &st) < 0)
		return -errno;
	*ret = (struct disk_id){(uint64_t)st.st_dev, (uint64_t)st.st_ino, (uint64_t)st.st_size,
		(uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec};
	return 0;
}

int snapshot_path(struct lifecycle *lc, const char *vm_id, const char *file, char *buf, size_t n)
{
	return layout_vm_file(&lc->d->layout, vm_id, file, buf, n);
}

void snapshot_discard(struct lifecycle *lc, const struct vm *vm)
{
	char path[PATH_MAX];

	if (snapshot_path(lc, vm->id, SNAPSHOT_META, path, sizeof(path)) >= 0)
		(void)unlink(path);
	if (snapshot_path(lc, vm->id, SNAPSHOT_STATE, path, sizeof(path)) >= 0)
		(void)unlink(path);
	if (snapshot_path(lc, vm->id, SNAPSHOT_MEM, path, sizeof(path)) >= 0)
		if (truncate(path, 0) < 0) {
			/* space only: a cold start empties it again */
		}
	if (snapshot_path(lc, vm->id, SNAPSHOT_MEM_NEXT, path, sizeof(path)) >= 0)
		(void)unlink(path);
}

/* The memory a suspend's VMM wrote becomes the snapshot's, now that no VMM maps the old. */
static int suspend_take_memory(struct lifecycle *lc, const struct vm *vm)
{
	char next[PATH_MAX], mem[PATH_MAX];
	int k;

	k = snapshot_path(lc, vm->id, SNAPSHOT_MEM_NEXT, next, sizeof(next));
	if (k >= 0)
		k = snapshot_path(lc, vm->id, SNAPSHOT_MEM, mem, sizeof(mem));
	if (k >= 0 && rename(next, mem) < 0)
		k = -errno;
	return k;
}

/* ---- suspend ----------------------------------------------------------------------------------
 */

/* The snapshot could not be taken: the VMM still runs. The guest goes back to what it was
 * (resumed unless it was paused before), the callers hear why, and a stop or delete that came
 * meanwhile goes ahead. */
static void on_suspend_undone(
	_unused_ struct fc_api *api, const struct fc_api_result *res, void *userdata)
{
	struct run *r = userdata;

	r->fc_req = 0;
	if (res->r == 0 && res->status < 300)
		r->paused = false;
	/* a bangerd ending with the guest paused for this suspend leaves the mark: the next one
	 * resumes it */
	if (!(r->lc->freeing && r->paused && !r->was_paused))
		(void)snapshot_pause_mark(r->lc, r->vm_id, false);
	r->mode = RUN_RUNNING;
	r->suspending = false;
	run_set_state(r, r->paused ? VM_STATE_PAUSED : VM_STATE_RUNNING, "");
	if (r->abort_requested || r->delete_after) {
		r->abort_requested = false;
		run_stop_begin(r, "");
	}
}

static void suspend_fail(struct run *r, int err, const char *fmt, ...) _printf_(3, 4);
static void suspend_fail(struct run *r, int err, const char *fmt, ...)
{
	struct rpc_error e = {};
	struct fc_request req;
	char why[600];
	va_list ap;
	int64_t id = -1;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	rpc_error_set(&e, err, RPC_ERROR_INTERNAL, "Failed to suspend VM \"%s\": %s; it is %s",
		run_name(r), why, r->was_paused ? "still paused" : "running again");
	log_vm(LOG_WARNING, run_name(r), "suspend", "%s", e.message);
	run_notify(r, LIFECYCLE_SUSPEND_FAILED, &e);
	if (!r->was_paused && r->paused && !r->vmm_exited) {
		id = fc_request_vm_state(false, &req);
		if (id >= 0)
			id = run_fc_send(r, &req, 5 * 1000 * 1000, on_suspend_undone);
	}
	if (id > 0) {
		r->fc_req = id;
		return;
	}
	on_suspend_undone(NULL, &(struct fc_api_result){.r = -EIO}, r);
}

int snapshot_state_copy_out(struct run *r, const char *dst)
{
	char src[PATH_MAX], dir[PATH_MAX];
	_cleanup_free_ char *data = NULL;
	size_t len;
	int k;

	snprintf(dir, sizeof(dir), "%s", r->api_sock);
	if ((size_t)snprintf(src, sizeof(src), "%s/%s", dirname(dir), SNAPSHOT_STATE) >=
		sizeof(src))
		return -ENAMETOOLONG;
	k = read_file_full(src, SNAPSHOT_STATE_MAX, &data, &len);
	if (k < 0)
		return k;
	return write_file_atomic(dst, data, len, 0600);
}

/* The state file, copied next to the disk. */
static int suspend_copy_state(struct run *r)
{
	char dst[PATH_MAX];
	int k = snapshot_path(r->lc, r->vm_id, SNAPSHOT_STATE, dst, sizeof(dst));

	return k < 0 ? k : snapshot_state_copy_out(r, dst);
}

static void on_suspend_created(
	_unused_ struct fc_api *api, const struct fc_api_result *res, void *userdata)
{
	struct run *r = userdata;
	int k;

	r->fc_req = 0;
	if (res->r < 0 || res->status >= 300) {
		suspend_fail(r, res->r < 0 ? res->r : -EIO, "PUT /snapshot/create: %s",
			res->err.message[0] ? res->err.message : "no reason given");
		return;
	}
	k = suspend_copy_state(r);
	if (k < 0) {
		suspend_fail(r, k, "cannot copy the snapshot's state file out of the jail: %s",
			strerror(-k));
		return;
	}
	r->snapshot_taken = true;
	log_vm(LOG_INFO, run_name(r), "suspend", "VM %s: snapshot taken; ending its VMM",
		run_name(r));
	run_kill_now(r); /* nothing left to lose: the release follows its exit */
}

static void suspend_create(struct run *r)
{
	struct fc_request req;
	char state[64];
	int64_t id;

	snprintf(state, sizeof(state), "/run/%s", SNAPSHOT_STATE);
	id = fc_request_snapshot_create(state, SNAPSHOT_MEM_NEXT_IN_JAIL, &req);
	if (id >= 0)
		id = run_fc_send(r, &req, SNAPSHOT_CREATE_TIMEOUT_USEC, on_suspend_created);
	if (id <= 0) {
		suspend_fail(r, id < 0 ? (int)id : -EIO, "cannot reach its VMM's API");
		return;
	}
	r->fc_req = id;
}

static void on_suspend_paused(
	_unused_ struct fc_api *api, const struct fc_api_result *res, void *userdata)
{
	struct run *r = userdata;

	r->fc_req = 0;
	if (res->r < 0 || res->status >= 300) {
		suspend_fail(r, res->r < 0 ? res->r : -EIO, "pausing it: %s",
			res->err.message[0] ? res->err.message : "no reason given");
		return;
	}
	r->paused = true;
	suspend_create(r);
}

int lifecycle_suspend(struct lifecycle *lc, struct vm *vm, struct rpc_error *err)
{
	struct run *r = run_find(lc, vm->id);
	struct fc_request req;
	int64_t id;

	if (!r || r->mode == RUN_IDLE) {
		if (!vm_state_is_inactive(vm->state))
			return readopt_first(lc, vm, err);
		return rpc_error_set(err, -EALREADY, RPC_ERROR_CONFLICT,
			"Cannot suspend VM \"%s\": it is not running (%s)", vm->name,
			vm_state_to_string(vm->state));
	}
	if (r->mode != RUN_RUNNING || r->pause_req > 0 || r->snap)
		return rpc_error_set(err, -EBUSY, RPC_ERROR_CONFLICT,
			"Cannot suspend VM \"%s\" while it is %s%s", vm->name,
			vm_state_to_string(vm->state),
			r->snap            ? " (a snapshot of it is being taken)"
			: r->pause_req > 0 ? " (a pause or resume is in flight)"
					   : "");
	if (vm->halted)
		return rpc_error_set(err, -EINVAL, RPC_ERROR_CONFLICT,
			"Cannot suspend VM \"%s\": its guest halted, there is nothing to keep; "
			"stop "
			"it",
			vm->name);
	if (!r->paused) {
		int k = snapshot_pause_mark(lc, vm->id, true);

		if (k < 0)
			return rpc_error_set(err, k, RPC_ERROR_INTERNAL,
				"Cannot suspend VM \"%s\": cannot write %s in its directory: %s",
				vm->name, SNAPSHOT_PAUSE_MARK, strerror(-k));
	}
	r->mode = RUN_STOPPING;
	r->suspending = true;
	r->snapshot_taken = false;
	r->was_paused = r->paused;
	r->final_state = VM_STATE_SUSPENDED;
	snprintf(r->final_reason, sizeof(r->final_reason),
		"suspended: its memory and device state are saved next to its disk");
	run_set_state(r, VM_STATE_STOPPING, SUSPENDING_REASON);
	if (r->paused) {
		suspend_create(r);
		return 0;
	}
	id = fc_request_vm_state(true, &req);
	if (id >= 0)
		id = run_fc_send(r, &req, 5 * 1000 * 1000, on_suspend_paused);
	if (id <= 0) {
		suspend_fail(r, id < 0 ? (int)id : -EIO, "cannot reach its VMM's API");
		return 0;
	}
	r->fc_req = id;
	return 0;
}

int suspend_record_write(struct lifecycle *lc, const struct vm *vm, const char *boot_id)
{
	struct image *img = store_image_by_name(&lc->d->store, vm->image);
	_cleanup_free_ char *text = NULL;
	_cleanup_json_ json_t *meta = NULL;
	char path[PATH_MAX], now[32];
	struct disk_id d;
	int k;

	rfc3339_now(now, sizeof(now));
	k = disk_id_of(lc, vm, &d);
	if (k < 0)
		return k;
	if (!img)
		return -ENOENT;
	meta = json_pack("{s:i, s:{s:I, s:I, s:I, s:I}, s:s, s:s, s:s, s:s}", "schema",
		SNAPSHOT_META_SCHEMA, "disk", "dev", (json_int_t)d.dev, "ino", (json_int_t)d.ino,
		"size", (json_int_t)d.size, "mtime_ns", (json_int_t)d.mtime_ns, "image", vm->image,
		"image_rootfs_sha256", img->part[IMAGE_PART_ROOTFS].sha256, "boot_id", boot_id,
		"created_at", now);
	text = meta ? json_dumps(meta, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	if (!text)
		return -ENOMEM;
	k = snapshot_path(lc, vm->id, SNAPSHOT_META, path, sizeof(path));
	if (k < 0)
		return k;
	return write_file_atomic(path, text, strlen(text), 0600);
}

/* The run ended: with the snapshot taken and everything released, what the disk now is goes
 * into snapshot.json; without it the VM is simply stopped. */
void suspend_finish(struct run *r)
{
	struct lifecycle *lc = r->lc;
	struct vm *vm = run_vm(r);
	int k;

	r->suspending = false;
	(void)snapshot_pause_mark(lc, r->vm_id, false); /* the VMM is gone, and its pause */
	if (!vm)
		return;
	if (!r->snapshot_taken) {
		r->final_state = VM_STATE_STOPPED;
		snprintf(r->final_reason, sizeof(r->final_reason),
			"its VMM ended before the snapshot was taken; nothing was saved");
		return;
	}
	k = suspend_take_memory(lc, vm);
	if (k < 0) {
		snapshot_discard(lc, vm);
		r->final_state = VM_STATE_STOPPED;
		snprintf(r->final_reason, sizeof(r->final_reason),
			"the snapshot was taken but its memory file could not be kept (%s): "
			"discarded, the next start boots",
			strerror(-k));
		return;
	}
	k = suspend_record_write(lc, vm, vm->boot_id);
	if (k < 0) {
		snapshot_discard(lc, vm);
		r->final_state = VM_STATE_STOPPED;
		snprintf(r->final_reason, sizeof(r->final_reason),
			"the snapshot was taken but what its disk is could not be recorded (%s): "
			"discarded, the next start boots",
			strerror(-k));
		return;
	}
	log_vm(LOG_INFO, vm->name, "suspend", "VM %s suspended", vm->name);
}

/* ---- restore ----------------------------------------------------------------------------------
 */

static int refuse(struct rpc_error *err, const struct vm *vm, const char *why)
{
	/* the message is capped: a long path is cut, the advice is not */
	return rpc_error_set(err, -ESTALE, RPC_ERROR_CONFLICT,
		"Cannot restore VM \"%s\": %.600s. Start it cold instead (banger vm start --cold "
		"%s): "
		"the snapshot is then discarded and the guest boots",
		vm->name, why, vm->name);
}

int restore_check(struct lifecycle *lc, struct vm *vm, struct run *r, struct rpc_error *err)
{
	_cleanup_json_ json_t *meta = NULL;
	_cleanup_free_ char *text = NULL;
	char path[PATH_MAX], why[PATH_MAX + 100];
	struct image *img = store_image_by_name(&lc->d->store, vm->image);
	json_t *disk;
	struct disk_id now;
	struct stat st;
	size_t len;
	int k;

	k = snapshot_path(lc, vm->id, SNAPSHOT_META, path, sizeof(path));
	if (k >= 0)
		k = read_file_full(path, 64 * 1024, &text, &len);
	meta = k >= 0 ? json_loads(text, 0, NULL) : NULL;
	disk = json_object_get(meta, "disk");
	if (!json_is_object(disk) ||
		json_integer_value(json_object_get(meta, "schema")) != SNAPSHOT_META_SCHEMA) {
		snprintf(why, sizeof(why), "its snapshot record %s is %s", path,
			k < 0 ? strerror(-k) : "damaged");
		return refuse(err, vm, why);
	}
	if (!img)
		return refuse(err, vm, "its image no longer exists");
	if (!streq(json_string_value(json_object_get(meta, "image")) ?: "", vm->image) ||
		!streq(json_string_value(json_object_get(meta, "image_rootfs_sha256")) ?: "",
			img->part[IMAGE_PART_ROOTFS].sha256))
		return refuse(err, vm,
			"its image's root filesystem changed since the snapshot (not the one its "
			"disk was made from)");
	k = disk_id_of(lc, vm, &now);
	if (k < 0) {
		snprintf(why, sizeof(why), "its disk cannot be read: %s", strerror(-k));
		return refuse(err, vm, why);
	}
	if ((json_int_t)now.dev != json_integer_value(json_object_get(disk, "dev")) ||
		(json_int_t)now.ino != json_integer_value(json_object_get(disk, "ino")) ||
		(json_int_t)now.size != json_integer_value(json_object_get(disk, "size")) ||
		(json_int_t)now.mtime_ns != json_integer_value(json_object_get(disk, "mtime_ns")))
		return refuse(err, vm,
			"its disk changed since the snapshot (size, time or file), and the guest's "
			"memory would not match it");
	for (const char *const *f = (const char *const[]){SNAPSHOT_STATE, SNAPSHOT_MEM, NULL}; *f;
		f++) {
		if (snapshot_path(lc, vm->id, *f, path, sizeof(path)) < 0 || stat(path, &st) < 0 ||
			st.st_size == 0) {
			snprintf(
				why, sizeof(why), "its snapshot file %s is missing or empty", path);
			return refuse(err, vm, why);
		}
	}
	snprintf(r->expect_boot_id, sizeof(r->expect_boot_id), "%s",
		json_string_value(json_object_get(meta, "boot_id")) ?: "");
	return 0;
}

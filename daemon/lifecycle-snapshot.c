/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Live snapshots (vm.snapshot): a running or paused VM is paused (PATCH /vm), its VMM writes a
 * Full snapshot (PUT /snapshot/create: the memory into the VM's snapshot.mem, bound into its jail,
 * the state into the jail's /run), the disk is copied while the guest still stands (reflink, else
 * a sparse copy), the guest is resumed unless it was paused before, and only then are the memory
 * and the record copied: the guest waits for the VMM's snapshot and the disk copy, not for the
 * rest. The copies run in a child process (daemon/file-copy.h): the loop serves everyone else
 * meanwhile, and a stop kills the copy. Everything is built in snapshots/.new-NAME and renamed to
 * snapshots/NAME once complete, so a failure at any point leaves no snapshot, only the guest as it
 * was. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "common/fileclone.h"
#include "common/fileio.h"
#include "common/log.h"
#include "common/macro.h"
#include "daemon/file-copy.h"
#include "daemon/lifecycle-internal.h"
#include "daemon/snapshot.h"
#include "daemon/store.h"
#include "daemon/vm-state.h"
#include "protocol/jsonrpc.h"

#define SNAP_CREATE_TIMEOUT_USEC (120ULL * 1000 * 1000)
#define SNAP_PAUSE_TIMEOUT_USEC (5ULL * 1000 * 1000)
/* a sparse copy of a large disk on a slow filesystem; a hung one must not hold the guest */
#define SNAP_COPY_TIMEOUT_USEC (3600ULL * 1000 * 1000)

struct live_snapshot {
	struct snapshot_meta meta;
	char tmp[PATH_MAX];   /* snapshots/.new-NAME */
	char final[PATH_MAX]; /* snapshots/NAME */
	int64_t fc_req;
	struct child *copy; /* the disk's or the memory's copy, in a child process */
	char copy_dst[PATH_MAX];
	bool was_paused; /* paused before: it stays paused */
	bool we_paused;  /* our PATCH /vm Paused was answered */
	bool failed;     /* err holds why; the resume that follows reports it */
	struct rpc_error err;
	uint64_t t_begin, t_paused, t_resumed;
};

static void snap_free(struct run *r)
{
	free(r->snap);
	r->snap = NULL;
}

static void snap_send(struct run *r, struct fc_request *req, int built, uint64_t timeout,
	fc_api_done_t done, const char *what);

/* The VM's snapshot.mem.next is only the VMM's scratch space while it runs: emptied once its
 * copy is made or the snapshot failed. No VMM maps it (a restored one maps snapshot.mem,
 * lifecycle-internal.h), so emptying it is safe whenever. */
static void snap_scratch_empty(struct run *r)
{
	char path[PATH_MAX];

	if (snapshot_path(r->lc, r->vm_id, SNAPSHOT_MEM_NEXT, path, sizeof(path)) < 0)
		return;
	if (truncate(path, 0) < 0) {
		/* space only */
	}
}

bool snapshot_pause_marked(struct lifecycle *lc, const char *vm_id)
{
	char path[PATH_MAX];

	return snapshot_path(lc, vm_id, SNAPSHOT_PAUSE_MARK, path, sizeof(path)) >= 0 &&
	       access(path, F_OK) == 0;
}

int snapshot_pause_mark(struct lifecycle *lc, const char *vm_id, bool set)
{
	char path[PATH_MAX];
	int fd, k;

	k = snapshot_path(lc, vm_id, SNAPSHOT_PAUSE_MARK, path, sizeof(path));
	if (k < 0)
		return k;
	if (!set)
		return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* The end, either way: the partial directory goes, the caller hears. The pause mark goes too,
 * unless bangerd is ending with the guest paused for this snapshot (or its pause in flight):
 * then the next bangerd resumes it (lifecycle-pause.c). */
static void snap_end(struct run *r)
{
	struct live_snapshot *s = r->snap;

	snap_scratch_empty(r);
	if (!(r->lc->freeing && r->paused && !s->was_paused))
		(void)snapshot_pause_mark(r->lc, r->vm_id, false);
	if (s->failed) {
		(void)remove_flat_dir(s->tmp);
		log_vm(LOG_WARNING, run_name(r), "snapshot", "%s", s->err.message);
		run_notify(r, LIFECYCLE_SNAPSHOT_ENDED, &s->err);
	} else
		run_notify(r, LIFECYCLE_SNAPSHOT_ENDED, NULL);
	snap_free(r);
}

static void on_snap_resumed(
	_unused_ struct fc_api *api, const struct fc_api_result *res, void *userdata);

/* Fails the snapshot (err, text): the guest is resumed first when we paused it. */
static void snap_fail(struct run *r, int err, const char *fmt, ...) _printf_(3, 4);
static void snap_fail(struct run *r, int err, const char *fmt, ...)
{
	struct live_snapshot *s = r->snap;
	struct fc_request req;
	char why[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	s->failed = true;
	rpc_error_set(&s->err, err,
		err == -ENOSPC || err == -EDQUOT ? RPC_ERROR_UNAVAILABLE : RPC_ERROR_INTERNAL,
		"Failed to snapshot VM \"%s\": %s; no snapshot \"%s\" was kept, and the VM is %s",
		run_name(r), why, s->meta.name, s->was_paused ? "still paused" : "running again");
	if (!s->was_paused && !s->we_paused)
		r->paused = false; /* the pause never went out, or was refused */
	if (s->was_paused || !s->we_paused || r->vmm_exited) {
		snap_end(r);
		return;
	}
	snap_send(r, &req, fc_request_vm_state(false, &req), SNAP_PAUSE_TIMEOUT_USEC,
		on_snap_resumed, "resume");
}

/* k: what fc_request_*() returned for req. A request that cannot go out fails the snapshot. */
static void snap_send(struct run *r, struct fc_request *req, int built, uint64_t timeout,
	fc_api_done_t done, const char *what)
{
	int64_t id = built;

	if (id >= 0)
		id = run_fc_send(r, req, timeout, done);
	if (id > 0) {
		r->snap->fc_req = id;
		return;
	}
	if (r->snap->failed) { /* the resume after a failure: say so, end anyway */
		snprintf(r->snap->err.message + strlen(r->snap->err.message),
			sizeof(r->snap->err.message) - strlen(r->snap->err.message),
			" (but its resume could not be sent: banger vm resume %s)", run_name(r));
		snap_end(r);
		return;
	}
	snap_fail(r, id < 0 ? (int)id : -EIO, "cannot send its VMM the %s: %s", what,
		strerror(id < 0 ? (int)-id : EIO));
}

/* Starts the copy of src into dst (in s->tmp); done reads its result. */
static int snap_copy(struct run *r, const char *src, const char *file, child_done_t done)
{
	struct lifecycle_ports *p = &r->lc->ports;
	struct live_snapshot *s = r->snap;
	int k = snapshot_dir_file(s->tmp, file, s->copy_dst, sizeof(s->copy_dst));

	if (k >= 0)
		k = p->copy(p->data, src, s->copy_dst, SNAP_COPY_TIMEOUT_USEC, done, r, &s->copy);
	return k;
}

static void snap_mem_failed(struct run *r, int k)
{
	struct live_snapshot *s = r->snap;

	s->failed = true;
	rpc_error_set(&s->err, k, RPC_ERROR_INTERNAL,
		"Failed to snapshot VM \"%s\": cannot copy its memory file into %s: %s; no "
		"snapshot \"%s\" was kept, and the VM is %s",
		run_name(r), s->tmp, strerror(-k), s->meta.name, r->paused ? "paused" : "running");
	snap_end(r);
}

/* The memory is copied: the record, then the rename. */
static void on_snap_mem_copied(
	_unused_ struct child *c, const struct child_result *res, void *userdata)
{
	struct run *r = userdata;
	struct live_snapshot *s = r->snap;
	struct vm *vm = run_vm(r);
	bool reflinked = false;
	int k;

	s->copy = NULL;
	k = file_copy_result(res, &reflinked);
	if (k < 0) {
		snap_mem_failed(r, k);
		return;
	}
	s->meta.mem_reflinked = reflinked;
	s->meta.mem_bytes = file_size_or_zero(s->copy_dst);
	s->meta.paused_usec = (s->t_resumed ?: now_usec()) - s->t_paused;
	s->meta.total_usec = now_usec() - s->t_begin;
	if (s->was_paused)
		s->meta.paused_usec = 0; /* it was paused by its owner, not by us */
	k = snapshot_meta_write(s->tmp, &s->meta);
	if (k >= 0 && rename(s->tmp, s->final) < 0)
		k = -errno;
	if (k < 0) {
		s->failed = true;
		rpc_error_set(&s->err, k, RPC_ERROR_INTERNAL,
			"Failed to snapshot VM \"%s\": cannot record it in %s: %s; no snapshot "
			"\"%s\" was kept",
			run_name(r), s->tmp, strerror(-k), s->meta.name);
		snap_end(r);
		return;
	}
	(void)fsync_parent_dir(s->final);
	log_vm(LOG_INFO, run_name(r), "snapshot",
		"VM %s: snapshot %s taken (guest paused %llu ms, %llu ms in all)", run_name(r),
		s->meta.name, (unsigned long long)(s->meta.paused_usec / 1000),
		(unsigned long long)(s->meta.total_usec / 1000));
	if (vm)
		snapshot_publish(r->lc->d, "vm.snapshot_created", vm, &s->meta);
	json_decref(r->snap_result);
	r->snap_result = snapshot_meta_to_json(&s->meta);
	snap_end(r);
}

/* After the guest runs again (or stayed paused): the memory's copy, then the record. */
static void snap_finish(struct run *r)
{
	char src[PATH_MAX];
	int k;

	k = snapshot_path(r->lc, r->vm_id, SNAPSHOT_MEM_NEXT, src, sizeof(src));
	if (k >= 0)
		k = snap_copy(r, src, SNAPSHOT_MEM, on_snap_mem_copied);
	if (k < 0)
		snap_mem_failed(r, k);
}

static void on_snap_resumed(
	_unused_ struct fc_api *api, const struct fc_api_result *res, void *userdata)
{
	struct run *r = userdata;
	struct live_snapshot *s = r->snap;
	bool ok = res->r == 0 && res->status < 300;

	s->fc_req = 0;
	s->t_resumed = now_usec();
	if (ok)
		r->paused = false;
	else
		/* it stays paused: the record says so, its owner resumes it */
		run_set_state(r, VM_STATE_PAUSED, "");
	if (s->failed) {
		if (!ok)
			snprintf(s->err.message + strlen(s->err.message),
				sizeof(s->err.message) - strlen(s->err.message),
				" (no: its resume failed, it is paused: banger vm resume %s)",
				run_name(r));
		snap_end(r);
		return;
	}
	if (!ok)
		log_vm(LOG_WARNING, run_name(r), "snapshot",
			"VM %s: the resume after its snapshot failed (%s); it stays paused",
			run_name(r), res->err.message[0] ? res->err.message : "no reason given");
	snap_finish(r);
}

/* The disk is copied: the guest may run again. */
static void on_snap_disk_copied(
	_unused_ struct child *c, const struct child_result *res, void *userdata)
{
	struct run *r = userdata;
	struct live_snapshot *s = r->snap;
	char path[PATH_MAX];
	struct fc_request req;
	bool reflinked = false;
	int k;

	s->copy = NULL;
	k = file_copy_result(res, &reflinked);
	if (k < 0) {
		snap_fail(r, k, "cannot copy its disk %s into %s: %s", r->disk_path, s->tmp,
			strerror(-k));
		return;
	}
	s->meta.disk_reflinked = reflinked;
	s->meta.disk_bytes = file_size_or_zero(s->copy_dst);
	s->meta.disk_allocated_bytes = file_allocated_bytes(s->copy_dst);
	s->meta.state_bytes = file_size_or_zero(
		snapshot_dir_file(s->tmp, SNAPSHOT_STATE, path, sizeof(path)) >= 0 ? path : "");
	if (s->was_paused) {
		snap_finish(r);
		return;
	}
	snap_send(r, &req, fc_request_vm_state(false, &req), SNAP_PAUSE_TIMEOUT_USEC,
		on_snap_resumed, "resume");
}

static void on_snap_created(
	_unused_ struct fc_api *api, const struct fc_api_result *res, void *userdata)
{
	struct run *r = userdata;
	struct live_snapshot *s = r->snap;
	char path[PATH_MAX];
	int k;

	s->fc_req = 0;
	if (res->r < 0 || res->status >= 300) {
		snap_fail(r, res->r < 0 ? res->r : -EIO, "PUT /snapshot/create: %s",
			res->err.message[0] ? res->err.message : "no reason given");
		return;
	}
	k = snapshot_dir_file(s->tmp, SNAPSHOT_STATE, path, sizeof(path));
	if (k >= 0)
		k = snapshot_state_copy_out(r, path);
	if (k < 0) {
		snap_fail(r, k, "cannot copy the snapshot's state file out of the jail: %s",
			strerror(-k));
		return;
	}
	/* The guest stands and its VMM flushed its writes: the disk is what the memory expects. */
	k = snap_copy(r, r->disk_path, SNAPSHOT_DISK, on_snap_disk_copied);
	if (k < 0)
		snap_fail(r, k, "cannot copy its disk %s into %s: %s", r->disk_path, s->tmp,
			strerror(-k));
}

static void snap_create(struct run *r)
{
	struct fc_request req;
	char state[64];

	snprintf(state, sizeof(state), "/run/%s", SNAPSHOT_STATE);
	snap_send(r, &req, fc_request_snapshot_create(state, SNAPSHOT_MEM_NEXT_IN_JAIL, &req),
		SNAP_CREATE_TIMEOUT_USEC, on_snap_created, "snapshot request");
}

static void on_snap_paused(
	_unused_ struct fc_api *api, const struct fc_api_result *res, void *userdata)
{
	struct run *r = userdata;
	struct live_snapshot *s = r->snap;

	s->fc_req = 0;
	if (res->r < 0 || res->status >= 300) {
		r->paused = false;
		snap_fail(r, res->r < 0 ? res->r : -EIO, "pausing it: %s",
			res->err.message[0] ? res->err.message : "no reason given");
		return;
	}
	s->we_paused = true;
	s->t_paused = now_usec();
	snap_create(r);
}

void run_snapshot_cancel(struct run *r, const char *why)
{
	struct lifecycle_ports *p = &r->lc->ports;
	struct live_snapshot *s = r->snap;

	if (!s)
		return;
	if (s->fc_req > 0)
		p->fc_cancel(p->data, s->fc_req);
	s->fc_req = 0;
	if (s->copy) /* killed and reaped: nothing writes into s->tmp once it is removed */
		p->spawn_cancel(p->data, s->copy);
	s->copy = NULL;
	s->failed = true;
	rpc_error_set(&s->err, -ECANCELED, RPC_ERROR_CONFLICT,
		"The snapshot \"%s\" of VM \"%s\" was cancelled: %s; no snapshot was kept",
		s->meta.name, run_name(r), why);
	snap_end(r);
}

/* Free space for what the snapshot writes: the VMM's memory file, its copy, the disk's copy (all
 * counted as full copies: a reflink may need none of it) and the state directory's reserve. */
static int snap_space_check(
	struct run *r, const struct vm *vm, const char *dir, char *why, size_t n)
{
	uint64_t mem = (uint64_t)vm->memory_mib << 20;
	uint64_t disk = file_allocated_bytes(r->disk_path);
	uint64_t reserve = r->lc->d->config.state_min_free_mib << 20;
	uint64_t need = 2 * mem + disk + reserve, avail;
	struct statvfs st;

	if (statvfs(dir, &st) < 0)
		return 0; /* unknown: the copy itself will tell */
	avail = (uint64_t)st.f_bavail * st.f_frsize;
	if (avail >= need)
		return 0;
	snprintf(why, n,
		"%.300s has %llu MiB free, and the snapshot may need %llu MiB (memory %llu MiB "
		"twice, "
		"disk %llu MiB, the state directory's %llu MiB reserve)",
		dir, (unsigned long long)(avail >> 20), (unsigned long long)(need >> 20),
		(unsigned long long)(mem >> 20), (unsigned long long)(disk >> 20),
		(unsigned long long)(reserve >> 20));
	return -ENOSPC;
}

int lifecycle_snapshot(struct lifecycle *lc, struct vm *vm, const char *name, struct rpc_error *err)
{
	struct run *r = run_find(lc, vm->id);
	struct image *img = store_image_by_name(&lc->d->store, vm->image);
	_cleanup_free_ struct live_snapshot *s = NULL;
	char dir[PATH_MAX], why[512];
	struct fc_request req;
	struct stat st;
	int k;

	if (!r || r->mode == RUN_IDLE) {
		if (!vm_state_is_inactive(vm->state))
			return readopt_first(lc, vm, err);
		return rpc_error_set(err, -ENOTCONN, RPC_ERROR_CONFLICT,
			"Cannot snapshot VM \"%s\": it is not running (%s); a snapshot keeps a "
			"running guest's memory, so start it first (banger vm start %s)",
			vm->name, vm_state_to_string(vm->state), vm->name);
	}
	if (r->mode != RUN_RUNNING || r->pause_req > 0 || r->snap || r->suspending)
		return rpc_error_set(err, -EBUSY, RPC_ERROR_CONFLICT,
			"Cannot snapshot VM \"%s\" while %s", vm->name,
			r->snap            ? "another snapshot of it is being taken"
			: r->pause_req > 0 ? "a pause or resume of it is in flight"
					   : "it is starting or stopping");
	if (vm->halted)
		return rpc_error_set(err, -EINVAL, RPC_ERROR_CONFLICT,
			"Cannot snapshot VM \"%s\": its guest halted, there is nothing to keep",
			vm->name);
	if (!img)
		return rpc_error_set(err, -ENOENT, RPC_ERROR_CONFLICT,
			"Cannot snapshot VM \"%s\": its image \"%s\" no longer exists", vm->name,
			vm->image);
	s = calloc(1, sizeof(*s));
	if (!s)
		return rpc_error_set(err, -ENOMEM, RPC_ERROR_INTERNAL, "Out of memory");
	k = snapshot_meta_init(&s->meta, vm, img, name);
	if (k < 0)
		return rpc_error_set(err, k, RPC_ERROR_INVALID_ARGUMENT,
			"Invalid snapshot name \"%s\": like a VM name, it starts with a letter "
			"and has at most %d lower-case letters, digits and '-'",
			name, VM_NAME_MAX);
	k = snapshot_dirs(&lc->d->layout, vm->id, s->meta.name, dir, sizeof(dir), s->final,
		sizeof(s->final), s->tmp, sizeof(s->tmp));
	if (k < 0)
		return rpc_error_set(err, k, RPC_ERROR_INTERNAL,
			"Cannot snapshot VM \"%s\": cannot make its snapshots directory %s: %s",
			vm->name, dir, strerror(-k));
	if (lstat(s->final, &st) == 0)
		return rpc_error_set(err, -EEXIST, RPC_ERROR_CONFLICT,
			"VM \"%s\" already has a snapshot named \"%s\" (banger vm snapshot delete "
			"%s %s)",
			vm->name, s->meta.name, vm->name, s->meta.name);
	k = snap_space_check(r, vm, dir, why, sizeof(why));
	if (k < 0)
		return rpc_error_set(err, k, RPC_ERROR_UNAVAILABLE,
			"Cannot snapshot VM \"%s\": not enough space: %s", vm->name, why);
	(void)snapshot_sweep_partial(dir); /* what a daemon that ended mid-snapshot left */
	if (mkdir(s->tmp, 0700) < 0)
		return rpc_error_set(err, negative_errno(), RPC_ERROR_INTERNAL,
			"Cannot snapshot VM \"%s\": cannot create %s: %m", vm->name, s->tmp);
	s->was_paused = r->paused;
	if (!s->was_paused) {
		k = snapshot_pause_mark(lc, vm->id, true);
		if (k < 0) {
			(void)rmdir(s->tmp);
			return rpc_error_set(err, k, RPC_ERROR_INTERNAL,
				"Cannot snapshot VM \"%s\": cannot write %s in its directory: %s",
				vm->name, SNAPSHOT_PAUSE_MARK, strerror(-k));
		}
	}
	s->t_begin = s->t_paused = now_usec();
	r->snap = TAKE_PTR(s);
	log_vm(LOG_INFO, vm->name, "snapshot", "VM %s: taking snapshot %s", vm->name,
		r->snap->meta.name);
	if (r->snap->was_paused) {
		snap_create(r);
		return 0;
	}
	/* a stop meanwhile resumes the guest first: it may be paused from now on */
	r->paused = true;
	snap_send(r, &req, fc_request_vm_state(true, &req), SNAP_PAUSE_TIMEOUT_USEC, on_snap_paused,
		"pause");
	return 0;
}

json_t *lifecycle_snapshot_take_result(struct lifecycle *lc, const char *vm_id)
{
	struct run *r = run_find(lc, vm_id);

	if (restore_running(lc, vm_id))
		return restore_take_result(lc, vm_id);
	return r ? TAKE_PTR(r->snap_result) : NULL;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* jail.stage: builds <jail base>/<exec>/<vm id>/root the way the jailer expects before it runs:
 * the chroot bound onto itself (private), kernel and initrd bound in read-only, block nodes for
 * dm/loop drives and writable binds for file drives, /dev/vhost-vsock
 * when the host has it, /dev/null when the provider wants it, and read-only binds of the
 * dynamic linker's directories plus what the VMM provider declares (helper/provider.c).
 * Security: every host path here comes from root-owned configuration or the provider table;
 * files come as descriptors checked with fstat. A file the owner passes (kernel, initrd, file
 * drive) is bound from the same inode found in the helper's own mount namespace (mount(2)
 * refuses a source on another namespace's mount, and under its unit the helper has one of its
 * own): the kernel's name for the descriptor, opened O_PATH with openat2
 * RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS and used only when its st_dev/st_ino are the
 * descriptor's, so the bind is exactly the file the owner opened, never whatever else the path
 * shows; the bind is then nosuid, nodev, noexec, read-only for the kernel and initrd and writable
 * for a drive (opened read-write). (Binding the descriptor itself, or copying, were the
 * alternatives: the first is what the kernel refuses, the second costs an initrd's or a disk's
 * worth of I/O per start.) Block devices must be this VM's own dm device
 * (banger-<vm id>) or a loop device backed by a file in this VM's state directory. The chroot is
 * created fresh (an existing one is refused) under a jail base whose every component is root's,
 * with no symlinks, and all creation inside it is relative to directory descriptors with
 * O_NOFOLLOW. Any failure tears down what was built (jail_teardown). */
#define _GNU_SOURCE 1
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/log.h"
#include "common/macro.h"
#include "helper/fdcheck.h"
#include "helper/helper.h"
#include "helper/jail.h"
#include "helper/ops.h"
#include "helper/provider.h"
#include "helper/validate.h"

int op_jail_stage_validate(const struct helper_request *req, struct rpc_error *err)
{
	json_t *b = json_object_get(req->params, "block_drives");
	size_t i;
	json_t *e;

	if (helper_request_fd(req, "kernel") < 0)
		return rpc_error_set(err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT,
			"jail.stage needs the descriptor \"kernel\"");
	for (i = 0; i < req->n_fds; i++) {
		const char *n = req->fd_names[i];
		if (streq(n, "kernel") || streq(n, "initrd"))
			continue;
		if (strneq(n, "drive:", 6) && drive_name_is_valid(n + 6))
			continue;
		return rpc_error_set(err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT,
			"Unknown descriptor \"%s\" (expected kernel, initrd, drive:<name>)", n);
	}
	json_array_foreach(b, i, e)
	{
		char fdname[48];
		const char *name = json_string_value(json_object_get(e, "name"));
		snprintf(fdname, sizeof(fdname), "drive:%s", name);
		if (helper_request_fd(req, fdname) >= 0)
			return rpc_error_set(err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT,
				"Drive \"%s\" is given both as a file and as a block device", name);
		for (size_t j = 0; j < i; j++)
			if (streq(name, json_string_value(
						json_object_get(json_array_get(b, j), "name"))))
				return rpc_error_set(err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT,
					"Drive \"%s\" appears twice", name);
	}
	return 0;
}

struct stage {
	const struct helper_ctx *ctx;
	const struct helper_request *req;
	char root[PATH_MAX];
	int root_fd;
	json_t *binds;
	json_t *drives;
};

/* mkdir -p of a path relative to the chroot, component by component, never following links. */
static int mkdir_beneath(int root_fd, const char *rel, int *ret_fd, struct rpc_error *err)
{
	_cleanup_close_ int fd = fcntl(root_fd, F_DUPFD_CLOEXEC, 3);
	char buf[PATH_MAX];
	char *save = NULL, *c;

	snprintf(buf, sizeof(buf), "%s", rel);
	for (c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		int next;
		if (mkdirat(fd, c, 0755) < 0 && errno != EEXIST)
			return rpc_error_set(err, negative_errno(), RPC_ERROR_INTERNAL,
				"Failed to create %s in the jail: %m", rel);
		next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0)
			return rpc_error_set(err, negative_errno(), RPC_ERROR_INTERNAL,
				"Failed to open %s in the jail: %m", rel);
		close(fd);
		fd = next;
	}
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/* Binds the owner's file passed as fdname onto a new empty file at rel (relative to the chroot,
 * its directory made already as dir_fd): the very inode the descriptor is, found in the helper's
 * own mount namespace (mount(2) binds only from mounts of its own, and the daemon's descriptors
 * come from the host's), then remounted nosuid, nodev, noexec and read-only or writable as asked,
 * whatever the helper's own view of the state directory is (ProtectSystem= makes /var read-only
 * there). No copy: a disk's or an initrd's worth of I/O per start saved, any filesystem, gone
 * with the jail. */
static int stage_bind_owner_file(struct stage *s, const char *fdname, int dir_fd, const char *rel,
	bool writable, struct rpc_error *err)
{
	const struct helper_config *cfg = s->ctx->cfg;
	_cleanup_close_ int f = -1, here = -1;
	const char *name = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
	char src[64], dst[PATH_MAX + 64];
	struct stat st;
	int fd, r;

	r = request_owner_file(s->ctx, s->req, fdname,
		writable ? FD_ACCESS_READ_WRITE : FD_ACCESS_READ, &fd, &st, err);
	if (r < 0)
		return r;
	here = fd_reopen_here(fd, &st, fdname, err);
	if (here < 0)
		return here;
	f = openat(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		writable ? 0600 : 0400);
	if (f < 0 || fchown(f, cfg->owner_uid, cfg->owner_gid) < 0)
		return rpc_error_set(err, negative_errno(), RPC_ERROR_INTERNAL,
			"Failed to create /%s in the jail: %m", rel);
	snprintf(src, sizeof(src), "/proc/self/fd/%d", here);
	snprintf(dst, sizeof(dst), "%s/%s", s->root, rel);
	if (mount(src, dst, NULL, MS_BIND, NULL) < 0)
		return rpc_error_set(err, negative_errno(), RPC_ERROR_INTERNAL,
			"Failed to bind %s onto /%s in the jail: %m", fdname, rel);
	if (mount(NULL, dst, NULL,
		    MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV | MS_NOEXEC |
			    (writable ? 0 : MS_RDONLY),
		    NULL) < 0)
		return rpc_error_set(err, negative_errno(), RPC_ERROR_INTERNAL,
			"Failed to remount the bind of /%s in the jail: %m", rel);
	return 0;
}

struct loop_owner {
	char want[PATH_MAX + 8];
	bool ok;
};

static int check_block_device(
	struct stage *s, const char *dev, struct stat *ret_st, struct rpc_error *err)
{
	const char *vm = s->req->vm_id;
	const char *dm = "/dev/mapper/" HELPER_DM_PREFIX;

	if (strneq(dev, dm, strlen(dm))) {
		if (!streq(dev + strlen(dm), vm))
			return rpc_error_set(err, -EPERM, RPC_ERROR_PERMISSION_DENIED,
				"Device %s is not VM \"%s\"'s disk", dev, vm);
	} else {
		/* /dev/loopN: its backing file must be in this VM's state directory. */
		char p[128], backing[PATH_MAX] = "", vmdir[PATH_MAX];
		FILE *f;
		snprintf(p, sizeof(p), "/sys/block/%s/loop/backing_file", dev + strlen("/dev/"));
		f = fopen(p, "re");
		if (f) {
			if (!fgets(backing, sizeof(backing), f))
				backing[0] = '\0';
			fclose(f);
		}
		backing[strcspn(backing, "\n")] = '\0';
		if (layout_vm_dir(&s->ctx->cfg->layout, vm, vmdir, sizeof(vmdir)) < 0 ||
			!strneq(backing, vmdir, strlen(vmdir)) || backing[strlen(vmdir)] != '/')
			return rpc_error_set(err, -EPERM, RPC_ERROR_PERMISSION_DENIED,
				"Device %s is not a loop device backed by a file of VM \"%s\"", dev,
				vm);
	}
	if (stat(dev, ret_st) < 0)
		return rpc_error_set(
			err, negative_errno(), RPC_ERROR_NOT_FOUND, "Cannot find %s: %m", dev);
	if (!S_ISBLK(ret_st->st_mode))
		return rpc_error_set(
			err, -ENOTBLK, RPC_ERROR_INVALID_ARGUMENT, "%s is not a block device", dev);
	return 0;
}

/* A device node NAME in dfd (a directory of the jail): TYPE, rdev, 0600 and the owner's, as every
 * node the jail has. */
static int make_owned_node(
	const struct stage *s, int dfd, const char *name, mode_t type, dev_t rdev)
{
	if (mknodat(dfd, name, type | 0600, rdev) < 0 ||
		fchownat(dfd, name, s->ctx->cfg->owner_uid, s->ctx->cfg->owner_gid,
			AT_SYMLINK_NOFOLLOW) < 0)
		return negative_errno();
	return 0;
}

static int stage_drives(struct stage *s, struct rpc_error *err)
{
	json_t *b = json_object_get(s->req->params, "block_drives");
	_cleanup_close_ int dfd = -1;
	size_t i;
	json_t *e;
	int r;

	r = mkdir_beneath(s->root_fd, "drives", &dfd, err);
	if (r < 0)
		return r;
	json_array_foreach(b, i, e)
	{
		const char *name = json_string_value(json_object_get(e, "name"));
		const char *dev = json_string_value(json_object_get(e, "device"));
		char in_jail[64];
		struct stat st;

		r = check_block_device(s, dev, &st, err);
		if (r < 0)
			return r;
		r = make_owned_node(s, dfd, name, S_IFBLK, st.st_rdev);
		if (r < 0)
			return rpc_error_set(err, r, RPC_ERROR_INTERNAL,
				"Failed to create the node for drive \"%s\" (%u:%u): %s", name,
				major(st.st_rdev), minor(st.st_rdev), strerror(-r));
		snprintf(in_jail, sizeof(in_jail), "/drives/%s", name);
		json_object_set_new(s->drives, name, json_string(in_jail));
	}
	for (i = 0; i < s->req->n_fds; i++) {
		const char *fdname = s->req->fd_names[i], *name = fdname + 6;
		char in_jail[64];

		if (!strneq(fdname, "drive:", 6))
			continue;
		snprintf(in_jail, sizeof(in_jail), "/drives/%s", name);
		r = stage_bind_owner_file(s, fdname, dfd, in_jail + 1, true, err);
		if (r < 0)
			return r;
		json_object_set_new(s->drives, name, json_string(in_jail));
	}
	return 0;
}

/* The character device rdev as /dev/NAME in the jail (the node itself, never the host's bound
 * in). */
static int stage_dev_node(struct stage *s, const char *name, dev_t rdev, struct rpc_error *err)
{
	_cleanup_close_ int dev = -1;
	int r;

	r = mkdir_beneath(s->root_fd, "dev", &dev, err);
	if (r < 0)
		return r;
	r = make_owned_node(s, dev, name, S_IFCHR, rdev);
	if (r < 0)
		return rpc_error_set(err, r, RPC_ERROR_INTERNAL,
			"Failed to create /dev/%s in the jail: %s", name, strerror(-r));
	return 0;
}

static int stage_vhost_vsock(struct stage *s, bool *ret_made, struct rpc_error *err)
{
	struct stat st;
	int r;

	*ret_made = false;
	if (stat("/dev/vhost-vsock", &st) < 0 || !S_ISCHR(st.st_mode))
		return 0;
	r = stage_dev_node(s, "vhost-vsock", st.st_rdev, err);
	*ret_made = r >= 0;
	return r;
}

/* One host path at the same place in the jail: a symlink is recreated, a directory or file is
 * bound read-only (nosuid, nodev). Missing host paths are skipped. */
static int stage_ro_path(struct stage *s, const char *path, struct rpc_error *err)
{
	char parent[PATH_MAX], dst[PATH_MAX * 2], target[PATH_MAX];
	const char *base = strrchr(path, '/') + 1;
	_cleanup_close_ int pfd = -1;
	struct stat st;
	ssize_t n;
	int r;

	if (lstat(path, &st) < 0)
		return 0;
	snprintf(parent, sizeof(parent), "%.*s", (int)(base - path), path);
	r = mkdir_beneath(s->root_fd, parent, &pfd, err);
	if (r < 0)
		return r;
	if (S_ISLNK(st.st_mode)) {
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			return rpc_error_set(err, negative_errno(), RPC_ERROR_INTERNAL,
				"Failed to read the link %s: %m", path);
		target[n] = '\0';
		if (symlinkat(target, pfd, base) < 0 && errno != EEXIST)
			return rpc_error_set(err, negative_errno(), RPC_ERROR_INTERNAL,
				"Failed to create the link %s in the jail: %m", path);
		json_array_append_new(
			s->binds, json_pack("{s:s, s:s}", "path", path, "link", target));
		return 0;
	}
	if (S_ISDIR(st.st_mode)) {
		if (mkdirat(pfd, base, 0755) < 0 && errno != EEXIST)
			return rpc_error_set(err, negative_errno(), RPC_ERROR_INTERNAL,
				"Failed to create %s in the jail: %m", path);
	} else if (S_ISREG(st.st_mode)) {
		int f = openat(
			pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (f < 0)
			return rpc_error_set(err, negative_errno(), RPC_ERROR_INTERNAL,
				"Failed to create %s in the jail: %m", path);
		close(f);
	} else
		return 0;
	snprintf(dst, sizeof(dst), "%s%s", s->root, path);
	if (mount(path, dst, NULL, MS_BIND, NULL) < 0)
		return rpc_error_set(err, negative_errno(), RPC_ERROR_INTERNAL,
			"Failed to bind %s into the jail: %m", path);
	if (mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) <
		0)
		return rpc_error_set(err, negative_errno(), RPC_ERROR_INTERNAL,
			"Failed to make the bind of %s read-only: %m", path);
	json_array_append_new(s->binds, json_pack("{s:s, s:b}", "path", path, "read_only", true));
	return 0;
}

static int stage_all(struct stage *s, bool *ret_vsock, struct rpc_error *err)
{
	const struct vmm_provider *p = s->ctx->cfg->provider;
	int r;

	/* Bind the chroot onto itself first: cleanup then has one mount to take everything with,
	 * and private propagation keeps our mounts out of other namespaces. */
	if (mount(s->root, s->root, NULL, MS_BIND, NULL) < 0 ||
		mount(NULL, s->root, NULL, MS_PRIVATE, NULL) < 0)
		return rpc_error_set(err, negative_errno(), RPC_ERROR_INTERNAL,
			"Failed to bind %s onto itself: %m", s->root);
	s->root_fd = open(s->root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s->root_fd < 0)
		return rpc_error_set(err, negative_errno(), RPC_ERROR_INTERNAL,
			"Failed to open %s: %m", s->root);
	r = stage_bind_owner_file(s, "kernel", s->root_fd, "kernel", false, err);
	if (r >= 0 && helper_request_fd(s->req, "initrd") >= 0)
		r = stage_bind_owner_file(s, "initrd", s->root_fd, "initrd", false, err);
	if (r >= 0)
		r = stage_drives(s, err);
	if (r >= 0)
		r = stage_vhost_vsock(s, ret_vsock, err);
	if (r >= 0 && p && p->dev_null) /* 1:3 */
		r = stage_dev_node(s, "null", makedev(1, 3), err);
	for (size_t i = 0; r >= 0 && vmm_linker_paths[i]; i++)
		r = stage_ro_path(s, vmm_linker_paths[i], err);
	for (size_t i = 0; r >= 0 && p && p->ro_binds[i]; i++)
		r = stage_ro_path(s, p->ro_binds[i], err);
	return r;
}

int op_jail_stage_run(const struct helper_ctx *ctx, const struct helper_request *req,
	json_t **ret_result, struct rpc_error *err)
{
	_cleanup_close_ int vm_fd = -1;
	struct stage s = {.ctx = ctx, .req = req, .root_fd = -1};
	char vm_dir[PATH_MAX];
	bool vsock = false, removed;
	int r;

	r = jail_paths(ctx->cfg, req->vm_id, vm_dir, s.root, err);
	if (r < 0)
		return r;
	r = jail_open_vm_dir(ctx->cfg, req->vm_id, true, NULL, &vm_fd, err);
	if (r < 0)
		return r;
	if (mkdirat(vm_fd, "root", 0755) < 0) {
		if (errno == EEXIST)
			return rpc_error_set(err, -EEXIST, RPC_ERROR_CONFLICT,
				"%s already exists (a stale jail? jail.cleanup first)", s.root);
		return rpc_error_set(err, negative_errno(), RPC_ERROR_INTERNAL,
			"Failed to create %s: %m", s.root);
	}
	s.binds = json_array();
	s.drives = json_object();
	if (!s.binds || !s.drives)
		r = -ENOMEM;
	else
		r = stage_all(&s, &vsock, err);
	safe_close(s.root_fd);
	if (r < 0) {
		struct rpc_error ignored;
		json_decref(s.binds);
		json_decref(s.drives);
		if (jail_teardown(ctx->cfg, req->vm_id, NULL, &removed, &ignored) < 0)
			log_error(
				"Failed to undo the partial jail %s: %s", s.root, ignored.message);
		return r;
	}
	*ret_result = json_pack("{s:s, s:s, s:s, s:o, s:o, s:b}", "root", s.root, "kernel",
		"/kernel", "initrd", helper_request_fd(req, "initrd") >= 0 ? "/initrd" : "",
		"drives", s.drives, "binds", s.binds, "vhost_vsock", vsock);
	return *ret_result ? 0 : -ENOMEM;
}

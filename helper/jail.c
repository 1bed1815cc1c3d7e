/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Per-VM jail directories under the jail base: safe opening (no symlinks, root's, not the
 * owner's to change; the VM's own level root 0700), the launch record kept there, and complete
 * teardown (unmount deepest first, self-bind last, device nodes disarmed, remove). */
#define _GNU_SOURCE 1
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/macro.h"
#include "helper/config.h"
#include "helper/jail.h"
#include "helper/mounts.h"

int jail_paths(const struct helper_config *cfg, const char *vm_id, char ret_vm_dir[PATH_MAX],
	char ret_root[PATH_MAX], struct rpc_error *err)
{
	int r = layout_jail_root(&cfg->layout, cfg->exec_name, vm_id, ret_root, PATH_MAX);
	if (r < 0)
		return rpc_error_set(
			err, r, RPC_ERROR_INVALID_ARGUMENT, "Bad jail path for \"%s\"", vm_id);
	if (snprintf(ret_vm_dir, PATH_MAX, "%s/%s/%s", cfg->layout.jail_base, cfg->exec_name,
		    vm_id) >= PATH_MAX)
		return rpc_error_set(
			err, -ENAMETOOLONG, RPC_ERROR_INVALID_ARGUMENT, "Jail path too long");
	return 0;
}

static int open_level(int parent, const char *name, const char *what, mode_t mode, bool create,
	struct rpc_error *err)
{
	_cleanup_close_ int fd = -1;
	struct stat st;

	if (create && mkdirat(parent, name, mode) < 0 && errno != EEXIST)
		return rpc_error_set(
			err, negative_errno(), RPC_ERROR_INTERNAL, "Failed to create %s: %m", what);
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int r = negative_errno();
		if (r == -ELOOP || r == -ENOTDIR)
			return rpc_error_set(err, -EPERM, RPC_ERROR_PERMISSION_DENIED,
				"Refusing %s: it is a symlink or not a directory", what);
		if (r == -ENOENT)
			return rpc_error_set(
				err, r, RPC_ERROR_NOT_FOUND, "%s does not exist", what);
		return rpc_error_set(err, r, RPC_ERROR_INTERNAL, "Failed to open %s: %m", what);
	}
	if (fstat(fd, &st) < 0)
		return rpc_error_set(
			err, negative_errno(), RPC_ERROR_INTERNAL, "Failed to stat %s: %m", what);
	if (st.st_uid != 0 || (st.st_mode & 022))
		return rpc_error_set(err, -EPERM, RPC_ERROR_PERMISSION_DENIED,
			"Refusing %s: owned by uid %u with mode %04o (must be root's, not writable "
			"by others)",
			what, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
	/* A level made by an older helper, or under a umask: root's, so ours to set right when a
	 * jail is being made. (Not when opening one an older helper launched: its VMM's daemon
	 * still reaches the API socket by the path below it.) */
	if (create && (st.st_mode & 07777) != mode && fchmod(fd, mode) < 0)
		return rpc_error_set(err, negative_errno(), RPC_ERROR_INTERNAL,
			"Failed to make %s mode %04o: %m", what, (unsigned)mode);
	return TAKE_FD(fd);
}

int jail_open_vm_dir(const struct helper_config *cfg, const char *vm_id, bool create,
	int *ret_exec_fd, int *ret_vm_fd, struct rpc_error *err)
{
	_cleanup_close_ int base = -1, exec = -1, vm = -1;
	char what[PATH_MAX * 2 + 128];
	int r;

	r = helper_config_require_vmm(cfg, err);
	if (r < 0)
		return r;
	/* The base and every parent: root's, no symlinks, not the owner's to change. */
	r = helper_path_check_trusted(cfg, cfg->layout.jail_base, err);
	if (r < 0)
		return r;
	base = open(cfg->layout.jail_base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (base < 0)
		return rpc_error_set(err, negative_errno(), RPC_ERROR_UNAVAILABLE,
			"Failed to open the jail base %s: %m", cfg->layout.jail_base);
	snprintf(what, sizeof(what), "%s/%s", cfg->layout.jail_base, cfg->exec_name);
	exec = open_level(base, cfg->exec_name, what, 0755, create, err);
	if (exec < 0)
		return exec;
	/* root 0700: after launch the jailer hands the chroot below to the owner, and nothing in
	 * it (device nodes above all) may be reachable, or linkable, from the host. */
	snprintf(what, sizeof(what), "%s/%s/%s", cfg->layout.jail_base, cfg->exec_name, vm_id);
	vm = open_level(exec, vm_id, what, 0700, create, err);
	if (vm < 0)
		return vm;
	if (ret_exec_fd)
		*ret_exec_fd = TAKE_FD(exec);
	*ret_vm_fd = TAKE_FD(vm);
	return 0;
}

int jail_launch_record_create(int vm_fd, int *ret_fd, struct rpc_error *err)
{
	int fd = openat(vm_fd, JAIL_LAUNCH_RECORD,
		O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0 && errno == EEXIST)
		return rpc_error_set(err, -EEXIST, RPC_ERROR_CONFLICT,
			"The VM was already launched in this jail (jail.cleanup and stage again)");
	if (fd < 0)
		return rpc_error_set(err, negative_errno(), RPC_ERROR_INTERNAL,
			"Failed to create the launch record: %m");
	*ret_fd = fd;
	return 0;
}

int jail_launch_record_write(int fd, pid_t pid, unsigned long long start_time)
{
	char buf[64];
	int n = snprintf(buf, sizeof(buf), "%d %llu\n", (int)pid, start_time);

	/* No fsync (1-5 ms of every start): the record matters only while the VMM runs, and what
	 * loses the page cache (the host going down) takes the VMM with it. A helper crash or
	 * restart keeps what was written. */
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		return -errno ?: -EIO;
	return 0;
}

int jail_launch_record_read(const struct helper_config *cfg, const char *vm_id, pid_t *ret_pid,
	unsigned long long *ret_start_time)
{
	_cleanup_close_ int vm_fd = -1, fd = -1;
	unsigned long long start;
	char buf[64];
	ssize_t n;
	int pid;

	if (jail_open_vm_dir(cfg, vm_id, false, NULL, &vm_fd, NULL) < 0)
		return -ENOENT;
	fd = openat(vm_fd, JAIL_LAUNCH_RECORD, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return -ENODATA; /* created, the VMM not seen yet */
	buf[n] = '\0';
	if (sscanf(buf, "%d %llu", &pid, &start) != 2 || pid <= 1)
		return -EBADMSG;
	*ret_pid = (pid_t)pid;
	*ret_start_time = start;
	return 0;
}

static int depth(const char *p)
{
	int d = 0;
	for (; *p; p++)
		d += *p == '/';
	return d;
}

static int cmp_deepest_first(const void *a, const void *b)
{
	const struct mount_entry *x = a, *y = b;
	int dx = depth(x->path), dy = depth(y->path);
	if (dx != dy)
		return dy - dx;
	return y->id - x->id; /* stacked at the same place: the newest first */
}

/* Opens a mount point below root_fd by walking only real directories (no symlinks at all, nothing
 * above root_fd), so a directory the owner swapped for a symlink cannot steer the unmount. */
static int open_beneath(int root_fd, const char *rel)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	long fd;

	if (!*rel)
		return fcntl(root_fd, F_DUPFD_CLOEXEC, 3);
	fd = syscall(SYS_openat2, root_fd, rel, &how, sizeof(how));
	return fd < 0 ? negative_errno() : (int)fd;
}

static int umount_fd(int fd)
{
	char p[64];

	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	if (umount2(p, 0) >= 0)
		return 0;
	if (errno == EBUSY && umount2(p, MNT_DETACH) >= 0)
		return 0;
	return negative_errno();
}

static int unmount_all(int vm_fd, const char *root, json_t *unmounted, struct rpc_error *err)
{
	/* Mounts can be stacked: go round until the table shows nothing below root. */
	for (int round = 0; round < 16; round++) {
		_cleanup_free_ struct mount_entry *m = NULL;
		_cleanup_close_ int root_fd = -1;
		size_t n;
		int r;

		r = mounts_under(root, &m, &n);
		if (r < 0)
			return rpc_error_set(err, r, RPC_ERROR_INTERNAL,
				"Failed to read the mount table: %s", strerror(-r));
		if (n == 0)
			return 0;
		root_fd = openat(vm_fd, "root", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (root_fd < 0)
			return rpc_error_set(err, negative_errno(), RPC_ERROR_INTERNAL,
				"Failed to open %s: %m", root);
		qsort(m, n, sizeof(*m), cmp_deepest_first);
		for (size_t i = 0; i < n; i++) {
			const char *rel = m[i].path + strlen(root);
			_cleanup_close_ int fd = -1;

			while (*rel == '/')
				rel++;
			fd = open_beneath(root_fd, rel);
			if (fd < 0)
				return rpc_error_set(err, fd, RPC_ERROR_PERMISSION_DENIED,
					"Refusing to unmount %s: the path to it is not a plain "
					"directory chain (%s)",
					m[i].path, strerror(-fd));
			r = umount_fd(fd);
			if (r == -EINVAL)
				continue; /* already gone with a parent, or not a mount root any
					     more */
			if (r < 0)
				return rpc_error_set(err, r, RPC_ERROR_INTERNAL,
					"Failed to unmount %s: %s", m[i].path, strerror(-r));
			if (unmounted)
				json_array_append_new(unmounted, json_string(m[i].path));
		}
	}
	return rpc_error_set(
		err, -EBUSY, RPC_ERROR_CONFLICT, "Mounts keep reappearing under %s", root);
}

static int mount_id_of(int fd, uint64_t *ret)
{
	struct statx sx;

	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &sx) < 0)
		return negative_errno();
	if (!(sx.stx_mask & STATX_MNT_ID))
		return -EOPNOTSUPP;
	*ret = sx.stx_mnt_id;
	return 0;
}

/* A device node is made harmless before it is unlinked: root's, mode 0000. Whoever kept a
 * handle on it (an O_PATH descriptor taken through the VMM's /proc/PID/root while it ran) can
 * then never open it again, not after the device number has gone to someone else. The entry
 * is opened without following anything and checked to still be a device node; only what the
 * descriptor is gets changed, so the owner swapping entries in its chroot changes nothing. */
static int disarm_device_node(int dir_fd, const char *name)
{
	_cleanup_close_ int fd = openat(dir_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	char p[64];
	struct stat st;

	if (fd < 0)
		return errno == ENOENT ? 0 : negative_errno();
	if (fstat(fd, &st) < 0)
		return negative_errno();
	if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
		return 0;
	if (fchownat(fd, "", 0, 0, AT_EMPTY_PATH) < 0)
		return negative_errno();
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	return chmod(p, 0) < 0 ? negative_errno() : 0;
}

/* rm -r below dir_fd/name, never following symlinks and never entering another mount (not even a
 * bind of the same filesystem); device nodes are disarmed first. */
static int remove_tree(int dir_fd, const char *name, uint64_t mnt_id, int level)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	uint64_t id;
	DIR *d;
	struct dirent *de;
	int r = 0;

	if (level > 64)
		return -ELOOP;
	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : negative_errno();
	if (!S_ISDIR(st.st_mode)) {
		if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
			r = disarm_device_node(dir_fd, name);
			if (r < 0)
				return r;
		}
		return unlinkat(dir_fd, name, 0) < 0 ? negative_errno() : 0;
	}
	fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	r = mount_id_of(fd, &id);
	if (r < 0)
		return r;
	if (id != mnt_id)
		return -EBUSY; /* a mount we could not take down */
	d = fdopendir(fd);
	if (!d)
		return negative_errno();
	fd = -1; /* owned by d now */
	while ((de = readdir(d))) {
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		r = remove_tree(dirfd(d), de->d_name, mnt_id, level + 1);
		if (r < 0)
			break;
	}
	closedir(d);
	if (r < 0)
		return r;
	return unlinkat(dir_fd, name, AT_REMOVEDIR) < 0 ? negative_errno() : 0;
}

int jail_teardown(const struct helper_config *cfg, const char *vm_id, json_t *unmounted,
	bool *ret_removed, struct rpc_error *err)
{
	_cleanup_close_ int exec_fd = -1, vm_fd = -1;
	char vm_dir[PATH_MAX], root[PATH_MAX];
	uint64_t mnt_id;
	int r;

	*ret_removed = false;
	r = jail_paths(cfg, vm_id, vm_dir, root, err);
	if (r < 0)
		return r;
	r = jail_open_vm_dir(cfg, vm_id, false, &exec_fd, &vm_fd, err);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	r = unmount_all(vm_fd, root, unmounted, err);
	if (r < 0)
		return r;
	r = mount_id_of(vm_fd, &mnt_id);
	if (r < 0)
		return rpc_error_set(err, r, RPC_ERROR_INTERNAL,
			"Failed to find the mount of %s: %s", vm_dir, strerror(-r));
	r = remove_tree(exec_fd, vm_id, mnt_id, 0);
	if (r < 0)
		return rpc_error_set(err, r, rpc_error_code_from_errno(r),
			"Failed to remove %s: %s", vm_dir, strerror(-r));
	*ret_removed = true;
	return 0;
}

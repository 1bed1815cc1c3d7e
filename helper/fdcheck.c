/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Checks on descriptors the owner passes: the helper trusts what fstat says, never a path. */
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/macro.h"
#include "helper/fdcheck.h"

static const char *file_kind(mode_t m)
{
	return S_ISDIR(m)    ? "a directory"
	       : S_ISCHR(m)  ? "a character device"
	       : S_ISBLK(m)  ? "a block device"
	       : S_ISFIFO(m) ? "a FIFO"
	       : S_ISSOCK(m) ? "a socket"
	       : S_ISLNK(m)  ? "a symlink"
			     : "not a regular file";
}

/* The filesystems a VM's files may live on: ones that keep ordinary files on a disk or in
 * memory. Everything else is refused, whatever it says about a file: a "regular file" on procfs,
 * sysfs, cgroupfs, debugfs, configfs… is a kernel interface, and writing to it as root does what
 * root may do (oom_score_adj checks the writer's CAP_SYS_RESOURCE); FUSE and network filesystems
 * are refused too, since whoever serves them decides when a read returns. */
static const struct {
	unsigned long magic;
	const char *name;
} ordinary_fs[] = {
	{0xEF53, "ext2/3/4"},
	{0x58465342, "xfs"},
	{0x9123683E, "btrfs"},
	{0xF2F52010, "f2fs"},
	{0xca451a4e, "bcachefs"},
	{0x2fc12fc1, "zfs"},
	{0x01021994, "tmpfs"},
	{0x794c7630, "overlayfs"},
};

/* Names for what is refused, so the message says what it was. */
static const struct {
	unsigned long magic;
	const char *name;
} known_fs[] = {
	{0x9fa0, "procfs"},
	{0x62656572, "sysfs"},
	{0x64626720, "debugfs"},
	{0x74726163, "tracefs"},
	{0x73636673, "securityfs"},
	{0x62656570, "configfs"},
	{0x27e0eb, "cgroupfs"},
	{0x63677270, "cgroup2"},
	{0xcafe4a11, "bpf"},
	{0x958458f6, "hugetlbfs"},
	{0x19800202, "mqueue"},
	{0x6165676C, "pstore"},
	{0xde5e81e4, "efivarfs"},
	{0x858458f6, "ramfs"},
	{0x65735546, "fuse"},
	{0x6969, "nfs"},
	{0xFF534D42, "cifs"},
	{0x01021997, "9p"},
};

static int check_filesystem(int fd, const char *name, struct rpc_error *err)
{
	const char *what = NULL;
	struct statfs sf;

	if (fstatfs(fd, &sf) < 0)
		return rpc_error_set(err, negative_errno(), RPC_ERROR_INVALID_ARGUMENT,
			"Descriptor \"%s\": cannot tell its filesystem: %m", name);
	for (size_t i = 0; i < ELEMENTSOF(ordinary_fs); i++)
		if ((unsigned long)sf.f_type == ordinary_fs[i].magic)
			return 0;
	for (size_t i = 0; i < ELEMENTSOF(known_fs); i++)
		if ((unsigned long)sf.f_type == known_fs[i].magic)
			what = known_fs[i].name;
	return rpc_error_set(err, -EXDEV, RPC_ERROR_PERMISSION_DENIED,
		"Descriptor \"%s\" is a file on %s (filesystem 0x%lx), not on an ordinary disk "
		"filesystem (ext4, xfs, btrfs, f2fs, bcachefs, zfs, tmpfs, overlayfs)",
		name, what ? what : "an unsupported filesystem", (unsigned long)sf.f_type);
}

int fd_check_owner_file(const struct helper_config *cfg, int fd, const char *name,
	enum fd_access access, struct stat *ret_st, struct rpc_error *err)
{
	struct stat st;
	int fl, acc, r;

	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fstat(fd, &st) < 0)
		return rpc_error_set(err, -EBADF, RPC_ERROR_INVALID_ARGUMENT,
			"Descriptor \"%s\" is not usable: %m", name);
	if (fl & O_PATH)
		return rpc_error_set(err, -EBADF, RPC_ERROR_INVALID_ARGUMENT,
			"Descriptor \"%s\" is an O_PATH descriptor, not an open file", name);
	if (!S_ISREG(st.st_mode))
		return rpc_error_set(err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT,
			"Descriptor \"%s\" must be a regular file, but it is %s", name,
			file_kind(st.st_mode));
	/* Before whose it is: a kernel interface is refused whoever owns it. */
	r = check_filesystem(fd, name, err);
	if (r < 0)
		return r;
	if (st.st_uid != cfg->owner_uid)
		return rpc_error_set(err, -EPERM, RPC_ERROR_PERMISSION_DENIED,
			"Descriptor \"%s\" is a file owned by uid %u, not by the owner (uid %u)",
			name, (unsigned)st.st_uid, (unsigned)cfg->owner_uid);
	if (st.st_nlink != 1)
		return rpc_error_set(err, -EPERM, RPC_ERROR_PERMISSION_DENIED,
			"Descriptor \"%s\" is a file with %lu hard links (expected exactly 1)",
			name, (unsigned long)st.st_nlink);
	acc = fl & O_ACCMODE;
	switch (access) {
	case FD_ACCESS_READ:
		if (acc != O_RDONLY && acc != O_RDWR)
			return rpc_error_set(err, -EBADF, RPC_ERROR_INVALID_ARGUMENT,
				"Descriptor \"%s\" must be open for reading", name);
		break;
	case FD_ACCESS_WRITE:
		if (acc != O_WRONLY && acc != O_RDWR)
			return rpc_error_set(err, -EBADF, RPC_ERROR_INVALID_ARGUMENT,
				"Descriptor \"%s\" must be open for writing", name);
		break;
	case FD_ACCESS_READ_WRITE:
		if (acc != O_RDWR)
			return rpc_error_set(err, -EBADF, RPC_ERROR_INVALID_ARGUMENT,
				"Descriptor \"%s\" must be open for reading and writing", name);
		break;
	case _FD_ACCESS_MAX:
	case _FD_ACCESS_INVALID:
		return -EINVAL;
	}
	if (ret_st)
		*ret_st = st;
	return 0;
}

int fd_reopen_here(int fd, const struct stat *st, const char *name, struct rpc_error *err)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	_cleanup_close_ int here = -1;
	char link[64], path[PATH_MAX];
	struct stat hst;
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n < 0)
		return rpc_error_set(err, negative_errno(), RPC_ERROR_INTERNAL,
			"Failed to find the path of descriptor \"%s\": %m", name);
	path[n] = '\0';
	if (path[0] != '/')
		return rpc_error_set(err, -ENOENT, RPC_ERROR_INVALID_ARGUMENT,
			"Descriptor \"%s\" has no path in any filesystem (%s)", name, path);
	here = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
	if (here < 0)
		return rpc_error_set(err, negative_errno(), RPC_ERROR_UNAVAILABLE,
			"Descriptor \"%s\" is %s, which the helper cannot reach in its own mount "
			"namespace without following a link: %m",
			name, path);
	if (fstat(here, &hst) < 0)
		return rpc_error_set(
			err, negative_errno(), RPC_ERROR_INTERNAL, "Failed to stat %s: %m", path);
	if (hst.st_dev != st->st_dev || hst.st_ino != st->st_ino)
		return rpc_error_set(err, -ESTALE, RPC_ERROR_CONFLICT,
			"Descriptor \"%s\" is not the file %s shows in the helper's mount "
			"namespace (moved or replaced?)",
			name, path);
	return TAKE_FD(here);
}

int request_owner_file(const struct helper_ctx *ctx, const struct helper_request *req,
	const char *name, enum fd_access access, int *ret_fd, struct stat *ret_st,
	struct rpc_error *err)
{
	int i = helper_request_fd(req, name);
	int r;

	if (i < 0 || req->fds[i] < 0)
		return rpc_error_set(err, -EBADF, RPC_ERROR_INVALID_ARGUMENT,
			"Descriptor \"%s\" is missing", name);
	r = fd_check_owner_file(ctx->cfg, req->fds[i], name, access, ret_st, err);
	if (r < 0)
		return r;
	*ret_fd = req->fds[i];
	return 0;
}

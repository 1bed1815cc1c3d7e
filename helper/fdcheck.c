/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Checks on descriptors the owner passes: the helper trusts what fstat says, never a path. */
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
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

int fd_check_owner_file(const struct helper_config *cfg, int fd, const char *name,
        enum fd_access access, struct stat *ret_st, struct rpc_error *err)
{
	struct stat st;
	int fl, acc;

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

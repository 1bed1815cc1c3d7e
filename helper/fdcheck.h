/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Checks on descriptors the owner passes: the helper trusts what fstat says, never a path. */
#pragma once

#include <stdbool.h>
#include <sys/stat.h>

#include "helper/helper.h"

enum fd_access {
	FD_ACCESS_READ,
	FD_ACCESS_WRITE,
	FD_ACCESS_READ_WRITE,
	_FD_ACCESS_MAX,
	_FD_ACCESS_INVALID = -EINVAL,
};

/* A regular file on an ordinary disk or memory filesystem (ext4, xfs, btrfs, f2fs, bcachefs,
 * zfs, tmpfs, overlayfs: never procfs, sysfs, cgroupfs, debugfs, configfs, FUSE, NFS…), owned by
 * the owner with exactly one link, opened with at least the access asked for (not O_PATH).
 * Fills ret_st when not NULL. err names the descriptor and the cause. */
int fd_check_owner_file(const struct helper_config *cfg, int fd, const char *name,
	enum fd_access access, struct stat *ret_st, struct rpc_error *err);

/* The same file as fd (st: fd's fstat) opened O_PATH in the helper's own mount namespace, for
 * what needs a path of this namespace (a bind mount: mount(2) refuses a source on a mount of
 * another namespace, and the daemon's descriptors come from the host's). Looks up the kernel's
 * name for fd without following any link (openat2 RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS) and
 * accepts only the very inode fd refers to. Returns the new descriptor; err names why not. */
int fd_reopen_here(int fd, const struct stat *st, const char *name, struct rpc_error *err);

/* The descriptor named name in req, checked as above. */
int request_owner_file(const struct helper_ctx *ctx, const struct helper_request *req,
	const char *name, enum fd_access access, int *ret_fd, struct stat *ret_st,
	struct rpc_error *err);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* POSIX access ACLs, read and written as the kernel's system.posix_acl_access xattr. */
#pragma once

#include <sys/types.h>

/* Replaces path's access ACL with its mode bits plus uid:perm (perm: rwx bits, 07), so that one
 * user reaches a root-owned file without changing its owner or group. -EOPNOTSUPP where the
 * file system has no ACLs. */
int acl_grant_user(const char *path, uid_t uid, unsigned perm);

/* 1 when path's access ACL lets a named user or group other than root write (after the mask),
 * 0 when not or when there is no ACL, -errno when it cannot be read. */
int acl_named_write(const char *path);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* POSIX access ACLs in the kernel's xattr format (system.posix_acl_access, as
 * linux/posix_acl_xattr.h defines it): granting one user access to a file root keeps, and
 * reading whether an ACL lets a user write. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "common/acl.h"
#include "common/macro.h"

#define ACL_XATTR "system.posix_acl_access"
#define ACL_VERSION 2
#define TAG_USER_OBJ 0x01
#define TAG_USER 0x02
#define TAG_GROUP_OBJ 0x04
#define TAG_GROUP 0x08
#define TAG_MASK 0x10
#define TAG_OTHER 0x20
#define ACL_UNDEFINED_ID UINT32_MAX
#define MAX_ENTRIES 64

struct acl_entry {
	uint16_t tag, perm;
	uint32_t id;
} __attribute__((packed));

struct acl_xattr {
	uint32_t version;
	struct acl_entry e[MAX_ENTRIES];
} __attribute__((packed));

int acl_grant_user(const char *path, uid_t uid, unsigned perm)
{
	struct acl_xattr a = {.version = ACL_VERSION};
	struct stat st;
	unsigned group;

	if (lstat(path, &st) < 0)
		return negative_errno();
	group = (st.st_mode >> 3) & 07;
	/* Entries in the kernel's order: user::, user:UID, group::, mask::, other::. The mask
	 * (which ls shows as the group bits) lets the user entry through; the owning group keeps
	 * exactly its own bits. */
	a.e[0] = (struct acl_entry){TAG_USER_OBJ, (st.st_mode >> 6) & 07, ACL_UNDEFINED_ID};
	a.e[1] = (struct acl_entry){TAG_USER, perm & 07, (uint32_t)uid};
	a.e[2] = (struct acl_entry){TAG_GROUP_OBJ, group, ACL_UNDEFINED_ID};
	a.e[3] = (struct acl_entry){TAG_MASK, (perm | group) & 07, ACL_UNDEFINED_ID};
	a.e[4] = (struct acl_entry){TAG_OTHER, st.st_mode & 07, ACL_UNDEFINED_ID};
	if (lsetxattr(path, ACL_XATTR, &a, sizeof(uint32_t) + 5 * sizeof(struct acl_entry), 0) < 0)
		return errno == ENOTSUP ? -EOPNOTSUPP : negative_errno();
	return 0;
}

int acl_named_write(const char *path)
{
	struct acl_xattr a;
	unsigned mask = 07;
	ssize_t n;
	size_t count;

	n = lgetxattr(path, ACL_XATTR, &a, sizeof(a));
	if (n < 0)
		return errno == ENODATA || errno == ENOTSUP ? 0 : negative_errno();
	if ((size_t)n < sizeof(uint32_t) ||
		((size_t)n - sizeof(uint32_t)) % sizeof(struct acl_entry) ||
		a.version != ACL_VERSION)
		return -EBADMSG;
	count = ((size_t)n - sizeof(uint32_t)) / sizeof(struct acl_entry);
	for (size_t i = 0; i < count; i++)
		if (a.e[i].tag == TAG_MASK)
			mask = a.e[i].perm;
	/* user::, group:: and other:: are the mode bits, which callers check themselves; a named
	 * entry is someone the mode bits do not show. */
	for (size_t i = 0; i < count; i++)
		if ((a.e[i].tag == TAG_USER || a.e[i].tag == TAG_GROUP) && a.e[i].id != 0 &&
			(a.e[i].perm & mask & 02))
			return 1;
	return 0;
}

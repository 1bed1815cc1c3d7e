/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Install metadata (/etc/banger/install.json): who the owner is and which VMM provider runs. */
#pragma once

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#define INSTALL_SCHEMA_VERSION 1

struct install_meta {
	uid_t owner_uid;
	gid_t owner_gid;
	char owner_name[64];
	char owner_home[PATH_MAX];
	char version[32];
	char installed_at[40];      /* RFC 3339 UTC */
	char vmm_path[PATH_MAX];    /* the VMM binary the jailer copies into each jail */
	char jailer_path[PATH_MAX]; /* the jailer bangerd-root runs */
	char release_key[PATH_MAX]; /* the Ed25519 public key releases must be signed with ("") */
};

struct banger_layout;

/* Reads and validates l->install_json. -ENOENT when there is none (not installed); -EBADMSG
 * with a description in ret_why (may be NULL, size why_size) for a malformed file. */
int install_meta_load(
	const struct banger_layout *l, struct install_meta *ret, char *ret_why, size_t why_size);

/* Writes it atomically, root-owned 0644 is the caller's business (mode given here). */
int install_meta_save(const struct banger_layout *l, const struct install_meta *m);

/* Fills owner fields from the calling process (tests and unprivileged setups without metadata):
 * uid/gid from getuid()/getgid(), name and home from the passwd entry or $HOME. */
int install_meta_from_self(struct install_meta *ret);

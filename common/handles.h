/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* handles.json: what each running VM holds, written by bangerd whenever a VM starts or stops so a
 * later daemon (re-adoption) and `banger system uninstall --purge` (while no daemon answers) can
 * find it again. One typed reader and writer for both. */
#pragma once

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define HANDLES_MAX_BYTES (4u * 1024u * 1024u)

/* One VM's entry; a string the file does not have is "". */
struct vm_handles {
	char vm_id[65];
	int pid;                 /* the VMM */
	char tap[16];            /* "bgt-…" */
	char chroot[PATH_MAX];   /* the jail root */
	char api_sock[PATH_MAX]; /* the VMM's API socket, through /proc/<pid>/root */
	char link[PATH_MAX];     /* the short link to it the daemon talks through */
	char disk_kind[16];      /* "file" or "block" */
	char device[64];         /* the block device of a "block" disk */
	uint64_t next_line;      /* the console line number the next line gets */
};

struct handles_file {
	struct vm_handles *vms;
	size_t n;
};

/* Reads path. -ENOENT when there is none, -EBADMSG when it is not a handles file (an entry that
 * is not an object, a field of the wrong type), -errno. */
int handles_file_load(const char *path, struct handles_file *ret);
/* Writes every entry, atomically (common/fileio.h), mode 0600. */
int handles_file_save(const char *path, const struct handles_file *h);
/* Appends a copy of v. */
int handles_file_add(struct handles_file *h, const struct vm_handles *v);
/* The entry of vm_id, or NULL. */
const struct vm_handles *handles_file_find(const struct handles_file *h, const char *vm_id);
void handles_file_done(struct handles_file *h);

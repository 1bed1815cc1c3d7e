/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* file_sync: copies files and directories from the owner's home into a guest after boot, over
 * SSH. Every path must resolve inside the home after following symlinks (openat2 with
 * RESOLVE_BENEATH from a descriptor of the home); what does not is refused and reported, and the
 * VM runs on either way. */
#pragma once

#include <stddef.h>
#include <systemd/sd-event.h>

#define FILE_SYNC_MAX_FILES 256
#define FILE_SYNC_MAX_BYTES (64ull * 1024 * 1024)

struct file_sync;

typedef void (*file_sync_done_t)(struct file_sync *s, void *userdata);

/* home: the owner's home as install metadata names it; root: the layout prefix ("" normally);
 * paths: relative to the home ("~/" and a leading "/" of an absolute path inside the home are
 * accepted). Copies one file at a time with `ssh … cat > /root/<path>`. done runs once, from the
 * loop. */
int file_sync_start(sd_event *e, const char *home, const char *root, const char *ssh_dir,
	const char *ip, const char *const *paths, size_t n_paths, const char *vm_name,
	file_sync_done_t done, void *userdata, struct file_sync **ret);
void file_sync_free(struct file_sync *s);

/* Outcome counters of the last run, for logs and tests. */
unsigned file_sync_copied(const struct file_sync *s);
unsigned file_sync_refused(const struct file_sync *s);

/* The path check on its own (tests): opens rel beneath home_fd, following symlinks only while
 * they stay beneath. Returns an O_PATH-free read descriptor or -EXDEV (escapes), -errno. */
int file_sync_open_beneath(int home_fd, const char *rel, int flags);

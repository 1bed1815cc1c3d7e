/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Atomic file replacement, bounded whole-file reads and directory creation. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Writes data to a temporary file beside path, fsyncs it, renames it over path and fsyncs the
 * directory: after a crash path holds either the old or the new content, never a mix. */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* Reads a whole regular file of at most max bytes. The buffer is NUL-terminated (not counted
 * in *ret_len). -EFBIG when the file is larger than max. */
int read_file_full(const char *path, size_t max, char **ret_data, size_t *ret_len);
int read_fd_full(int fd, size_t max, char **ret_data, size_t *ret_len);

/* Creates path and its missing parents with mode; existing directories are fine. */
int mkdir_parents(const char *path, mode_t mode);

/* fsync()s the directory that contains path. */
int fsync_parent_dir(const char *path);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copies of large sparse files (VM disks, guest memory): a reflink (FICLONE) where the
 * filesystem shares blocks, else a copy of the data extents only, so holes stay holes. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Copies src into dst (both open; dst empty and writable). ret_reflinked: whether the blocks are
 * shared (nothing was read); written only on success. */
int file_clone_fd(int src, int dst, bool *ret_reflinked);
/* The same by path: dst is created (O_EXCL, mode 0600) and removed again when the copy fails;
 * it is fsynced. */
int file_clone_path(const char *src, const char *dst, bool *ret_reflinked);
/* The bytes a file occupies on disk (st_blocks), 0 when it cannot be read. */
uint64_t file_allocated_bytes(const char *path);

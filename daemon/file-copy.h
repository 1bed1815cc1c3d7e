/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copies of large files off the event loop: common/fileclone.c's reflink-or-sparse copy run in a
 * forked child (daemon/child.h), whose answer arrives on the loop. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "daemon/child.h"

/* Copies src into dst (created, mode 0600; removed again when the copy fails); done runs once it
 * ended, with what file_copy_result() reads. child_cancel() kills it (dst is then left as it
 * stands: the caller removes it). */
int file_copy_start(sd_event *e, const char *src, const char *dst, uint64_t timeout_usec,
	child_done_t done, void *userdata, struct child **ret);

/* What a copy child reported: >= 0 (ret_reflinked: whether the blocks are shared) or -errno
 * (-ETIMEDOUT: killed at its deadline). */
int file_copy_result(const struct child_result *res, bool *ret_reflinked);

/* The line a copy child writes, for a fake that copies by itself: "<k> <reflinked>\n". */
int file_copy_format(int k, bool reflinked, char *buf, size_t size);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unpacking a release tarball safely. */
#pragma once

#include <stddef.h>

/* Unpacks the gzip'd tar on tar_fd into dest_fd (an empty directory), taking only plain
 * directories and regular files below top/ and placing them without the top/ prefix. Refuses
 * the whole tarball at its first unsafe entry (why names it); dest_fd may then hold a part. */
int release_unpack(int tar_fd, int dest_fd, const char *top, char *why, size_t why_size);

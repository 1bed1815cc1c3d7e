/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The mount table as the kernel shows it (/proc/self/mountinfo), for jail cleanup and listing. */
#pragma once

#include <stddef.h>

struct mount_entry {
	int id;
	int parent;
	char path[4096];
};

/* Mounts at prefix or below it (prefix + "/…"), in mountinfo order. *ret is malloc'd. */
int mounts_under(const char *prefix, struct mount_entry **ret, size_t *ret_n);
/* Parses one mountinfo line (exported for the unit test). */
int mountinfo_parse_line(const char *line, struct mount_entry *ret);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by the jailer's unit tests: argv literals and a temporary tree standing in for
 * /proc/mounts, /proc/misc and the cgroup hierarchies. */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/macro.h"

#define ARGV(...) ((const char *[]){"jailer", __VA_ARGS__, NULL})

static inline int ARGC(const char **v)
{
	int n = 0;
	while (v[n])
		n++;
	return n;
}

/* A temporary tree standing in for /proc/mounts, /proc/misc and a cgroup hierarchy. */
struct fixture {
	char dir[64];
	char mounts[128];
	char misc[128];
	char cg2[128];
	char cg1[128];
};

static inline void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static inline char *read_text(const char *path)
{
	char *data = NULL;
	size_t len;
	assert_int_equal(read_file_full(path, 1 << 20, &data, &len), 0);
	return data;
}

static inline int fixture_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char text[1024], p[256];

	assert_non_null(f);
	strcpy(f->dir, "/tmp/banger-jailer-unit-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->mounts, sizeof(f->mounts), "%s/mounts", f->dir);
	snprintf(f->misc, sizeof(f->misc), "%s/misc", f->dir);
	snprintf(f->cg2, sizeof(f->cg2), "%s/unified dir", f->dir);
	snprintf(f->cg1, sizeof(f->cg1), "%s/pids", f->dir);
	assert_int_equal(mkdir(f->cg2, 0755), 0);
	assert_int_equal(mkdir(f->cg1, 0755), 0);
	snprintf(p, sizeof(p), "%s/cgroup.controllers", f->cg2);
	write_text(p, "cpu io pids\n");
	snprintf(p, sizeof(p), "%s/cgroup.subtree_control", f->cg2);
	write_text(p, "");
	snprintf(text, sizeof(text),
		"sysfs /sys sysfs rw 0 0\n"
		"cgroup %s cgroup rw,relatime,pids 0 0\n"
		"cgroup2 %s/unified\\040dir cgroup2 rw,relatime 0 0\n",
		f->cg1, f->dir);
	write_text(f->mounts, text);
	write_text(f->misc, " 58 memory_bandwidth\n237 kvm\n124 userfaultfd\n");
	*state = f;
	return 0;
}

static inline int fixture_teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

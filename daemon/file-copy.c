/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copies of large files off the event loop: common/fileclone.c's reflink-or-sparse copy run in a
 * forked child, which reports "<k> <reflinked>" on its stdout: the daemon's loop never waits for
 * a multi-GiB sparse copy. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/fileclone.h"
#include "common/macro.h"
#include "daemon/file-copy.h"

struct copy_args {
	const char *src, *dst;
};

/* No stdio in the child: the number by hand. */
static size_t fmt_int(char *p, int v)
{
	char tmp[16];
	size_t n = 0, i = 0;
	unsigned u = v < 0 ? -(unsigned)v : (unsigned)v;

	do
		tmp[n++] = (char)('0' + u % 10);
	while ((u /= 10) > 0);
	if (v < 0)
		p[i++] = '-';
	while (n > 0)
		p[i++] = tmp[--n];
	return i;
}

static int copy_child(void *arg)
{
	const struct copy_args *a = arg;
	bool reflinked = false;
	char line[32];
	size_t n;
	int k;

	k = file_clone_path(a->src, a->dst, &reflinked);
	n = fmt_int(line, k);
	line[n++] = ' ';
	line[n++] = reflinked ? '1' : '0';
	line[n++] = '\n';
	if (write(STDOUT_FILENO, line, n) != (ssize_t)n)
		return 2;
	return k < 0 ? 1 : 0;
}

int file_copy_start(sd_event *e, const char *src, const char *dst, uint64_t timeout_usec,
	child_done_t done, void *userdata, struct child **ret)
{
	/* the child has its own copy of these, taken at the fork */
	struct copy_args a = {.src = src, .dst = dst};

	return child_fork(e, copy_child, &a, timeout_usec, done, userdata, ret);
}

int file_copy_result(const struct child_result *res, bool *ret_reflinked)
{
	int k, refl;

	if (res->r < 0)
		return res->r;
	if (sscanf(res->out, "%d %d", &k, &refl) != 2 || k > 0 || k < -4095 ||
		(k < 0) != (res->status != 0))
		return res->status > 128 ? -EINTR : -EIO; /* killed, or it said nothing sensible */
	if (k < 0)
		return k;
	*ret_reflinked = refl != 0;
	return 0;
}

int file_copy_format(int k, bool reflinked, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%d %d\n", k, reflinked ? 1 : 0);

	return n < 0 || (size_t)n >= size ? -ENOBUFS : 0;
}

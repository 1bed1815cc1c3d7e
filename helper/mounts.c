/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The mount table as the kernel shows it (/proc/self/mountinfo), for jail cleanup and listing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/macro.h"
#include "helper/mounts.h"

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static int unescape(const char *s, size_t n, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '\\' && i + 3 < n + 1 && s[i + 1] >= '0' && s[i + 1] <= '3' &&
			s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
			c = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
			i += 3;
		}
		if (o + 1 >= size)
			return -ENAMETOOLONG;
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

int mountinfo_parse_line(const char *line, struct mount_entry *ret)
{
	const char *p = line, *f[5];
	size_t len[5];

	/* id parent major:minor root mount-point ... */
	for (int i = 0; i < 5; i++) {
		while (*p == ' ')
			p++;
		if (!*p)
			return -EBADMSG;
		f[i] = p;
		len[i] = strcspn(p, " \n");
		p += len[i];
	}
	if (sscanf(f[0], "%d", &ret->id) != 1 || sscanf(f[1], "%d", &ret->parent) != 1)
		return -EBADMSG;
	return unescape(f[4], len[4], ret->path, sizeof(ret->path));
}

int mounts_under(const char *prefix, struct mount_entry **ret, size_t *ret_n)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	_cleanup_free_ struct mount_entry *list = NULL;
	_cleanup_free_ char *line = NULL;
	size_t n = 0, cap = 0, linecap = 0, plen = strlen(prefix);

	if (!f)
		return negative_errno();
	while (getline(&line, &linecap, f) > 0) {
		struct mount_entry e;
		if (mountinfo_parse_line(line, &e) < 0)
			continue;
		if (!strneq(e.path, prefix, plen) || (e.path[plen] != '\0' && e.path[plen] != '/'))
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 8;
			struct mount_entry *nl = realloc(list, nc * sizeof(*nl));
			if (!nl)
				return -ENOMEM;
			list = nl;
			cap = nc;
		}
		list[n++] = e;
	}
	*ret = TAKE_PTR(list);
	*ret_n = n;
	return 0;
}

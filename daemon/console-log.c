/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Follows a VM's console log file (written directly by the VMM through an O_APPEND descriptor):
 * numbered lines for vm.log events, size-capped with copy-and-truncate rotation. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/macro.h"
#include "daemon/console-log.h"

int console_log_open(struct console_log *c, const char *path, int from_start, uint64_t first_line)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);

	if (fd < 0)
		return negative_errno();
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		int r = S_ISREG(st.st_mode) ? negative_errno() : -EBADFD;
		close(fd);
		return r;
	}
	*c = (struct console_log){
		.fd = fd,
		.offset = from_start ? 0 : st.st_size,
		.next_line = first_line ? first_line : 1,
	};
	return 0;
}

void console_log_close(struct console_log *c)
{
	c->fd = safe_close(c->fd);
}

static void emit(struct console_log *c, console_line_t cb, void *userdata)
{
	size_t n = c->partial_len;
	if (n > 0 && c->partial[n - 1] == '\r')
		n--;
	c->partial[n] = '\0';
	if (cb)
		cb(c->partial, n, c->next_line, userdata);
	c->next_line++;
	c->partial_len = 0;
}

int console_log_read(struct console_log *c, console_line_t cb, void *userdata)
{
	char buf[16384];
	struct stat st;
	int lines = 0;

	if (fstat(c->fd, &st) < 0)
		return negative_errno();
	if (st.st_size < c->offset)
		c->offset = 0; /* truncated under us: everything in it now is new */

	for (;;) {
		ssize_t n = pread(c->fd, buf, sizeof(buf), c->offset);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		if (n == 0)
			break;
		c->offset += n;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				emit(c, cb, userdata);
				lines++;
				continue;
			}
			c->partial[c->partial_len++] = buf[i];
			if (c->partial_len == CONSOLE_LINE_MAX - 1) {
				emit(c, cb, userdata);
				lines++;
			}
		}
	}
	return lines;
}

int console_log_rotate(
	struct console_log *c, const char *path, off_t max_bytes, console_line_t cb, void *userdata)
{
	char old[PATH_MAX];
	_cleanup_close_ int src = -1, dst = -1;
	struct stat st;
	off_t off = 0;
	int r;

	if (fstat(c->fd, &st) < 0)
		return negative_errno();
	if (st.st_size <= max_bytes)
		return 0;
	r = console_log_read(c, cb, userdata);
	if (r < 0)
		return r;
	if ((size_t)snprintf(old, sizeof(old), "%s.1", path) >= sizeof(old))
		return -ENAMETOOLONG;
	src = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (src < 0)
		return negative_errno();
	dst = open(old, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (dst < 0)
		return negative_errno();
	while (off < c->offset) {
		ssize_t n = copy_file_range(src, &off, dst, NULL, (size_t)(c->offset - off), 0);
		if (n < 0)
			return negative_errno();
		if (n == 0)
			break;
	}
	/* Bytes the VMM appended after our read would be lost by the truncate: keep them. */
	{
		char tail[65536];
		ssize_t n = pread(src, tail, sizeof(tail), c->offset);
		if (ftruncate(src, 0) < 0)
			return negative_errno();
		if (n > 0 && pwrite(src, tail, (size_t)n, 0) != n)
			return -EIO;
	}
	c->offset = 0;
	return 1;
}

int console_log_tail(const char *path, unsigned n, char ***ret_lines, size_t *ret_count)
{
	char old[PATH_MAX];
	_cleanup_free_ char *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0, count = 0;
	char **lines;
	int r;

	if ((size_t)snprintf(old, sizeof(old), "%s.1", path) >= sizeof(old))
		return -ENAMETOOLONG;
	r = read_file_full(path, 64u * 1024u * 1024u, &b, &blen);
	if (r < 0)
		return r;
	r = read_file_full(old, 64u * 1024u * 1024u, &a, &alen);
	if (r < 0 && r != -ENOENT)
		return r;

	lines = calloc(n + 1, sizeof(char *));
	if (!lines)
		return -ENOMEM;
	/* Walk backwards over b then a, collecting up to n lines. */
	{
		const char *bufs[2] = {b, a};
		size_t lens[2] = {blen, alen};
		for (int k = 0; k < 2 && count < n; k++) {
			const char *s = bufs[k];
			size_t end = lens[k];
			if (!s)
				continue;
			/* only complete lines: an unfinished last one (a shell prompt) has no
			 * number yet */
			if (k == 0) {
				while (end > 0 && s[end - 1] != '\n')
					end--;
			}
			if (end > 0 && s[end - 1] == '\n')
				end--;
			while (count < n && end > 0) {
				size_t start = end;
				while (start > 0 && s[start - 1] != '\n')
					start--;
				lines[count] = strndup(s + start, end - start);
				if (!lines[count])
					goto oom;
				count++;
				end = start > 0 ? start - 1 : 0;
				if (start == 0)
					break;
			}
		}
	}
	/* reverse into file order */
	for (size_t i = 0; i < count / 2; i++) {
		char *t = lines[i];
		lines[i] = lines[count - 1 - i];
		lines[count - 1 - i] = t;
	}
	*ret_lines = lines;
	*ret_count = count;
	return 0;
oom:
	for (size_t i = 0; i < count; i++)
		free(lines[i]);
	free(lines);
	return -ENOMEM;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Line framing for both sockets: one JSON text per '\n'-terminated line, with a hard size cap,
 * descriptors passed alongside (SCM_RIGHTS), and partial reads and writes handled. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/macro.h"
#include "protocol/ndjson.h"

#define READ_CHUNK 65536

void ndjson_reader_init(struct ndjson_reader *r, size_t max)
{
	*r = (struct ndjson_reader){.max = max ? max : NDJSON_MAX_MESSAGE};
}

void ndjson_reader_done(struct ndjson_reader *r)
{
	free(r->buf);
	for (size_t i = 0; i < r->n_fds; i++)
		safe_close(r->fds[i]);
	*r = (struct ndjson_reader){.max = r->max};
}

static void reader_compact(struct ndjson_reader *r)
{
	if (r->start == 0)
		return;
	memmove(r->buf, r->buf + r->start, r->len - r->start);
	r->len -= r->start;
	r->base += r->start;
	r->start = 0;
}

/* Closes queued descriptors whose read ended before stream offset pos (their line is done). */
static void reader_drop_fds_before(struct ndjson_reader *r, uint64_t pos)
{
	size_t k = 0;

	for (size_t i = 0; i < r->n_fds; i++) {
		if (r->fd_pos[i] < pos) {
			safe_close(r->fds[i]);
			continue;
		}
		r->fds[k] = r->fds[i];
		r->fd_pos[k++] = r->fd_pos[i];
	}
	r->n_fds = k;
}

static int reader_reserve(struct ndjson_reader *r, size_t n)
{
	size_t need, ncap;
	char *nbuf;

	reader_compact(r);
	need = r->len + n + 1;
	if (need <= r->cap)
		return 0;
	ncap = r->cap ? r->cap : 4096;
	while (ncap < need)
		ncap *= 2;
	nbuf = realloc(r->buf, ncap);
	if (!nbuf)
		return -ENOMEM;
	r->buf = nbuf;
	r->cap = ncap;
	return 0;
}

/* An unterminated tail longer than max (plus room for "\r") can never become a valid line. */
static int reader_check_tail(struct ndjson_reader *r)
{
	char *nl = memchr(r->buf + r->start, '\n', r->len - r->start);
	if (!nl && r->len - r->start > r->max + 1)
		return -EMSGSIZE;
	return 0;
}

int ndjson_reader_feed(struct ndjson_reader *r, const void *data, size_t n)
{
	int k = reader_reserve(r, n);
	if (k < 0)
		return k;
	memcpy(r->buf + r->len, data, n);
	r->len += n;
	return reader_check_tail(r);
}

int ndjson_reader_fill(struct ndjson_reader *r, int fd)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * NDJSON_MAX_FDS)];
	} control;
	struct msghdr mh = {};
	struct iovec iov;
	size_t first_fd;
	ssize_t n;
	int k, ret = 0;

	k = reader_reserve(r, READ_CHUNK);
	if (k < 0)
		return k;
	first_fd = r->n_fds;
	iov = (struct iovec){r->buf + r->len, READ_CHUNK};
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = &control;
	mh.msg_controllen = sizeof(control);

	n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	if (n < 0 && errno == ENOTSOCK)
		n = read(fd, r->buf + r->len, READ_CHUNK);
	else {
		for (struct cmsghdr *c = n >= 0 ? CMSG_FIRSTHDR(&mh) : NULL; c;
			c = CMSG_NXTHDR(&mh, c)) {
			size_t nfd;
			int *fds;
			if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
				continue;
			nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			fds = (int *)CMSG_DATA(c);
			for (size_t i = 0; i < nfd; i++) {
				if (r->n_fds >= NDJSON_MAX_FDS) {
					safe_close(fds[i]);
					ret = -EMFILE;
				} else
					r->fds[r->n_fds++] = fds[i];
			}
		}
		if (n >= 0 && (mh.msg_flags & MSG_CTRUNC))
			ret = -EMFILE;
	}
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : negative_errno();
	/* The last byte of this read: the kernel ends a read with the chunk that carried them. */
	for (size_t i = first_fd; i < r->n_fds; i++)
		r->fd_pos[i] = r->base + r->len + (n > 0 ? (size_t)n - 1 : 0);
	if (ret < 0)
		return ret;
	r->len += (size_t)n;
	if (n > 0) {
		k = reader_check_tail(r);
		if (k < 0)
			return k;
	}
	return (int)n;
}

int ndjson_reader_next(struct ndjson_reader *r, char **ret_line, size_t *ret_len)
{
	for (;;) {
		char *base = r->buf + r->start;
		size_t avail = r->len - r->start;
		char *nl;
		size_t n;

		if (avail == 0 || r->scan >= avail)
			return 0;
		nl = memchr(base + r->scan, '\n', avail - r->scan);
		if (!nl) {
			r->scan = avail;
			return avail > r->max + 1 ? -EMSGSIZE : 0;
		}
		n = (size_t)(nl - base);
		r->line_first = r->base + r->start;
		r->line_last = r->line_first + n;
		r->have_line = false;
		r->start += n + 1;
		r->scan = 0;
		/* whatever came with earlier lines (or this one, if it is refused or empty below)
		 * is theirs: never carried on to a later line */
		reader_drop_fds_before(r, r->line_first);
		if (n > 0 && base[n - 1] == '\r')
			n--;
		if (n > r->max) {
			reader_drop_fds_before(r, r->line_last + 1);
			return -EMSGSIZE;
		}
		if (n == 0) {
			reader_drop_fds_before(r, r->line_last + 1);
			continue;
		}
		base[n] = '\0';
		r->have_line = true;
		*ret_line = base;
		*ret_len = n;
		return 1;
	}
}

bool ndjson_reader_has_line(const struct ndjson_reader *r)
{
	return r->len > r->start && memchr(r->buf + r->start, '\n', r->len - r->start);
}

bool ndjson_reader_has_partial(const struct ndjson_reader *r)
{
	return r->len > r->start;
}

int ndjson_reader_take_fd(struct ndjson_reader *r)
{
	int fd;

	if (r->n_fds == 0)
		return -ENOENT;
	fd = r->fds[0];
	memmove(r->fds, r->fds + 1, (r->n_fds - 1) * sizeof(int));
	memmove(r->fd_pos, r->fd_pos + 1, (r->n_fds - 1) * sizeof(uint64_t));
	r->n_fds--;
	return fd;
}

size_t ndjson_reader_take_line_fds(struct ndjson_reader *r, int *ret, size_t max)
{
	size_t n = 0, k = 0;

	for (size_t i = 0; i < r->n_fds; i++) {
		if (r->have_line && r->fd_pos[i] >= r->line_first && r->fd_pos[i] <= r->line_last) {
			if (n < max)
				ret[n++] = r->fds[i];
			else
				safe_close(r->fds[i]);
			continue;
		}
		r->fds[k] = r->fds[i];
		r->fd_pos[k++] = r->fd_pos[i];
	}
	r->n_fds = k;
	return n;
}

void ndjson_writer_init(struct ndjson_writer *w, size_t max_queued)
{
	*w = (struct ndjson_writer){.max_queued = max_queued ? max_queued : 4 * NDJSON_MAX_MESSAGE};
}

void ndjson_writer_done(struct ndjson_writer *w)
{
	free(w->buf);
	*w = (struct ndjson_writer){.max_queued = w->max_queued};
}

size_t ndjson_writer_pending(const struct ndjson_writer *w)
{
	return w->len - w->off;
}

int ndjson_writer_append(struct ndjson_writer *w, const char *line, size_t len)
{
	bool add_nl = len == 0 || line[len - 1] != '\n';
	size_t body = add_nl ? len : len - 1;
	size_t need = len + (add_nl ? 1 : 0);

	if (body > NDJSON_MAX_MESSAGE)
		return -EMSGSIZE;
	if (ndjson_writer_pending(w) + need > w->max_queued)
		return -ENOBUFS;
	if (w->off > 0 && (w->off == w->len || w->len + need > w->cap)) {
		memmove(w->buf, w->buf + w->off, w->len - w->off);
		w->len -= w->off;
		w->off = 0;
	}
	if (w->len + need > w->cap) {
		size_t ncap = w->cap ? w->cap : 4096;
		char *nbuf;
		while (ncap < w->len + need)
			ncap *= 2;
		nbuf = realloc(w->buf, ncap);
		if (!nbuf)
			return -ENOMEM;
		w->buf = nbuf;
		w->cap = ncap;
	}
	memcpy(w->buf + w->len, line, len);
	w->len += len;
	if (add_nl)
		w->buf[w->len++] = '\n';
	return 0;
}

int ndjson_writer_flush(struct ndjson_writer *w, int fd)
{
	while (w->off < w->len) {
		ssize_t n = send(fd, w->buf + w->off, w->len - w->off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == ENOTSOCK)
			n = write(fd, w->buf + w->off, w->len - w->off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return negative_errno();
		}
		w->off += (size_t)n;
	}
	w->off = w->len = 0;
	return 1;
}

static int wait_writable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	int k = poll(&p, 1, -1);
	if (k < 0)
		return errno == EINTR ? 0 : negative_errno();
	return 0;
}

int ndjson_send_with_fds(int fd, const char *line, size_t len, const int *fds, size_t n_fds)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * NDJSON_MAX_FDS)];
	} control;
	size_t off = 0;

	if (n_fds > NDJSON_MAX_FDS)
		return -EINVAL;
	if (len > NDJSON_MAX_MESSAGE + 1)
		return -EMSGSIZE;
	while (off < len) {
		struct iovec iov = {(char *)line + off, len - off};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
		ssize_t n;

		if (off == 0 && n_fds > 0) {
			memset(&control, 0, sizeof(control));
			mh.msg_control = &control;
			mh.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
			struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
			memcpy(CMSG_DATA(c), fds, sizeof(int) * n_fds);
		}
		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				int k = wait_writable(fd);
				if (k < 0)
					return k;
				continue;
			}
			return negative_errno();
		}
		off += (size_t)n;
	}
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Line framing for both sockets: one JSON text per '\n'-terminated line, with a hard size cap,
 * descriptors passed alongside (SCM_RIGHTS), and partial reads and writes handled. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NDJSON_MAX_MESSAGE (1024u * 1024u) /* bytes of one line, without its '\n' */
#define NDJSON_MAX_FDS 16                  /* descriptors queued on one connection */

struct ndjson_reader {
	char *buf;
	size_t start; /* first unconsumed byte */
	size_t scan;  /* bytes from start already known to hold no '\n' */
	size_t len;   /* bytes in buf */
	size_t cap;
	size_t max;
	uint64_t base; /* stream offset of buf[0] */
	/* Passed descriptors, oldest first, each with the stream offset of the last byte of the
	 * read that brought it: it belongs to the line holding that byte (see ndjson_reader_next).
	 */
	int fds[NDJSON_MAX_FDS];
	uint64_t fd_pos[NDJSON_MAX_FDS];
	size_t n_fds;
	uint64_t line_first, line_last; /* stream offsets of the line next() returned last */
	bool have_line;
};

void ndjson_reader_init(struct ndjson_reader *r, size_t max);
/* Frees the buffer and closes queued descriptors nobody took. */
void ndjson_reader_done(struct ndjson_reader *r);

/* Appends bytes (tests and in-memory sources). -EMSGSIZE when an unterminated line is over max. */
int ndjson_reader_feed(struct ndjson_reader *r, const void *data, size_t n);

/* One recvmsg() from fd, collecting passed descriptors (close-on-exec). Returns bytes read, 0 at
 * end of file, -EAGAIN when a non-blocking fd has nothing, -EMSGSIZE when an unterminated line
 * is over max, -EMFILE when more than NDJSON_MAX_FDS descriptors are waiting, else -errno. */
int ndjson_reader_fill(struct ndjson_reader *r, int fd);

/* The next complete line, NUL-terminated in place, without its '\n' (and a '\r' before it); valid
 * until the next call on r. Empty lines are skipped. Returns 1 with a line, 0 when more input is
 * needed, -EMSGSIZE when a line is over max.
 * Descriptors belong to their line: those that arrived with the line an earlier call returned
 * (or with a line skipped) and were not taken are closed here, never handed to a later line.
 * A descriptor belongs to the line holding the last byte of the read that brought it, which is
 * the line sent with it when each line with descriptors is sent on its own, as
 * ndjson_send_with_fds does. */
int ndjson_reader_next(struct ndjson_reader *r, char **ret_line, size_t *ret_len);

/* Moves the descriptors that came with the line next() returned last into ret (at most max; the
 * rest are closed), oldest first, and returns how many. */
size_t ndjson_reader_take_line_fds(struct ndjson_reader *r, int *ret, size_t max);

/* True when a complete line is buffered (next() would return it or an error, without a read). */
bool ndjson_reader_has_line(const struct ndjson_reader *r);

/* True when bytes of an unterminated line are buffered (a peer that hung up mid-message). */
bool ndjson_reader_has_partial(const struct ndjson_reader *r);

/* Pops the oldest passed descriptor, whatever line it belongs to (the caller owns it), or
 * -ENOENT. */
int ndjson_reader_take_fd(struct ndjson_reader *r);

struct ndjson_writer {
	char *buf;
	size_t off; /* first unsent byte */
	size_t len;
	size_t cap;
	size_t max_queued;
};

/* max_queued bounds unsent bytes: a peer that stops reading cannot make us buffer without end. */
void ndjson_writer_init(struct ndjson_writer *w, size_t max_queued);
void ndjson_writer_done(struct ndjson_writer *w);

/* Queues one message; a '\n' is added when line does not end with one. -ENOBUFS when that would
 * exceed max_queued (nothing is queued then), -EMSGSIZE when the line is over NDJSON_MAX_MESSAGE.
 */
int ndjson_writer_append(struct ndjson_writer *w, const char *line, size_t len);
size_t ndjson_writer_pending(const struct ndjson_writer *w);

/* Writes what it can without blocking on a non-blocking fd. Returns 1 when everything queued
 * has been written, 0 when some remains, -errno on failure (-EPIPE when the peer is gone). */
int ndjson_writer_flush(struct ndjson_writer *w, int fd);

/* Blocking send of one line with descriptors attached to its first byte. */
int ndjson_send_with_fds(int fd, const char *line, size_t len, const int *fds, size_t n_fds);

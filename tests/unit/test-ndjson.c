/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for protocol/ndjson: split and merged reads, size limits, partial writes, fds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/macro.h"
#include "protocol/ndjson.h"

static void expect_line(struct ndjson_reader *r, const char *want)
{
	char *line;
	size_t len;
	assert_int_equal(ndjson_reader_next(r, &line, &len), 1);
	assert_int_equal(len, strlen(want));
	assert_string_equal(line, want);
}

static void expect_none(struct ndjson_reader *r)
{
	char *line;
	size_t len;
	assert_int_equal(ndjson_reader_next(r, &line, &len), 0);
}

static void test_split_reads(void **state)
{
	struct ndjson_reader r;
	const char *msg = "{\"jsonrpc\":\"2.0\",\"method\":\"x\"}\n";

	ndjson_reader_init(&r, 0);
	/* one byte at a time: no line until the newline arrives */
	for (size_t i = 0; i < strlen(msg) - 1; i++) {
		assert_int_equal(ndjson_reader_feed(&r, msg + i, 1), 0);
		expect_none(&r);
		assert_true(ndjson_reader_has_partial(&r));
	}
	assert_int_equal(ndjson_reader_feed(&r, "\n", 1), 0);
	expect_line(&r, "{\"jsonrpc\":\"2.0\",\"method\":\"x\"}");
	expect_none(&r);
	assert_false(ndjson_reader_has_partial(&r));
	ndjson_reader_done(&r);
}

static void test_merged_reads(void **state)
{
	struct ndjson_reader r;
	const char *chunk = "{\"a\":1}\n{\"b\":2}\r\n\n{\"c\":";

	ndjson_reader_init(&r, 0);
	assert_int_equal(ndjson_reader_feed(&r, chunk, strlen(chunk)), 0);
	expect_line(&r, "{\"a\":1}");
	expect_line(&r, "{\"b\":2}"); /* \r dropped, empty line skipped */
	expect_none(&r);
	assert_true(ndjson_reader_has_partial(&r));
	assert_int_equal(ndjson_reader_feed(&r, "3}\n", 3), 0);
	expect_line(&r, "{\"c\":3}");
	ndjson_reader_done(&r);
}

static char *filled(size_t n)
{
	char *b = malloc(n + 2);
	assert_non_null(b);
	memset(b, 'x', n);
	b[n] = '\n';
	b[n + 1] = '\0';
	return b;
}

static void test_exact_limit_accepted(void **state)
{
	struct ndjson_reader r;
	_cleanup_free_ char *b = filled(NDJSON_MAX_MESSAGE);
	char *line;
	size_t len;

	ndjson_reader_init(&r, NDJSON_MAX_MESSAGE);
	assert_int_equal(ndjson_reader_feed(&r, b, NDJSON_MAX_MESSAGE + 1), 0);
	assert_int_equal(ndjson_reader_next(&r, &line, &len), 1);
	assert_int_equal(len, NDJSON_MAX_MESSAGE);
	ndjson_reader_done(&r);
}

static void test_over_limit_refused_with_newline(void **state)
{
	struct ndjson_reader r;
	_cleanup_free_ char *b = filled(NDJSON_MAX_MESSAGE + 1);
	char *line;
	size_t len;

	ndjson_reader_init(&r, NDJSON_MAX_MESSAGE);
	assert_int_equal(ndjson_reader_feed(&r, b, NDJSON_MAX_MESSAGE + 2), 0);
	assert_int_equal(ndjson_reader_next(&r, &line, &len), -EMSGSIZE);
	ndjson_reader_done(&r);
}

static void test_over_limit_refused_without_newline(void **state)
{
	struct ndjson_reader r;
	_cleanup_free_ char *b = filled(NDJSON_MAX_MESSAGE + 8);

	/* Detected as soon as the unterminated tail is too long: no need to buffer on. */
	ndjson_reader_init(&r, NDJSON_MAX_MESSAGE);
	assert_int_equal(ndjson_reader_feed(&r, b, NDJSON_MAX_MESSAGE / 2), 0);
	assert_int_equal(ndjson_reader_feed(&r, b, NDJSON_MAX_MESSAGE / 2 + 8), -EMSGSIZE);
	ndjson_reader_done(&r);
}

static void test_small_limit(void **state)
{
	struct ndjson_reader r;

	ndjson_reader_init(&r, 4);
	assert_int_equal(ndjson_reader_feed(&r, "abcd\nabcde\n", 11), 0);
	expect_line(&r, "abcd");
	{
		char *line;
		size_t len;
		assert_int_equal(ndjson_reader_next(&r, &line, &len), -EMSGSIZE);
	}
	ndjson_reader_done(&r);
}

static void test_fill_from_socket_and_eof(void **state)
{
	int sv[2];
	struct ndjson_reader r;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	ndjson_reader_init(&r, 0);
	assert_int_equal(write(sv[0], "{\"x\":1}\n{\"y\"", 12), 12);
	assert_int_equal(ndjson_reader_fill(&r, sv[1]), 12);
	expect_line(&r, "{\"x\":1}");
	expect_none(&r);
	close(sv[0]);
	assert_int_equal(ndjson_reader_fill(&r, sv[1]), 0); /* EOF */
	assert_true(ndjson_reader_has_partial(&r));         /* peer hung up mid-message */
	close(sv[1]);
	ndjson_reader_done(&r);
}

static void test_fds_passed(void **state)
{
	int sv[2], fds[2];
	struct ndjson_reader r;
	struct stat a, b;
	int got;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	fds[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	fds[1] = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_int_equal(ndjson_send_with_fds(sv[0], "{\"fds\":2}\n", 10, fds, 2), 0);
	ndjson_reader_init(&r, 0);
	assert_int_equal(ndjson_reader_fill(&r, sv[1]), 10);
	expect_line(&r, "{\"fds\":2}");
	got = ndjson_reader_take_fd(&r);
	assert_true(got >= 0);
	assert_int_equal(fstat(got, &a), 0);
	assert_int_equal(fstat(fds[0], &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	assert_int_equal(fcntl(got, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	close(got);
	got = ndjson_reader_take_fd(&r);
	assert_true(got >= 0);
	close(got);
	assert_int_equal(ndjson_reader_take_fd(&r), -ENOENT);
	close(fds[0]);
	close(fds[1]);
	close(sv[0]);
	close(sv[1]);
	ndjson_reader_done(&r);
}

static void test_unclaimed_fds_closed(void **state)
{
	int sv[2], fd;
	struct ndjson_reader r;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_int_equal(ndjson_send_with_fds(sv[0], "{}\n", 3, &fd, 1), 0);
	close(fd);
	ndjson_reader_init(&r, 0);
	assert_int_equal(ndjson_reader_fill(&r, sv[1]), 3);
	assert_int_equal(r.n_fds, 1);
	fd = r.fds[0];
	ndjson_reader_done(&r);
	assert_int_equal(fcntl(fd, F_GETFD), -1); /* closed by done() */
	close(sv[0]);
	close(sv[1]);
}

/* Reads everything waiting on fd (several recvmsg calls: the kernel ends one at descriptors). */
static void fill_all(struct ndjson_reader *r, int fd, size_t want)
{
	size_t got = 0;
	while (got < want) {
		int n = ndjson_reader_fill(r, fd);
		assert_true(n > 0);
		got += (size_t)n;
	}
}

static bool fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* A request with a descriptor, answered; the next request names descriptors but sends none: the
 * first one's descriptor is closed, never handed to the second (issue 11, item 7). */
static void test_fds_belong_to_their_line(void **state)
{
	struct ndjson_reader r;
	int sv[2], fd = open("/dev/null", O_RDONLY | O_CLOEXEC), got[4], kept;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	ndjson_reader_init(&r, 0);
	assert_int_equal(ndjson_send_with_fds(sv[0], "{\"hello\":1}\n", 12, &fd, 1), 0);
	assert_int_equal(write(sv[0], "{\"prepare\":2}\n", 14), 14);
	fill_all(&r, sv[1], 26);
	expect_line(&r, "{\"hello\":1}");
	assert_int_equal(r.n_fds, 1);
	kept = r.fds[0];
	/* the caller refuses the first request and does not take its descriptor */
	expect_line(&r, "{\"prepare\":2}");
	assert_int_equal(ndjson_reader_take_line_fds(&r, got, 4), 0);
	assert_int_equal(r.n_fds, 0);
	assert_false(fd_is_open(kept)); /* closed, not queued for later */
	close(fd);
	close(sv[0]);
	close(sv[1]);
	ndjson_reader_done(&r);
}

/* Two requests, each sent with its own descriptors, read back to back: each gets its own. */
static void test_fds_each_line_its_own(void **state)
{
	struct ndjson_reader r;
	int sv[2], a = open("/dev/null", O_RDONLY | O_CLOEXEC), b[2], got[4];
	struct stat x, y;

	b[0] = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	b[1] = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	ndjson_reader_init(&r, 0);
	/* a line without descriptors first: the kernel may glue it to the next read */
	assert_int_equal(write(sv[0], "{\"n\":0}\n", 8), 8);
	assert_int_equal(ndjson_send_with_fds(sv[0], "{\"n\":1}\n", 8, &a, 1), 0);
	assert_int_equal(ndjson_send_with_fds(sv[0], "{\"n\":2}\n", 8, b, 2), 0);
	fill_all(&r, sv[1], 24);
	expect_line(&r, "{\"n\":0}");
	assert_int_equal(ndjson_reader_take_line_fds(&r, got, 4), 0);
	expect_line(&r, "{\"n\":1}");
	assert_int_equal(ndjson_reader_take_line_fds(&r, got, 4), 1);
	assert_int_equal(fstat(got[0], &x), 0);
	assert_int_equal(fstat(a, &y), 0);
	assert_int_equal(x.st_ino, y.st_ino);
	close(got[0]);
	expect_line(&r, "{\"n\":2}");
	assert_int_equal(ndjson_reader_take_line_fds(&r, got, 4), 2);
	assert_int_equal(fstat(got[0], &x), 0);
	assert_int_equal(fstat(b[0], &y), 0);
	assert_int_equal(x.st_ino, y.st_ino);
	close(got[0]);
	close(got[1]);
	close(a);
	close(b[0]);
	close(b[1]);
	close(sv[0]);
	close(sv[1]);
	ndjson_reader_done(&r);
}

/* A line whose first bytes carry the descriptors and whose rest comes later is still theirs. */
static void test_fds_line_split_across_reads(void **state)
{
	struct ndjson_reader r;
	int sv[2], fd = open("/dev/null", O_RDONLY | O_CLOEXEC), got[4];
	char *line;
	size_t len;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	ndjson_reader_init(&r, 0);
	assert_int_equal(ndjson_send_with_fds(sv[0], "{\"part", 6, &fd, 1), 0);
	fill_all(&r, sv[1], 6);
	assert_int_equal(ndjson_reader_next(&r, &line, &len), 0);
	assert_int_equal(write(sv[0], "ial\":1}\n", 8), 8);
	fill_all(&r, sv[1], 8);
	expect_line(&r, "{\"partial\":1}");
	assert_int_equal(ndjson_reader_take_line_fds(&r, got, 4), 1);
	close(got[0]);
	close(fd);
	close(sv[0]);
	close(sv[1]);
	ndjson_reader_done(&r);
}

static void test_writer_partial_writes(void **state)
{
	int sv[2], sndbuf = 4096;
	struct ndjson_writer w;
	struct ndjson_reader r;
	_cleanup_free_ char *big = filled(200000);
	size_t total = 0;
	int k;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv), 0);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	ndjson_writer_init(&w, 1 << 20);
	assert_int_equal(ndjson_writer_append(&w, big, 200000), 0); /* newline added */
	assert_int_equal(ndjson_writer_append(&w, "{}\n", 3), 0);
	k = ndjson_writer_flush(&w, sv[0]);
	assert_int_equal(k, 0); /* socket buffer full: some remains */
	assert_true(ndjson_writer_pending(&w) > 0);

	ndjson_reader_init(&r, 0);
	while (ndjson_writer_pending(&w) > 0 || total < 200004) {
		int n = ndjson_reader_fill(&r, sv[1]);
		if (n > 0)
			total += (size_t)n;
		k = ndjson_writer_flush(&w, sv[0]);
		assert_true(k >= 0);
	}
	{
		char *line;
		size_t len;
		assert_int_equal(ndjson_reader_next(&r, &line, &len), 1);
		assert_int_equal(len, 200000);
		expect_line(&r, "{}");
	}
	ndjson_reader_done(&r);
	ndjson_writer_done(&w);
	close(sv[0]);
	close(sv[1]);
}

static void test_writer_bounded(void **state)
{
	struct ndjson_writer w;
	_cleanup_free_ char *b = filled(100);

	ndjson_writer_init(&w, 250);
	assert_int_equal(ndjson_writer_append(&w, b, 100), 0);
	assert_int_equal(ndjson_writer_append(&w, b, 100), 0);
	assert_int_equal(ndjson_writer_append(&w, b, 100), -ENOBUFS);
	assert_int_equal(ndjson_writer_pending(&w), 202);
	ndjson_writer_done(&w);
}

static void test_writer_refuses_oversized(void **state)
{
	struct ndjson_writer w;
	_cleanup_free_ char *b = filled(NDJSON_MAX_MESSAGE + 1);

	ndjson_writer_init(&w, 8 * NDJSON_MAX_MESSAGE);
	assert_int_equal(ndjson_writer_append(&w, b, NDJSON_MAX_MESSAGE + 1), -EMSGSIZE);
	assert_int_equal(ndjson_writer_append(&w, b, NDJSON_MAX_MESSAGE), 0);
	ndjson_writer_done(&w);
}

static void test_writer_peer_gone(void **state)
{
	int sv[2];
	struct ndjson_writer w;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	close(sv[1]);
	ndjson_writer_init(&w, 0);
	assert_int_equal(ndjson_writer_append(&w, "{}", 2), 0);
	assert_int_equal(ndjson_writer_flush(&w, sv[0]), -EPIPE);
	ndjson_writer_done(&w);
	close(sv[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_reads),
		cmocka_unit_test(test_merged_reads),
		cmocka_unit_test(test_exact_limit_accepted),
		cmocka_unit_test(test_over_limit_refused_with_newline),
		cmocka_unit_test(test_over_limit_refused_without_newline),
		cmocka_unit_test(test_small_limit),
		cmocka_unit_test(test_fill_from_socket_and_eof),
		cmocka_unit_test(test_fds_passed),
		cmocka_unit_test(test_unclaimed_fds_closed),
		cmocka_unit_test(test_fds_belong_to_their_line),
		cmocka_unit_test(test_fds_each_line_its_own),
		cmocka_unit_test(test_fds_line_split_across_reads),
		cmocka_unit_test(test_writer_partial_writes),
		cmocka_unit_test(test_writer_bounded),
		cmocka_unit_test(test_writer_refuses_oversized),
		cmocka_unit_test(test_writer_peer_gone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for daemon/console-log: numbered lines across partial writes, split long lines,
 * rotation that loses and repeats nothing, re-adoption numbering and tail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/macro.h"
#include "daemon/console-log.h"

struct seen {
	char lines[64][128];
	uint64_t nos[64];
	size_t n;
	size_t long_len;
};

static void collect(const char *line, size_t len, uint64_t no, void *userdata)
{
	struct seen *s = userdata;
	if (len > 127)
		s->long_len += len;
	if (s->n < 64) {
		snprintf(s->lines[s->n], sizeof(s->lines[0]), "%s", line);
		s->nos[s->n] = no;
		s->n++;
	}
}

struct fx {
	char dir[64];
	char path[128];
	int wfd; /* the VMM's O_APPEND descriptor */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	strcpy(f->dir, "/tmp/banger-console-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/console.log", f->dir);
	f->wfd = open(f->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	assert_true(f->wfd >= 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[200];
	close(f->wfd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void w(struct fx *f, const char *s)
{
	assert_int_equal(write(f->wfd, s, strlen(s)), (ssize_t)strlen(s));
}

static void test_numbered_lines_across_partial_writes(void **state)
{
	struct fx *f = *state;
	struct console_log c;
	struct seen s = {};

	w(f, "Linux version 6.1\r\nbanger-ho");
	assert_int_equal(console_log_open(&c, f->path, 1, 0), 0);
	assert_int_equal(console_log_read(&c, collect, &s), 1);
	w(f, "stkey: ssh-ed25519 AAAA\nready\n");
	assert_int_equal(console_log_read(&c, collect, &s), 2);
	assert_int_equal(console_log_read(&c, collect, &s), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.lines[0], "Linux version 6.1"); /* \r dropped */
	assert_string_equal(s.lines[1], "banger-hostkey: ssh-ed25519 AAAA");
	assert_string_equal(s.lines[2], "ready");
	assert_int_equal(s.nos[0], 1);
	assert_int_equal(s.nos[2], 3);
	console_log_close(&c);
}

static void test_long_line_split(void **state)
{
	struct fx *f = *state;
	struct console_log c;
	struct seen s = {};
	char *big = malloc(10000);

	memset(big, 'x', 9999);
	big[9999] = '\0';
	w(f, big);
	w(f, "\n");
	assert_int_equal(console_log_open(&c, f->path, 1, 0), 0);
	assert_int_equal(console_log_read(&c, collect, &s), 3);
	assert_int_equal(s.long_len, 9999);
	console_log_close(&c);
	free(big);
}

static void test_readopt_starts_at_end(void **state)
{
	struct fx *f = *state;
	struct console_log c;
	struct seen s = {};

	w(f, "old 1\nold 2\n");
	assert_int_equal(console_log_open(&c, f->path, 0, 41), 0);
	w(f, "new\n");
	assert_int_equal(console_log_read(&c, collect, &s), 1);
	assert_string_equal(s.lines[0], "new");
	assert_int_equal(s.nos[0], 41);
	console_log_close(&c);
}

static void test_rotation_loses_nothing(void **state)
{
	struct fx *f = *state;
	struct console_log c;
	struct seen s = {};
	char old[200];
	struct stat st;

	assert_int_equal(console_log_open(&c, f->path, 1, 0), 0);
	for (int i = 0; i < 10; i++) {
		char line[32];
		snprintf(line, sizeof(line), "line %d\n", i);
		w(f, line);
	}
	assert_int_equal(console_log_rotate(&c, f->path, 1000, collect, &s), 0); /* small: kept */
	assert_int_equal(console_log_rotate(&c, f->path, 20, collect, &s), 1);
	assert_int_equal(s.n, 10);
	snprintf(old, sizeof(old), "%s.1", f->path);
	assert_int_equal(stat(old, &st), 0);
	assert_int_equal(st.st_size, 70);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_size, 0);
	/* the VMM keeps writing through its O_APPEND descriptor: lands at the new start */
	w(f, "after\n");
	assert_int_equal(console_log_read(&c, collect, &s), 1);
	assert_string_equal(s.lines[10], "after");
	assert_int_equal(s.nos[10], 11);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_size, 6);
	console_log_close(&c);
}

static void test_tail(void **state)
{
	struct fx *f = *state;
	struct console_log c;
	char **lines;
	size_t n;

	w(f, "a\nb\nc\n");
	assert_int_equal(console_log_open(&c, f->path, 1, 0), 0);
	assert_int_equal(console_log_rotate(&c, f->path, 1, NULL, NULL), 1);
	w(f, "d\ne\n");
	assert_int_equal(console_log_tail(f->path, 4, &lines, &n), 0);
	assert_int_equal(n, 4);
	assert_string_equal(lines[0], "b");
	assert_string_equal(lines[3], "e");
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	assert_int_equal(console_log_tail(f->path, 100, &lines, &n), 0);
	assert_int_equal(n, 5);
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	console_log_close(&c);
}

static void test_tail_leaves_out_an_unfinished_line(void **state)
{
	struct fx *f = *state;
	char **lines;
	size_t n;

	w(f, "one\ntwo\nroot@vm:~# ");
	assert_int_equal(console_log_tail(f->path, 10, &lines, &n), 0);
	assert_int_equal(n, 2); /* the prompt has no line number until its newline */
	assert_string_equal(lines[1], "two");
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
}

static void test_refuses_non_regular(void **state)
{
	struct console_log c;
	assert_int_equal(console_log_open(&c, "/dev/null", 1, 0), -EBADFD);
	assert_int_equal(console_log_open(&c, "/nonexistent", 1, 0), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_numbered_lines_across_partial_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_line_split, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readopt_starts_at_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation_loses_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tail, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_tail_leaves_out_an_unfinished_line, setup, teardown),
		cmocka_unit_test(test_refuses_non_regular),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

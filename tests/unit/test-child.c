/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for daemon/child: output capture and its cap, exit status, stdin, deadline, spawn
 * failure and cancel, all from a real sd-event loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/child.h"

struct outcome {
	bool called;
	int r, status;
	char out[256], err[256];
	size_t out_len;
};

static void done_cb(struct child *c, const struct child_result *res, void *userdata)
{
	struct outcome *o = userdata;
	o->called = true;
	o->r = res->r;
	o->status = res->status;
	o->out_len = res->out_len;
	snprintf(o->out, sizeof(o->out), "%s", res->out);
	snprintf(o->err, sizeof(o->err), "%s", res->err);
}

static void run(const char *const *argv, int stdin_fd, uint64_t timeout, struct outcome *o)
{
	sd_event *e;

	assert_int_equal(sd_event_new(&e), 0);
	assert_int_equal(child_run(e, argv, stdin_fd, timeout, done_cb, o, NULL), 0);
	for (int i = 0; i < 1000 && !o->called; i++)
		assert_true(sd_event_run(e, 20 * 1000) >= 0);
	assert_true(o->called);
	sd_event_unref(e);
}

static void test_output_and_status(void **state)
{
	const char *argv[] = {"sh", "-c", "echo out; echo err >&2; exit 3", NULL};
	struct outcome o = {};

	run(argv, -1, 0, &o);
	assert_int_equal(o.r, 0);
	assert_int_equal(o.status, 3);
	assert_string_equal(o.out, "out\n");
	assert_string_equal(o.err, "err\n");
}

static void test_stdin(void **state)
{
	const char *argv[] = {"cat", NULL};
	struct outcome o = {};
	int p[2];

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(write(p[1], "fed\n", 4), 4);
	close(p[1]);
	run(argv, p[0], 0, &o);
	close(p[0]);
	assert_int_equal(o.status, 0);
	assert_string_equal(o.out, "fed\n");
}

static void test_default_stdin_is_empty(void **state)
{
	const char *argv[] = {"cat", NULL};
	struct outcome o = {};

	run(argv, -1, 0, &o);
	assert_int_equal(o.status, 0);
	assert_int_equal(o.out_len, 0);
}

static void test_output_capped(void **state)
{
	const char *argv[] = {"sh", "-c", "head -c 200000 /dev/zero | tr '\\0' x", NULL};
	struct outcome o = {};

	run(argv, -1, 0, &o);
	if (o.status != 0)
		fail_msg("status %d, stderr: %s", o.status, o.err);
	assert_int_equal(o.out_len, CHILD_MAX_OUTPUT); /* drained to the end, kept only the cap */
}

static void test_deadline_kills(void **state)
{
	const char *argv[] = {"sleep", "30", NULL};
	struct outcome o = {};

	run(argv, -1, 200 * 1000, &o);
	assert_int_equal(o.r, -ETIMEDOUT);
	assert_int_equal(o.status, 128 + 9);
}

static void test_missing_program(void **state)
{
	const char *argv[] = {"banger-no-such-program", NULL};
	sd_event *e;

	assert_int_equal(sd_event_new(&e), 0);
	assert_int_equal(child_run(e, argv, -1, 0, done_cb, NULL, NULL), -ENOENT);
	sd_event_unref(e);
}

static void test_cancel(void **state)
{
	const char *argv[] = {"sleep", "30", NULL};
	struct outcome o = {};
	struct child *c = NULL;
	sd_event *e;

	assert_int_equal(sd_event_new(&e), 0);
	assert_int_equal(child_run(e, argv, -1, 0, done_cb, &o, &c), 0);
	assert_true(sd_event_run(e, 10 * 1000) >= 0);
	child_cancel(c);
	for (int i = 0; i < 5; i++)
		assert_true(sd_event_run(e, 10 * 1000) >= 0);
	assert_false(o.called);
	sd_event_unref(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_output_and_status),
		cmocka_unit_test(test_stdin),
		cmocka_unit_test(test_default_stdin_is_empty),
		cmocka_unit_test(test_output_capped),
		cmocka_unit_test(test_deadline_kills),
		cmocka_unit_test(test_missing_program),
		cmocka_unit_test(test_cancel),
	};
	assert_int_equal(child_init(), 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common/log.c: %m names the error a log call is given, and errno survives the call. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

/* What one log call wrote to stderr. */
static void capture(char *buf, size_t size, int r, int errno_before)
{
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO), ret;
	size_t n;

	assert_non_null(tmp);
	assert_true(saved >= 0);
	fflush(stderr);
	assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
	errno = errno_before;
	ret = log_error_errno(r, "opening x: %m");
	assert_int_equal(errno, errno_before);
	assert_int_equal(ret, r);
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	rewind(tmp);
	n = fread(buf, 1, size - 1, tmp);
	buf[n] = '\0';
	fclose(tmp);
}

static void test_errno_from_error(void **state)
{
	char out[512];

	(void)state;
	capture(out, sizeof(out), -ENOENT, EPERM);
	assert_non_null(strstr(out, strerror(ENOENT)));
	assert_null(strstr(out, strerror(EPERM)));
}

static void test_errno_kept_without_error(void **state)
{
	char out[512];

	(void)state;
	capture(out, sizeof(out), 0, EACCES);
	assert_non_null(strstr(out, strerror(EACCES)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errno_from_error),
		cmocka_unit_test(test_errno_kept_without_error),
	};

	unsetenv("JOURNAL_STREAM");
	log_open("test-log");
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for the helper's mountinfo reader: escapes, malformed lines, prefix matching. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helper/mounts.h"

static void test_parse(void **state)
{
	struct mount_entry e;
	(void)state;

	assert_int_equal(
		mountinfo_parse_line(
			"36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw\n",
			&e),
		0);
	assert_int_equal(e.id, 36);
	assert_int_equal(e.parent, 35);
	assert_string_equal(e.path, "/mnt/parent");

	/* Space, tab, newline and backslash arrive octal-escaped. */
	assert_int_equal(
		mountinfo_parse_line("1 2 0:1 / /a\\040b\\011c\\012d\\134e rw - tmpfs x rw", &e),
		0);
	assert_string_equal(e.path, "/a b\tc\nd\\e");
	/* A backslash that is not an escape stays. */
	assert_int_equal(mountinfo_parse_line("1 2 0:1 / /a\\9b rw - tmpfs x rw", &e), 0);
	assert_string_equal(e.path, "/a\\9b");

	assert_int_equal(mountinfo_parse_line("", &e), -EBADMSG);
	assert_int_equal(mountinfo_parse_line("1 2 0:1 /", &e), -EBADMSG);
	assert_int_equal(mountinfo_parse_line("x 2 0:1 / /a rw", &e), -EBADMSG);
}

static void test_under_root(void **state)
{
	struct mount_entry *m = NULL;
	size_t n = 0;
	int found_proc = 0;
	(void)state;

	/* /proc is mounted wherever these tests run. */
	assert_int_equal(mounts_under("/proc", &m, &n), 0);
	for (size_t i = 0; i < n; i++) {
		assert_true(strncmp(m[i].path, "/proc", 5) == 0);
		assert_true(m[i].path[5] == '\0' || m[i].path[5] == '/');
		found_proc += strcmp(m[i].path, "/proc") == 0;
	}
	assert_true(found_proc >= 1);
	free(m);

	/* A sibling with the same prefix is not "under". */
	assert_int_equal(mounts_under("/pro", &m, &n), 0);
	assert_int_equal(n, 0);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_under_root),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for common/fileio: atomic replacement, bounded reads, directory creation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/macro.h"

static int make_tmpdir(void **state)
{
	char *d = strdup("/tmp/banger-fileio-XXXXXX");
	assert_non_null(mkdtemp(d));
	*state = d;
	return 0;
}

static int remove_tmpdir(void **state)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", (char *)*state);
	assert_int_equal(system(cmd), 0);
	free(*state);
	return 0;
}

static size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;
	assert_non_null(d);
	while ((de = readdir(d)))
		if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void test_atomic_write_replaces(void **state)
{
	char path[PATH_MAX];
	_cleanup_free_ char *data = NULL;
	size_t len;
	struct stat st;

	snprintf(path, sizeof(path), "%s/f.json", (char *)*state);
	assert_int_equal(write_file_atomic(path, "old", 3, 0600), 0);
	assert_int_equal(write_file_atomic(path, "new content", 11, 0640), 0);
	assert_int_equal(read_file_full(path, 1024, &data, &len), 0);
	assert_int_equal(len, 11);
	assert_string_equal(data, "new content");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	/* no temporary file is left behind */
	assert_int_equal(count_entries(*state), 1);
}

static void test_atomic_write_failure_keeps_old(void **state)
{
	char path[PATH_MAX], sub[PATH_MAX];
	_cleanup_free_ char *data = NULL;

	/* A directory in the way of the rename: the write fails and the old content stays. */
	snprintf(sub, sizeof(sub), "%s/d", (char *)*state);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(path, sizeof(path), "%s/d/x", (char *)*state);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_true(write_file_atomic(path, "data", 4, 0600) < 0);
	assert_int_equal(count_entries(sub), 1);
	assert_int_equal(read_file_full(path, 1024, &data, NULL), -EISDIR);
}

static void test_read_limit(void **state)
{
	char path[PATH_MAX];
	char big[5000];
	_cleanup_free_ char *data = NULL;
	size_t len;

	memset(big, 'x', sizeof(big));
	snprintf(path, sizeof(path), "%s/big", (char *)*state);
	assert_int_equal(write_file_atomic(path, big, sizeof(big), 0600), 0);
	assert_int_equal(read_file_full(path, 4999, &data, &len), -EFBIG);
	assert_null(data);
	assert_int_equal(read_file_full(path, 5000, &data, &len), 0);
	assert_int_equal(len, 5000);
}

static void test_read_missing(void **state)
{
	char *data = NULL;
	assert_int_equal(read_file_full("/nonexistent/banger", 10, &data, NULL), -ENOENT);
	assert_null(data);
}

static void test_mkdir_parents(void **state)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/a/b/c", (char *)*state);
	assert_int_equal(mkdir_parents(path, 0750), 0);
	assert_int_equal(mkdir_parents(path, 0750), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(mkdir_parents("", 0700), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_atomic_write_replaces, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(
			test_atomic_write_failure_keeps_old, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_read_limit, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_read_missing, make_tmpdir, remove_tmpdir),
		cmocka_unit_test_setup_teardown(test_mkdir_parents, make_tmpdir, remove_tmpdir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

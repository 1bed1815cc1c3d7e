/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for common/acl: a granted user entry is what getfacl shows, the mode bits stay, and
 * the write check sees named entries through the mask. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/acl.h"
#include "common/macro.h"

static char dir[] = "/tmp/banger-acl-XXXXXX";

static int setup(void **state)
{
	(void)state;
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	char cmd[64];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

/* getfacl's view of path, one entry per line ("" when getfacl is missing). */
static void getfacl(const char *path, char *buf, size_t size)
{
	char cmd[256];
	FILE *f;
	size_t n;

	snprintf(cmd, sizeof(cmd), "getfacl -cpn '%s' 2>/dev/null | grep -v '^$'", path);
	f = popen(cmd, "r");
	assert_non_null(f);
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	pclose(f);
}

static void test_grant_directory(void **state)
{
	char path[64], facl[512];
	struct stat st;
	int r;

	(void)state;
	snprintf(path, sizeof(path), "%s/run", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(chmod(path, 01770), 0);
	r = acl_grant_user(path, 4242, 07);
	if (r == -EOPNOTSUPP)
		skip();
	assert_int_equal(r, 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 01770);
	getfacl(path, facl, sizeof(facl));
	if (facl[0])
		assert_string_equal(
			facl, "user::rwx\nuser:4242:rwx\ngroup::rwx\nmask::rwx\nother::---\n");
	assert_int_equal(acl_named_write(path), 1);
}

static void test_grant_read_only(void **state)
{
	char path[64], facl[512];
	int fd, r;

	(void)state;
	snprintf(path, sizeof(path), "%s/file", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	assert_true(fd >= 0);
	close(fd);
	r = acl_grant_user(path, 4242, 04);
	if (r == -EOPNOTSUPP)
		skip();
	assert_int_equal(r, 0);
	getfacl(path, facl, sizeof(facl));
	if (facl[0])
		assert_string_equal(
			facl, "user::rw-\nuser:4242:r--\ngroup::r--\nmask::r--\nother::---\n");
	assert_int_equal(acl_named_write(path), 0);
}

static void test_no_acl(void **state)
{
	char path[64];

	(void)state;
	snprintf(path, sizeof(path), "%s/plain", dir);
	assert_int_equal(mkdir(path, 0777), 0);
	assert_int_equal(acl_named_write(path), 0);
	assert_int_equal(acl_named_write("/nonexistent/banger"), -ENOENT);
}

/* A named write entry the mask takes away writes nothing: setfacl writes the mask as asked. */
static void test_mask_hides_write(void **state)
{
	char path[64], cmd[256];

	(void)state;
	snprintf(path, sizeof(path), "%s/masked", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(cmd, sizeof(cmd), "setfacl -m u:4242:rwx,m:r-x '%s' 2>/dev/null", path);
	if (system(cmd) != 0)
		skip();
	assert_int_equal(acl_named_write(path), 0);
	snprintf(cmd, sizeof(cmd), "setfacl -m m:rwx '%s'", path);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(acl_named_write(path), 1);
	snprintf(cmd, sizeof(cmd), "setfacl -b -m g:4242:rwx '%s'", path);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(acl_named_write(path), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grant_directory),
		cmocka_unit_test(test_grant_read_only),
		cmocka_unit_test(test_no_acl),
		cmocka_unit_test(test_mask_hides_write),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

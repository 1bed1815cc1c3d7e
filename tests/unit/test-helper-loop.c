/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Loop devices for real (root only): LOOP_CONFIGURE from a descriptor, read-only and autoclear
 * as the kernel reports them, and gone once the last descriptor closes. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/macro.h"
#include "helper/loop.h"

static char file[] = "/tmp/test-helper-loop.XXXXXX";

/* attr relative to /sys/block/loopN/ ("loop/backing_file", "ro"). */
static int read_sys(const char *dev, const char *attr, char *buf, size_t n)
{
	char p[128];
	FILE *f;

	snprintf(p, sizeof(p), "/sys/block/%s/%s", dev + strlen("/dev/"), attr);
	f = fopen(p, "re");
	if (!f)
		return -errno;
	if (!fgets(buf, (int)n, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

struct found {
	const char *want;
	int n;
};

static void count(const char *name, const char *backing, void *data)
{
	struct found *f = data;
	(void)name;
	if (strcmp(backing, f->want) == 0)
		f->n++;
}

static void test_attach_autoclear(void **state)
{
	char dev[32], buf[4096];
	struct rpc_error err = {};
	int fd, loop;
	struct found f = {file, 0};
	(void)state;

	if (geteuid() != 0 || access("/dev/loop-control", W_OK) < 0)
		skip();
	fd = mkstemp(file);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 4 << 20), 0);

	loop = loop_attach(fd, true, dev, sizeof(dev), &err);
	if (loop < 0)
		fail_msg("loop_attach: %s", err.message);
	assert_int_equal(read_sys(dev, "loop/backing_file", buf, sizeof(buf)), 0);
	assert_string_equal(buf, file);
	assert_int_equal(read_sys(dev, "loop/autoclear", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1");
	assert_int_equal(read_sys(dev, "ro", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1");
	assert_int_equal(loop_list(count, &f), 0);
	assert_int_equal(f.n, 1);

	/* Autoclear: the device lets go of the file with its last descriptor. */
	close(loop);
	for (int i = 0; i < 50 && read_sys(dev, "loop/backing_file", buf, sizeof(buf)) == 0; i++)
		usleep(20000);
	assert_int_not_equal(read_sys(dev, "loop/backing_file", buf, sizeof(buf)), 0);
	f.n = 0;
	assert_int_equal(loop_list(count, &f), 0);
	assert_int_equal(f.n, 0);
	close(fd);
	unlink(file);
}

static void test_attach_bad_fd(void **state)
{
	char dev[32];
	struct rpc_error err = {};
	int dirfd;
	(void)state;

	if (geteuid() != 0 || access("/dev/loop-control", W_OK) < 0)
		skip();
	dirfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dirfd >= 0);
	assert_true(loop_attach(dirfd, true, dev, sizeof(dev), &err) < 0);
	assert_non_null(strstr(err.message, "loop device"));
	close(dirfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attach_autoclear),
		cmocka_unit_test(test_attach_bad_fd),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

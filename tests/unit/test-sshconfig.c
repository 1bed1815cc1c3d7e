/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for common/sshconfig: the Host block's text, quoting and what it refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "common/sshconfig.h"

static void test_block(void **state)
{
	struct sshconfig c;

	(void)state;
	assert_int_equal(sshconfig_begin(&c), 0);
	assert_int_equal(
		sshconfig_add_host(&c, "/home/u/.config/banger/ssh", "demo", "172.30.0.2"), 0);
	assert_non_null(
		strstr(c.buf, "\nHost demo demo.banger\n"
			      "\tHostName 172.30.0.2\n"
			      "\tUser root\n"
			      "\tIdentityFile \"/home/u/.config/banger/ssh/id_ed25519\"\n"
			      "\tIdentitiesOnly yes\n"
			      "\tUserKnownHostsFile \"/home/u/.config/banger/ssh/known_hosts\"\n"
			      "\tGlobalKnownHostsFile /dev/null\n"
			      "\tStrictHostKeyChecking yes\n"));
	assert_int_equal(strlen(c.buf), c.len);
	assert_int_equal(c.buf[0], '#');
	sshconfig_free(&c);
}

static void test_quoting(void **state)
{
	struct sshconfig c;

	(void)state;
	assert_int_equal(sshconfig_begin(&c), 0);
	/* a space is quoted, a % doubled: ssh would expand %d into a directory */
	assert_int_equal(sshconfig_add_host(&c, "/home/a b/%d", "x", "10.0.0.1"), 0);
	assert_non_null(strstr(c.buf, "\tIdentityFile \"/home/a b/%%d/id_ed25519\"\n"));
	sshconfig_free(&c);
}

static void test_refused(void **state)
{
	static const char *const names[] = {"", "-o", "a b", "a*", "A", "a\nHost *", "a.b", NULL};
	static const char *const ips[] = {"", "x", "10.0.0.1 ProxyCommand", "::1", NULL};
	struct sshconfig c;
	size_t len;

	(void)state;
	assert_int_equal(sshconfig_begin(&c), 0);
	len = c.len;
	for (size_t i = 0; names[i]; i++)
		assert_int_equal(sshconfig_add_host(&c, "/h", names[i], "10.0.0.1"), -EINVAL);
	for (size_t i = 0; ips[i]; i++)
		assert_int_equal(sshconfig_add_host(&c, "/h", "x", ips[i]), -EINVAL);
	assert_int_equal(sshconfig_add_host(&c, "/h\"", "x", "10.0.0.1"), -EINVAL);
	assert_int_equal(sshconfig_add_host(&c, "/h\n", "x", "10.0.0.1"), -EINVAL);
	assert_int_equal(sshconfig_add_host(&c, "relative", "x", "10.0.0.1"), -EINVAL);
	assert_int_equal(sshconfig_add_host(&c, "/h", "x", NULL), -EINVAL);
	assert_int_equal(c.len, len); /* nothing written for a refused block */
	sshconfig_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_block),
		cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for protocol/publish: the spec's grammar, its canonical text and the list checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "protocol/publish.h"

static void roundtrip(const char *in, const char *want)
{
	struct publish p;
	char why[128] = "", out[PUBLISH_TEXT_MAX];

	assert_int_equal(publish_parse(in, &p, why, sizeof(why)), 0);
	publish_format(&p, out);
	assert_string_equal(out, want);
}

static void test_parse(void **state)
{
	(void)state;
	roundtrip("8080:80", "127.0.0.1:8080:80/tcp");
	roundtrip("8080:80/udp", "127.0.0.1:8080:80/udp");
	roundtrip("0.0.0.0:2222:22/tcp", "0.0.0.0:2222:22/tcp");
	roundtrip("65535:1", "127.0.0.1:65535:1/tcp");
}

static void test_refused(void **state)
{
	static const char *const bad[] = {"", "80", "8080:", ":80", "8080:80/sctp", "8080:80/",
		"0:80", "8080:0", "65536:80", "08080:80", "8080-8090:80", "a:8080:80",
		"1.2.3:8080:80", "1.2.3.4:5:6:7", "8080:80;drop", "+80:80", "8080:80 ", NULL};
	struct publish p;
	char why[128];

	(void)state;
	for (size_t i = 0; bad[i]; i++) {
		why[0] = 0;
		assert_int_equal(publish_parse(bad[i], &p, why, sizeof(why)), -EINVAL);
		assert_true(why[0] != 0);
	}
}

static void test_list(void **state)
{
	struct publish p[3];
	char why[128];

	(void)state;
	assert_int_equal(publish_parse("8080:80", &p[0], why, sizeof(why)), 0);
	assert_int_equal(publish_parse("8080:80/udp", &p[1], why, sizeof(why)), 0);
	assert_int_equal(publish_check_list(p, 2, 1024, why, sizeof(why)), 0);
	assert_int_equal(publish_parse("0.0.0.0:8080:81", &p[2], why, sizeof(why)), 0);
	assert_int_equal(publish_check_list(p, 3, 1024, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "overlaps"));
	assert_int_equal(publish_parse("80:80", &p[0], why, sizeof(why)), 0);
	assert_int_equal(publish_check_list(p, 1, 1024, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "privileged"));
	assert_int_equal(publish_check_list(p, 1, 1, why, sizeof(why)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

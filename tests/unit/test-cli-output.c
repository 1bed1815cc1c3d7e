/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Human output helpers: sizes, durations, timestamps, colour rules. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "cli/output.h"

static void test_sizes(void **state)
{
	static const struct {
		uint64_t bytes;
		const char *text;
	} table[] = {
		{0, "0 B"},
		{1023, "1023 B"},
		{1024, "1 KiB"},
		{1536, "1.5 KiB"},
		{512ull << 20, "512 MiB"},
		{1ull << 30, "1 GiB"},
		{(3ull << 30) / 2, "1.5 GiB"},
		{65536ull << 20, "64 GiB"},
		{5ull << 40, "5 TiB"},
	};
	char buf[32];

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		format_size(table[i].bytes, buf, sizeof(buf));
		assert_string_equal(buf, table[i].text);
	}
}

static void test_durations(void **state)
{
	static const struct {
		uint64_t s;
		const char *text;
	} table[] = {
		{0, "0s"},
		{59, "59s"},
		{60, "1m00s"},
		{75, "1m15s"},
		{3600, "1h00m"},
		{7260, "2h01m"},
		{86400, "1d00h"},
		{200000, "2d07h"},
	};
	char buf[32];

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		format_duration(table[i].s, buf, sizeof(buf));
		assert_string_equal(buf, table[i].text);
	}
}

static void test_rfc3339(void **state)
{
	time_t t;

	assert_int_equal(parse_rfc3339("1970-01-01T00:01:40Z", &t), 0);
	assert_int_equal(t, 100);
	assert_int_equal(parse_rfc3339("2026-11-27T02:00:00Z", &t), 0);
	assert_int_equal(t, 1795744800);
	assert_int_equal(parse_rfc3339("yesterday", &t), -EINVAL);
	assert_int_equal(parse_rfc3339("2026-11-27T02:00:00+01:00", &t), -EINVAL);
	assert_int_equal(parse_rfc3339(NULL, &t), -EINVAL);
}

static void test_no_color(void **state)
{
	/* stdout is not a terminal under the test runner, and NO_COLOR wins anyway */
	setenv("NO_COLOR", "1", 1);
	assert_false(output_want_color());
	unsetenv("NO_COLOR");
	assert_string_equal(color_for_state("running"), COLOR_GREEN);
	assert_string_equal(color_for_state("error"), COLOR_RED);
	assert_string_equal(color_for_state("created"), "");
	assert_string_equal(color_for_state("nonsense"), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_rfc3339),
		cmocka_unit_test(test_no_color),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

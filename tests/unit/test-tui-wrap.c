/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Word wrapping (tui/wrap.c): lines never exceed the width, words move whole to the next line,
 * only a word wider than the width is split, and the count comes back for sizing. */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "tui/wrap.h"

static size_t wrap(const char *text, int width, char out[][128], size_t max)
{
	struct wrap_line l[32];
	size_t n = text_wrap(text, width, l, 32);

	assert_true(n <= max);
	for (size_t i = 0; i < n; i++) {
		snprintf(out[i], 128, "%.*s", (int)l[i].len, text + l[i].off);
		assert_true(text_width(out[i], strlen(out[i])) <= width);
	}
	return n;
}

static void test_words_move_whole(void **state)
{
	char out[8][128];
	(void)state;

	assert_int_equal(
		wrap("A graceful shutdown; banger force-stops what does not halt.", 31, out, 8), 2);
	assert_string_equal(out[0], "A graceful shutdown; banger");
	assert_string_equal(out[1], "force-stops what does not halt.");
	assert_int_equal(wrap("fits", 10, out, 8), 1);
	assert_string_equal(out[0], "fits");
	/* exactly the width */
	assert_int_equal(wrap("abcde fghij", 5, out, 8), 2);
	assert_string_equal(out[1], "fghij");
	assert_int_equal(text_wrap("", 10, NULL, 0), 1);
}

static void test_long_word_split_alone(void **state)
{
	char out[8][128];
	(void)state;

	assert_int_equal(wrap("see /var/lib/banger/state/vms", 10, out, 8), 4);
	assert_string_equal(out[0], "see");
	assert_string_equal(out[1], "/var/lib/b");
	assert_string_equal(out[2], "anger/stat");
	assert_string_equal(out[3], "e/vms");
}

static void test_newlines_and_wide_chars(void **state)
{
	char out[8][128];
	(void)state;

	assert_int_equal(wrap("one\n  two three", 9, out, 8), 3);
	assert_string_equal(out[1], "  two");
	assert_string_equal(out[2], "three");
	/* "…" is one column, three bytes */
	assert_int_equal(text_width("a…b", strlen("a…b")), 3);
	assert_int_equal(wrap("wait… ok", 6, out, 8), 2);
	assert_string_equal(out[0], "wait…");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_words_move_whole),
		cmocka_unit_test(test_long_word_split_alone),
		cmocka_unit_test(test_newlines_and_wide_chars),
	};
	setlocale(LC_ALL, "C.UTF-8");
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Console scrollback: sanitising guest output and the line/byte bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/console.h"

static char *sanitize(const char *in, size_t n, size_t max_in, bool sgr)
{
	static char out[4096];
	console_sanitize(in, n, max_in, sgr, out, sizeof(out));
	return out;
}
#define S(lit) sanitize(lit, sizeof(lit) - 1, 16384, true)

static void test_sanitize_escapes(void **state)
{
	(void)state;
	/* Colours survive; cursor movement, OSC titles, DCS and charset switches go. */
	assert_string_equal(S("\x1b[1;31mred\x1b[0m"), "\x1b[1;31mred\x1b[0m");
	assert_string_equal(S("a\x1b[2Jb\x1b[10;5Hc"), "abc");
	assert_string_equal(S("\x1b]0;title\x07x"), "x");
	assert_string_equal(S("\x1b]8;;http://x\x1b\\link"), "link");
	assert_string_equal(S("\x1bPq#0;2\x1b\\y"), "y");
	assert_string_equal(S("\x1b(Bz"), "z");
	assert_string_equal(S("\x1b[?25lhidden"), "hidden");
	assert_string_equal(S("cut\x1b["), "cut");
	assert_string_equal(sanitize("\x1b[31mx", 6, 100, false), "x");
}

static void test_sanitize_controls(void **state)
{
	(void)state;
	assert_string_equal(S("a\x07"
			      "b"),
		"a\x01Gb");
	assert_string_equal(S("\x7f"), "\x01?");
	assert_string_equal(S("a\tb"), "a       b");
	assert_string_equal(S("abcdefgh\tx"), "abcdefgh        x");
	/* Invalid UTF-8 and C1 controls. */
	assert_string_equal(S("\xff"
			      "a"),
		"\xef\xbf\xbd"
		"a");
	assert_string_equal(S("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");
	assert_string_equal(S("\xc2\x9b"), "\x01?");
	assert_string_equal(S("caf\xc3\xa9 \xe2\x9c\x93"), "caf\xc3\xa9 \xe2\x9c\x93");
	/* Surrogates are invalid. */
	assert_string_equal(S("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
}

static void test_sanitize_carriage_return(void **state)
{
	(void)state;
	assert_string_equal(S("10%\r20%\r30%"), "30%");
	assert_string_equal(S("done\r"), "done");
	assert_string_equal(S("crlf\r\r"), "crlf");
	assert_string_equal(S("\rx"), "x");
}

static void test_sanitize_long_line(void **state)
{
	char in[100];
	(void)state;
	memset(in, 'x', sizeof(in));
	assert_string_equal(
		sanitize(in, sizeof(in), 10, true), "xxxxxxxxxx\xe2\x80\xa6[+90 bytes]");
}

static void append(struct console *c, uint64_t first, const char *const *lines, size_t n)
{
	size_t lens[16];
	for (size_t i = 0; i < n; i++)
		lens[i] = strlen(lines[i]);
	assert_int_equal(console_append_lines(c, first, lines, lens, n), 0);
}

static void test_ring_bounds_lines(void **state)
{
	struct console c;
	char buf[32];
	(void)state;

	console_init(&c, 100, 1 << 20, 1024);
	for (int i = 1; i <= 250; i++) {
		const char *l[1] = {buf};
		snprintf(buf, sizeof(buf), "line %d", i);
		append(&c, (uint64_t)i, l, 1);
	}
	assert_int_equal(c.n, 100);
	assert_int_equal(c.discarded, 150);
	assert_int_equal(console_end_id(&c), 250);
	assert_null(console_get(&c, 149));
	assert_string_equal(console_get(&c, 150)->text, "line 151");
	assert_string_equal(console_get(&c, 249)->text, "line 250");
	assert_null(console_get(&c, 250));
	/* Shrinking the bounds drops from the front at once. */
	console_set_limits(&c, 10, 1 << 20);
	assert_int_equal(c.n, 10);
	assert_string_equal(console_get(&c, console_end_id(&c) - 10)->text, "line 241");
	console_done(&c);
}

static void test_ring_bounds_bytes(void **state)
{
	struct console c;
	char line[100];
	const char *l[1] = {line};
	(void)state;

	memset(line, 'a', 99);
	line[99] = '\0';
	console_init(&c, 100000, 1000, 1024);
	for (int i = 1; i <= 50; i++)
		append(&c, (uint64_t)i, l, 1);
	assert_true(c.bytes <= 1000);
	assert_int_equal(c.n, 10);
	size_t sum = 0;
	for (uint64_t id = c.first_id; id < console_end_id(&c); id++)
		sum += console_get(&c, id)->len;
	assert_int_equal(sum, c.bytes);
	console_done(&c);
}

static void test_numbering(void **state)
{
	struct console c;
	const char *a[] = {"one", "two", "three"};
	const char *b[] = {"two", "three", "four"};
	const char *d[] = {"ten"};
	(void)state;

	console_init(&c, 100, 1 << 20, 1024);
	append(&c, 1, a, 3);
	append(&c, 2, b, 3); /* replay overlaps: only "four" is new */
	assert_int_equal(c.n, 4);
	assert_string_equal(console_get(&c, 3)->text, "four");
	append(&c, 10, d, 1); /* 5..9 never arrived */
	assert_int_equal(console_get(&c, 4)->kind, CONSOLE_MARKER);
	assert_string_equal(console_get(&c, 4)->text, "5 lines missing");
	assert_string_equal(console_get(&c, 5)->text, "ten");
	assert_int_equal(console_note_dropped(&c, 11, 5321), 0);
	assert_string_equal(
		console_get(&c, 6)->text, "5321 lines dropped by daemon (slow consumer)");
	assert_int_equal(c.next_daemon_line, 5332);
	/* Lines after the drop continue without a "missing" marker. */
	const char *e[] = {"after"};
	append(&c, 5332, e, 1);
	assert_string_equal(console_get(&c, 7)->text, "after");
	assert_int_equal(c.n, 8);
	console_done(&c);
}

static void test_export(void **state)
{
	struct console c;
	const char *l[] = {"\x1b[31mred\x1b[0m plain", "bell\a"};
	char *out = NULL;
	size_t len = 0;
	FILE *f;
	(void)state;

	console_init(&c, 100, 1 << 20, 1024);
	assert_int_equal(console_append_marker(&c, "console attached"), 0);
	append(&c, 1, l, 2);
	f = open_memstream(&out, &len);
	assert_int_equal(console_export(&c, f), 3);
	fclose(f);
	assert_string_equal(out, "-- console attached --\nred plain\nbell^G\n");
	free(out);
	console_done(&c);
}

/* "l<N>" for daemon line N, into a static table of 64 names. */
static const char *const *numbered(uint64_t first, size_t n, size_t *lens)
{
	static char names[64][16];
	static const char *ptrs[64];
	assert_true(n <= 64);
	for (size_t i = 0; i < n; i++) {
		snprintf(names[i], sizeof(names[i]), "l%llu", (unsigned long long)(first + i));
		ptrs[i] = names[i];
		lens[i] = strlen(names[i]);
	}
	return ptrs;
}

static void live(struct console *c, uint64_t first, size_t n)
{
	size_t lens[64];
	const char *const *l = numbered(first, n, lens);
	assert_int_equal(console_append_lines(c, first, l, lens, n), 0);
}

static void backlog(struct console *c, uint64_t first, size_t n, uint64_t *at, uint64_t *shift)
{
	size_t lens[64];
	const char *const *l = numbered(first, n, lens);
	assert_int_equal(console_merge_backlog(c, first, l, lens, n, at, shift), 0);
}

/* The buffer from first_id on, one string: "text|text|-marker-|…". */
static const char *dump(const struct console *c)
{
	static char out[4096];
	size_t o = 0;
	out[0] = '\0';
	for (uint64_t id = c->first_id; id < console_end_id(c); id++) {
		const struct console_line *l = console_get(c, id);
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s%s%s", o ? "|" : "",
			l->kind == CONSOLE_MARKER ? "-" : "", l->text,
			l->kind == CONSOLE_MARKER ? "-" : "");
	}
	return out;
}

static void test_backlog_first(void **state)
{
	struct console c;
	uint64_t at, shift;
	(void)state;

	/* Nothing live yet: the backlog is appended and live lines join it by number. */
	console_init(&c, 100, 1 << 20, 1024);
	assert_int_equal(console_append_marker(&c, "attached"), 0);
	backlog(&c, 5, 3, &at, &shift);
	assert_int_equal(shift, 0);
	assert_int_equal(c.next_daemon_line, 8);
	live(&c, 6, 3); /* 6 and 7 were in the backlog */
	assert_string_equal(dump(&c), "-attached-|l5|l6|l7|l8");
	console_done(&c);
}

static void test_backlog_after_live(void **state)
{
	struct console c;
	uint64_t at, shift;
	(void)state;

	/* Live lines 8 and 9 arrived before the answer; the answer covers 3..10 (its next_line
	 * was 11, line 10's event is still on its way). */
	console_init(&c, 100, 1 << 20, 1024);
	assert_int_equal(console_append_marker(&c, "attached"), 0);
	live(&c, 8, 2);
	assert_int_equal(console_get(&c, 1)->text[1], '8');
	backlog(&c, 3, 8, &at, &shift);
	assert_string_equal(dump(&c), "-attached-|l3|l4|l5|l6|l7|l8|l9|l10");
	/* Where l8 was (id 1), five lines went in: l8 is now id 6. */
	assert_int_equal(at, 1);
	assert_int_equal(shift, 5);
	assert_string_equal(console_get(&c, 6)->text, "l8");
	/* Line 10's event, then 11: 10 is not repeated. */
	live(&c, 10, 2);
	assert_string_equal(dump(&c), "-attached-|l3|l4|l5|l6|l7|l8|l9|l10|l11");
	/* A second backlog (or a late duplicate) changes nothing. */
	backlog(&c, 3, 9, &at, &shift);
	assert_int_equal(shift, 0);
	assert_string_equal(dump(&c), "-attached-|l3|l4|l5|l6|l7|l8|l9|l10|l11");
	console_done(&c);
}

static void test_backlog_gap_and_marker(void **state)
{
	struct console c;
	uint64_t at, shift;
	(void)state;

	/* The backlog ends before the first live line: the hole is marked. Lines that came in
	 * the background before the console was shown stay before the attach marker. */
	console_init(&c, 100, 1 << 20, 1024);
	live(&c, 20, 2);
	assert_int_equal(console_append_marker(&c, "attached"), 0);
	live(&c, 22, 1);
	backlog(&c, 3, 8, &at, &shift);
	assert_int_equal(at, 0);
	assert_int_equal(shift, 9);
	assert_string_equal(
		dump(&c), "l3|l4|l5|l6|l7|l8|l9|l10|-9 lines missing-|l20|l21|-attached-|l22");
	/* A run that starts with a daemon drop: the older lines go before its marker; the ones
	 * it stands for stay dropped (the marker keeps its place and meaning). */
	console_done(&c);
	console_init(&c, 100, 1 << 20, 1024);
	assert_int_equal(console_note_dropped(&c, 5, 3), 0);
	live(&c, 8, 1);
	backlog(&c, 2, 6, &at, &shift);
	assert_string_equal(dump(&c), "l2|l3|l4|-3 lines dropped by daemon (slow consumer)-|l8");
	console_done(&c);
}

static void test_backlog_bounds(void **state)
{
	struct console c;
	uint64_t at, shift;
	(void)state;

	/* 6 lines at most: the oldest go, never the live ones. */
	console_init(&c, 6, 1 << 20, 1024);
	assert_int_equal(console_append_marker(&c, "attached"), 0);
	live(&c, 8, 3);
	backlog(&c, 1, 10, &at, &shift);
	assert_string_equal(dump(&c), "l5|l6|l7|l8|l9|l10");
	assert_int_equal(c.first_id, 5);
	assert_int_equal(at, 1);
	assert_int_equal(shift, 7);
	assert_string_equal(console_get(&c, 8)->text, "l8");
	live(&c, 11, 1);
	assert_string_equal(dump(&c), "l6|l7|l8|l9|l10|l11");
	console_done(&c);

	/* The live run's first line was dropped already: older lines have no place. */
	console_init(&c, 4, 1 << 20, 1024);
	live(&c, 10, 6);
	backlog(&c, 5, 12, &at, &shift);
	assert_int_equal(shift, 0);
	assert_string_equal(dump(&c), "l13|l14|l15|l16");
	console_done(&c);

	/* Bytes bound the insertion too. */
	console_init(&c, 100, 256, 1024);
	live(&c, 60, 1);
	backlog(&c, 1, 60, &at, &shift);
	assert_true(c.bytes <= 256);
	assert_string_equal(console_get(&c, console_end_id(&c) - 1)->text, "l60");
	assert_string_equal(console_get(&c, console_end_id(&c) - 2)->text, "l59");
	console_done(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sanitize_escapes),
		cmocka_unit_test(test_sanitize_controls),
		cmocka_unit_test(test_sanitize_carriage_return),
		cmocka_unit_test(test_sanitize_long_line),
		cmocka_unit_test(test_ring_bounds_lines),
		cmocka_unit_test(test_ring_bounds_bytes),
		cmocka_unit_test(test_numbering),
		cmocka_unit_test(test_export),
		cmocka_unit_test(test_backlog_first),
		cmocka_unit_test(test_backlog_after_live),
		cmocka_unit_test(test_backlog_gap_and_marker),
		cmocka_unit_test(test_backlog_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

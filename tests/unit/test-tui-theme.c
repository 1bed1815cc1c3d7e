/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Theme files: parsing, role inheritance, 256/8/mono resolution, warnings, the shipped themes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>

#include "tui/theme.h"

static struct theme *load(const char *text)
{
	struct theme *t, *b;
	assert_int_equal(theme_parse_string(text, "test.theme", &t), 0);
	assert_int_equal(theme_parse_string(theme_builtin_text(), "builtin", &b), 0);
	t->parent = b;
	return t;
}

static void test_colour_mapping(void **state)
{
	(void)state;
	assert_int_equal(theme_rgb_to_256(0x5f, 0x5f, 0x00), 58);
	assert_int_equal(theme_rgb_to_256(0xff, 0x00, 0x00), 196);
	assert_int_equal(theme_rgb_to_256(0x80, 0x80, 0x80), 244);
	assert_int_equal(theme_color_to_8(196), 1);
	assert_int_equal(theme_color_to_8(114), 2);
	assert_int_equal(theme_color_to_8(75), 4);
	assert_int_equal(theme_color_to_8(3), 3);
	assert_int_equal(theme_color_to_8(12), 4);
	assert_int_equal(theme_color_to_8(8), THEME_COLOR_DEFAULT); /* never gray index 8 */
	assert_int_equal(theme_color_to_8(245), THEME_COLOR_DEFAULT);
	assert_int_equal(theme_color_to_8(16), 0);
	assert_int_equal(theme_color_to_8(231), 7);
}

static void test_resolve_modes(void **state)
{
	struct theme *t = load("[theme]\nname = T\n[colors]\nhot = 203, red\nsoft = 245\n"
			       "[styles]\nstate.running = hot on #5f5f00 +bold\n"
			       "state.stopped = soft\nstate.starting = bright-cyan\n"
			       "[mono]\nstate.running = +underline\n");
	struct theme_style s[_THEME_ROLE_MAX];
	(void)state;

	assert_string_equal(t->name, "T");
	assert_int_equal(t->n_warnings, 0);

	theme_resolve(t, THEME_MODE_256, s);
	assert_int_equal(s[THEME_STATE_RUNNING].fg, 203);
	assert_int_equal(s[THEME_STATE_RUNNING].bg, 58);
	assert_int_equal(s[THEME_STATE_RUNNING].attrs, THEME_ATTR_BOLD);
	assert_int_equal(s[THEME_STATE_STOPPED].fg, 245);
	assert_int_equal(s[THEME_STATE_STARTING].fg, 14);
	assert_int_equal(s[THEME_STATE_FAILED].fg, 203);
	/* table.selected.blur is not in the test theme: builtin's. */
	assert_int_equal(s[THEME_TABLE_SELECTED_BLUR].bg, 24);

	theme_resolve(t, THEME_MODE_8, s);
	assert_int_equal(s[THEME_STATE_RUNNING].fg, 1); /* the fallback */
	assert_int_equal(s[THEME_STATE_RUNNING].bg, 3); /* #5f5f00 → nearest: yellow */
	assert_int_equal(s[THEME_STATE_STOPPED].fg, THEME_COLOR_DEFAULT); /* gray → default… */
	assert_true(s[THEME_STATE_STOPPED].attrs & THEME_ATTR_DIM);       /* …dimmed */
	assert_int_equal(s[THEME_TABLE_SELECTED].bg, 4);
	/* builtin's muted = 245, default: the terminal's colour, dimmed. */
	assert_int_equal(s[THEME_TABLE_HEADER].fg, THEME_COLOR_DEFAULT);
	assert_int_equal(s[THEME_TABLE_HEADER].attrs, THEME_ATTR_DIM | THEME_ATTR_UNDERLINE);
	assert_int_equal(s[THEME_STATE_STARTING].fg, 6);              /* bright-cyan → cyan… */
	assert_true(s[THEME_STATE_STARTING].attrs & THEME_ATTR_BOLD); /* …in bold */

	theme_resolve(t, THEME_MODE_MONO, s);
	assert_int_equal(s[THEME_STATE_RUNNING].fg, THEME_COLOR_DEFAULT);
	assert_int_equal(s[THEME_STATE_RUNNING].attrs, THEME_ATTR_UNDERLINE);
	assert_int_equal(s[THEME_TABLE_SELECTED].attrs, THEME_ATTR_REVERSE); /* builtin [mono] */
	assert_int_equal(s[THEME_STATE_FAILED].attrs, THEME_ATTR_BOLD | THEME_ATTR_UNDERLINE);
	assert_int_equal(s[THEME_CONSOLE_TEXT].attrs, 0);
	theme_free(t);
}

static void test_dotted_inheritance(void **state)
{
	struct theme *t = load("[styles]\ntable.selected = red on green\n");
	struct theme_style s[_THEME_ROLE_MAX];
	(void)state;

	/* table.selected.blur falls back to this theme's table.selected before builtin. */
	theme_resolve(t, THEME_MODE_256, s);
	assert_int_equal(s[THEME_TABLE_SELECTED_BLUR].fg, 1);
	assert_int_equal(s[THEME_TABLE_SELECTED_BLUR].bg, 2);
	theme_free(t);
}

static void test_bad_entries_warn(void **state)
{
	struct theme *t = load("[colors]\nx = purpel\ny = 300\nz = 12, bright-red\n"
			       "[styles]\nstate.running = purpel\nstate.nope = red\n"
			       "status.error = red +blinky\nheader = red on\n[weird]\na = b\n"
			       "this line is not ini\n");
	struct theme_style s[_THEME_ROLE_MAX];
	(void)state;

	theme_resolve(t, THEME_MODE_256, s);
	/* Each bad entry falls back to builtin. */
	assert_int_equal(s[THEME_STATE_RUNNING].fg, 114);
	assert_int_equal(s[THEME_STATUS_ERROR].fg, 203);
	assert_int_equal(s[THEME_HEADER].fg, 75);
	const char *expect[] = {"unknown colour 'purpel'", "unknown colour '300'",
		"bad 8-colour fallback", "unknown role", "unknown section", "syntax error",
		"'purpel'", "'+blinky'", "'on'"};
	for (size_t i = 0; i < sizeof(expect) / sizeof(*expect); i++) {
		bool found = false;
		for (size_t k = 0; k < t->n_warnings; k++)
			found = found || strstr(t->warnings[k], expect[i]);
		if (!found)
			fail_msg("no warning with \"%s\"", expect[i]);
	}
	/* Resolving again does not repeat warnings. */
	size_t n = t->n_warnings;
	theme_resolve(t, THEME_MODE_256, s);
	assert_int_equal(t->n_warnings, n);
	theme_free(t);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = calloc(1, 65536);
	assert_non_null(f);
	assert_true(fread(buf, 1, 65535, f) > 0);
	fclose(f);
	return buf;
}

static void test_shipped_themes(void **state)
{
	char *dirs[] = {(char *)THEMES_SRCDIR, NULL};
	const char *names[] = {"default", "light", "mono", "solarized-dark"};
	char *text = slurp(THEMES_SRCDIR "/default.theme");
	(void)state;

	assert_string_equal(text, theme_builtin_text());
	free(text);
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		struct theme *t;
		struct theme_style s[_THEME_ROLE_MAX];
		assert_int_equal(theme_load(names[i], dirs, &t), 0);
		for (int m = 0; m < _THEME_MODE_MAX; m++)
			theme_resolve(t, (enum theme_mode)m, s);
		for (size_t k = 0; k < t->n_warnings; k++)
			print_message("%s\n", t->warnings[k]);
		assert_int_equal(t->n_warnings, 0);
		assert_non_null(t->name);
		theme_free(t);
	}
	struct theme *t;
	assert_int_equal(theme_load("no-such-theme", dirs, &t), -ENOENT);
	assert_int_equal(theme_load("builtin", dirs, &t), 0);
	theme_free(t);
}

static void test_inherit_chain(void **state)
{
	char dir[] = "/tmp/test-tui-theme.XXXXXX";
	char path[256], *dirs[] = {dir, NULL};
	struct theme *t;
	struct theme_style s[_THEME_ROLE_MAX];
	FILE *f;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/base.theme", dir);
	f = fopen(path, "we");
	fputs("[colors]\nbrand = 201, magenta\n[styles]\nheader = brand\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/child.theme", dir);
	f = fopen(path, "we");
	fputs("[theme]\ninherit = base\n[styles]\nstate.running = brand +bold\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/loop.theme", dir);
	f = fopen(path, "we");
	fputs("[theme]\ninherit = loop\n", f);
	fclose(f);

	assert_int_equal(theme_load("child", dirs, &t), 0);
	theme_resolve(t, THEME_MODE_256, s);
	assert_int_equal(s[THEME_HEADER].fg, 201);
	assert_int_equal(s[THEME_STATE_RUNNING].fg, 201);
	assert_int_equal(s[THEME_STATE_STOPPED].fg, 245); /* builtin at the end of the chain */
	theme_resolve(t, THEME_MODE_8, s);
	assert_int_equal(s[THEME_HEADER].fg, 5);
	theme_free(t);

	/* A loop ends at builtin with a warning instead of recursing forever. */
	assert_int_equal(theme_load("loop", dirs, &t), 0);
	assert_true(t->n_warnings > 0);
	theme_free(t);

	snprintf(path, sizeof(path), "%s/child.theme", dir);
	assert_int_equal(theme_load(path, dirs, &t), 0); /* by path */
	theme_free(t);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	assert_int_equal(system(path), 0);
}

static void test_search_path(void **state)
{
	char **dirs;
	(void)state;

	setenv("XDG_CONFIG_HOME", "/x/cfg", 1);
	unsetenv("XDG_DATA_HOME");
	setenv("HOME", "/home/u", 1);
	assert_int_equal(theme_search_path("/usr/share/banger", &dirs), 0);
	assert_string_equal(dirs[0], "/x/cfg/banger/themes");
	assert_string_equal(dirs[1], "/home/u/.local/share/banger/themes");
	assert_string_equal(dirs[2], "/usr/share/banger/themes");
	assert_null(dirs[3]);
	theme_strv_free(dirs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_colour_mapping),
		cmocka_unit_test(test_resolve_modes),
		cmocka_unit_test(test_dotted_inheritance),
		cmocka_unit_test(test_bad_entries_warn),
		cmocka_unit_test(test_shipped_themes),
		cmocka_unit_test(test_inherit_chain),
		cmocka_unit_test(test_search_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

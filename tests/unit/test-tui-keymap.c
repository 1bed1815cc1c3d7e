/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Key tables: defaults, key names, remapping and its refusals, the config reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <curses.h>
#include <errno.h>
#include <string.h>

#include "tui/config.h"
#include "tui/keymap.h"

static void test_defaults(void **state)
{
	struct keymap km;
	(void)state;

	keymap_init_defaults(&km);
	assert_int_equal(km.n_warnings, 0);
	assert_int_equal(keymap_lookup(&km, KEY_CTX_LIST, 'j'), KEY_ACTION_DOWN);
	assert_int_equal(keymap_lookup(&km, KEY_CTX_CONSOLE, 'j'), KEY_ACTION_SCROLL_DOWN);
	assert_int_equal(keymap_lookup(&km, KEY_CTX_LIST, KEY_DOWN), KEY_ACTION_DOWN);
	assert_int_equal(keymap_lookup(&km, KEY_CTX_LIST, 'S'), KEY_ACTION_STOP);
	assert_int_equal(keymap_lookup(&km, KEY_CTX_LIST, '?'), KEY_ACTION_HELP); /* global */
	assert_int_equal(keymap_lookup(&km, KEY_CTX_LIST, '\r'), KEY_ACTION_OPEN_CONSOLE);
	assert_int_equal(keymap_lookup(&km, KEY_CTX_LIST, KEY_ENTER), KEY_ACTION_OPEN_CONSOLE);
	assert_int_equal(keymap_lookup(&km, KEY_CTX_DIALOG, 'q'), KEY_ACTION_CANCEL);
	assert_int_equal(keymap_lookup(&km, KEY_CTX_DIALOG, '?'), KEY_ACTION_NONE); /* no globals */
	/* The house rules hold for every default binding. */
	for (int ctx = 0; ctx < _KEY_CTX_MAX; ctx++)
		for (int c = 0; c < KEYMAP_CODES; c++) {
			enum key_action a = km.map[ctx][c];
			if (a == KEY_ACTION_NONE)
				continue;
			assert_true(c != 1 && c != 2 && c != 17 && c != 19);
			if (key_action_destructive(a))
				assert_false(c >= 'a' && c <= 'z');
		}
	keymap_done(&km);
}

/* The table's rows are whole: a name, a context, help, a method where one is needed, and each
 * row is what ":name" runs. */
static void test_table(void **state)
{
	(void)state;

	assert_null(key_action_info(KEY_ACTION_NONE));
	assert_null(key_action_info(_KEY_ACTION_MAX));
	for (int a = KEY_ACTION_NONE + 1; a < _KEY_ACTION_MAX; a++) {
		const struct key_action_info *info = key_action_info((enum key_action)a);
		enum key_action found = KEY_ACTION_NONE;

		assert_non_null(info);
		assert_true(info->name[0] && info->help[0]);
		assert_true(info->ctx >= 0 && info->ctx < _KEY_CTX_MAX);
		assert_int_equal(key_action_from_string(info->name), a);
		if (key_action_from_command(info->name, &found) < 0 || found != a)
			fail_msg("\":%s\" does not run %s", info->name, info->name);
		assert_int_equal(key_action_destructive((enum key_action)a),
			!!(info->flags & ACTION_CONFIRM));
		if (info->method != _RPC_METHOD_INVALID)
			assert_non_null(rpc_method_to_string(info->method));
		if (info->flags & ACTION_VMS) /* a request per VM needs a method to send */
			assert_int_not_equal(info->method, _RPC_METHOD_INVALID);
	}
	/* The rows the dialog guards today, by name: a row losing its flag fails here. */
	assert_true(key_action_destructive(KEY_ACTION_STOP));
	assert_true(key_action_destructive(KEY_ACTION_RESTART));
	assert_true(key_action_destructive(KEY_ACTION_UPDATE));
	assert_true(key_action_destructive(KEY_ACTION_RECONCILE));
	assert_false(key_action_destructive(KEY_ACTION_START));
}

static void test_commands(void **state)
{
	enum key_action a = KEY_ACTION_NONE;
	(void)state;

	assert_int_equal(key_action_from_command("q", &a), 0); /* ":q" is quit */
	assert_int_equal(a, KEY_ACTION_QUIT);
	assert_int_equal(key_action_from_command("th", &a), 0);
	assert_int_equal(a, KEY_ACTION_THEME);
	assert_int_equal(key_action_from_command("sort", &a), 0); /* exact beats sort-next… */
	assert_int_equal(a, KEY_ACTION_SORT);
	a = KEY_ACTION_NONE;
	assert_int_equal(key_action_from_command("re", &a), -ENOTUNIQ);
	assert_int_equal(key_action_from_command("frobnicate", &a), -ENOENT);
	assert_int_equal(key_action_from_command("", &a), -ENOENT);
	assert_int_equal(a, KEY_ACTION_NONE); /* written only on success */
}

/* The help row names the keys, the help text and the command; an unbound row shows its command
 * where the keys would be. */
static void test_help_rows(void **state)
{
	struct keymap km;
	char text[200], cmd[64];
	(void)state;

	keymap_init_defaults(&km);
	keymap_help_row(&km, KEY_ACTION_STOP, text, sizeof(text), cmd, sizeof(cmd));
	assert_string_equal(
		text, "  S                      stop the VM or the tagged ones (confirm)");
	assert_string_equal(cmd, ":stop");
	keymap_help_row(&km, KEY_ACTION_THEME, text, sizeof(text), cmd, sizeof(cmd));
	assert_string_equal(text, "  :theme NAME            switch to another theme");
	assert_string_equal(cmd, "");
	keymap_bind(&km, "stop", "");
	keymap_help_row(&km, KEY_ACTION_STOP, text, sizeof(text), cmd, sizeof(cmd));
	assert_non_null(strstr(text, ":stop "));
	keymap_done(&km);
}

static void test_names(void **state)
{
	char buf[24];
	(void)state;

	assert_int_equal(keymap_key_parse("j"), 'j');
	assert_int_equal(keymap_key_parse("<C-r>"), 18);
	assert_int_equal(keymap_key_parse("<Enter>"), '\n');
	assert_int_equal(keymap_key_parse("<esc>"), 27);
	assert_int_equal(keymap_key_parse("<F5>"), KEY_F(5));
	assert_int_equal(keymap_key_parse("<S-Tab>"), KEY_BTAB);
	assert_int_equal(keymap_key_parse("<PgDn>"), KEY_NPAGE);
	assert_int_equal(keymap_key_parse("<nope>"), -EINVAL);
	assert_int_equal(keymap_key_parse("jj"), -EINVAL);
	assert_string_equal(keymap_key_name(18, buf, sizeof(buf)), "<C-r>");
	assert_string_equal(keymap_key_name(KEY_F(1), buf, sizeof(buf)), "<F1>");
	assert_string_equal(keymap_key_name('x', buf, sizeof(buf)), "x");
	assert_string_equal(keymap_key_name(KEY_UP, buf, sizeof(buf)), "<Up>");
}

static void test_remap(void **state)
{
	struct keymap km;
	char buf[64];
	(void)state;

	keymap_init_defaults(&km);
	keymap_bind(&km, "stop", "X, <F9>");
	assert_int_equal(keymap_lookup(&km, KEY_CTX_LIST, 'X'), KEY_ACTION_STOP);
	assert_int_equal(keymap_lookup(&km, KEY_CTX_LIST, KEY_F(9)), KEY_ACTION_STOP);
	assert_int_equal(keymap_lookup(&km, KEY_CTX_LIST, 'S'), KEY_ACTION_NONE);
	keymap_keys_of(&km, KEY_ACTION_STOP, buf, sizeof(buf));
	assert_string_equal(buf, "X, <F9>");
	assert_int_equal(km.n_warnings, 0);

	/* Refused: lowercase destructive, forbidden prefixes, unknown names. Defaults remain. */
	keymap_bind(&km, "restart", "r"); /* 'r' keeps its default: resume */
	assert_int_equal(keymap_lookup(&km, KEY_CTX_LIST, 'r'), KEY_ACTION_RESUME);
	keymap_bind(&km, "resync", "<C-a>, <C-s>, <C-b>, <C-q>, <C-y>");
	assert_int_equal(keymap_lookup(&km, KEY_CTX_LIST, 1), KEY_ACTION_NONE);
	assert_int_equal(keymap_lookup(&km, KEY_CTX_LIST, 19), KEY_ACTION_NONE);
	assert_int_equal(keymap_lookup(&km, KEY_CTX_LIST, 25), KEY_ACTION_RESYNC);
	keymap_bind(&km, "frobnicate", "z");
	keymap_bind(&km, "wrap", "<Hyper-x>");
	assert_int_equal(km.n_warnings, 1 + 4 + 1 + 1);
	assert_non_null(strstr(km.warnings[0], "lowercase"));
	assert_non_null(strstr(km.warnings[5], "unknown action"));

	/* Taking another action's key warns and moves it. */
	keymap_bind(&km, "inspect", "j");
	assert_int_equal(keymap_lookup(&km, KEY_CTX_LIST, 'j'), KEY_ACTION_INSPECT);
	assert_non_null(strstr(km.warnings[km.n_warnings - 1], "was bound to down"));
	keymap_done(&km);
}

static void test_config(void **state)
{
	struct tui_config c;
	struct keymap km;
	size_t n;
	(void)state;

	tui_config_defaults(&c);
	keymap_init_defaults(&km);
	assert_int_equal(tui_config_parse_string(&c, &km,
				 "[ui]\ntheme = light\ncolor = never\nfps = 20 ; slower\n"
				 "split = 300\n[list]\nsort = -mem\n[console]\nmax_bytes = 4M\n"
				 "wrap = off\n[keys]\nssh = E\n[bogus]\nx = 1\n"),
		0);
	assert_string_equal(c.theme, "light");
	assert_int_equal(c.color, TUI_COLOR_NEVER);
	assert_int_equal(c.fps, 20);
	assert_int_equal(c.split, 40); /* out of range: default kept, with a warning */
	assert_int_equal(c.sort, VM_COL_MEM);
	assert_true(c.sort_descending);
	assert_int_equal(c.max_bytes, 4u << 20);
	assert_false(c.wrap);
	assert_int_equal(keymap_lookup(&km, KEY_CTX_LIST, 'E'), KEY_ACTION_SSH);
	assert_int_equal(c.n_warnings, 2);
	assert_int_equal(tui_parse_size("16K", &n), 0);
	assert_int_equal(n, 16384);
	assert_int_equal(tui_parse_size("x", &n), -EINVAL);
	tui_config_done(&c);
	keymap_done(&km);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_help_rows),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_remap),
		cmocka_unit_test(test_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The action table's curses-free columns (actions.def), ":" command names, key names, and the
 * key tables: defaults from the table, remapping from the config. */
#include <ctype.h>
#include <curses.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/macro.h"
#include "tui/keymap.h"

/* actions.def names a method by its id in protocol/methods.def, or NONE */
#define RPC_METHOD_NONE _RPC_METHOD_INVALID
static const struct key_action_info actions[_KEY_ACTION_MAX] = {
	[KEY_ACTION_NONE] = {"none", KEY_CTX_GLOBAL, "", 0, RPC_METHOD_NONE, NULL, ""},
#define ACTION(id, n, c, k, handler, f, m, arg, h)                                                 \
	[KEY_ACTION_##id] = {n, KEY_CTX_##c, k, f, RPC_METHOD_##m, arg, h},
#include "tui/actions.def"
#undef ACTION
};
#undef RPC_METHOD_NONE

static const struct {
	const char *name;
	int code;
} named_keys[] = {
	{"Enter", '\n'},
	{"Esc", 27},
	{"Tab", '\t'},
	{"S-Tab", KEY_BTAB},
	{"Space", ' '},
	{"Up", KEY_UP},
	{"Down", KEY_DOWN},
	{"Left", KEY_LEFT},
	{"Right", KEY_RIGHT},
	{"Home", KEY_HOME},
	{"End", KEY_END},
	{"PgUp", KEY_PPAGE},
	{"PgDn", KEY_NPAGE},
	{"Backspace", KEY_BACKSPACE},
	{"Del", KEY_DC},
	{"Ins", KEY_IC},
	{"lt", '<'},
	{"gt", '>'},
};

static const int forbidden[] = {'a' & 0x1f, 'b' & 0x1f, 's' & 0x1f, 'q' & 0x1f};

const struct key_action_info *key_action_info(enum key_action a)
{
	return a > KEY_ACTION_NONE && a < _KEY_ACTION_MAX ? &actions[a] : NULL;
}

const char *key_action_to_string(enum key_action a)
{
	return a >= 0 && a < _KEY_ACTION_MAX ? actions[a].name : NULL;
}

enum key_action key_action_from_string(const char *s)
{
	for (size_t i = 1; i < _KEY_ACTION_MAX; i++)
		if (streq(actions[i].name, s))
			return (enum key_action)i;
	return _KEY_ACTION_INVALID;
}

enum key_context key_action_context(enum key_action a)
{
	return actions[a].ctx;
}

const char *key_action_help(enum key_action a)
{
	return actions[a].help;
}

bool key_action_destructive(enum key_action a)
{
	return a > KEY_ACTION_NONE && a < _KEY_ACTION_MAX && (actions[a].flags & ACTION_CONFIRM);
}

int key_action_from_command(const char *word, enum key_action *ret_action)
{
	size_t n = strlen(word), matches = 0;
	enum key_action found = KEY_ACTION_NONE;

	for (size_t i = 1; i < _KEY_ACTION_MAX; i++)
		if (streq(actions[i].name, word)) {
			*ret_action = (enum key_action)i;
			return 0;
		}
	for (size_t i = 1; n > 0 && i < _KEY_ACTION_MAX; i++)
		if (strneq(actions[i].name, word, n)) {
			found = (enum key_action)i;
			matches++;
		}
	if (matches == 0)
		return -ENOENT;
	if (matches > 1)
		return -ENOTUNIQ;
	*ret_action = found;
	return 0;
}

int keymap_key_parse(const char *s)
{
	size_t n = strlen(s);

	if (n == 1 && (unsigned char)s[0] >= 0x20 && (unsigned char)s[0] < 0x7f)
		return (unsigned char)s[0];
	if (n < 3 || s[0] != '<' || s[n - 1] != '>')
		return -EINVAL;
	if (n == 5 && strncasecmp(s, "<C-", 3) == 0 && isalpha((unsigned char)s[3]))
		return tolower((unsigned char)s[3]) & 0x1f;
	if ((s[1] == 'F' || s[1] == 'f') && isdigit((unsigned char)s[2])) {
		char *end;
		long f = strtol(s + 2, &end, 10);
		if (*end == '>' && f >= 1 && f <= 12)
			return KEY_F((int)f);
		return -EINVAL;
	}
	for (size_t i = 0; i < ELEMENTSOF(named_keys); i++)
		if (strlen(named_keys[i].name) == n - 2 &&
			strncasecmp(named_keys[i].name, s + 1, n - 2) == 0)
			return named_keys[i].code;
	return -EINVAL;
}

const char *keymap_key_name(int code, char *buf, size_t size)
{
	for (size_t i = 0; i < ELEMENTSOF(named_keys); i++)
		if (named_keys[i].code == code && code != '<' && code != '>') {
			snprintf(buf, size, "<%s>", named_keys[i].name);
			return buf;
		}
	if (code > 0x20 && code < 0x7f)
		snprintf(buf, size, "%c", code);
	else if (code > 0 && code < 0x20)
		snprintf(buf, size, "<C-%c>", code + 'a' - 1);
	else if (code >= KEY_F(1) && code <= KEY_F(12))
		snprintf(buf, size, "<F%d>", code - KEY_F0);
	else
		snprintf(buf, size, "<%d>", code);
	return buf;
}

_printf_(2, 3) static void warn(struct keymap *km, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (km->n_warnings >= KEYMAP_MAX_WARNINGS)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) >= 0)
		km->warnings[km->n_warnings++] = s;
	va_end(ap);
}

/* Enter arrives as '\n', '\r' or KEY_ENTER depending on terminal modes. */
static void set_code(struct keymap *km, enum key_context ctx, int code, enum key_action a)
{
	km->map[ctx][code] = (unsigned char)a;
	if (code == '\n') {
		km->map[ctx]['\r'] = (unsigned char)a;
		km->map[ctx][KEY_ENTER] = (unsigned char)a;
	}
}

static void bind_list(struct keymap *km, enum key_action a, const char *keys, bool user)
{
	_cleanup_free_ char *copy = strdup(keys);
	char *save = NULL;

	if (!copy)
		return;
	for (char *tok = strtok_r(copy, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		enum key_context ctx = actions[a].ctx;
		int code = keymap_key_parse(streq(tok, ",") ? "," : tok);
		enum key_action old;

		if (code < 0 || code >= KEYMAP_CODES) {
			warn(km, "keys: %s: unknown key '%s'", actions[a].name, tok);
			continue;
		}
		for (size_t i = 0; i < ELEMENTSOF(forbidden); i++)
			if (code == forbidden[i]) {
				warn(km,
					"keys: %s: %s is never bound (terminal prefix or flow "
					"control)",
					actions[a].name, tok);
				code = -1;
			}
		if (code < 0)
			continue;
		if (key_action_destructive(a) && code < 0x80 && islower(code)) {
			warn(km, "keys: %s: destructive actions cannot use lowercase '%s'",
				actions[a].name, tok);
			continue;
		}
		old = km->map[ctx][code];
		if (user && old != KEY_ACTION_NONE && old != a)
			warn(km, "keys: %s: '%s' was bound to %s", actions[a].name, tok,
				actions[old].name);
		set_code(km, ctx, code, a);
	}
}

void keymap_init_defaults(struct keymap *km)
{
	*km = (struct keymap){};
	for (size_t a = 1; a < _KEY_ACTION_MAX; a++)
		bind_list(km, (enum key_action)a, actions[a].keys, false);
}

void keymap_done(struct keymap *km)
{
	for (size_t i = 0; i < km->n_warnings; i++)
		free(km->warnings[i]);
	km->n_warnings = 0;
}

void keymap_bind(struct keymap *km, const char *action, const char *keys)
{
	enum key_action a = key_action_from_string(action);

	if (a < 0) {
		warn(km, "keys: unknown action '%s'", action);
		return;
	}
	for (size_t ctx = 0; ctx < _KEY_CTX_MAX; ctx++)
		for (size_t c = 0; c < KEYMAP_CODES; c++)
			if (km->map[ctx][c] == a)
				km->map[ctx][c] = KEY_ACTION_NONE;
	bind_list(km, a, keys, true);
}

enum key_action keymap_lookup(const struct keymap *km, enum key_context ctx, int code)
{
	enum key_action a;

	if (code < 0 || code >= KEYMAP_CODES)
		return KEY_ACTION_NONE;
	a = km->map[ctx][code];
	if (a == KEY_ACTION_NONE && ctx != KEY_CTX_DIALOG)
		a = km->map[KEY_CTX_GLOBAL][code];
	return a;
}

void keymap_help_row(const struct keymap *km, enum key_action a, char *text, size_t text_size,
	char *cmd, size_t cmd_size)
{
	const struct key_action_info *info = key_action_info(a);
	char keys[64];

	if (!info) {
		snprintf(text, text_size, "%s", "");
		snprintf(cmd, cmd_size, "%s", "");
		return;
	}
	snprintf(cmd, cmd_size, ":%s%s%s", info->name, info->arg ? " " : "",
		info->arg ? info->arg : "");
	keymap_keys_of(km, a, keys, sizeof(keys));
	if (!keys[0]) {
		snprintf(text, text_size, "  %-22s %s", cmd, info->help);
		cmd[0] = '\0';
	} else
		snprintf(text, text_size, "  %-22s %s", keys, info->help);
}

size_t keymap_keys_of(const struct keymap *km, enum key_action a, char *buf, size_t size)
{
	enum key_context ctx = actions[a].ctx;
	size_t o = 0;

	if (size == 0)
		return 0;
	buf[0] = '\0';
	for (int c = 0; c < KEYMAP_CODES; c++) {
		char name[24];
		if (km->map[ctx][c] != a || c == '\r' || c == KEY_ENTER)
			continue;
		keymap_key_name(c, name, sizeof(name));
		o += (size_t)snprintf(buf + o, size - o, "%s%s", o ? ", " : "", name);
		if (o >= size) {
			o = size - 1;
			break;
		}
	}
	return o;
}

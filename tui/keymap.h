/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Key → action tables per context, built from keymap.def and the [keys] config section. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

enum key_action {
	KEY_ACTION_NONE,
#define ACTION(id, name, ctx, keys, help) KEY_ACTION_##id,
#include "tui/keymap.def"
#undef ACTION
	_KEY_ACTION_MAX,
	_KEY_ACTION_INVALID = -22,
};

enum key_context {
	KEY_CTX_GLOBAL,
	KEY_CTX_LIST,
	KEY_CTX_CONSOLE,
	KEY_CTX_DIALOG,
	_KEY_CTX_MAX,
	_KEY_CTX_INVALID = -22,
};

/* Key codes are curses codes: characters, control characters, KEY_* (< KEYMAP_CODES). */
#define KEYMAP_CODES 512
#define KEYMAP_MAX_WARNINGS 16

struct keymap {
	unsigned char map[_KEY_CTX_MAX][KEYMAP_CODES]; /* enum key_action */
	char *warnings[KEYMAP_MAX_WARNINGS];
	size_t n_warnings;
};

const char *key_action_to_string(enum key_action a);
enum key_action key_action_from_string(const char *s);
enum key_context key_action_context(enum key_action a);
const char *key_action_help(enum key_action a);
/* Destructive actions: never on a lowercase key; always behind a confirm dialog. */
bool key_action_destructive(enum key_action a);

/* "j", "<C-r>", "<Enter>", "<F1>", "<S-Tab>", "<PgDn>"… → code, or -EINVAL. */
int keymap_key_parse(const char *name);
/* The name of a code ("<C-r>", "j"); buf needs 16 bytes. */
const char *keymap_key_name(int code, char *buf, size_t size);

void keymap_init_defaults(struct keymap *km);
void keymap_done(struct keymap *km);
/* "action = key[, key]" from [keys]: replaces that action's keys. Problems (unknown action or
 * key, a forbidden key, a destructive action on a lowercase key, a key taken from another
 * action) become warnings; the mapping is never left broken. */
void keymap_bind(struct keymap *km, const char *action, const char *keys);

/* The action for a key: the context's own binding, else the global one. */
enum key_action keymap_lookup(const struct keymap *km, enum key_context ctx, int code);
/* The keys bound to an action, joined with ", " (for help and hints). */
size_t keymap_keys_of(const struct keymap *km, enum key_action a, char *buf, size_t size);

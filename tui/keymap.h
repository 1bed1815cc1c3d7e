/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The action table (actions.def) without its handlers, and the key → action tables per context
 * built from it and the [keys] config section. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "protocol/methods.h"

enum key_action {
	KEY_ACTION_NONE,
#define ACTION(id, name, ctx, keys, handler, flags, method, arg, help) KEY_ACTION_##id,
#include "tui/actions.def"
#undef ACTION
	_KEY_ACTION_MAX,
	_KEY_ACTION_INVALID = -22,
};

/* actions.def's flags. */
enum {
	ACTION_CONFIRM = 1 << 0, /* destructive: behind the confirm dialog, never on lowercase */
	ACTION_VMS = 1 << 1,     /* one request per target VM */
};

enum key_context {
	KEY_CTX_GLOBAL,
	KEY_CTX_LIST,
	KEY_CTX_CONSOLE,
	KEY_CTX_DIALOG,
	KEY_CTX_IMAGES, /* the images view */
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

/* One row of actions.def, as the curses-free code sees it (the handlers live in actions.c). */
struct key_action_info {
	const char *name;
	enum key_context ctx;
	const char *keys;       /* the defaults */
	unsigned flags;         /* ACTION_* */
	enum rpc_method method; /* _RPC_METHOD_INVALID: it calls none */
	const char *arg;        /* what ":name" takes, NULL for nothing */
	const char *help;
};

/* The row of an action; NULL for KEY_ACTION_NONE and out-of-range values. */
const struct key_action_info *key_action_info(enum key_action a);
const char *key_action_to_string(enum key_action a);
enum key_action key_action_from_string(const char *s);
enum key_context key_action_context(enum key_action a);
const char *key_action_help(enum key_action a);
/* Destructive actions: never on a lowercase key; always behind a confirm dialog. */
bool key_action_destructive(enum key_action a);
/* The action a ":" command word names: its exact name, else the one name that begins with it
 * (":q" is quit). -ENOENT when none does, -ENOTUNIQ when several do. */
int key_action_from_command(const char *word, enum key_action *ret_action);

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
/* The help overlay's row for an action: its keys and help text in text, and the command that
 * runs it (":name ARG") in cmd. An action without keys has the command where keys would be,
 * and an empty cmd. */
void keymap_help_row(const struct keymap *km, enum key_action a, char *text, size_t text_size,
	char *cmd, size_t cmd_size);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tui.conf ($XDG_CONFIG_HOME/banger/tui.conf): [ui], [list], [console] settings and the [keys]
 * remapping, in the same INI syntax as themes. Bad entries warn and keep the default. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "tui/keymap.h"
#include "tui/vm-view.h"

enum tui_color {
	TUI_COLOR_AUTO,
	TUI_COLOR_ALWAYS,
	TUI_COLOR_NEVER,
	_TUI_COLOR_MAX,
	_TUI_COLOR_INVALID = -22,
};

enum ssh_pause {
	SSH_PAUSE_ERROR,
	SSH_PAUSE_ALWAYS,
	SSH_PAUSE_NEVER,
	_SSH_PAUSE_MAX,
	_SSH_PAUSE_INVALID = -22,
};

#define TUI_CONFIG_MAX_WARNINGS 16

struct tui_config {
	char theme[128];
	enum tui_color color;
	unsigned fps;
	bool hints;
	enum ssh_pause ssh_pause;
	unsigned split; /* % of the body for the VM list */
	enum vm_column sort;
	bool sort_descending;
	size_t scrollback, max_bytes, max_line_bytes;
	bool wrap;
	bool timestamps; /* [console] timestamps: when each line arrived, before it */
	bool mouse;      /* [ui] mouse: off by default, so the terminal's own selection works */
	char *warnings[TUI_CONFIG_MAX_WARNINGS];
	size_t n_warnings;
};

void tui_config_defaults(struct tui_config *c);
void tui_config_done(struct tui_config *c);
/* Reads path (a missing file is fine) into c and km. -ENOMEM only. */
int tui_config_load(struct tui_config *c, struct keymap *km, const char *path);
/* The same from text (tests). */
int tui_config_parse_string(struct tui_config *c, struct keymap *km, const char *text);
/* "8M", "16K", "1000" → bytes; -EINVAL. */
int tui_parse_size(const char *s, size_t *ret);

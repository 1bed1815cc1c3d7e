/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Theme files (themes/NAME.theme): named colours with 8-colour fallbacks, semantic roles with
 * inheritance, a [mono] section; resolved per terminal capability. No curses here. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/macro.h"

enum theme_role {
#define ROLE(id, name) THEME_##id,
#include "tui/theme-roles.def"
#undef ROLE
	_THEME_ROLE_MAX,
	_THEME_ROLE_INVALID = -22,
};

const char *theme_role_to_string(enum theme_role r);
enum theme_role theme_role_from_string(const char *s);

enum theme_attr {
	THEME_ATTR_BOLD = 1 << 0,
	THEME_ATTR_DIM = 1 << 1,
	THEME_ATTR_ITALIC = 1 << 2,
	THEME_ATTR_UNDERLINE = 1 << 3,
	THEME_ATTR_REVERSE = 1 << 4,
	THEME_ATTR_STANDOUT = 1 << 5,
};

enum theme_mode {
	THEME_MODE_MONO, /* attributes only */
	THEME_MODE_8,    /* the 8 ANSI colours (also 16-colour terminals) */
	THEME_MODE_256,
	_THEME_MODE_MAX,
	_THEME_MODE_INVALID = -22,
};

#define THEME_COLOR_DEFAULT (-1)

/* What a role comes out as on this terminal. */
struct theme_style {
	int16_t fg, bg; /* THEME_COLOR_DEFAULT or 0-255 (0-7 in THEME_MODE_8) */
	uint16_t attrs; /* enum theme_attr */
};

#define THEME_MAX_COLORS 64
#define THEME_MAX_WARNINGS 32

struct theme_color {
	char name[32];
	int16_t rich;     /* 0-255 or THEME_COLOR_DEFAULT */
	int16_t fallback; /* 0-7, THEME_COLOR_DEFAULT, or -2: unset */
};

/* One parsed file. Styles are kept as text until resolved, so [styles] may name colours that
 * [colors] defines further down, and an inherited theme's colours can be used. */
struct theme {
	char *name;    /* [theme] name = */
	char *label;   /* file name, for warnings */
	char *inherit; /* [theme] inherit = (NULL: builtin) */
	struct theme_color colors[THEME_MAX_COLORS];
	size_t n_colors;
	char *styles[_THEME_ROLE_MAX];
	char *mono[_THEME_ROLE_MAX];
	struct theme *parent; /* the inherited theme, owned */
	char *warnings[THEME_MAX_WARNINGS];
	size_t n_warnings;
};

void theme_free(struct theme *t);
static inline void theme_freep(struct theme **t)
{
	if (*t)
		theme_free(*t);
}
#define _cleanup_theme_ _cleanup_(theme_freep)

/* Parses theme text; label names it in warnings. Bad entries become warnings, never failures.
 * -ENOMEM only. */
int theme_parse_string(const char *text, const char *label, struct theme **ret);

/* The compiled-in theme (same content as themes/default.theme). */
const char *theme_builtin_text(void);

/* Directories searched for NAME.theme, in order: $XDG_CONFIG_HOME/banger/themes (or
 * ~/.config/…), $XDG_DATA_HOME/banger/themes (or ~/.local/share/…), then pkgdatadir/themes. */
int theme_search_path(const char *pkgdatadir, char ***ret_dirs);
void theme_strv_free(char **v);

/* Loads a theme by name (searched) or path (contains '/'), following inherit = (at most 4
 * levels; "builtin" ends the chain). "builtin" itself gives the compiled-in theme. -ENOENT
 * when not found, with the file's warnings kept in the theme otherwise. */
int theme_load(const char *name, char *const *dirs, struct theme **ret);

/* Resolves every role for a mode. Lookup order per role: the theme chain from the loaded theme
 * to builtin, trying in each the role then its dotted parents (not "default"), and finally the
 * "default" role. Bad values found here are added to t's warnings. */
void theme_resolve(struct theme *t, enum theme_mode mode, struct theme_style ret[_THEME_ROLE_MAX]);

/* Maps a 0-255 colour to the nearest of the 8 ANSI colours. Index 8 and the dark grays map to
 * THEME_COLOR_DEFAULT (the caller adds dim): gray text must stay readable. */
int theme_color_to_8(int c);
/* Maps #rrggbb to the xterm-256 palette (gray ramp when r≈g≈b, else the 6×6×6 cube). */
int theme_rgb_to_256(unsigned r, unsigned g, unsigned b);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* From a resolved theme to curses attributes: colour pairs assigned lazily and shared. */
#include <errno.h>
#include <string.h>

#include "tui/app.h"

#define MAX_PAIRS 256 /* COLOR_PAIR() packs the pair into 8 attribute bits */

static struct {
	short fg, bg;
} pairs[MAX_PAIRS];
static int n_pairs = 1; /* pair 0 is the terminal's default */

static attr_t attrs_of(uint16_t a)
{
	static const struct {
		uint16_t theme;
		attr_t curses;
	} map[] = {
		{THEME_ATTR_BOLD, A_BOLD},
		{THEME_ATTR_DIM, A_DIM},
		{THEME_ATTR_ITALIC, A_ITALIC},
		{THEME_ATTR_UNDERLINE, A_UNDERLINE},
		{THEME_ATTR_REVERSE, A_REVERSE},
		{THEME_ATTR_STANDOUT, A_STANDOUT},
	};
	attr_t r = A_NORMAL;

	for (size_t i = 0; i < ELEMENTSOF(map); i++)
		if (a & map[i].theme)
			r |= map[i].curses;
	return r;
}

attr_t ui_color_attr(struct app *a, int fg, int bg)
{
	int limit = MIN(COLOR_PAIRS, MAX_PAIRS);

	if (a->mode == THEME_MODE_MONO || !a->colors_started || (fg < 0 && bg < 0))
		return A_NORMAL;
	if (fg >= COLORS)
		fg = theme_color_to_8(fg);
	if (bg >= COLORS)
		bg = theme_color_to_8(bg);
	for (int i = 1; i < n_pairs; i++)
		if (pairs[i].fg == fg && pairs[i].bg == bg)
			return COLOR_PAIR(i);
	if (n_pairs >= limit)
		return A_NORMAL; /* out of pairs: uncoloured beats wrong */
	if (init_pair((short)n_pairs, (short)fg, (short)bg) == ERR)
		return A_NORMAL;
	pairs[n_pairs].fg = (short)fg;
	pairs[n_pairs].bg = (short)bg;
	return COLOR_PAIR(n_pairs++);
}

int ui_theme_apply(struct app *a, const char *name)
{
	struct theme_style styles[_THEME_ROLE_MAX];
	struct theme *t = NULL;
	int r;

	r = theme_load(name, a->theme_dirs, &t);
	if (r == -ENOENT && streq(name, "default"))
		r = theme_load("builtin", a->theme_dirs, &t);
	if (r < 0) {
		app_status(a, STATUS_ERROR, "theme %s: %s; keeping %s", name, strerror(-r),
			a->theme && a->theme->name ? a->theme->name : "the current theme");
		return r;
	}
	theme_resolve(t, a->mode, styles);
	n_pairs = 1; /* pairs are re-initialised for the new theme */
	for (size_t i = 0; i < _THEME_ROLE_MAX; i++)
		a->attrs[i] =
			attrs_of(styles[i].attrs) | ui_color_attr(a, styles[i].fg, styles[i].bg);
	if (a->colors_started) {
		short fg = styles[THEME_DEFAULT].fg, bg = styles[THEME_DEFAULT].bg;
		if (a->mode != THEME_MODE_MONO)
			assume_default_colors(fg, bg);
	}
	bkgdset(' ' | a->attrs[THEME_DEFAULT]);
	if (t->n_warnings > 0)
		app_status(a, STATUS_WARN, "%s%s", t->warnings[0],
			t->n_warnings > 1 ? " (and more)" : "");
	theme_free(a->theme);
	a->theme = t;
	return 0;
}

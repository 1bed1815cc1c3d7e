/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Theme files: parsing with inih, the search path, inheritance and colour resolution. */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/macro.h"
#include "tui/theme.h"

#define FALLBACK_UNSET (-2)
#define MAX_INHERIT 4

static const char *const role_names[_THEME_ROLE_MAX] = {
#define ROLE(id, name) [THEME_##id] = name,
#include "tui/theme-roles.def"
#undef ROLE
};

const char *theme_role_to_string(enum theme_role r)
{
	return r >= 0 && r < _THEME_ROLE_MAX ? role_names[r] : NULL;
}

enum theme_role theme_role_from_string(const char *s)
{
	for (size_t i = 0; i < _THEME_ROLE_MAX; i++)
		if (streq(role_names[i], s))
			return (enum theme_role)i;
	return _THEME_ROLE_INVALID;
}

static const char *const ansi_names[8] = {
	"black",
	"red",
	"green",
	"yellow",
	"blue",
	"magenta",
	"cyan",
	"white",
};

static const struct {
	const char *name;
	enum theme_attr attr;
} attr_names[] = {
	{"bold", THEME_ATTR_BOLD},
	{"dim", THEME_ATTR_DIM},
	{"italic", THEME_ATTR_ITALIC},
	{"underline", THEME_ATTR_UNDERLINE},
	{"reverse", THEME_ATTR_REVERSE},
	{"standout", THEME_ATTR_STANDOUT},
};

void theme_free(struct theme *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < _THEME_ROLE_MAX; i++) {
		free(t->styles[i]);
		free(t->mono[i]);
	}
	for (size_t i = 0; i < t->n_warnings; i++)
		free(t->warnings[i]);
	theme_free(t->parent);
	free(t->name);
	free(t->label);
	free(t->inherit);
	free(t);
}

_printf_(2, 3) static void warn(struct theme *t, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (t->n_warnings >= THEME_MAX_WARNINGS)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) >= 0)
		t->warnings[t->n_warnings++] = s;
	va_end(ap);
}

static int ansi_index(const char *s)
{
	for (size_t i = 0; i < ELEMENTSOF(ansi_names); i++)
		if (strcasecmp(ansi_names[i], s) == 0)
			return (int)i;
	return -1;
}

int theme_rgb_to_256(unsigned r, unsigned g, unsigned b)
{
	static const unsigned levels[6] = {0, 95, 135, 175, 215, 255};
	unsigned mx = MAX(r, MAX(g, b)), mn = MIN(r, MIN(g, b));
	size_t ri = 0, gi = 0, bi = 0;

	if (mx - mn < 12) {
		unsigned avg = (r + g + b) / 3;
		if (avg < 4)
			return 16;
		if (avg > 246)
			return 231;
		return 232 + (int)MIN((avg - 3) / 10, 23u);
	}
	for (size_t i = 0; i < 6; i++) {
		if (abs((int)levels[i] - (int)r) < abs((int)levels[ri] - (int)r))
			ri = i;
		if (abs((int)levels[i] - (int)g) < abs((int)levels[gi] - (int)g))
			gi = i;
		if (abs((int)levels[i] - (int)b) < abs((int)levels[bi] - (int)b))
			bi = i;
	}
	return 16 + (int)(36 * ri + 6 * gi + bi);
}

static void rgb_of_256(int c, unsigned *r, unsigned *g, unsigned *b)
{
	static const unsigned levels[6] = {0, 95, 135, 175, 215, 255};

	if (c >= 232) {
		*r = *g = *b = 8 + 10 * (unsigned)(c - 232);
		return;
	}
	c -= 16;
	*r = levels[c / 36];
	*g = levels[(c / 6) % 6];
	*b = levels[c % 6];
}

int theme_color_to_8(int c)
{
	unsigned r, g, b, mx, mn, mid;

	if (c < 0 || c > 255)
		return THEME_COLOR_DEFAULT;
	if (c < 8)
		return c;
	if (c == 8)
		return THEME_COLOR_DEFAULT;
	if (c < 16)
		return c - 8;
	rgb_of_256(c, &r, &g, &b);
	mx = MAX(r, MAX(g, b));
	mn = MIN(r, MIN(g, b));
	if (mx - mn < 40) {
		/* Grays: black and white at the ends, the terminal's own colour in between. */
		if (mx < 48)
			return 0;
		if (mn > 192)
			return 7;
		return THEME_COLOR_DEFAULT;
	}
	/* By hue: the channels clearly above the middle of the range are "on". */
	mid = mn + (mx - mn) / 2;
	return (r > mid ? 1 : 0) | (g > mid ? 2 : 0) | (b > mid ? 4 : 0);
}

/* A literal colour: default, an ANSI name, bright-NAME, 0-255, #rrggbb. */
static int parse_literal(const char *s, int *ret)
{
	char *end;
	long v;
	int i;

	if (strcasecmp(s, "default") == 0) {
		*ret = THEME_COLOR_DEFAULT;
		return 0;
	}
	if ((i = ansi_index(s)) >= 0) {
		*ret = i;
		return 0;
	}
	if (strncasecmp(s, "bright-", 7) == 0 && (i = ansi_index(s + 7)) >= 0) {
		*ret = 8 + i;
		return 0;
	}
	if (s[0] == '#' && strlen(s) == 7) {
		unsigned rgb[3];
		for (size_t k = 0; k < 3; k++) {
			char part[3] = {s[1 + 2 * k], s[2 + 2 * k], 0};
			if (!isxdigit((unsigned char)part[0]) || !isxdigit((unsigned char)part[1]))
				return -EINVAL;
			rgb[k] = (unsigned)strtoul(part, NULL, 16);
		}
		*ret = theme_rgb_to_256(rgb[0], rgb[1], rgb[2]);
		return 0;
	}
	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 0 || v > 255)
		return -EINVAL;
	*ret = (int)v;
	return 0;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static void add_color(struct theme *t, const char *name, const char *value)
{
	_cleanup_free_ char *copy = strdup(value);
	char *rich, *fb;
	struct theme_color col = {.fallback = FALLBACK_UNSET};
	int v;

	if (!copy)
		return;
	if (strlen(name) >= sizeof(col.name) || ansi_index(name) >= 0 ||
		strcasecmp(name, "default") == 0) {
		warn(t, "theme %s: [colors] %s: bad colour name", t->label, name);
		return;
	}
	fb = strchr(copy, ',');
	if (fb)
		*fb++ = '\0';
	rich = trim(copy);
	if (parse_literal(rich, &v) < 0) {
		warn(t, "theme %s: [colors] %s: unknown colour '%s'", t->label, name, rich);
		return;
	}
	col.rich = (int16_t)v;
	if (fb && *trim(fb)) {
		fb = trim(fb);
		if (parse_literal(fb, &v) < 0 || v > 7)
			warn(t, "theme %s: [colors] %s: bad 8-colour fallback '%s'", t->label, name,
				fb);
		else
			col.fallback = (int16_t)v;
	}
	strcpy(col.name, name);
	for (size_t i = 0; i < t->n_colors; i++)
		if (streq(t->colors[i].name, name)) {
			t->colors[i] = col;
			return;
		}
	if (t->n_colors >= THEME_MAX_COLORS) {
		warn(t, "theme %s: [colors] %s: too many colours", t->label, name);
		return;
	}
	t->colors[t->n_colors++] = col;
}

static int set_dup(char **field, const char *v)
{
	char *c = strdup(v);
	if (!c)
		return -ENOMEM;
	free(*field);
	*field = c;
	return 0;
}

static int theme_ini_handler(void *user, const char *section, const char *name, const char *value)
{
	struct theme *t = user;
	enum theme_role role;

	if (streq(section, "theme")) {
		if (streq(name, "name"))
			return set_dup(&t->name, value) == 0;
		if (streq(name, "inherit"))
			return set_dup(&t->inherit, value) == 0;
		if (!streq(name, "format"))
			warn(t, "theme %s: [theme] %s: unknown setting", t->label, name);
		else if (!streq(value, "1"))
			warn(t, "theme %s: format %s is not 1; reading it anyway", t->label, value);
		return 1;
	}
	if (streq(section, "colors")) {
		add_color(t, name, value);
		return 1;
	}
	if (streq(section, "styles") || streq(section, "mono")) {
		role = theme_role_from_string(name);
		if (role < 0) {
			warn(t, "theme %s: [%s] %s: unknown role", t->label, section, name);
			return 1;
		}
		return set_dup(streq(section, "mono") ? &t->mono[role] : &t->styles[role], value) ==
		       0;
	}
	warn(t, "theme %s: [%s]: unknown section", t->label, section);
	return 1;
}

int theme_parse_string(const char *text, const char *label, struct theme **ret)
{
	_cleanup_theme_ struct theme *t = calloc(1, sizeof(*t));
	int r;

	if (!t)
		return -ENOMEM;
	t->label = strdup(label);
	if (!t->label)
		return -ENOMEM;
	r = ini_parse_string(text, theme_ini_handler, t);
	if (r == -2)
		return -ENOMEM;
	if (r > 0)
		warn(t, "theme %s:%d: syntax error", t->label, r);
	*ret = TAKE_PTR(t);
	return 0;
}

void theme_strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

int theme_search_path(const char *pkgdatadir, char ***ret_dirs)
{
	const char *home = getenv("HOME"), *e;
	char **dirs = calloc(4, sizeof(char *));
	size_t n = 0;

	if (!dirs)
		return -ENOMEM;
	e = getenv("XDG_CONFIG_HOME");
	if (e && *e ? asprintf(&dirs[n], "%s/banger/themes", e) >= 0
		    : home && asprintf(&dirs[n], "%s/.config/banger/themes", home) >= 0)
		n++;
	e = getenv("XDG_DATA_HOME");
	if (e && *e ? asprintf(&dirs[n], "%s/banger/themes", e) >= 0
		    : home && asprintf(&dirs[n], "%s/.local/share/banger/themes", home) >= 0)
		n++;
	if (pkgdatadir && asprintf(&dirs[n], "%s/themes", pkgdatadir) >= 0)
		n++;
	dirs[n] = NULL;
	*ret_dirs = dirs;
	return 0;
}

static int read_file(const char *path, char **ret)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	_cleanup_free_ char *buf = NULL;
	size_t n = 0, cap = 0;

	if (!f)
		return negative_errno();
	for (;;) {
		if (cap - n < 4096) {
			char *b;
			if (cap >= 1024 * 1024)
				return -EFBIG;
			b = realloc(buf, cap + 8192);
			if (!b)
				return -ENOMEM;
			buf = b;
			cap += 8192;
		}
		size_t k = fread(buf + n, 1, cap - n - 1, f);
		n += k;
		if (k == 0)
			break;
	}
	if (ferror(f))
		return -EIO;
	buf[n] = '\0';
	*ret = TAKE_PTR(buf);
	return 0;
}

static int load_one(const char *name, char *const *dirs, struct theme **ret)
{
	_cleanup_free_ char *text = NULL, *path = NULL;
	const char *base;
	int r = -ENOENT;

	if (streq(name, "builtin"))
		return theme_parse_string(theme_builtin_text(), "builtin", ret);
	if (strchr(name, '/')) {
		path = strdup(name);
		if (!path)
			return -ENOMEM;
		r = read_file(path, &text);
	} else {
		if (!*name || strlen(name) > 64)
			return -EINVAL;
		for (char *const *d = dirs; d && *d && r == -ENOENT; d++) {
			free(path);
			if (asprintf(&path, "%s/%s.theme", *d, name) < 0) {
				path = NULL;
				return -ENOMEM;
			}
			r = read_file(path, &text);
		}
	}
	if (r < 0)
		return r;
	base = strrchr(path, '/');
	return theme_parse_string(text, base ? base + 1 : path, ret);
}

int theme_load(const char *name, char *const *dirs, struct theme **ret)
{
	_cleanup_theme_ struct theme *t = NULL;
	struct theme *cur;
	int r, depth = 0;

	r = load_one(name, dirs, &t);
	if (r < 0)
		return r;
	for (cur = t; !streq(cur->label, "builtin"); cur = cur->parent) {
		const char *inherit =
			cur->inherit && !streq(cur->inherit, "builtin") && depth < MAX_INHERIT
				? cur->inherit
				: "builtin";
		if (depth++ >= MAX_INHERIT && cur->inherit && !streq(cur->inherit, "builtin"))
			warn(t, "theme %s: inherit chain too deep; using builtin", cur->label);
		r = load_one(inherit, dirs, &cur->parent);
		if (r == -ENOMEM)
			return r;
		if (r < 0) {
			warn(t, "theme %s: cannot load inherited theme '%s': %s", cur->label,
				inherit, strerror(-r));
			r = load_one("builtin", dirs, &cur->parent);
			if (r < 0)
				return r;
		}
		/* Warnings of inherited files show up on the theme the user picked. */
		for (size_t i = 0; i < cur->parent->n_warnings; i++)
			warn(t, "%s", cur->parent->warnings[i]);
	}
	*ret = TAKE_PTR(t);
	return 0;
}

/* A colour token in a style: a literal or a name from [colors] along the chain. */
static int resolve_color(
	const struct theme *t, const char *tok, enum theme_mode mode, int *ret, uint16_t *attrs)
{
	int v;

	for (const struct theme *th = t; th; th = th->parent)
		for (size_t i = 0; i < th->n_colors; i++) {
			const struct theme_color *c = &th->colors[i];
			if (!streq(c->name, tok))
				continue;
			if (mode == THEME_MODE_256) {
				*ret = c->rich;
				return 0;
			}
			if (c->fallback != FALLBACK_UNSET) {
				/* A colour that falls back to the terminal's own is dimmed, so it
				 * still reads as secondary (never colour 8 for text). */
				if (c->fallback == THEME_COLOR_DEFAULT &&
					c->rich != THEME_COLOR_DEFAULT)
					*attrs |= THEME_ATTR_DIM;
				*ret = c->fallback;
				return 0;
			}
			v = c->rich;
			goto map8;
		}
	if (parse_literal(tok, &v) < 0)
		return -EINVAL;
	if (mode == THEME_MODE_256) {
		*ret = v;
		return 0;
	}
map8:
	if (v >= 8 && v < 16 && v != 8)
		*attrs |= THEME_ATTR_BOLD; /* bright-X on 8 colours: X in bold */
	*ret = theme_color_to_8(v);
	if (*ret == THEME_COLOR_DEFAULT && v >= 8)
		*attrs |= THEME_ATTR_DIM; /* grays: never colour 8, the default colour dimmed */
	return 0;
}

/* "<fg> [on <bg>] [+attr ...]". -EINVAL with *bad pointing into buf at the bad token. */
static int parse_style(const struct theme *t, const char *text, enum theme_mode mode,
	struct theme_style *ret, char *bad, size_t bad_size)
{
	_cleanup_free_ char *copy = strdup(text);
	struct theme_style st = {THEME_COLOR_DEFAULT, THEME_COLOR_DEFAULT, 0};
	uint16_t extra_fg = 0, extra_bg = 0;
	bool have_fg = false, want_bg = false, have_bg = false;
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	for (char *tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		int c;
		if (tok[0] == '+') {
			size_t i;
			for (i = 0; i < ELEMENTSOF(attr_names); i++)
				if (strcasecmp(attr_names[i].name, tok + 1) == 0)
					break;
			if (i == ELEMENTSOF(attr_names))
				goto fail;
			st.attrs |= attr_names[i].attr;
			continue;
		}
		if (strcasecmp(tok, "on") == 0 && !want_bg && !have_bg) {
			want_bg = true;
			continue;
		}
		if (want_bg && !have_bg) {
			if (resolve_color(t, tok, mode, &c, &extra_bg) < 0)
				goto fail;
			st.bg = (int16_t)c;
			have_bg = true;
			continue;
		}
		if (have_fg || have_bg || resolve_color(t, tok, mode, &c, &extra_fg) < 0)
			goto fail;
		st.fg = (int16_t)c;
		have_fg = true;
		continue;
	fail:
		snprintf(bad, bad_size, "%s", tok);
		return -EINVAL;
	}
	if (want_bg && !have_bg) {
		snprintf(bad, bad_size, "on");
		return -EINVAL;
	}
	if (mode == THEME_MODE_MONO)
		st.fg = st.bg = THEME_COLOR_DEFAULT;
	else
		st.attrs |= extra_fg; /* bold/dim stand in for bright and gray foregrounds */
	*ret = st;
	return 0;
}

static enum theme_role role_parent(enum theme_role r)
{
	char name[64];
	char *dot;

	snprintf(name, sizeof(name), "%s", role_names[r]);
	while ((dot = strrchr(name, '.'))) {
		enum theme_role p;
		*dot = '\0';
		p = theme_role_from_string(name);
		if (p >= 0)
			return p;
	}
	return THEME_DEFAULT;
}

static bool lookup(struct theme *top, struct theme *th, enum theme_role r, enum theme_mode mode,
	struct theme_style *ret)
{
	char *text = mode == THEME_MODE_MONO ? th->mono[r] : th->styles[r];
	char bad[64];
	int k;

	if (!text)
		return false;
	k = parse_style(th, text, mode, ret, bad, sizeof(bad));
	if (k == 0)
		return true;
	if (k == -EINVAL) {
		bool dup = false;
		char *msg;
		if (asprintf(&msg, "theme %s: [%s] %s: unknown colour or attribute '%s'", th->label,
			    mode == THEME_MODE_MONO ? "mono" : "styles", role_names[r], bad) < 0)
			return false;
		for (size_t i = 0; i < top->n_warnings; i++)
			dup = dup || streq(top->warnings[i], msg);
		if (!dup)
			warn(top, "%s", msg);
		free(msg);
	}
	return false;
}

void theme_resolve(struct theme *t, enum theme_mode mode, struct theme_style ret[_THEME_ROLE_MAX])
{
	for (size_t i = 0; i < _THEME_ROLE_MAX; i++) {
		enum theme_role r = (enum theme_role)i;
		struct theme_style st = {THEME_COLOR_DEFAULT, THEME_COLOR_DEFAULT, 0};
		bool found = false;

		for (struct theme *th = t; th && !found; th = th->parent)
			for (enum theme_role a = r; !found; a = role_parent(a)) {
				if (a == THEME_DEFAULT && r != THEME_DEFAULT)
					break;
				found = lookup(t, th, a, mode, &st);
				if (a == THEME_DEFAULT)
					break;
			}
		if (!found && r != THEME_DEFAULT)
			st = ret[THEME_DEFAULT];
		ret[r] = st;
	}
}

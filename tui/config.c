/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tui.conf parsing. */
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/macro.h"
#include "tui/config.h"

struct parse_ctx {
	struct tui_config *c;
	struct keymap *km;
};

void tui_config_defaults(struct tui_config *c)
{
	*c = (struct tui_config){
		.theme = "default",
		.color = TUI_COLOR_AUTO,
		.fps = 30,
		.hints = true,
		.ssh_pause = SSH_PAUSE_ERROR,
		.split = 40,
		.sort = VM_COL_NAME,
		.scrollback = 10000,
		.max_bytes = 8u << 20,
		.max_line_bytes = 16u << 10,
		.wrap = true,
	};
}

void tui_config_done(struct tui_config *c)
{
	for (size_t i = 0; i < c->n_warnings; i++)
		free(c->warnings[i]);
	c->n_warnings = 0;
}

_printf_(2, 3) static void warn(struct tui_config *c, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (c->n_warnings >= TUI_CONFIG_MAX_WARNINGS)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) >= 0)
		c->warnings[c->n_warnings++] = s;
	va_end(ap);
}

int tui_parse_size(const char *s, size_t *ret)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	if (*end == 'K' || *end == 'k')
		v <<= 10, end++;
	else if (*end == 'M' || *end == 'm')
		v <<= 20, end++;
	else if (*end == 'G' || *end == 'g')
		v <<= 30, end++;
	if (*end)
		return -EINVAL;
	*ret = (size_t)v;
	return 0;
}

static int parse_bool(const char *v, bool *ret)
{
	static const char *const yes[] = {"on", "yes", "true", "1"};
	static const char *const no[] = {"off", "no", "false", "0"};

	for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*ret = true;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

static int pick(const char *v, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(v, names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

static bool set_ui(struct tui_config *c, const char *name, const char *v)
{
	static const char *const colors[] = {"auto", "always", "never"};
	static const char *const pauses[] = {"error", "always", "never"};
	size_t n;
	int k;

	if (streq(name, "theme")) {
		if (strlen(v) >= sizeof(c->theme))
			return false;
		strcpy(c->theme, v);
		return true;
	}
	if (streq(name, "color"))
		return (k = pick(v, colors, ELEMENTSOF(colors))) >= 0 &&
		       (c->color = (enum tui_color)k, true);
	if (streq(name, "ssh_pause_on_exit"))
		return (k = pick(v, pauses, ELEMENTSOF(pauses))) >= 0 &&
		       (c->ssh_pause = (enum ssh_pause)k, true);
	if (streq(name, "hints"))
		return parse_bool(v, &c->hints) >= 0;
	if (streq(name, "fps"))
		return tui_parse_size(v, &n) >= 0 && n >= 1 && n <= 120 &&
		       (c->fps = (unsigned)n, true);
	if (streq(name, "mouse"))
		return parse_bool(v, &c->mouse) >= 0;
	if (streq(name, "split"))
		return tui_parse_size(v, &n) >= 0 && n >= 10 && n <= 90 &&
		       (c->split = (unsigned)n, true);
	return false;
}

static bool set_list(struct tui_config *c, const char *name, const char *v)
{
	if (streq(name, "sort")) {
		enum vm_column col = vm_column_from_string(v[0] == '-' ? v + 1 : v);
		if (col < 0)
			return false;
		c->sort = col;
		c->sort_descending = v[0] == '-';
		return true;
	}
	return false;
}

static bool set_console(struct tui_config *c, const char *name, const char *v)
{
	size_t n;

	if (streq(name, "scrollback"))
		return tui_parse_size(v, &n) >= 0 && n >= 100 && n <= 1000000 &&
		       (c->scrollback = n, true);
	if (streq(name, "max_bytes"))
		return tui_parse_size(v, &n) >= 0 && n >= 65536 && (c->max_bytes = n, true);
	if (streq(name, "max_line_bytes"))
		return tui_parse_size(v, &n) >= 0 && n >= 256 && n <= (1u << 20) &&
		       (c->max_line_bytes = n, true);
	if (streq(name, "wrap"))
		return parse_bool(v, &c->wrap) >= 0;
	if (streq(name, "timestamps"))
		return parse_bool(v, &c->timestamps) >= 0;
	return false;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *p = user;
	bool ok;

	if (streq(section, "keys")) {
		keymap_bind(p->km, name, value);
		return 1;
	}
	if (streq(section, "ui"))
		ok = set_ui(p->c, name, value);
	else if (streq(section, "list"))
		ok = set_list(p->c, name, value);
	else if (streq(section, "console"))
		ok = set_console(p->c, name, value);
	else {
		warn(p->c, "tui.conf: [%s]: unknown section", section);
		return 1;
	}
	if (!ok)
		warn(p->c, "tui.conf: [%s] %s = %s: not understood, default kept", section, name,
			value);
	return 1;
}

int tui_config_parse_string(struct tui_config *c, struct keymap *km, const char *text)
{
	struct parse_ctx p = {c, km};
	int r = ini_parse_string(text, handler, &p);

	if (r == -2)
		return -ENOMEM;
	if (r > 0)
		warn(c, "tui.conf:%d: syntax error", r);
	return 0;
}

int tui_config_load(struct tui_config *c, struct keymap *km, const char *path)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	struct parse_ctx p = {c, km};
	int r;

	if (!f)
		return 0;
	r = ini_parse_file(f, handler, &p);
	if (r == -2)
		return -ENOMEM;
	if (r > 0)
		warn(c, "%s:%d: syntax error", path, r);
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Human output: aligned tables, sizes, durations and colour (only on a terminal, never with
 * NO_COLOR). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/output.h"
#include "common/macro.h"

void table_init(struct table *t, size_t n_cols, const char *const *headers)
{
	*t = (struct table){.n_cols = MIN(n_cols, (size_t)TABLE_MAX_COLS)};
	for (size_t i = 0; i < t->n_cols; i++)
		t->headers[i] = headers[i];
}

void table_done(struct table *t)
{
	for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->colors);
	*t = (struct table){};
}

int table_add_row(struct table *t, const char *const *cells, size_t color_col, const char *color)
{
	if (t->n_rows == t->cap_rows) {
		size_t ncap = t->cap_rows ? t->cap_rows * 2 : 32;
		char **nc = realloc(t->cells, ncap * t->n_cols * sizeof(char *));
		if (!nc)
			return -ENOMEM;
		t->cells = nc;
		const char **ncol = realloc(t->colors, ncap * t->n_cols * sizeof(char *));
		if (!ncol)
			return -ENOMEM;
		t->colors = ncol;
		t->cap_rows = ncap;
	}
	for (size_t i = 0; i < t->n_cols; i++) {
		size_t at = t->n_rows * t->n_cols + i;
		t->cells[at] = strdup(cells[i] ? cells[i] : "-");
		t->colors[at] = i == color_col ? color : NULL;
		if (!t->cells[at]) {
			for (size_t k = 0; k < i; k++)
				free(t->cells[t->n_rows * t->n_cols + k]);
			return -ENOMEM;
		}
	}
	t->n_rows++;
	return 0;
}

void table_print(const struct table *t, bool color)
{
	size_t width[TABLE_MAX_COLS] = {};

	for (size_t c = 0; c < t->n_cols; c++) {
		width[c] = strlen(t->headers[c]);
		for (size_t r = 0; r < t->n_rows; r++)
			width[c] = MAX(width[c], strlen(t->cells[r * t->n_cols + c]));
	}
	if (color)
		fputs(COLOR_BOLD, stdout);
	for (size_t c = 0; c < t->n_cols; c++)
		printf("%-*s%s", c + 1 < t->n_cols ? (int)width[c] : 0, t->headers[c],
			c + 1 < t->n_cols ? "  " : "");
	if (color)
		fputs(COLOR_RESET, stdout);
	putchar('\n');
	for (size_t r = 0; r < t->n_rows; r++) {
		for (size_t c = 0; c < t->n_cols; c++) {
			const char *cell = t->cells[r * t->n_cols + c];
			const char *col = color ? t->colors[r * t->n_cols + c] : NULL;
			int pad = c + 1 < t->n_cols ? (int)(width[c] - strlen(cell)) : 0;

			if (col && col[0])
				printf("%s%s%s", col, cell, COLOR_RESET);
			else
				fputs(cell, stdout);
			if (c + 1 < t->n_cols)
				printf("%*s  ", pad, "");
		}
		putchar('\n');
	}
}

bool output_want_color(void)
{
	const char *nc = getenv("NO_COLOR");

	if (nc && nc[0])
		return false;
	return isatty(STDOUT_FILENO) == 1;
}

const char *color_for_state(const char *state)
{
	static const struct {
		const char *state, *color;
	} table[] = {
		{"running", COLOR_GREEN},
		{"starting", COLOR_YELLOW},
		{"stopping", COLOR_YELLOW},
		{"paused", COLOR_YELLOW},
		{"suspended", COLOR_DIM},
		{"halted", COLOR_YELLOW}, /* running, but the guest halted (vm list) */
		{"error", COLOR_RED},
		{"stopped", COLOR_DIM},
		{"created", ""},
	};

	for (size_t i = 0; state && i < ELEMENTSOF(table); i++)
		if (streq(table[i].state, state))
			return table[i].color;
	return "";
}

void format_size(uint64_t bytes, char *buf, size_t size)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	double v = (double)bytes;
	size_t u = 0;

	while (v >= 1024 && u + 1 < ELEMENTSOF(units)) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%llu B", (unsigned long long)bytes);
	else if (v < 10 && v != (double)(uint64_t)v)
		snprintf(buf, size, "%.1f %s", v, units[u]);
	else
		snprintf(buf, size, "%.0f %s", v, units[u]);
}

void format_duration(uint64_t s, char *buf, size_t size)
{
	if (s < 60)
		snprintf(buf, size, "%llus", (unsigned long long)s);
	else if (s < 3600)
		snprintf(buf, size, "%llum%02llus", (unsigned long long)(s / 60),
			(unsigned long long)(s % 60));
	else if (s < 86400)
		snprintf(buf, size, "%lluh%02llum", (unsigned long long)(s / 3600),
			(unsigned long long)(s % 3600 / 60));
	else
		snprintf(buf, size, "%llud%02lluh", (unsigned long long)(s / 86400),
			(unsigned long long)(s % 86400 / 3600));
}

int parse_rfc3339(const char *s, time_t *ret)
{
	struct tm tm = {};
	const char *end;

	if (!s)
		return -EINVAL;
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end || (end[0] != 'Z' && end[0] != '\0'))
		return -EINVAL;
	*ret = timegm(&tm);
	return 0;
}

const char *json_str(const json_t *o, const char *key, const char *def)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : def;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The console pane: the selected VM's scrollback, following the end or paused on a line, wrapped
 * or scrolled sideways; only the visible lines are laid out. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tui/app.h"

#define MAX_ROWS 1024

bool console_line_matches(struct app *a, const struct console_line *l)
{
	bool has_upper = false;

	if (!a->search[0])
		return false;
	if (a->search_is_re)
		return regexec(&a->search_re, l->text, 0, NULL, 0) == 0;
	for (const char *p = a->search; *p; p++)
		has_upper = has_upper || (*p >= 'A' && *p <= 'Z');
	return has_upper ? strstr(l->text, a->search) != NULL
			 : strcasestr(l->text, a->search) != NULL;
}

static void draw_title(struct app *a, const struct vm *vm, const struct console *c)
{
	const char *r = a->utf8 ? "──" : "--";
	char buf[400], right[64] = "";
	attr_t attr = a->attrs[THEME_CONSOLE_TITLE] | (a->focus == FOCUS_CONSOLE ? A_BOLD : 0);
	int y = a->lay.con_title_y, x;
	uint64_t end = c ? console_end_id(c) : 0;

	if (!vm)
		snprintf(buf, sizeof(buf), " console %s no VM selected ", r);
	else {
		char progress[80];
		size_t o;

		o = (size_t)snprintf(buf, sizeof(buf),
			" console: %s %s %s %s %s %s %" PRIu64 " lines ", vm->name, r,
			a->follow ? "FOLLOW" : "PAUSED", r, a->wrap ? "wrap" : "nowrap", r,
			c ? (uint64_t)c->n : 0);
		vm_progress_format(vm, now_ms(), progress, sizeof(progress));
		if (progress[0] && o < sizeof(buf))
			snprintf(buf + o, sizeof(buf) - o, "%s starting: %s ", r, progress);
	}
	attrset(attr);
	mvhline(y, 0, ' ', COLS);
	x = draw_text(a, y, 0, COLS, buf, strlen(buf), attr, 0);
	if (vm && !a->follow)
		snprintf(right, sizeof(right), " %s %" PRIu64 " new ", a->utf8 ? "↓" : "v",
			end > a->seen_end ? end - a->seen_end : 0);
	attrset(attr);
	move(y, x);
	for (int i = x; i < COLS - (int)text_columns(right, strlen(right)) - 1; i++)
		if (a->utf8)
			addstr("─");
		else
			addch('-');
	if (right[0])
		draw_text(a, y, COLS - text_columns(right, strlen(right)) - 1, COLS, right,
			strlen(right), attr, 0);
}

/* "HH:MM:SS " before each line with timestamps on */
#define TS_W 9

static int rows_of(struct app *a, const struct console_line *l, int width)
{
	int cols;

	if (!a->wrap || l->kind == CONSOLE_MARKER)
		return 1;
	cols = text_columns(l->text, l->len);
	return MAX(1, (cols + width - 1) / width);
}

void draw_console(struct app *a)
{
	static struct {
		uint64_t id;
		int part;
	} vis[MAX_ROWS];
	struct layout *l = &a->lay;
	struct vm *vm;
	struct console *c;
	int h = MIN(l->con_h, MAX_ROWS), ts = a->timestamps ? TS_W : 0, w = MAX(COLS - ts, 1), row;
	uint64_t bottom, discarded_note = 0;

	if (l->con_title_y < 0)
		return;
	vm = app_selected(a);
	c = vm ? vm->console : NULL;
	draw_title(a, vm, c);
	if (h <= 0)
		return;
	for (int i = 0; i < h; i++)
		vis[i].id = UINT64_MAX;
	if (c && c->n > 0) {
		uint64_t end = console_end_id(c);
		if (a->follow)
			bottom = end - 1;
		else {
			if (a->anchor < c->first_id)
				discarded_note = c->first_id - a->anchor;
			bottom = MIN(MAX(a->anchor, c->first_id), end - 1);
		}
		row = h - 1;
		for (uint64_t id = bottom + 1;
			id-- > c->first_id && row >= (discarded_note ? 1 : 0);) {
			const struct console_line *line = console_get(c, id);
			int n = rows_of(a, line, w);
			for (int k = n - 1; k >= 0 && row >= (discarded_note ? 1 : 0); k--, row--) {
				vis[row].id = id;
				vis[row].part = k;
			}
		}
		/* Fewer lines than rows: they start at the top, like a pager. */
		if (row >= 0 && !discarded_note) {
			int shift = row + 1;
			for (int i = 0; i < h; i++)
				vis[i] = i + shift < h ? vis[i + shift]
						       : (typeof(vis[0])){UINT64_MAX, 0};
		}
	}
	for (size_t i = 0; i < ELEMENTSOF(a->con_rows); i++)
		a->con_rows[i] = i < (size_t)h ? vis[i].id : UINT64_MAX; /* for clicks and y */
	for (int i = 0; i < h; i++) {
		int y = l->con_y + i;
		const struct console_line *line;
		attr_t attr = a->attrs[THEME_CONSOLE_TEXT];

		attrset(a->attrs[THEME_CONSOLE]);
		mvhline(y, 0, ' ', COLS);
		if (i == 0 && discarded_note) {
			char note[96];
			snprintf(note, sizeof(note), "%s %" PRIu64 " older lines discarded %s",
				a->utf8 ? "—" : "--", discarded_note, a->utf8 ? "—" : "--");
			draw_text(
				a, y, 0, w, note, strlen(note), a->attrs[THEME_CONSOLE_MARKER], 0);
			continue;
		}
		if (vis[i].id == UINT64_MAX)
			continue;
		line = console_get(c, vis[i].id);
		if (ts && vis[i].part == 0) {
			char when[16] = "";
			struct tm tm;
			time_t t = (time_t)line->when;
			if (line->when > 0 && localtime_r(&t, &tm))
				strftime(when, sizeof(when), "%H:%M:%S", &tm);
			draw_text(a, y, 0, TS_W - 1, when, strlen(when),
				a->attrs[THEME_CONSOLE_MARKER], 0);
		}
		if (line->kind == CONSOLE_MARKER) {
			char text[256];
			const char *r = a->utf8 ? "──" : "--";
			snprintf(text, sizeof(text), "%s %s %s", r, line->text, r);
			draw_text(
				a, y, ts, w, text, strlen(text), a->attrs[THEME_CONSOLE_MARKER], 0);
			continue;
		}
		if (vis[i].id == a->con_sel)
			attr = a->attrs[THEME_TABLE_SELECTED];
		else if (vis[i].id == a->match_id && a->search[0])
			attr = a->attrs[THEME_CONSOLE_MATCH_CURRENT];
		else if (a->search[0] && console_line_matches(a, line))
			attr = a->attrs[THEME_CONSOLE_MATCH];
		if (attr != a->attrs[THEME_CONSOLE_TEXT]) {
			attrset(attr);
			mvhline(y, ts, ' ', w);
		}
		draw_text(a, y, ts, w, line->text, line->len, attr,
			a->wrap ? vis[i].part * w : a->hscroll);
	}
	if (!c || c->n == 0) {
		const char *msg = vm ? "no console output yet" : "select a VM to see its console";
		if (h > 0)
			draw_text(a, l->con_y + h / 2, MAX(0, (w - (int)strlen(msg)) / 2), w, msg,
				strlen(msg), a->attrs[THEME_TABLE_STALE], 0);
	}
	attrset(A_NORMAL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Overlays drawn over the frame: help (from the key table), inspect (every field of the VM) and
 * the confirm dialog (Cancel focused first). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tui/app.h"

struct box {
	int y, x, h, w;
};

static struct box box_open(struct app *a, int want_h, int want_w, const char *title, attr_t attr)
{
	struct box b;

	b.h = MIN(want_h, LINES - 2);
	b.w = MIN(want_w, COLS - 2);
	b.y = (LINES - b.h) / 2;
	b.x = (COLS - b.w) / 2;
	attrset(attr);
	for (int y = b.y; y < b.y + b.h; y++)
		mvhline(y, b.x, ' ', b.w);
	mvaddch(b.y, b.x, ACS_ULCORNER);
	mvhline(b.y, b.x + 1, ACS_HLINE, b.w - 2);
	mvaddch(b.y, b.x + b.w - 1, ACS_URCORNER);
	mvaddch(b.y + b.h - 1, b.x, ACS_LLCORNER);
	mvhline(b.y + b.h - 1, b.x + 1, ACS_HLINE, b.w - 2);
	mvaddch(b.y + b.h - 1, b.x + b.w - 1, ACS_LRCORNER);
	mvvline(b.y + 1, b.x, ACS_VLINE, b.h - 2);
	mvvline(b.y + 1, b.x + b.w - 1, ACS_VLINE, b.h - 2);
	if (title) {
		char t[160];
		snprintf(t, sizeof(t), " %s ", title);
		draw_text(a, b.y, b.x + 2, b.w - 4, t, strlen(t), a->attrs[THEME_DIALOG_TITLE], 0);
	}
	return b;
}

static void draw_help(struct app *a)
{
	static const char *const ctx_names[_KEY_CTX_MAX] = {
	        [KEY_CTX_GLOBAL] = "Global",
	        [KEY_CTX_LIST] = "VM list",
	        [KEY_CTX_CONSOLE] = "Console",
	        [KEY_CTX_DIALOG] = "Dialogs",
	};
	struct box b = box_open(a, LINES - 2, 100, "banger-tui help", a->attrs[THEME_DIALOG]);
	int line = 0, rows = b.h - 2, total = 0;

	for (int ctx = 0; ctx < _KEY_CTX_MAX; ctx++) {
		for (int pass = -1; pass < _KEY_ACTION_MAX; pass++) {
			char text[200], cmd[64] = "";
			attr_t attr = a->attrs[THEME_DIALOG];
			int y, used;

			if (pass == -1) {
				snprintf(text, sizeof(text), "%s", ctx_names[ctx]);
				attr = a->attrs[THEME_DIALOG_TITLE];
			} else {
				enum key_action act = (enum key_action)pass;
				if (act == KEY_ACTION_NONE ||
				        key_action_context(act) != (enum key_context)ctx)
					continue;
				keymap_help_row(
				        &a->keys, act, text, sizeof(text), cmd, sizeof(cmd));
			}
			total++;
			if (line++ < a->overlay_scroll)
				continue;
			y = b.y + 1 + line - 1 - a->overlay_scroll;
			if (y >= b.y + 1 + rows)
				continue;
			used = draw_text(a, y, b.x + 2, b.w - 4, text, strlen(text), attr, 0);
			/* The command that runs it, right-aligned where the width allows. */
			if (cmd[0] && used + 2 + (int)strlen(cmd) <= b.w - 4)
				draw_text(a, y, b.x + b.w - 2 - (int)strlen(cmd), (int)strlen(cmd),
				        cmd, strlen(cmd), a->attrs[THEME_HINTS_KEY], 0);
		}
	}
	if (a->overlay_scroll > MAX(total - rows, 0))
		a->overlay_scroll = MAX(total - rows, 0);
	if (total > rows)
		draw_text(a, b.y + b.h - 1, b.x + b.w - 14, 12, " j/k more ", 10,
		        a->attrs[THEME_DIALOG_TITLE], 0);
}

static void draw_inspect(struct app *a)
{
	struct vm *vm = app_selected(a);
	char title[160];
	struct box b;
	int rows;

	snprintf(title, sizeof(title), "inspect %s", vm && vm->name ? vm->name : "(gone)");
	b = box_open(a, (int)a->n_inspect + 2, 90, title, a->attrs[THEME_DIALOG]);
	rows = b.h - 2;
	if (a->overlay_scroll > MAX((int)a->n_inspect - rows, 0))
		a->overlay_scroll = MAX((int)a->n_inspect - rows, 0);
	for (int i = 0; i < rows && (size_t)(i + a->overlay_scroll) < a->n_inspect; i++) {
		const char *s = a->inspect_lines[i + a->overlay_scroll];
		draw_text(
		        a, b.y + 1 + i, b.x + 2, b.w - 4, s, strlen(s), a->attrs[THEME_DIALOG], 0);
	}
}

static void draw_confirm(struct app *a)
{
	struct confirm *c = &a->confirm;
	char cancel[] = "[ Cancel ]", verb[40];
	struct box b = box_open(a, (int)c->n_body + 6, 60, c->title, a->attrs[THEME_DIALOG]);
	int by = b.y + b.h - 3, total;
	bool danger = key_action_destructive(c->action) && c->n_targets > 0; /* VMs it hits */

	for (size_t i = 0; i < c->n_body && (int)i < b.h - 4; i++)
		draw_text(a, b.y + 2 + (int)i, b.x + 2, b.w - 4, c->body[i], strlen(c->body[i]),
		        a->attrs[THEME_DIALOG], 0);
	snprintf(verb, sizeof(verb), "[ %s ]", c->verb);
	total = (int)strlen(cancel) + 5 + (int)strlen(verb);
	int x = b.x + MAX((b.w - total) / 2, 1);
	draw_text(a, by, x, b.w, cancel, strlen(cancel),
	        c->focus == 0 ? a->attrs[THEME_DIALOG_BUTTON_FOCUS] : a->attrs[THEME_DIALOG_BUTTON],
	        0);
	x += (int)strlen(cancel) + 5;
	draw_text(a, by, x, b.w, verb, strlen(verb),
	        c->focus == 1 ? a->attrs[THEME_DIALOG_BUTTON_FOCUS]
	        : danger      ? a->attrs[THEME_DIALOG_DANGER]
	                      : a->attrs[THEME_DIALOG_BUTTON],
	        0);
	{
		const char *foot = " y confirm - n/Esc cancel - Tab switch ";
		draw_text(a, b.y + b.h - 1, b.x + MAX((b.w - (int)strlen(foot)) / 2, 1), b.w - 2,
		        foot, strlen(foot), a->attrs[THEME_DIALOG], 0);
	}
}

static void draw_messages(struct app *a)
{
	static const char *const tag[_STATUS_LEVEL_MAX] = {
	        [STATUS_INFO] = "info",
	        [STATUS_WARN] = "warn",
	        [STATUS_ERROR] = "error",
	};
	static const enum theme_role roles[_STATUS_LEVEL_MAX] = {
	        [STATUS_INFO] = THEME_DIALOG,
	        [STATUS_WARN] = THEME_STATUS_WARN,
	        [STATUS_ERROR] = THEME_STATUS_ERROR,
	};
	struct box b = box_open(a, LINES - 2, 100, "messages", a->attrs[THEME_DIALOG]);
	int rows = b.h - 2, total = (int)a->n_messages;

	if (a->overlay_scroll > MAX(total - rows, 0))
		a->overlay_scroll = MAX(total - rows, 0);
	if (total == 0)
		draw_text(a, b.y + 1, b.x + 2, b.w - 4, "no messages yet", 15,
		        a->attrs[THEME_DIALOG], 0);
	for (int i = 0; i < rows && i + a->overlay_scroll < total; i++) {
		const struct message *m = app_message(a, (size_t)(i + a->overlay_scroll));
		char line[320], when[16];
		struct tm tm;

		localtime_r(&m->when, &tm);
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
		snprintf(line, sizeof(line), "%s %-5s %s", when, tag[m->level], m->text);
		draw_text(a, b.y + 1 + i, b.x + 2, b.w - 4, line, strlen(line),
		        a->attrs[roles[m->level]], 0);
	}
}

void draw_overlay(struct app *a)
{
	switch (a->overlay) {
	case OVERLAY_HELP:
		draw_help(a);
		break;
	case OVERLAY_INSPECT:
		draw_inspect(a);
		break;
	case OVERLAY_CONFIRM:
		draw_confirm(a);
		break;
	case OVERLAY_MESSAGES:
		draw_messages(a);
		break;
	case OVERLAY_NONE:
	case _OVERLAY_MAX:
	case _OVERLAY_INVALID:
		break;
	}
	attrset(A_NORMAL);
}

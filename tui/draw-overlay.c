/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Overlays drawn over the frame: help (from the key table), inspect (every field of the VM) and
 * the confirm dialog (Cancel focused first). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tui/app.h"
#include "tui/wrap.h"

/* A dialog is as wide as its longest paragraph needs, within the screen, and as tall as its
 * wrapped text: text is never cut, only scrolled when even the whole screen is too short. */
#define DIALOG_MIN_W 48
#define DIALOG_MAX_W 100

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

/* One entry of a scrolling overlay, as text to wrap, its style, the indent of its continuation
 * rows, and what to right-align on its last row (right: 64 bytes, "" for nothing). */
typedef void (*entry_fn_t)(struct app *a, size_t i, char *buf, size_t size, attr_t *ret_attr,
	int *ret_indent, char *right);

/* Draws entries wrapped at the box's width from row a->overlay_scroll (clamped) on, and returns
 * how many rows they take in all. */
static int draw_entries(struct app *a, const struct box *b, size_t n, entry_fn_t entry)
{
	int rows = b->h - 2, total = 0;

	for (int pass = 0; pass < 2; pass++) {
		int row = 0;
		for (size_t i = 0; i < n; i++) {
			char buf[1024], right[64] = "";
			struct wrap_line wl[32];
			attr_t attr = a->attrs[THEME_DIALOG];
			int indent = 0, text_w = b->w - 4, right_w;
			size_t k, nl;

			entry(a, i, buf, sizeof(buf), &attr, &indent, right);
			/* the right-hand column only where it leaves the text room enough */
			right_w = text_width(right, strlen(right));
			if (right_w > 0 && text_w - right_w - 2 >= 40)
				text_w -= right_w + 2;
			else
				right[0] = '\0';
			indent = MIN(indent, text_w / 2);
			/* the first row has the whole width, the rest what the indent leaves */
			nl = text_wrap(buf, text_w, wl, 1);
			if (nl > 1) {
				size_t first = wl[0].off + wl[0].len;
				while (buf[first] == ' ')
					first++;
				nl = 1 + text_wrap(buf + first, text_w - indent, wl + 1,
						 ELEMENTSOF(wl) - 1);
				for (k = 1; k < MIN(nl, ELEMENTSOF(wl)); k++)
					wl[k].off += first;
			}
			if (pass == 0) {
				total += (int)nl;
				continue;
			}
			for (k = 0; k < MIN(nl, ELEMENTSOF(wl)); k++, row++) {
				int y = row - a->overlay_scroll;
				if (y < 0 || y >= rows)
					continue;
				draw_text(a, b->y + 1 + y, b->x + 2 + (k ? indent : 0),
					text_w - (k ? indent : 0), buf + wl[k].off, wl[k].len, attr,
					0);
				if (k + 1 == MIN(nl, ELEMENTSOF(wl)) && right[0])
					draw_text(a, b->y + 1 + y, b->x + b->w - 2 - right_w,
						right_w, right, strlen(right),
						a->attrs[THEME_HINTS_KEY], 0);
			}
		}
		if (pass == 0 && a->overlay_scroll > MAX(total - rows, 0))
			a->overlay_scroll = MAX(total - rows, 0);
	}
	if (total > rows)
		draw_text(a, b->y + b->h - 1, b->x + b->w - 14, 12, " j/k more ", 10,
			a->attrs[THEME_DIALOG_TITLE], 0);
	return total;
}

static void inspect_entry(struct app *a, size_t i, char *buf, size_t size,
	_unused_ attr_t *ret_attr, int *ret_indent, _unused_ char *right)
{
	const char *s = a->inspect_lines[i];

	snprintf(buf, size, "%s", s);
	*ret_indent = (int)strspn(s, " ") + 4;
}

static void draw_inspect(struct app *a)
{
	const char *title = a->inspect_title[0] ? a->inspect_title : "inspect (gone)";
	int rows = 0, w = 60;
	struct box b;

	for (size_t i = 0; i < a->n_inspect; i++)
		w = MAX(w, text_width(a->inspect_lines[i], strlen(a->inspect_lines[i])) + 4);
	w = MIN(w, MIN(DIALOG_MAX_W, COLS - 2));
	for (size_t i = 0; i < a->n_inspect; i++)
		rows += (int)text_wrap(a->inspect_lines[i], w - 4, NULL, 0);
	b = box_open(a, rows + 2, w, title, a->attrs[THEME_DIALOG]);
	draw_entries(a, &b, a->n_inspect, inspect_entry);
}

/* The help: a title row per context, then its actions (keys, help, and the ":" command that
 * runs it on the right), in table order. */
static const char *const help_ctx_names[_KEY_CTX_MAX] = {
	[KEY_CTX_GLOBAL] = "Global",
	[KEY_CTX_LIST] = "VM list",
	[KEY_CTX_CONSOLE] = "Console",
	[KEY_CTX_DIALOG] = "Dialogs",
	[KEY_CTX_IMAGES] = "Images view",
};

/* Row i of the help: -(ctx + 1) for a context's title, else an action. */
static int help_rows(int *rows, size_t max)
{
	size_t n = 0;

	for (int ctx = 0; ctx < _KEY_CTX_MAX; ctx++) {
		if (n < max)
			rows[n++] = -(ctx + 1);
		for (int act = KEY_ACTION_NONE + 1; act < _KEY_ACTION_MAX; act++)
			if (key_action_context((enum key_action)act) == (enum key_context)ctx &&
				n < max)
				rows[n++] = act;
	}
	return (int)n;
}

static void help_entry(struct app *a, size_t i, char *buf, size_t size, attr_t *ret_attr,
	int *ret_indent, char *right)
{
	int rows[_KEY_CTX_MAX + _KEY_ACTION_MAX];

	help_rows(rows, ELEMENTSOF(rows));
	if (rows[i] < 0) {
		snprintf(buf, size, "%s", help_ctx_names[-rows[i] - 1]);
		*ret_attr = a->attrs[THEME_DIALOG_TITLE];
		return;
	}
	keymap_help_row(&a->keys, (enum key_action)rows[i], buf, size, right, 64);
	*ret_indent = 25; /* under the help text, past the keys */
}

static void draw_help(struct app *a)
{
	int rows[_KEY_CTX_MAX + _KEY_ACTION_MAX];
	struct box b = box_open(a, LINES - 2, 120, "banger-tui help", a->attrs[THEME_DIALOG]);

	draw_entries(a, &b, (size_t)help_rows(rows, ELEMENTSOF(rows)), help_entry);
}

static void draw_confirm(struct app *a)
{
	struct confirm *c = &a->confirm;
	static const char foot[] = " y confirm - n/Esc cancel - Tab switch ";
	char cancel[] = "[ Cancel ]", verb[40];
	bool danger = key_action_destructive(c->action) && c->n_targets > 0; /* VMs it hits */
	int w = MAX(DIALOG_MIN_W, text_width(c->title, strlen(c->title)) + 6), text_w, rows = 0;
	int by, total, shown, line = 0;
	struct box b;

	for (size_t i = 0; i < c->n_body; i++)
		w = MAX(w, text_width(c->body[i], strlen(c->body[i])) + 4);
	w = MIN(w, MIN(DIALOG_MAX_W, COLS - 2));
	text_w = w - 4;
	for (size_t i = 0; i < c->n_body; i++)
		rows += (int)text_wrap(c->body[i], text_w, NULL, 0);
	b = box_open(a, rows + 6, w, c->title, a->attrs[THEME_DIALOG]);
	shown = MAX(b.h - 6, 0);
	if (a->overlay_scroll > MAX(rows - shown, 0))
		a->overlay_scroll = MAX(rows - shown, 0);
	for (size_t i = 0; i < c->n_body; i++) {
		struct wrap_line wl[64];
		size_t n = text_wrap(c->body[i], text_w, wl, ELEMENTSOF(wl));

		for (size_t k = 0; k < MIN(n, ELEMENTSOF(wl)); k++, line++) {
			int y = line - a->overlay_scroll;
			if (y < 0 || y >= shown)
				continue;
			draw_text(a, b.y + 2 + y, b.x + 2, text_w, c->body[i] + wl[k].off,
				wl[k].len, a->attrs[THEME_DIALOG], 0);
		}
	}
	if (rows > shown)
		draw_text(a, b.y + b.h - 3, b.x + b.w - 14, 12, " j/k more ", 10,
			a->attrs[THEME_DIALOG_TITLE], 0);
	by = b.y + b.h - 3;
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
	draw_text(a, b.y + b.h - 1, b.x + MAX((b.w - (int)strlen(foot)) / 2, 1), b.w - 2, foot,
		strlen(foot), a->attrs[THEME_DIALOG], 0);
}

static void message_entry(struct app *a, size_t i, char *buf, size_t size, attr_t *ret_attr,
	int *ret_indent, _unused_ char *right)
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
	const struct message *m = app_message(a, i);
	char when[16];
	struct tm tm;

	localtime_r(&m->when, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	snprintf(buf, size, "%s %-5s %s", when, tag[m->level], m->text);
	*ret_attr = a->attrs[roles[m->level]];
	*ret_indent = 15; /* under the text, past the time and the level */
}

static void draw_messages(struct app *a)
{
	struct box b = box_open(a, LINES - 2, DIALOG_MAX_W, "messages", a->attrs[THEME_DIALOG]);

	if (a->n_messages == 0)
		draw_text(a, b.y + 1, b.x + 2, b.w - 4, "no messages yet", 15,
			a->attrs[THEME_DIALOG], 0);
	draw_entries(a, &b, a->n_messages, message_entry);
}

/* Wrapped text at (y, x) in width, from row `from` of the box's body on; returns the rows it
 * takes. Draws only when draw is set (the first pass only counts). */
static int put_wrapped(
	struct app *a, bool draw, int y, int x, int width, const char *text, attr_t attr)
{
	struct wrap_line wl[16];
	size_t n = text_wrap(text, width, wl, ELEMENTSOF(wl));

	for (size_t k = 0; draw && k < MIN(n, ELEMENTSOF(wl)); k++)
		draw_text(a, y + (int)k, x, width, text + wl[k].off, wl[k].len, attr, 0);
	return (int)MIN(n, ELEMENTSOF(wl));
}

/* The create form: a row per field (its rule beside it, what is wrong under it, as typed), the
 * daemon's answer to the last try, and the buttons. */
static void draw_form(struct app *a)
{
	static const char foot[] = " Tab next - Enter create - Esc cancel ";
	struct create_form *f = &a->form;
	int w = MIN(76, COLS - 2), label_w = 9, box_w = 24, h = 0, y;
	int under_x, under_w;
	struct box b = {0};
	bool ok = true;

	for (int i = 0; i < _FORM_FIELD_MAX; i++)
		ok = ok && !f->why[i][0];
	under_w = MAX(w - 4 - label_w - 1, 10);
	for (int pass = 0; pass < 2; pass++) {
		bool draw = pass == 1;
		if (draw) {
			b = box_open(a, h, w, "Create a VM", a->attrs[THEME_DIALOG]);
			under_x = b.x + 2 + label_w + 1;
		} else
			under_x = 0;
		y = b.y + 2;
		for (int i = 0; i < _FORM_FIELD_MAX; i++) {
			const struct form_field_info *info = form_field((enum form_field)i);
			const struct rpc_arg *arg = form_field_arg((enum form_field)i);
			char field[80], rule[64] = "";
			attr_t fa = f->focus == i ? a->attrs[THEME_DIALOG_BUTTON_FOCUS]
						  : a->attrs[THEME_DIALOG_BUTTON];

			if (draw) {
				draw_text(a, y, b.x + 2, label_w, info->label, strlen(info->label),
					a->attrs[THEME_DIALOG], 0);
				snprintf(field, sizeof(field), "%-*.*s", box_w, box_w - 1,
					f->value[i]);
				if (f->focus == i) /* where typing goes */
					field[MIN(strlen(f->value[i]), (size_t)box_w - 1)] = '_';
				draw_text(a, y, under_x, box_w, field, strlen(field), fa, 0);
				if (info->is_int && arg) /* the schema's range */
					snprintf(rule, sizeof(rule), "%s%s%lld-%lld",
						info->unit ? info->unit : "",
						info->unit ? ", " : "", (long long)arg->min,
						(long long)arg->max);
				if (rule[0] &&
					b.w - 4 - label_w - 1 - box_w - 2 >= (int)strlen(rule))
					draw_text(a, y, under_x + box_w + 2, (int)strlen(rule),
						rule, strlen(rule), a->attrs[THEME_DIALOG], 0);
			}
			y++;
			if (f->why[i][0])
				y += put_wrapped(a, draw, y, under_x, under_w, f->why[i],
					a->attrs[THEME_STATUS_ERROR]);
		}
		y++;
		if (f->sending || f->error[0]) {
			const char *t = f->sending ? "creating..." : f->error;
			y += put_wrapped(a, draw, y, b.x + 2, w - 4, t,
				f->sending ? a->attrs[THEME_DIALOG] : a->attrs[THEME_STATUS_ERROR]);
			y++;
		}
		if (draw) {
			char cancel[] = "[ Cancel ]", create[] = "[ Create ]";
			int x = b.x + MAX((b.w - 25) / 2, 1);
			draw_text(a, y, x, 10, cancel, 10,
				f->focus == FORM_CANCEL ? a->attrs[THEME_DIALOG_BUTTON_FOCUS]
							: a->attrs[THEME_DIALOG_BUTTON],
				0);
			draw_text(a, y, x + 15, 10, create, 10,
				f->focus == FORM_CREATE ? a->attrs[THEME_DIALOG_BUTTON_FOCUS]
				: ok                    ? a->attrs[THEME_DIALOG_BUTTON]
							: a->attrs[THEME_DIALOG] | A_DIM,
				0);
			draw_text(a, b.y + b.h - 1, b.x + MAX((b.w - (int)strlen(foot)) / 2, 1),
				b.w - 2, foot, strlen(foot), a->attrs[THEME_DIALOG], 0);
		}
		y++;
		h = y - b.y + 1; /* counted from 0 in the first pass */
	}
}

/* The recipe picker: the recipes found, the one chosen, and what building it does. */
static void draw_build(struct app *a)
{
	static const char foot[] = " j/k pick - Enter build - Esc cancel ";
	const struct image_build *bd = &a->build;
	const char *pick = bd->recipes[bd->pick];
	char what[200], line[96];
	int w = MIN(70, COLS - 2), text_w = w - 4, rows, y;
	bool exists = json_object_get(a->model.images, pick) != NULL;
	struct box b;

	snprintf(what, sizeof(what),
		"Runs banger image build %s, then imports the result as image %s.%s", pick, pick,
		exists ? " An image of that name exists: the daemon will refuse the import." : "");
	rows = (int)bd->n_recipes + 1 + (int)text_wrap(what, text_w, NULL, 0);
	b = box_open(a, rows + 4, w, "Build an image", a->attrs[THEME_DIALOG]);
	y = b.y + 2;
	for (size_t i = 0; i < bd->n_recipes && y < b.y + b.h - 2; i++, y++) {
		snprintf(line, sizeof(line), "%s %s", i == bd->pick ? ">" : " ", bd->recipes[i]);
		draw_text(a, y, b.x + 2, text_w, line, strlen(line),
			i == bd->pick ? a->attrs[THEME_DIALOG_BUTTON_FOCUS]
				      : a->attrs[THEME_DIALOG],
			0);
	}
	y++;
	put_wrapped(a, y < b.y + b.h - 1, y, b.x + 2, text_w, what,
		exists ? a->attrs[THEME_STATUS_WARN] : a->attrs[THEME_DIALOG]);
	draw_text(a, b.y + b.h - 1, b.x + MAX((b.w - (int)strlen(foot)) / 2, 1), b.w - 2, foot,
		strlen(foot), a->attrs[THEME_DIALOG], 0);
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
	case OVERLAY_FORM:
		draw_form(a);
		break;
	case OVERLAY_BUILD:
		draw_build(a);
		break;
	case OVERLAY_NONE:
	case _OVERLAY_MAX:
	case _OVERLAY_INVALID:
		break;
	}
	attrset(A_NORMAL);
}

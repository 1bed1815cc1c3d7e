/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The frame: layout, header, connection banner, status and key-hint lines, and the text
 * painter every view uses. Only dirty regions are repainted; curses sends only what changed. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#include "tui/app.h"

int text_columns(const char *text, size_t len)
{
	mbstate_t ps = {};
	int cols = 0;

	for (size_t i = 0; i < len;) {
		wchar_t wc;
		size_t n;
		if (text[i] == CONSOLE_CTRL_MARK && i + 1 < len) {
			cols += 2;
			i += 2;
			continue;
		}
		if (text[i] == '\x1b') {
			while (i < len && text[i] != 'm')
				i++;
			i++;
			continue;
		}
		n = mbrtowc(&wc, text + i, len - i, &ps);
		if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
			memset(&ps, 0, sizeof(ps));
			n = 1;
			cols++;
		} else {
			int w = wcwidth(wc);
			cols += w < 0 ? 1 : w;
		}
		i += n;
	}
	return cols;
}

/* SGR parameters → colour and attributes, on top of the base attribute. */
static attr_t apply_sgr(struct app *a, const char *p, size_t n, int *fg, int *bg, attr_t *extra)
{
	int params[32], np = 0, v = -1;

	for (size_t i = 0; i <= n && np < 32; i++) {
		if (i == n || p[i] == ';') {
			params[np++] = v < 0 ? 0 : v;
			v = -1;
		} else if (p[i] >= '0' && p[i] <= '9')
			v = (v < 0 ? 0 : v * 10) + (p[i] - '0');
	}
	for (int i = 0; i < np; i++) {
		int k = params[i];
		if (k == 0) {
			*fg = *bg = -1;
			*extra = A_NORMAL;
		} else if (k == 1)
			*extra |= A_BOLD;
		else if (k == 2)
			*extra |= A_DIM;
		else if (k == 3)
			*extra |= A_ITALIC;
		else if (k == 4)
			*extra |= A_UNDERLINE;
		else if (k == 7)
			*extra |= A_REVERSE;
		else if (k == 22)
			*extra &= ~(A_BOLD | A_DIM);
		else if (k == 24)
			*extra &= ~A_UNDERLINE;
		else if (k == 27)
			*extra &= ~A_REVERSE;
		else if (k >= 30 && k <= 37)
			*fg = k - 30;
		else if (k == 39)
			*fg = -1;
		else if (k >= 40 && k <= 47)
			*bg = k - 40;
		else if (k == 49)
			*bg = -1;
		else if (k >= 90 && k <= 97)
			*fg = k - 90 + 8;
		else if (k >= 100 && k <= 107)
			*bg = k - 100 + 8;
		else if ((k == 38 || k == 48) && i + 2 < np && params[i + 1] == 5) {
			*(k == 38 ? fg : bg) = params[i + 2] & 255;
			i += 2;
		} else if ((k == 38 || k == 48) && i + 4 < np && params[i + 1] == 2) {
			*(k == 38 ? fg : bg) = theme_rgb_to_256((unsigned)params[i + 2] & 255,
				(unsigned)params[i + 3] & 255, (unsigned)params[i + 4] & 255);
			i += 4;
		}
	}
	if (*fg < 0 && *bg < 0)
		return *extra;
	return *extra | ui_color_attr(a, *fg, *bg);
}

/* Paints text at (y, x) over at most width columns, skipping the first skip columns (for wrapped
 * continuation rows and horizontal scroll). Interprets CONSOLE_CTRL_MARK and SGR (dropped in
 * mono mode). Returns the columns painted. No allocation. */
int draw_text(
	struct app *a, int y, int x, int width, const char *text, size_t len, attr_t base, int skip)
{
	mbstate_t ps = {};
	int col = 0, painted = 0, fg = -1, bg = -1;
	attr_t extra = A_NORMAL, cur = base;
	bool colored = false;

	move(y, x);
	for (size_t i = 0; i < len && painted < width;) {
		wchar_t wc;
		size_t n;
		int w;

		if (text[i] == '\x1b') {
			size_t j = i + 2;
			while (j < len && text[j] != 'm')
				j++;
			if (a->mode != THEME_MODE_MONO) {
				attr_t s = apply_sgr(a, text + i + 2, j - i - 2, &fg, &bg, &extra);
				colored = fg >= 0 || bg >= 0;
				cur = colored ? (base & ~A_COLOR) | s : base | s;
			} else
				cur = base;
			i = j + 1;
			continue;
		}
		if (text[i] == CONSOLE_CTRL_MARK && i + 1 < len) {
			char vis[2] = {'^', text[i + 1]};
			for (int k = 0; k < 2; k++, col++)
				if (col >= skip && painted < width) {
					attrset((base & ~A_COLOR) | a->attrs[THEME_CONSOLE_MARKER]);
					addch((chtype)(unsigned char)vis[k]);
					painted++;
				}
			i += 2;
			continue;
		}
		n = mbrtowc(&wc, text + i, len - i, &ps);
		if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
			memset(&ps, 0, sizeof(ps));
			n = 1;
			wc = L'?';
		}
		w = wcwidth(wc);
		if (w < 0)
			w = 1;
		if (col >= skip) {
			if (painted + w > width)
				break;
			attrset(cur);
			if (n == 1 && (unsigned char)text[i] < 0x80)
				addch((chtype)(unsigned char)text[i]);
			else
				addnstr(text + i, (int)n);
			painted += w;
		}
		col += w;
		i += n;
	}
	attrset(base);
	return painted;
}

/* Fills the rest of row y from x with blanks in attr. */
static void fill_row(int y, int x, attr_t attr)
{
	attrset(attr);
	move(y, x);
	for (int i = x; i < COLS; i++)
		addch(' ');
}

/* Plain text: prints s at the cursor, clipped at column limit. */
static int put(struct app *a, int y, int x, int limit, const char *s, attr_t attr)
{
	if (x >= limit)
		return x;
	return x + draw_text(a, y, x, limit - x, s, strlen(s), attr, 0);
}

void draw_compute_layout(struct app *a)
{
	struct layout *l = &a->lay;
	bool banner = a->conn.state != CONN_CONNECTED || a->model.lagged;
	int body_top, body_h, list_part;

	struct layout keep = *l;

	/* The table's column fit survives: a two-row repaint reuses it. */
	*l = (struct layout){.too_small = COLS < MIN_COLS || LINES < MIN_LINES};
	memcpy(l->col_shown, keep.col_shown, sizeof(l->col_shown));
	l->name_w = keep.name_w;
	if (l->too_small)
		return;
	l->header_y = 0;
	l->banner_y = banner ? 1 : -1;
	body_top = banner ? 2 : 1;
	l->hints_y = a->cfg.hints ? LINES - 1 : -1;
	l->status_y = a->cfg.hints ? LINES - 2 : LINES - 1;
	body_h = l->status_y - body_top;
	l->list_title_y = l->list_head_y = l->con_title_y = -1;
	if (a->view_mode == VIEW_IMAGES || (a->zoom && a->focus == FOCUS_LIST)) {
		list_part = body_h; /* the images view has no console */
	} else if (a->zoom && a->focus == FOCUS_CONSOLE) {
		list_part = 0;
	} else {
		list_part = body_h * (int)a->split / 100;
		list_part = MAX(list_part, 3);
		list_part = MIN(list_part, body_h - 2);
	}
	if (list_part > 0) {
		l->list_title_y = body_top;
		l->list_head_y = body_top + 1;
		l->list_y = body_top + 2;
		l->list_h = list_part - 2;
	}
	if (body_h - list_part > 0) {
		l->con_title_y = body_top + list_part;
		l->con_y = l->con_title_y + 1;
		l->con_h = body_h - list_part - 1;
	}
}

const char *state_glyph(const struct app *a, enum vm_state s)
{
	static const char *const utf8[_VM_STATE_MAX] = {
		[VM_STATE_CREATED] = "○",
		[VM_STATE_STARTING] = "▷",
		[VM_STATE_RUNNING] = "▶",
		[VM_STATE_STOPPING] = "◁",
		[VM_STATE_STOPPED] = "■",
		[VM_STATE_ERROR] = "✖",
		[VM_STATE_PAUSED] = "‖",
		[VM_STATE_SUSPENDED] = "◫",
	};
	static const char *const ascii[_VM_STATE_MAX] = {
		[VM_STATE_CREATED] = "o",
		[VM_STATE_STARTING] = ">",
		[VM_STATE_RUNNING] = ">",
		[VM_STATE_STOPPING] = "<",
		[VM_STATE_STOPPED] = "#",
		[VM_STATE_ERROR] = "x",
		[VM_STATE_PAUSED] = "=",
		[VM_STATE_SUSPENDED] = "z",
	};
	if (s < 0 || s >= _VM_STATE_MAX)
		return "?";
	return a->utf8 ? utf8[s] : ascii[s];
}

void draw_header(struct app *a)
{
	const char *dot = a->utf8 ? (a->conn.state == CONN_CONNECTED ? "●" : "○")
				  : (a->conn.state == CONN_CONNECTED ? "*" : "o");
	const char *sep = a->utf8 ? " · " : " - ";
	size_t counts[_VM_STATE_MAX];
	char buf[256], clock[16];
	time_t t = time(NULL);
	struct tm tm;
	int x, y = a->lay.header_y;

	vm_model_count(&a->model, counts);
	fill_row(y, 0, a->attrs[THEME_HEADER]);
	snprintf(buf, sizeof(buf), " banger%s%s%sdaemon %s ", sep, a->host, sep,
		a->conn.version[0] ? a->conn.version : "?");
	x = put(a, y, 0, COLS, buf, a->attrs[THEME_HEADER]);
	x = put(a, y, x, COLS, dot,
		a->conn.state == CONN_CONNECTED ? a->attrs[THEME_HEADER_DOT]
						: a->attrs[THEME_STATUS_WARN]);
	snprintf(buf, sizeof(buf), " %s%s%zu VMs%s%zu running",
		a->conn.state == CONN_CONNECTED    ? "connected"
		: a->conn.state == CONN_CONNECTING ? "connecting"
						   : "disconnected",
		sep, a->model.n, sep, counts[VM_STATE_RUNNING]);
	x = put(a, y, x, COLS - 10, buf, a->attrs[THEME_HEADER]);
	if (counts[VM_STATE_ERROR] > 0) {
		snprintf(buf, sizeof(buf), "%s%zu failed", sep, counts[VM_STATE_ERROR]);
		put(a, y, x, COLS - 10, buf, a->attrs[THEME_STATE_FAILED]);
	}
	localtime_r(&t, &tm);
	strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
	put(a, y, COLS - 9, COLS, clock, a->attrs[THEME_HEADER]);
}

static void draw_banner(struct app *a)
{
	struct conn *c = &a->conn;
	int64_t now = now_ms();
	char buf[512], since[16] = "";
	const char *sep = a->utf8 ? " · " : " - ";
	int y = a->lay.banner_y;
	attr_t attr = a->attrs[THEME_BANNER_DISCONNECTED];

	if (y < 0)
		return;
	if (c->stale_since > 0) {
		time_t t = (time_t)c->stale_since;
		struct tm tm;
		localtime_r(&t, &tm);
		strftime(since, sizeof(since), "%H:%M:%S", &tm);
	}
	if (c->expect_restart_until > now) {
		attr = a->attrs[THEME_BANNER_INFO];
		snprintf(buf, sizeof(buf), " Daemon updating%s waiting for it to come back (%llds)",
			a->utf8 ? "…" : "...",
			(long long)((c->expect_restart_until - now + 999) / 1000));
	} else if (c->state == CONN_CONNECTING && !c->reason[0])
		snprintf(buf, sizeof(buf), " Connecting to %.300s%s", c->path,
			a->utf8 ? "…" : "...");
	else if (c->state == CONN_CONNECTED && a->model.lagged) {
		attr = a->attrs[THEME_BANNER_INFO];
		snprintf(buf, sizeof(buf),
			" Resyncing: the daemon dropped events; waiting for a snapshot");
	} else
		snprintf(buf, sizeof(buf),
			" %s %s (%.100s)%sretry in %llds (#%u)%sstale since %s%s^R now%s%.200s",
			a->utf8 ? "▲" : "!",
			c->state == CONN_CONNECTING ? "Cannot connect" : "Disconnected",
			c->reason[0] ? c->reason : "no answer", sep,
			(long long)MAX((c->retry_at - now + 999) / 1000, 0), c->attempt, sep,
			since[0] ? since : "start", sep, sep, c->path);
	fill_row(y, 0, attr);
	put(a, y, 0, COLS, buf, attr);
}

/* An action that needs the daemon (it has a method) is greyed out while it would be refused. */
static void hint(struct app *a, int y, int *x, enum key_action act, const char *label)
{
	const struct key_action_info *info = key_action_info(act);
	bool off = info && info->method != _RPC_METHOD_INVALID &&
		   (a->conn.state != CONN_CONNECTED || a->readonly);
	char keys[64], name[16];
	char *comma;

	keymap_keys_of(&a->keys, act, keys, sizeof(keys));
	if (!keys[0])
		return;
	comma = strchr(keys, ',');
	if (comma)
		*comma = '\0';
	if (streq(keys, "<Enter>"))
		snprintf(keys, sizeof(keys), "%s", a->utf8 ? "⏎" : "Enter");
	snprintf(name, sizeof(name), " %s", label);
	*x = put(a, y, *x, COLS, keys,
		off ? a->attrs[THEME_TABLE_STALE] : a->attrs[THEME_HINTS_KEY]);
	*x = put(a, y, *x, COLS, name,
		off ? a->attrs[THEME_TABLE_STALE] : a->attrs[THEME_HINTS_TEXT]);
	*x = put(a, y, *x, COLS, "  ", a->attrs[THEME_HINTS]);
}

static void draw_hints(struct app *a)
{
	int y = a->lay.hints_y, x = 1;

	if (y < 0)
		return;
	fill_row(y, 0, a->attrs[THEME_HINTS]);
	if (a->prompt != PROMPT_NONE) {
		put(a, y, 1, COLS, "Enter apply  Esc cancel  Backspace delete  C-u clear",
			a->attrs[THEME_HINTS_TEXT]);
		return;
	}
	switch (a->overlay) {
	case OVERLAY_CONFIRM:
		hint(a, y, &x, KEY_ACTION_CONFIRM, "confirm");
		hint(a, y, &x, KEY_ACTION_CANCEL, "cancel");
		hint(a, y, &x, KEY_ACTION_SWITCH, "switch");
		return;
	case OVERLAY_HELP:
	case OVERLAY_INSPECT:
	case OVERLAY_MESSAGES:
		put(a, y, 1, COLS, "j/k scroll  q/Esc close", a->attrs[THEME_HINTS_TEXT]);
		return;
	case OVERLAY_FORM:
		put(a, y, 1, COLS, "Tab/Down next  S-Tab/Up previous  Enter create  Esc cancel",
			a->attrs[THEME_HINTS_TEXT]);
		return;
	case OVERLAY_BUILD:
		put(a, y, 1, COLS, "j/k pick  Enter build  Esc cancel", a->attrs[THEME_HINTS_TEXT]);
		return;
	case OVERLAY_NONE:
	case _OVERLAY_MAX:
	case _OVERLAY_INVALID:
		break;
	}
	if (a->view_mode == VIEW_IMAGES) {
		hint(a, y, &x, KEY_ACTION_IMG_INSPECT, "inspect");
		hint(a, y, &x, KEY_ACTION_IMG_IMPORT, "import");
		if (a->build.pid > 0)
			hint(a, y, &x, KEY_ACTION_IMG_BUILD_CANCEL, "cancel build");
		else
			hint(a, y, &x, KEY_ACTION_IMG_BUILD, "build");
		hint(a, y, &x, KEY_ACTION_IMG_REMOVE, "remove");
		hint(a, y, &x, KEY_ACTION_VIEW, "VMs");
	} else if (a->focus == FOCUS_LIST) {
		hint(a, y, &x, KEY_ACTION_START, "start");
		hint(a, y, &x, KEY_ACTION_STOP, "stop");
		hint(a, y, &x, KEY_ACTION_RESTART, "restart");
		hint(a, y, &x, KEY_ACTION_SSH, "ssh");
		hint(a, y, &x, KEY_ACTION_OPEN_CONSOLE, "console");
		hint(a, y, &x, KEY_ACTION_FILTER, "filter");
		hint(a, y, &x, KEY_ACTION_SORT_NEXT, "sort");
		hint(a, y, &x, KEY_ACTION_INSPECT, "inspect");
	} else {
		hint(a, y, &x, KEY_ACTION_SCROLL_UP, "up");
		hint(a, y, &x, KEY_ACTION_FOLLOW, "follow");
		hint(a, y, &x, KEY_ACTION_WRAP, "wrap");
		hint(a, y, &x, KEY_ACTION_TIMESTAMPS, "time");
		hint(a, y, &x, KEY_ACTION_COPY, "copy");
		hint(a, y, &x, KEY_ACTION_SEARCH, "search");
		hint(a, y, &x, KEY_ACTION_SEARCH_NEXT, "next");
		hint(a, y, &x, KEY_ACTION_CON_SSH, "ssh");
		hint(a, y, &x, KEY_ACTION_FOCUS_NEXT, "list");
	}
	hint(a, y, &x, KEY_ACTION_HELP, "help");
	hint(a, y, &x, KEY_ACTION_QUIT, "quit");
}

void draw_status(struct app *a)
{
	static const enum theme_role roles[_STATUS_LEVEL_MAX] = {
		[STATUS_INFO] = THEME_STATUS_INFO,
		[STATUS_WARN] = THEME_STATUS_WARN,
		[STATUS_ERROR] = THEME_STATUS_ERROR,
	};
	int y = a->lay.status_y;

	fill_row(y, 0, a->attrs[THEME_STATUS]);
	if (a->prompt != PROMPT_NONE) {
		static const char *const lead[_PROMPT_KIND_MAX] = {
			[PROMPT_FILTER] = "filter: ",
			[PROMPT_SEARCH] = "search: ",
			[PROMPT_COMMAND] = ":",
		};
		int x = put(a, y, 0, COLS, lead[a->prompt], a->attrs[THEME_PROMPT]);
		x = put(a, y, x, COLS, a->prompt_buf, a->attrs[THEME_PROMPT]);
		if (a->prompt == PROMPT_FILTER) {
			char count[48];
			snprintf(count, sizeof(count), "(%zu/%zu)", a->view.n, a->model.n);
			put(a, y, COLS - (int)strlen(count) - 1, COLS, count,
				a->attrs[THEME_HINTS_TEXT]);
		}
		move(y, MIN(x, COLS - 1));
		return;
	}
	if (a->status[0])
		put(a, y, 1, COLS, a->status, a->attrs[roles[a->status_level]]);
}

void draw_frame(struct app *a)
{
	unsigned d = a->dirty;

	if (d & DIRTY_CLEAR) {
		erase();
		d = DIRTY_ALL;
	}
	draw_compute_layout(a);
	if (a->lay.too_small) {
		char msg[64];
		erase();
		snprintf(msg, sizeof(msg), "terminal too small (need %dx%d)", MIN_COLS, MIN_LINES);
		mvaddnstr(LINES / 2, MAX(0, (COLS - (int)strlen(msg)) / 2), msg, COLS);
		a->dirty = 0;
		refresh();
		return;
	}
	if (a->overlay != OVERLAY_NONE &&
		(d & (DIRTY_LIST | DIRTY_SELECTION | DIRTY_CONSOLE | DIRTY_BANNER)))
		d |= DIRTY_OVERLAY;
	if (d & DIRTY_HEADER)
		draw_header(a);
	if (d & DIRTY_BANNER)
		draw_banner(a);
	if (a->view_mode == VIEW_IMAGES) {
		if (d & (DIRTY_LIST | DIRTY_SELECTION))
			draw_images(a);
	} else if (d & DIRTY_LIST)
		draw_list(a);
	else if ((d & DIRTY_SELECTION) && !draw_list_rows(a, a->prev_sel_row, a->sel_row))
		draw_list(a);
	if (d & DIRTY_CONSOLE)
		draw_console(a);
	if (d & DIRTY_HINTS)
		draw_hints(a);
	if (a->overlay != OVERLAY_NONE && (d & DIRTY_OVERLAY))
		draw_overlay(a);
	if (d & DIRTY_STATUS || a->prompt != PROMPT_NONE)
		draw_status(a);
	curs_set(a->prompt != PROMPT_NONE ? 1 : 0);
	a->dirty = 0;
	refresh();
}

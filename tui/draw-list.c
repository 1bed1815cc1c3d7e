/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The VM table: title rule, column header and the visible rows only. Columns drop by priority
 * as the terminal narrows; NAME and STATE always stay. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tui/app.h"

static const struct column {
	enum vm_column col;
	const char *title;
	int width;
	int drop; /* dropped in this order (1 first); 0 never */
	bool right;
} columns[] = {
	{VM_COL_NAME, "NAME", 12, 0, false},
	{VM_COL_STATE, "STATE", 10, 0, false},
	{VM_COL_IP, "IP", 15, 6, false},
	{VM_COL_PID, "PID", 7, 2, true},
	{VM_COL_BOOT, "BOOT", 9, 1, false},
	{VM_COL_UPTIME, "UPTIME", 8, 5, true},
	{VM_COL_VCPU, "vCPU", 5, 4, true},
	{VM_COL_MEM, "MEM", 6, 3, true},
	{VM_COL_PORTS, "PORTS", 14, 1, false},
};

#define GUTTER 2
_Static_assert(ELEMENTSOF(columns) == sizeof(((struct layout *)0)->col_shown), "column count");

/* Which columns fit and how wide NAME is. */
static void fit_columns(const struct app *a, bool shown[], int *name_w)
{
	int total = GUTTER, longest = 12, dropped = 0;

	for (size_t i = 0; i < ELEMENTSOF(columns); i++) {
		shown[i] = true;
		total += columns[i].width + 1;
	}
	while (total > COLS && dropped < 6) {
		dropped++;
		for (size_t i = 0; i < ELEMENTSOF(columns); i++)
			if (columns[i].drop == dropped) {
				shown[i] = false;
				total -= columns[i].width + 1;
			}
	}
	for (size_t i = 0; i < a->view.n && i < 2000; i++)
		if (a->view.rows[i]->name)
			longest = MAX(longest, (int)strlen(a->view.rows[i]->name));
	*name_w = 12 + MIN(MAX(COLS - total, 0), MIN(longest, 32) - 12);
}

static void fmt_uptime(const struct vm *vm, time_t now, char *buf, size_t size)
{
	int64_t s;

	if (vm->state != VM_STATE_RUNNING || vm->started_at < 0) {
		snprintf(buf, size, "-");
		return;
	}
	s = MAX((int64_t)now - vm->started_at, (int64_t)0);
	if (s < 60)
		snprintf(buf, size, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(buf, size, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
	else if (s < 86400)
		snprintf(
			buf, size, "%lldh%02lldm", (long long)(s / 3600), (long long)(s / 60 % 60));
	else
		snprintf(buf, size, "%lldd%02lldh", (long long)(s / 86400),
			(long long)(s / 3600 % 24));
}

static void cell_text(const struct vm *vm, enum vm_column col, time_t now, char *buf, size_t size)
{
	switch (col) {
	case VM_COL_NAME:
		snprintf(buf, size, "%s", vm->name ? vm->name : vm->id);
		break;
	case VM_COL_STATE:
		snprintf(buf, size, "%s",
			vm->halted && vm->state == VM_STATE_RUNNING ? "halted"
								    : vm_state_label(vm->state));
		break;
	case VM_COL_IP:
		snprintf(buf, size, "%s", vm->ip ? vm->ip : "-");
		break;
	case VM_COL_PID:
		if (vm->pid > 0)
			snprintf(buf, size, "%" PRId64, vm->pid);
		else
			snprintf(buf, size, "-");
		break;
	case VM_COL_BOOT:
		snprintf(buf, size, "%.8s", vm->boot_id ? vm->boot_id : "-");
		break;
	case VM_COL_UPTIME:
		fmt_uptime(vm, now, buf, size);
		break;
	case VM_COL_VCPU:
		snprintf(buf, size, "%" PRId64, vm->vcpus);
		break;
	case VM_COL_PORTS:
		snprintf(buf, size, "%s", vm->ports ? vm->ports : "-");
		break;
	case VM_COL_MEM:
		if (vm->memory_mib >= 1024)
			snprintf(buf, size, "%.1fG", (double)vm->memory_mib / 1024.0);
		else
			snprintf(buf, size, "%" PRId64 "M", vm->memory_mib);
		break;
	case _VM_COL_MAX:
	case _VM_COL_INVALID:
		buf[0] = '\0';
		break;
	}
}

static enum theme_role state_role(enum vm_state s)
{
	static const enum theme_role roles[_VM_STATE_MAX] = {
		[VM_STATE_CREATED] = THEME_STATE_CREATED,
		[VM_STATE_STARTING] = THEME_STATE_STARTING,
		[VM_STATE_RUNNING] = THEME_STATE_RUNNING,
		[VM_STATE_STOPPING] = THEME_STATE_STOPPING,
		[VM_STATE_STOPPED] = THEME_STATE_STOPPED,
		[VM_STATE_ERROR] = THEME_STATE_FAILED,
		[VM_STATE_PAUSED] = THEME_STATE_STOPPING, /* held, like one on its way down */
		[VM_STATE_SUSPENDED] = THEME_STATE_STOPPED,
	};
	return s >= 0 && s < _VM_STATE_MAX ? roles[s] : THEME_STATE_UNKNOWN;
}

/* Pads or truncates (with an ellipsis) s into exactly w columns at x. */
static void put_cell(struct app *a, int y, int x, int w, const char *s, bool right, attr_t attr)
{
	int cols = text_columns(s, strlen(s));

	attrset(attr);
	mvhline(y, x, ' ', w);
	if (cols > w) {
		draw_text(a, y, x, w - 1, s, strlen(s), attr, 0);
		mvaddstr(y, x + w - 1, a->utf8 ? "…" : "~");
		return;
	}
	draw_text(a, y, right ? x + w - cols : x, cols, s, strlen(s), attr, 0);
}

static void rule(struct app *a, int y, int x, attr_t attr)
{
	attrset(attr);
	move(y, x);
	for (int i = x; i < COLS; i++)
		if (a->utf8)
			addstr("─");
		else
			addch('-');
}

static void draw_title(struct app *a)
{
	char buf[400];
	int y = a->lay.list_title_y, x;
	attr_t attr = a->attrs[THEME_TABLE_TITLE];
	const char *r = a->utf8 ? "──" : "--";

	x = draw_text(a, y, 0, COLS, " VMs ", 5, attr, 0);
	if (a->filter.n > 0 || a->prompt == PROMPT_FILTER) {
		snprintf(buf, sizeof(buf), "%s filter: %s (%zu/%zu) ", r,
			a->prompt == PROMPT_FILTER ? a->prompt_buf : a->filter.source, a->view.n,
			a->model.n);
		x += draw_text(a, y, x, COLS - x, buf, strlen(buf), attr, 0);
	}
	{
		size_t tagged = 0;
		for (size_t i = 0; i < a->model.n; i++)
			tagged += a->model.vms[i]->tagged;
		if (tagged) {
			snprintf(buf, sizeof(buf), "%s %zu tagged ", r, tagged);
			x += draw_text(a, y, x, COLS - x, buf, strlen(buf), attr, 0);
		}
	}
	snprintf(buf, sizeof(buf), "%s sort: %s %s ", r, vm_column_to_string(a->view.sort),
		a->view.descending ? (a->utf8 ? "▼" : "v") : (a->utf8 ? "▲" : "^"));
	x += draw_text(a, y, x, COLS - x, buf, strlen(buf), attr, 0);
	if (x < COLS)
		rule(a, y, x, attr);
}

static void draw_row(struct app *a, int row, time_t now)
{
	struct layout *l = &a->lay;
	bool stale = a->conn.state != CONN_CONNECTED;
	size_t i = a->list_top + (size_t)row;
	int y = l->list_y + row, x, progress_x = 0;
	const struct vm *vm;
	char buf[160];
	bool sel;
	attr_t base;

	if (i >= a->view.n) {
		attrset(a->attrs[THEME_TABLE]);
		mvhline(y, 0, ' ', COLS);
		if (a->view.n == 0 && row == l->list_h / 2) {
			const char *msg = a->conn.state == CONN_CONNECTING ? "connecting..."
					  : a->model.n > 0 ? "no VM matches the filter"
							   : "no VMs yet - create one "
							     "with: banger vm create NAME";
			draw_text(a, y, MAX(0, (COLS - text_columns(msg, strlen(msg))) / 2), COLS,
				msg, strlen(msg), a->attrs[THEME_TABLE_STALE], 0);
		}
		return;
	}
	vm = a->view.rows[i];
	sel = i == a->sel_row;
	base = sel     ? a->attrs[a->focus == FOCUS_LIST ? THEME_TABLE_SELECTED
							 : THEME_TABLE_SELECTED_BLUR]
	       : stale ? a->attrs[THEME_TABLE_STALE]
		       : a->attrs[THEME_TABLE];
	if (stale)
		base |= A_DIM;
	attrset(base);
	mvhline(y, 0, ' ', COLS);
	if (sel)
		mvaddch(y, 0, '>'); /* the selection is never shown by colour alone */
	if (vm->tagged) {
		attrset(sel ? base : a->attrs[THEME_TABLE_TAGGED]);
		mvaddch(y, 1, '*');
		attrset(base);
	}
	x = GUTTER;
	for (size_t c = 0; c < ELEMENTSOF(columns); c++) {
		int w = columns[c].col == VM_COL_NAME ? l->name_w : columns[c].width;
		if (!l->col_shown[c])
			continue;
		if (columns[c].col == VM_COL_STATE) {
			/* a halted guest is shown like a VM on its way down: it needs a stop */
			attr_t sa = sel || stale ? base
				    : vm->halted && vm->state == VM_STATE_RUNNING
					    ? a->attrs[THEME_STATE_STOPPING]
					    : a->attrs[state_role(vm->state)];
			snprintf(buf, sizeof(buf), "%s %s", state_glyph(a, vm->state),
				vm_state_label(vm->state));
			put_cell(a, y, x, w, buf, false, sa);
		} else {
			cell_text(vm, columns[c].col, now, buf, sizeof(buf));
			put_cell(a, y, x, w, buf, columns[c].right, base);
		}
		x += w + 1;
		if (columns[c].col == VM_COL_STATE && vm->progress.step[0])
			progress_x = x;
	}
	/* A start in progress: where it is, over the columns it has nothing in yet. */
	if (progress_x > 0 && vm->state == VM_STATE_STARTING) {
		vm_progress_format(vm, now_ms(), buf, sizeof(buf));
		attrset(base);
		mvhline(y, progress_x, ' ', COLS - progress_x);
		put_cell(a, y, progress_x, COLS - progress_x, buf, false,
			sel || stale ? base : a->attrs[THEME_STATE_STARTING]);
	}
	attrset(A_NORMAL);
}

bool draw_list_rows(struct app *a, size_t old_row, size_t new_row)
{
	struct layout *l = &a->lay;
	time_t now = time(NULL);

	if (l->list_h <= 0)
		return true;
	if (new_row < a->list_top || new_row >= a->list_top + (size_t)l->list_h)
		return false; /* the list scrolls: every row moves */
	if (old_row >= a->list_top && old_row < a->list_top + (size_t)l->list_h)
		draw_row(a, (int)(old_row - a->list_top), now);
	draw_row(a, (int)(new_row - a->list_top), now);
	return true;
}

void draw_list(struct app *a)
{
	struct layout *l = &a->lay;
	bool *shown = l->col_shown;
	time_t now = time(NULL);
	int name_w, x;

	if (l->list_h <= 0)
		return;
	fit_columns(a, shown, &name_w);
	l->name_w = name_w;
	draw_title(a);

	attrset(a->attrs[THEME_TABLE_HEADER]);
	mvhline(l->list_head_y, 0, ' ', COLS);
	x = GUTTER;
	for (size_t c = 0; c < ELEMENTSOF(columns); c++) {
		int w = columns[c].col == VM_COL_NAME ? name_w : columns[c].width;
		if (!shown[c])
			continue;
		put_cell(a, l->list_head_y, x, w, columns[c].title, columns[c].right,
			a->attrs[THEME_TABLE_HEADER]);
		x += w + 1;
	}

	if (a->sel_row < a->list_top)
		a->list_top = a->sel_row;
	if (a->sel_row >= a->list_top + (size_t)l->list_h)
		a->list_top = a->sel_row - (size_t)l->list_h + 1;
	if (a->list_top + (size_t)l->list_h > a->view.n)
		a->list_top = a->view.n > (size_t)l->list_h ? a->view.n - (size_t)l->list_h : 0;

	for (int row = 0; row < l->list_h; row++)
		draw_row(a, row, now);
	attrset(A_NORMAL);
}

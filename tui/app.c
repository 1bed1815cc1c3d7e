/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Session helpers: the clock, toasts in the status line, and the selection kept by VM id. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tui/app.h"

int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void app_status(struct app *a, enum status_level level, const char *fmt, ...)
{
	static const int64_t lifetime[_STATUS_LEVEL_MAX] = {
		[STATUS_INFO] = 3000,
		[STATUS_WARN] = 6000,
		[STATUS_ERROR] = 15000,
	};
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->status, sizeof(a->status), fmt, ap);
	va_end(ap);
	a->status_level = level;
	{
		size_t slot = (a->first_message + a->n_messages) % N_MESSAGES;
		if (a->n_messages == N_MESSAGES)
			a->first_message = (a->first_message + 1) % N_MESSAGES;
		else
			a->n_messages++;
		a->messages[slot].when = time(NULL);
		a->messages[slot].level = level;
		snprintf(a->messages[slot].text, sizeof(a->messages[slot].text), "%.239s",
			a->status);
	}
	a->status_until = now_ms() + lifetime[level];
	a->status_sticky = level == STATUS_ERROR;
	a->dirty |= DIRTY_STATUS;
}

const struct message *app_message(const struct app *a, size_t i)
{
	return i < a->n_messages ? &a->messages[(a->first_message + i) % N_MESSAGES] : NULL;
}

struct vm *app_selected(struct app *a)
{
	if (a->view.n == 0 || a->sel_row >= a->view.n)
		return NULL;
	return a->view.rows[a->sel_row];
}

static void watch(struct app *a, struct vm *vm)
{
	size_t i;

	for (i = 0; i < N_WATCHED; i++)
		if (streq(a->watched[i], vm->id))
			break;
	if (i == N_WATCHED) {
		/* The least recently shown console shrinks back to the background bound. */
		struct vm *old = vm_model_find(&a->model, a->watched[N_WATCHED - 1]);
		char marker[64];
		time_t t = time(NULL);
		struct tm tm;

		if (old)
			vm_model_watch_console(&a->model, old, false);
		i = N_WATCHED - 1;
		vm_model_watch_console(&a->model, vm, true);
		localtime_r(&t, &tm);
		strftime(marker, sizeof(marker), "console attached %H:%M:%S", &tm);
		if (vm->console)
			console_append_marker(vm->console, marker);
	}
	memmove(a->watched[1], a->watched[0], i * sizeof(a->watched[0]));
	snprintf(a->watched[0], sizeof(a->watched[0]), "%s", vm->id);
}

/* The first time a console is shown, its earlier lines come from vm.logs (the events only
 * bring what is printed from now on); app_on_answer() merges them in by line number. */
static void fetch_backlog(struct app *a, struct vm *vm)
{
	if (vm->backlog_asked || !vm->console)
		return;
	if (conn_call(&a->conn, RPC_METHOD_VM_LOGS,
		    json_pack("{s:s, s:i}", "id", vm->id, "tail", CONSOLE_BACKLOG_LINES), CALL_LOGS,
		    vm->id) >= 0)
		vm->backlog_asked = true;
}

unsigned app_console_changed(struct app *a)
{
	struct vm *vm = app_selected(a);

	snprintf(a->console_vm, sizeof(a->console_vm), "%s", vm ? vm->id : "");
	a->follow = true;
	a->anchor = 0;
	a->hscroll = 0;
	a->match_id = UINT64_MAX;
	a->con_sel = UINT64_MAX;
	if (vm) {
		watch(a, vm);
		fetch_backlog(a, vm);
	}
	return DIRTY_CONSOLE | DIRTY_HINTS;
}

static void sync_selection(struct app *a, size_t old_row)
{
	ssize_t idx = vm_view_find(&a->view, a->sel_id);
	struct vm *vm;

	if (idx >= 0)
		a->sel_row = (size_t)idx;
	else if (a->view.n > 0)
		a->sel_row = MIN(old_row, a->view.n - 1); /* the nearest neighbour */
	else
		a->sel_row = 0;
	vm = app_selected(a);
	snprintf(a->sel_id, sizeof(a->sel_id), "%s", vm ? vm->id : "");
	if (!streq(a->sel_id, a->console_vm))
		a->dirty |= app_console_changed(a);
}

void app_rebuild_view(struct app *a, int64_t now)
{
	size_t old = a->sel_row;

	if (vm_view_rebuild(&a->view, &a->model, &a->filter, now < a->sort_frozen_until,
		    (int64_t)time(NULL)) < 0) {
		app_status(a, STATUS_ERROR, "out of memory");
		return;
	}
	a->view_dirty = false;
	sync_selection(a, old);
	a->dirty |= DIRTY_LIST | DIRTY_HEADER;
}

unsigned app_select_row(struct app *a, ssize_t row)
{
	unsigned redraw = DIRTY_SELECTION;
	struct vm *vm;

	if (a->view.n == 0)
		return 0;
	row = MAX(row, (ssize_t)0);
	row = MIN(row, (ssize_t)a->view.n - 1);
	if ((size_t)row == a->sel_row)
		return 0;
	/* One move since the last frame repaints two rows; several repaint the list (the loop
	 * has put the earlier keys' regions in a->dirty). */
	if (a->dirty & DIRTY_SELECTION)
		redraw |= DIRTY_LIST;
	a->prev_sel_row = a->sel_row;
	a->sel_row = (size_t)row;
	vm = app_selected(a);
	snprintf(a->sel_id, sizeof(a->sel_id), "%s", vm->id);
	/* Rows must not jump under the cursor: re-sorting waits until navigation pauses. */
	a->sort_frozen_until = now_ms() + SORT_FREEZE_MS;
	if (!streq(a->sel_id, a->console_vm))
		redraw |= app_console_changed(a);
	return redraw;
}

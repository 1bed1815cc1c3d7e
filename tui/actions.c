/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What keys do: one handler per keymap.def action, dispatched through a table, plus the keys of
 * the confirm dialog and of the scrolling overlays. */
#include <ctype.h>
#include <limits.h>
#include <time.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fileio.h"
#include "tui/app.h"

static bool need_daemon(struct app *a, const char *what)
{
	if (a->readonly) {
		app_status(a, STATUS_WARN, "read-only mode: %s is disabled", what);
		return false;
	}
	if (a->conn.state != CONN_CONNECTED) {
		app_status(a, STATUS_WARN, "not connected: cannot %s (retrying in the background)",
		        what);
		return false;
	}
	return true;
}

static void call(struct app *a, enum tui_method method, json_t *params, enum conn_call_kind kind,
        const char *what)
{
	int r = conn_call(&a->conn, method, params, kind, what);
	if (r < 0)
		app_status(a, STATUS_ERROR, "%s: cannot send request: %s", what, strerror(-r));
}

/* ---- list navigation ---- */

static int page(struct app *a)
{
	draw_compute_layout(a);
	return MAX(a->lay.list_h, 1);
}

static void act_down(struct app *a)
{
	app_select_row(a, (ssize_t)a->sel_row + 1);
}
static void act_up(struct app *a)
{
	app_select_row(a, (ssize_t)a->sel_row - 1);
}
static void act_first(struct app *a)
{
	app_select_row(a, 0);
}
static void act_last(struct app *a)
{
	app_select_row(a, (ssize_t)a->view.n - 1);
}
static void act_half_down(struct app *a)
{
	app_select_row(a, (ssize_t)a->sel_row + page(a) / 2);
}
static void act_half_up(struct app *a)
{
	app_select_row(a, (ssize_t)a->sel_row - page(a) / 2);
}
static void act_page_down(struct app *a)
{
	app_select_row(a, (ssize_t)a->sel_row + page(a));
}
static void act_page_up(struct app *a)
{
	app_select_row(a, (ssize_t)a->sel_row - page(a));
}

static void act_open_console(struct app *a)
{
	a->focus = FOCUS_CONSOLE;
	a->dirty |= DIRTY_ALL;
}

void app_sort_by(struct app *a, int delta)
{
	a->view.sort = (enum vm_column)(((int)a->view.sort + delta + _VM_COL_MAX) % _VM_COL_MAX);
	a->sort_frozen_until = 0;
	a->view_dirty = true;
	app_status(a, STATUS_INFO, "sort: %s %s", vm_column_to_string(a->view.sort),
	        a->view.descending ? "descending" : "ascending");
}
static void act_sort_next(struct app *a)
{
	app_sort_by(a, 1);
}
static void act_sort_prev(struct app *a)
{
	app_sort_by(a, -1);
}
static void act_sort_invert(struct app *a)
{
	a->view.descending = !a->view.descending;
	app_sort_by(a, 0);
}

static void act_filter(struct app *a)
{
	app_prompt_open(a, PROMPT_FILTER, a->filter.source ? a->filter.source : "");
}
static void act_command(struct app *a)
{
	app_prompt_open(a, PROMPT_COMMAND, "");
}
static void act_search(struct app *a)
{
	app_prompt_open(a, PROMPT_SEARCH, a->search);
}

static void free_inspect(struct app *a)
{
	for (size_t i = 0; i < a->n_inspect; i++)
		free(a->inspect_lines[i]);
	free(a->inspect_lines);
	a->inspect_lines = NULL;
	a->n_inspect = 0;
}

void app_inspect_build(struct app *a)
{
	struct vm *vm = app_selected(a);
	char *dump, *save = NULL;

	free_inspect(a);
	if (!vm || !vm->obj)
		return;
	dump = json_dumps(vm->obj, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (!dump)
		return;
	for (char *l = strtok_r(dump, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char **v = realloc(a->inspect_lines, (a->n_inspect + 1) * sizeof(*v));
		if (!v)
			break;
		a->inspect_lines = v;
		a->inspect_lines[a->n_inspect] = strdup(l);
		if (a->inspect_lines[a->n_inspect])
			a->n_inspect++;
	}
	free(dump);
}

static void act_inspect(struct app *a)
{
	if (!app_selected(a))
		return;
	app_inspect_build(a);
	a->overlay = OVERLAY_INSPECT;
	a->overlay_scroll = 0;
	a->dirty |= DIRTY_OVERLAY | DIRTY_HINTS;
}

static void act_help(struct app *a)
{
	a->overlay = OVERLAY_HELP;
	a->overlay_scroll = 0;
	a->dirty |= DIRTY_OVERLAY | DIRTY_HINTS;
}

/* ---- VM actions ---- */

static void free_targets(struct confirm *c)
{
	for (size_t i = 0; i < c->n_targets; i++)
		free(c->targets[i]);
	free(c->targets);
	c->targets = NULL;
	c->n_targets = 0;
}

static void close_overlay(struct app *a)
{
	a->overlay = OVERLAY_NONE;
	free_inspect(a);
	free_targets(&a->confirm);
	a->dirty |= DIRTY_ALL;
}

/* The VMs an action applies to: the tagged ones still visible (so a filter never causes
 * surprises), else the selected one. */
static int collect_targets(struct app *a, char ***ret, size_t *ret_n)
{
	char **v = NULL;
	size_t n = 0;
	struct vm *sel = app_selected(a);

	for (size_t pass = 0; pass < 2 && n == 0; pass++)
		for (size_t i = 0; i < a->view.n; i++) {
			struct vm *vm = a->view.rows[i];
			char **nv;
			if (pass == 0 ? !vm->tagged : vm != sel)
				continue;
			nv = realloc(v, (n + 1) * sizeof(*v));
			if (!nv)
				goto oom;
			v = nv;
			v[n] = strdup(vm->name);
			if (!v[n])
				goto oom;
			n++;
		}
	*ret = v;
	*ret_n = n;
	return 0;
oom:
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
	return -ENOMEM;
}

void app_confirm_body(struct app *a, const char *fmt, ...)
{
	va_list ap;
	struct confirm *c = &a->confirm;

	if (c->n_body >= ELEMENTSOF(c->body))
		return;
	va_start(ap, fmt);
	vsnprintf(c->body[c->n_body++], sizeof(c->body[0]), fmt, ap);
	va_end(ap);
}

void app_confirm_open(struct app *a, enum key_action action, const char *verb, const char *title)
{
	struct confirm *c = &a->confirm;

	free_targets(c);
	*c = (struct confirm){.action = action, .focus = 0};
	snprintf(c->title, sizeof(c->title), "%s", title);
	snprintf(c->verb, sizeof(c->verb), "%s", verb);
	a->overlay = OVERLAY_CONFIRM;
	a->dirty |= DIRTY_OVERLAY | DIRTY_HINTS;
}

/* "web-1, web-2, … and 3 more" in the dialog body. */
static void body_targets(struct app *a)
{
	struct confirm *c = &a->confirm;
	char line[160] = "";
	size_t o = 0, shown = 0;

	for (size_t i = 0; i < c->n_targets && shown < 10; i++, shown++) {
		int k = snprintf(line + o, sizeof(line) - o, "%s%s", i ? ", " : "", c->targets[i]);
		if (k < 0 || o + (size_t)k >= sizeof(line) - 16)
			break;
		o += (size_t)k;
	}
	if (shown < c->n_targets)
		snprintf(line + o, sizeof(line) - o, " and %zu more", c->n_targets - shown);
	app_confirm_body(a, "%s", line);
}

static void send_each(struct app *a, enum tui_method method, const char *verb)
{
	struct confirm *c = &a->confirm;
	char what[160];

	for (size_t i = 0; i < c->n_targets; i++) {
		snprintf(what, sizeof(what), "%s %s", verb, c->targets[i]);
		call(a, method, json_pack("{s:s}", "name", c->targets[i]), CALL_ACTION, what);
	}
	if (c->n_targets == 1)
		app_status(a, STATUS_INFO, "%s: requested", what);
	else
		app_status(a, STATUS_INFO, "%s %zu VMs: requested", verb, c->n_targets);
}

/* Start, stop, restart: one VM needs a confirm only when destructive; several always do. */
static void vm_action(struct app *a, enum key_action action, const char *verb, const char *Verb,
        const char *what_happens)
{
	struct confirm *c = &a->confirm;
	char title[160];
	char **targets;
	size_t n;

	if (!app_selected(a) || !need_daemon(a, verb))
		return;
	if (collect_targets(a, &targets, &n) < 0 || n == 0) {
		app_status(a, STATUS_ERROR, "out of memory");
		return;
	}
	if (n == 1)
		snprintf(title, sizeof(title), "%s %s?", Verb, targets[0]);
	else
		snprintf(title, sizeof(title), "%s %zu VMs?", Verb, n);
	app_confirm_open(a, action, Verb, title);
	c->targets = targets;
	c->n_targets = n;
	body_targets(a);
	if (what_happens)
		app_confirm_body(a, "%s", what_happens);
	if (action == KEY_ACTION_START && n == 1)
		app_run_confirmed(a); /* starting one VM destroys nothing: no dialog */
}

static void act_start(struct app *a)
{
	vm_action(a, KEY_ACTION_START, "start", "Start", NULL);
}

static void act_stop(struct app *a)
{
	vm_action(a, KEY_ACTION_STOP, "stop", "Stop",
	        "A graceful shutdown; banger force-stops what does not halt.");
}

static void act_restart(struct app *a)
{
	vm_action(a, KEY_ACTION_RESTART, "restart", "Restart",
	        "Stops each guest gracefully, then boots it again.");
}

static void act_tag(struct app *a)
{
	struct vm *vm = app_selected(a);

	if (!vm)
		return;
	vm->tagged = !vm->tagged;
	a->dirty |= DIRTY_LIST;
	app_select_row(a, (ssize_t)a->sel_row + 1);
}

static void act_untag_all(struct app *a)
{
	for (size_t i = 0; i < a->model.n; i++)
		a->model.vms[i]->tagged = false;
	a->dirty |= DIRTY_LIST;
}

static void act_messages(struct app *a)
{
	a->overlay = OVERLAY_MESSAGES;
	a->overlay_scroll = 100000; /* the newest at the bottom; clamped when drawn */
	a->dirty |= DIRTY_OVERLAY | DIRTY_HINTS;
}

void app_update(struct app *a)
{
	if (!need_daemon(a, "update the daemon"))
		return;
	app_confirm_open(a, KEY_ACTION_UPDATE, "Update", "Update the daemon?");
	app_confirm_body(
	        a, "Installed daemon: %s", a->conn.version[0] ? a->conn.version : "unknown");
	app_confirm_body(a, "bangerd restarts; running VMs keep running and are");
	app_confirm_body(a, "re-adopted. This screen reconnects by itself.");
}

void app_reconcile(struct app *a)
{
	if (!need_daemon(a, "reconcile"))
		return;
	call(a, TUI_METHOD_RECONCILE, json_pack("{s:b}", "dry_run", 1), CALL_PLAN,
	        "reconcile plan");
	app_status(a, STATUS_INFO, "reconcile: asking the daemon for a plan…");
}

void app_run_confirmed(struct app *a)
{
	struct confirm *c = &a->confirm;

	a->overlay = OVERLAY_NONE;
	a->dirty |= DIRTY_ALL;
	if (a->conn.state != CONN_CONNECTED) {
		app_status(a, STATUS_WARN, "not connected: nothing was done");
		free_targets(c);
		return;
	}
	switch (c->action) {
	case KEY_ACTION_START:
		send_each(a, TUI_METHOD_VM_START, "start");
		break;
	case KEY_ACTION_STOP:
		send_each(a, TUI_METHOD_VM_STOP, "stop");
		break;
	case KEY_ACTION_RESTART:
		send_each(a, TUI_METHOD_VM_RESTART, "restart");
		break;
	case KEY_ACTION_UPDATE:
		call(a, TUI_METHOD_UPDATE_APPLY, json_object(), CALL_UPDATE, "daemon update");
		app_status(a, STATUS_INFO, "daemon update: requested");
		break;
	case KEY_ACTION_RECONCILE:
		call(a, TUI_METHOD_RECONCILE, json_object(), CALL_ACTION, "reconcile");
		app_status(a, STATUS_INFO, "reconcile: requested");
		break;
	default:
		break;
	}
	free_targets(c);
}

static void act_ssh(struct app *a)
{
	struct vm *vm = app_selected(a);
	if (vm)
		app_ssh_start(a, vm);
}

/* ---- console ---- */

static void pause_follow(struct app *a, struct console *c)
{
	if (!a->follow)
		return;
	a->follow = false;
	a->anchor = console_end_id(c) - 1;
	a->seen_end = console_end_id(c);
}

static struct console *shown_console(struct app *a)
{
	struct vm *vm = app_selected(a);
	return vm && vm->console && vm->console->n > 0 ? vm->console : NULL;
}

static void scroll_by(struct app *a, int64_t delta)
{
	struct console *c = shown_console(a);
	int64_t anchor;

	if (!c)
		return;
	if (delta > 0 && a->follow)
		return;
	pause_follow(a, c);
	anchor = (int64_t)MAX(a->anchor, c->first_id) + delta;
	anchor = MAX(anchor, (int64_t)c->first_id);
	if (anchor >= (int64_t)console_end_id(c) - 1)
		a->follow = true;
	else
		a->anchor = (uint64_t)anchor;
	a->dirty |= DIRTY_CONSOLE;
}

static int con_page(struct app *a)
{
	draw_compute_layout(a);
	return MAX(a->lay.con_h, 1);
}

static void act_scroll_down(struct app *a)
{
	scroll_by(a, 1);
}
static void act_scroll_up(struct app *a)
{
	scroll_by(a, -1);
}
static void act_con_half_down(struct app *a)
{
	scroll_by(a, con_page(a) / 2);
}
static void act_con_half_up(struct app *a)
{
	scroll_by(a, -con_page(a) / 2);
}
static void act_con_page_down(struct app *a)
{
	scroll_by(a, con_page(a));
}
static void act_con_page_up(struct app *a)
{
	scroll_by(a, -con_page(a));
}

static void act_top(struct app *a)
{
	struct console *c = shown_console(a);

	if (!c)
		return;
	pause_follow(a, c);
	a->anchor = MIN(c->first_id + (uint64_t)con_page(a) - 1, console_end_id(c) - 1);
	a->dirty |= DIRTY_CONSOLE;
}

static void act_follow(struct app *a)
{
	a->follow = true;
	a->dirty |= DIRTY_CONSOLE;
}

static void act_wrap(struct app *a)
{
	a->wrap = !a->wrap;
	a->hscroll = 0;
	a->dirty |= DIRTY_CONSOLE;
}

static void act_scroll_left(struct app *a)
{
	if (!a->wrap && a->hscroll > 0) {
		a->hscroll = MAX(a->hscroll - 8, 0);
		a->dirty |= DIRTY_CONSOLE;
	}
}

static void act_scroll_right(struct app *a)
{
	if (!a->wrap) {
		a->hscroll += 8;
		a->dirty |= DIRTY_CONSOLE;
	}
}

/* Looks for a match from `from` going up (older, dir -1) or down (newer, dir +1), wrapping. */
static void search_step(struct app *a, uint64_t from, int dir)
{
	struct console *c = shown_console(a);
	uint64_t n, id;

	if (!c || !a->search[0])
		return;
	n = c->n;
	id = MIN(MAX(from, c->first_id), console_end_id(c) - 1);
	for (uint64_t k = 1; k <= n; k++) {
		uint64_t off = (id - c->first_id + (dir > 0 ? k : n * 2 - k)) % n;
		const struct console_line *l = console_get(c, c->first_id + off);
		if (l->kind == CONSOLE_TEXT && console_line_matches(a, l)) {
			bool wrapped = dir < 0 ? c->first_id + off >= id : c->first_id + off <= id;
			a->match_id = c->first_id + off;
			pause_follow(a, c);
			a->anchor = a->match_id;
			a->dirty |= DIRTY_CONSOLE;
			if (wrapped && from != UINT64_MAX)
				app_status(a, STATUS_INFO, "search wrapped");
			return;
		}
	}
	a->match_id = UINT64_MAX;
	app_status(a, STATUS_WARN, "no match for \"%s\"", a->search);
	a->dirty |= DIRTY_CONSOLE;
}

void app_search_next(struct app *a)
{
	struct console *c = shown_console(a);
	if (c)
		search_step(a, a->match_id != UINT64_MAX ? a->match_id : console_end_id(c), -1);
}

static void act_search_prev(struct app *a)
{
	struct console *c = shown_console(a);
	if (c)
		search_step(a, a->match_id != UINT64_MAX ? a->match_id : c->first_id, 1);
}

static void act_save(struct app *a)
{
	struct vm *vm = app_selected(a);
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char dir[PATH_MAX], path[PATH_MAX + 128], stamp[32];
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	time_t t = time(NULL);
	struct tm tm;
	FILE *f;
	int r, n;

	if (!vm || !vm->console || vm->console->n == 0) {
		app_status(a, STATUS_WARN, "nothing to save: the console is empty");
		return;
	}
	if (state && *state)
		snprintf(dir, sizeof(dir), "%s/banger", state);
	else
		snprintf(dir, sizeof(dir), "%s/.local/state/banger", home ? home : "/tmp");
	localtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	snprintf(path, sizeof(path), "%s/console-%s-%s.log", dir, vm->name, stamp);
	f = open_memstream(&data, &len);
	if (!f) {
		app_status(a, STATUS_ERROR, "save: out of memory");
		return;
	}
	n = console_export(vm->console, f);
	fclose(f);
	r = n < 0 ? n : mkdir_parents(dir, 0700);
	if (r >= 0)
		r = write_file_atomic(path, data, len, 0600);
	if (r < 0)
		app_status(a, STATUS_ERROR, "cannot write %s: %s", path, strerror(-r));
	else
		app_status(a, STATUS_INFO, "saved %d lines to %s", n, path);
}

/* ---- global ---- */

static void act_focus_next(struct app *a)
{
	a->focus = a->focus == FOCUS_LIST ? FOCUS_CONSOLE : FOCUS_LIST;
	a->dirty |= DIRTY_ALL;
}
static void act_focus_list(struct app *a)
{
	a->focus = FOCUS_LIST;
	a->dirty |= DIRTY_ALL;
}
static void act_focus_console(struct app *a)
{
	a->focus = FOCUS_CONSOLE;
	a->dirty |= DIRTY_ALL;
}
static void act_zoom(struct app *a)
{
	a->zoom = !a->zoom;
	a->dirty |= DIRTY_CLEAR;
}
static void act_grow(struct app *a)
{
	a->split = MIN(a->split + 5, 90u);
	a->dirty |= DIRTY_CLEAR;
}
static void act_shrink(struct app *a)
{
	a->split = MAX(a->split - 5, 10u);
	a->dirty |= DIRTY_CLEAR;
}
static void act_redraw(struct app *a)
{
	clearok(curscr, TRUE);
	a->dirty |= DIRTY_CLEAR;
}

void app_resync(struct app *a)
{
	int64_t now = now_ms();

	if (a->conn.state == CONN_CONNECTED) {
		/* A fresh subscription without since_seq answers with a full snapshot. */
		conn_lost(&a->conn, now, "resync requested");
		a->conn.retry_at = now;
		a->model.last_seq = 0;
		app_status(a, STATUS_INFO, "resyncing");
	} else
		a->conn.retry_at = now;
	a->dirty |= DIRTY_ALL;
}

static void act_escape(struct app *a)
{
	if (a->zoom) {
		act_zoom(a);
		return;
	}
	if (a->focus == FOCUS_CONSOLE) {
		act_focus_list(a);
		return;
	}
	if (a->filter.n > 0) {
		vm_filter_done(&a->filter);
		vm_filter_compile("", &a->filter, NULL, 0);
		a->view_dirty = true;
		app_status(a, STATUS_INFO, "filter cleared");
	}
}

static void act_quit(struct app *a)
{
	if (a->zoom || a->focus == FOCUS_CONSOLE) {
		act_escape(a);
		return;
	}
	a->quit = true;
}

static void act_interrupt(struct app *a)
{
	a->quit = true;
}

static void (*const handlers[_KEY_ACTION_MAX])(struct app *a) = {
        [KEY_ACTION_HELP] = act_help,
        [KEY_ACTION_COMMAND] = act_command,
        [KEY_ACTION_FOCUS_NEXT] = act_focus_next,
        [KEY_ACTION_FOCUS_LIST] = act_focus_list,
        [KEY_ACTION_FOCUS_CONSOLE] = act_focus_console,
        [KEY_ACTION_ZOOM] = act_zoom,
        [KEY_ACTION_GROW] = act_grow,
        [KEY_ACTION_SHRINK] = act_shrink,
        [KEY_ACTION_UPDATE] = app_update,
        [KEY_ACTION_RECONCILE] = app_reconcile,
        [KEY_ACTION_RESYNC] = app_resync,
        [KEY_ACTION_REDRAW] = act_redraw,
        [KEY_ACTION_ESCAPE] = act_escape,
        [KEY_ACTION_QUIT] = act_quit,
        [KEY_ACTION_INTERRUPT] = act_interrupt,
        [KEY_ACTION_DOWN] = act_down,
        [KEY_ACTION_UP] = act_up,
        [KEY_ACTION_FIRST] = act_first,
        [KEY_ACTION_LAST] = act_last,
        [KEY_ACTION_HALF_DOWN] = act_half_down,
        [KEY_ACTION_HALF_UP] = act_half_up,
        [KEY_ACTION_PAGE_DOWN] = act_page_down,
        [KEY_ACTION_PAGE_UP] = act_page_up,
        [KEY_ACTION_OPEN_CONSOLE] = act_open_console,
        [KEY_ACTION_INSPECT] = act_inspect,
        [KEY_ACTION_FILTER] = act_filter,
        [KEY_ACTION_SORT_PREV] = act_sort_prev,
        [KEY_ACTION_SORT_NEXT] = act_sort_next,
        [KEY_ACTION_SORT_INVERT] = act_sort_invert,
        [KEY_ACTION_START] = act_start,
        [KEY_ACTION_SSH] = act_ssh,
        [KEY_ACTION_STOP] = act_stop,
        [KEY_ACTION_RESTART] = act_restart,
        [KEY_ACTION_TAG] = act_tag,
        [KEY_ACTION_UNTAG_ALL] = act_untag_all,
        [KEY_ACTION_MESSAGES] = act_messages,
        [KEY_ACTION_SCROLL_DOWN] = act_scroll_down,
        [KEY_ACTION_SCROLL_UP] = act_scroll_up,
        [KEY_ACTION_TOP] = act_top,
        [KEY_ACTION_FOLLOW] = act_follow,
        [KEY_ACTION_CON_HALF_DOWN] = act_con_half_down,
        [KEY_ACTION_CON_HALF_UP] = act_con_half_up,
        [KEY_ACTION_CON_PAGE_DOWN] = act_con_page_down,
        [KEY_ACTION_CON_PAGE_UP] = act_con_page_up,
        [KEY_ACTION_SCROLL_LEFT] = act_scroll_left,
        [KEY_ACTION_SCROLL_RIGHT] = act_scroll_right,
        [KEY_ACTION_WRAP] = act_wrap,
        [KEY_ACTION_SEARCH] = act_search,
        [KEY_ACTION_SEARCH_NEXT] = app_search_next,
        [KEY_ACTION_SEARCH_PREV] = act_search_prev,
        [KEY_ACTION_CON_SSH] = act_ssh,
        [KEY_ACTION_SAVE] = act_save,
};

static void dialog_key(struct app *a, int key)
{
	switch (keymap_lookup(&a->keys, KEY_CTX_DIALOG, key)) {
	case KEY_ACTION_CONFIRM:
		app_run_confirmed(a);
		break;
	case KEY_ACTION_CANCEL:
		close_overlay(a);
		app_status(a, STATUS_INFO, "cancelled");
		break;
	case KEY_ACTION_SWITCH:
		a->confirm.focus = !a->confirm.focus;
		a->dirty |= DIRTY_OVERLAY;
		break;
	case KEY_ACTION_ACTIVATE:
		if (a->confirm.focus == 1)
			app_run_confirmed(a);
		else {
			close_overlay(a);
			app_status(a, STATUS_INFO, "cancelled");
		}
		break;
	default:
		if (key == 3)
			close_overlay(a);
		break;
	}
}

static void viewer_key(struct app *a, int key)
{
	enum key_action act = keymap_lookup(&a->keys, KEY_CTX_LIST, key);

	switch (act) {
	case KEY_ACTION_DOWN:
		a->overlay_scroll++;
		break;
	case KEY_ACTION_UP:
		a->overlay_scroll = MAX(a->overlay_scroll - 1, 0);
		break;
	case KEY_ACTION_PAGE_DOWN:
	case KEY_ACTION_HALF_DOWN:
		a->overlay_scroll += LINES / 2;
		break;
	case KEY_ACTION_PAGE_UP:
	case KEY_ACTION_HALF_UP:
		a->overlay_scroll = MAX(a->overlay_scroll - LINES / 2, 0);
		break;
	case KEY_ACTION_FIRST:
		a->overlay_scroll = 0;
		break;
	case KEY_ACTION_LAST:
		a->overlay_scroll = 100000; /* clamped when drawn */
		break;
	case KEY_ACTION_QUIT:
	case KEY_ACTION_ESCAPE:
	case KEY_ACTION_HELP:
	case KEY_ACTION_INSPECT:
	case KEY_ACTION_MESSAGES:
	case KEY_ACTION_INTERRUPT:
		close_overlay(a);
		return;
	default:
		return;
	}
	a->dirty |= DIRTY_OVERLAY | DIRTY_LIST | DIRTY_CONSOLE;
}

void app_handle_key(struct app *a, int key)
{
	enum key_action act;

	if (key == KEY_RESIZE) {
		a->dirty |= DIRTY_CLEAR;
		return;
	}
	if (a->status_sticky || (a->status[0] && a->status_level == STATUS_ERROR)) {
		a->status[0] = '\0';
		a->status_sticky = false;
		a->dirty |= DIRTY_STATUS;
	}
	if (key == 26) { /* C-z: raw mode delivers no SIGTSTP */
		app_suspend_self(a);
		return;
	}
	if (a->prompt != PROMPT_NONE) {
		app_prompt_key(a, key);
		return;
	}
	if (a->overlay == OVERLAY_CONFIRM) {
		dialog_key(a, key);
		return;
	}
	if (a->overlay != OVERLAY_NONE) {
		viewer_key(a, key);
		return;
	}
	act = keymap_lookup(&a->keys, a->focus == FOCUS_LIST ? KEY_CTX_LIST : KEY_CTX_CONSOLE, key);
	if (act > KEY_ACTION_NONE && act < _KEY_ACTION_MAX && handlers[act])
		handlers[act](a);
	a->dirty |= DIRTY_HINTS;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What actions do: one handler per actions.def row, run through the table by keys and by ":"
 * commands alike, plus the keys of the scrolling overlays. Handlers return the regions their
 * change needs redrawn (DIRTY_*) and never mark them themselves; toasts mark the status line.
 * Over 800 lines on purpose: every handler is static and reached only through the table at the
 * end, so the table stays the one way in (a split would export ~60 handlers). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/fileio.h"
#include "tui/app.h"
#include "tui/osc52.h"

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

static void call(struct app *a, enum rpc_method method, json_t *params, enum conn_call_kind kind,
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

static unsigned act_down(struct app *a, _unused_ const char *arg)
{
	return app_select_row(a, (ssize_t)a->sel_row + 1);
}
static unsigned act_up(struct app *a, _unused_ const char *arg)
{
	return app_select_row(a, (ssize_t)a->sel_row - 1);
}
static unsigned act_first(struct app *a, _unused_ const char *arg)
{
	return app_select_row(a, 0);
}
static unsigned act_last(struct app *a, _unused_ const char *arg)
{
	return app_select_row(a, (ssize_t)a->view.n - 1);
}
static unsigned act_half_down(struct app *a, _unused_ const char *arg)
{
	return app_select_row(a, (ssize_t)a->sel_row + page(a) / 2);
}
static unsigned act_half_up(struct app *a, _unused_ const char *arg)
{
	return app_select_row(a, (ssize_t)a->sel_row - page(a) / 2);
}
static unsigned act_page_down(struct app *a, _unused_ const char *arg)
{
	return app_select_row(a, (ssize_t)a->sel_row + page(a));
}
static unsigned act_page_up(struct app *a, _unused_ const char *arg)
{
	return app_select_row(a, (ssize_t)a->sel_row - page(a));
}

static unsigned act_open_console(struct app *a, _unused_ const char *arg)
{
	a->focus = FOCUS_CONSOLE;
	return DIRTY_ALL;
}

/* The view is rebuilt before the next frame; the rebuild redraws the list and header. */
static unsigned sort_by(struct app *a, int delta)
{
	a->view.sort = (enum vm_column)(((int)a->view.sort + delta + _VM_COL_MAX) % _VM_COL_MAX);
	a->sort_frozen_until = 0;
	a->view_dirty = true;
	app_status(a, STATUS_INFO, "sort: %s %s", vm_column_to_string(a->view.sort),
		a->view.descending ? "descending" : "ascending");
	return DIRTY_LIST | DIRTY_HEADER;
}
static unsigned act_sort_next(struct app *a, _unused_ const char *arg)
{
	return sort_by(a, 1);
}
static unsigned act_sort_prev(struct app *a, _unused_ const char *arg)
{
	return sort_by(a, -1);
}
static unsigned act_sort_invert(struct app *a, _unused_ const char *arg)
{
	a->view.descending = !a->view.descending;
	return sort_by(a, 0);
}

/* ":sort COLUMN [asc|desc]" */
static unsigned act_sort(struct app *a, const char *arg)
{
	char col_name[32];
	const char *dir;
	enum vm_column col;
	size_t n = strcspn(arg, " \t");

	snprintf(col_name, sizeof(col_name), "%.*s", (int)MIN(n, sizeof(col_name) - 1), arg);
	col = vm_column_from_string(col_name);
	if (col < 0) {
		app_status(a, STATUS_ERROR, "sort: unknown column '%s'", col_name);
		return 0;
	}
	dir = arg + n + strspn(arg + n, " \t");
	a->view.sort = col;
	a->view.descending = strncmp(dir, "desc", 4) == 0;
	return sort_by(a, 0);
}

/* "/" opens the prompt; ":filter EXPR" applies EXPR, ":filter" alone clears the filter. */
static unsigned act_filter(struct app *a, const char *arg)
{
	if (!arg)
		return app_prompt_open(a, PROMPT_FILTER, a->filter.source ? a->filter.source : "");
	app_filter_apply(a, arg);
	return DIRTY_LIST | DIRTY_HEADER;
}
static unsigned act_command(struct app *a, _unused_ const char *arg)
{
	return app_prompt_open(a, PROMPT_COMMAND, "");
}
static unsigned act_search(struct app *a, _unused_ const char *arg)
{
	return app_prompt_open(a, PROMPT_SEARCH, a->search);
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

	free_inspect(a);
	if (vm && vm->obj)
		app_inspect_json(a, vm->name ? vm->name : "(gone)", vm->obj);
}

void app_inspect_json(struct app *a, const char *title, const json_t *obj)
{
	char *dump, *save = NULL;

	free_inspect(a);
	snprintf(a->inspect_title, sizeof(a->inspect_title), "inspect %s", title);
	dump = json_dumps(obj, JSON_INDENT(2) | JSON_SORT_KEYS);
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

void app_inspect_text(struct app *a, const char *title, const char *const *lines, size_t n)
{
	free_inspect(a);
	snprintf(a->inspect_title, sizeof(a->inspect_title), "%s", title);
	a->inspect_lines = calloc(n ? n : 1, sizeof(char *));
	if (!a->inspect_lines)
		return;
	for (size_t i = 0; i < n; i++) {
		a->inspect_lines[a->n_inspect] = strdup(lines[i]);
		if (a->inspect_lines[a->n_inspect])
			a->n_inspect++;
	}
}

static unsigned act_inspect(struct app *a, _unused_ const char *arg)
{
	if (!app_selected(a))
		return 0;
	app_inspect_build(a);
	a->overlay = OVERLAY_INSPECT;
	a->overlay_scroll = 0;
	return DIRTY_OVERLAY | DIRTY_HINTS;
}

static unsigned act_help(struct app *a, _unused_ const char *arg)
{
	a->overlay = OVERLAY_HELP;
	a->overlay_scroll = 0;
	return DIRTY_OVERLAY | DIRTY_HINTS;
}

static unsigned act_messages(struct app *a, _unused_ const char *arg)
{
	a->overlay = OVERLAY_MESSAGES;
	a->overlay_scroll = 100000; /* the newest at the bottom; clamped when drawn */
	return DIRTY_OVERLAY | DIRTY_HINTS;
}

/* ---- VM and daemon actions ---- */

static void free_targets(struct confirm *c)
{
	json_decref(c->params);
	c->params = NULL;
	for (size_t i = 0; i < c->n_targets; i++)
		free(c->targets[i]);
	free(c->targets);
	c->targets = NULL;
	c->n_targets = 0;
}

static unsigned close_overlay(struct app *a)
{
	a->overlay = OVERLAY_NONE;
	free_inspect(a);
	free_targets(&a->confirm);
	return DIRTY_ALL;
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

unsigned app_confirm_open(
	struct app *a, enum key_action action, const char *verb, const char *title)
{
	const struct key_action_info *info = key_action_info(action);
	struct confirm *c = &a->confirm;

	free_targets(c);
	*c = (struct confirm){.action = action, .focus = 0, .kind = CALL_ACTION};
	snprintf(c->title, sizeof(c->title), "%s", title);
	snprintf(c->verb, sizeof(c->verb), "%s", verb);
	snprintf(c->what, sizeof(c->what), "%s", info ? info->name : verb);
	a->overlay = OVERLAY_CONFIRM;
	a->overlay_scroll = 0;
	return DIRTY_OVERLAY | DIRTY_HINTS;
}

/* "web-1, web-2, … and 3 more" in the dialog body. */
static void body_targets(struct app *a)
{
	struct confirm *c = &a->confirm;
	char line[360] = "";
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

static void send_each(struct app *a, enum rpc_method method, const char *verb)
{
	struct confirm *c = &a->confirm;
	char what[160];

	for (size_t i = 0; i < c->n_targets; i++) {
		json_t *params = json_pack("{s:s}", "name", c->targets[i]);
		if (params && c->force)
			json_object_set_new(params, "force", json_true());
		if (params && c->snapshot)
			json_object_set_new(params, "snapshot", json_true());
		snprintf(what, sizeof(what), "%s %s", verb, c->targets[i]);
		call(a, method, params, CALL_ACTION, what);
	}
	if (c->n_targets == 1)
		app_status(a, STATUS_INFO, "%s: requested", what);
	else
		app_status(a, STATUS_INFO, "%s %zu VMs: requested", verb, c->n_targets);
}

/* Start, stop, restart: one VM goes ahead at once unless the action is destructive; several
 * always ask. snapshot: the stop is a suspend (set before a single VM goes ahead). */
static unsigned vm_action_snapshot(struct app *a, enum key_action action, const char *Verb,
	const char *what_happens, bool snapshot)
{
	struct confirm *c = &a->confirm;
	char title[160];
	char **targets;
	unsigned redraw;
	size_t n;

	if (!app_selected(a))
		return 0;
	if (collect_targets(a, &targets, &n) < 0 || n == 0) {
		app_status(a, STATUS_ERROR, "out of memory");
		return 0;
	}
	if (n == 1)
		snprintf(title, sizeof(title), "%s %s?", Verb, targets[0]);
	else
		snprintf(title, sizeof(title), "%s %zu VMs?", Verb, n);
	redraw = app_confirm_open(a, action, Verb, title);
	c->targets = targets;
	c->n_targets = n;
	c->snapshot = snapshot;
	body_targets(a);
	if (what_happens)
		app_confirm_body(a, "%s", what_happens);
	if (n == 1 && !key_action_destructive(action))
		return app_run_confirmed(a); /* starting one VM destroys nothing: no dialog */
	return redraw;
}

static unsigned vm_action(
	struct app *a, enum key_action action, const char *Verb, const char *what_happens)
{
	return vm_action_snapshot(a, action, Verb, what_happens, false);
}

static unsigned act_start(struct app *a, _unused_ const char *arg)
{
	return vm_action(a, KEY_ACTION_START, "Start", NULL);
}

static unsigned act_stop(struct app *a, _unused_ const char *arg)
{
	return vm_action(a, KEY_ACTION_STOP, "Stop",
		"A graceful shutdown; banger force-stops what does not halt.");
}

static unsigned act_kill(struct app *a, _unused_ const char *arg)
{
	unsigned redraw = vm_action(a, KEY_ACTION_KILL, "Kill",
		"The VMM is killed at once (SIGKILL), without a graceful shutdown: the guest gets "
		"no chance to halt, and what it has not yet written to its disk is lost.");

	a->confirm.force = true;
	return redraw;
}

/* Neither loses anything: one VM goes ahead without a dialog, as a start does. */
static unsigned act_pause(struct app *a, _unused_ const char *arg)
{
	return vm_action(a, KEY_ACTION_PAUSE, "Pause",
		"Each guest's vCPUs and clock stop; its memory and resources stay.");
}

static unsigned act_resume(struct app *a, _unused_ const char *arg)
{
	return vm_action(a, KEY_ACTION_RESUME, "Resume", NULL);
}

/* Suspend loses nothing either (start restores it), so one VM goes ahead at once too. */
static unsigned act_suspend(struct app *a, _unused_ const char *arg)
{
	return vm_action_snapshot(a, KEY_ACTION_SUSPEND, "Suspend",
		"Each guest's memory and devices are saved next to its disk and its VMM ends; "
		"start restores it where it was.",
		true);
}

/* A live snapshot loses nothing (the guest stands for a moment and runs on): no dialog for one. */
static unsigned act_snapshot(struct app *a, _unused_ const char *arg)
{
	return vm_action(a, KEY_ACTION_SNAPSHOT, "Snapshot",
		"Each guest's memory, devices and disk are kept as a new snapshot (named by the "
		"time); it runs on. banger vm snapshot list|restore|delete handle them.");
}

static unsigned act_create(struct app *a, _unused_ const char *arg)
{
	return app_form_open(a);
}

/* Delete: a VM that is not stopped is stopped first (force), which the dialog says. */
static unsigned act_delete(struct app *a, _unused_ const char *arg)
{
	struct confirm *c = &a->confirm;
	unsigned redraw = vm_action(a, KEY_ACTION_DELETE, "Delete",
		"Each VM's record, disk and console log are removed; this cannot be undone.");

	for (size_t i = 0; i < c->n_targets; i++) {
		struct vm *vm = vm_model_find_name(&a->model, c->targets[i]);
		if (vm && vm->state != VM_STATE_CREATED && vm->state != VM_STATE_STOPPED &&
			vm->state != VM_STATE_ERROR) {
			app_confirm_body(a, "%s is %s: it is stopped first (force), then deleted.",
				vm->name, vm_state_to_string(vm->state));
			c->force = true;
		}
	}
	return redraw;
}

static unsigned act_restart(struct app *a, _unused_ const char *arg)
{
	return vm_action(a, KEY_ACTION_RESTART, "Restart",
		"Stops each guest gracefully, then boots it again.");
}

static unsigned act_tag(struct app *a, _unused_ const char *arg)
{
	struct vm *vm = app_selected(a);

	if (!vm)
		return 0;
	vm->tagged = !vm->tagged;
	return DIRTY_LIST | app_select_row(a, (ssize_t)a->sel_row + 1);
}

static unsigned act_untag_all(struct app *a, _unused_ const char *arg)
{
	for (size_t i = 0; i < a->model.n; i++)
		a->model.vms[i]->tagged = false;
	return DIRTY_LIST;
}

static unsigned act_update(struct app *a, _unused_ const char *arg)
{
	unsigned redraw = app_confirm_open(a, KEY_ACTION_UPDATE, "Update", "Update the daemon?");

	/* Its success means the daemon is about to restart: the answer is routed for that. */
	a->confirm.kind = CALL_UPDATE;
	snprintf(a->confirm.what, sizeof(a->confirm.what), "daemon update");
	app_confirm_body(
		a, "Installed daemon: %s", a->conn.version[0] ? a->conn.version : "unknown");
	app_confirm_body(a, "bangerd restarts; running VMs keep running and are re-adopted. This "
			    "screen reconnects by itself.");
	return redraw;
}

/* The dialog opens when the dry run's plan arrives (app_on_answer). */
static unsigned act_reconcile(struct app *a, _unused_ const char *arg)
{
	call(a, key_action_info(KEY_ACTION_RECONCILE)->method, json_pack("{s:b}", "dry_run", 1),
		CALL_PLAN, "reconcile plan");
	app_status(a, STATUS_INFO, "reconcile: asking the daemon for a plan…");
	return 0;
}

/* Sends what the dialog asked about: the confirmed row's method, once per target VM or once. */
unsigned app_run_confirmed(struct app *a)
{
	struct confirm *c = &a->confirm;
	const struct key_action_info *info = key_action_info(c->action);

	a->overlay = OVERLAY_NONE;
	/* the confirmations that concern banger-tui's own child, not the daemon */
	if (c->action == KEY_ACTION_IMG_BUILD_CANCEL)
		app_build_cancel(a);
	else if (c->action == KEY_ACTION_QUIT || c->action == KEY_ACTION_INTERRUPT) {
		app_build_cancel(a);
		a->quit = true;
	} else if (a->conn.state != CONN_CONNECTED)
		app_status(a, STATUS_WARN, "not connected: nothing was done");
	else if (info && info->method != _RPC_METHOD_INVALID) {
		if (info->flags & ACTION_VMS)
			send_each(a, info->method, info->name);
		else {
			call(a, info->method, c->params ? json_incref(c->params) : json_object(),
				c->kind, c->what);
			app_status(a, STATUS_INFO, "%s: requested", c->what);
		}
	}
	free_targets(c);
	return DIRTY_ALL;
}

static unsigned act_ssh(struct app *a, _unused_ const char *arg)
{
	struct vm *vm = app_selected(a);
	if (vm)
		app_ssh_start(a, vm); /* the screen comes back repainted when it ends */
	return 0;
}

/* ---- the images view ---- */

static unsigned act_view(struct app *a, const char *arg)
{
	if (arg && *arg)
		a->view_mode = strncmp(arg, "image", 5) == 0 ? VIEW_IMAGES : VIEW_VMS;
	else
		a->view_mode = a->view_mode == VIEW_VMS ? VIEW_IMAGES : VIEW_VMS;
	a->zoom = false;
	return DIRTY_CLEAR;
}

/* Moves the image selection to row (clamped) of the names in order. */
static unsigned img_select(struct app *a, ssize_t row)
{
	const char *names[MAX_IMAGES];
	size_t n = app_image_names(a, names, MAX_IMAGES);

	if (n == 0)
		return 0;
	row = MAX(MIN(row, (ssize_t)n - 1), (ssize_t)0);
	snprintf(a->img_sel, sizeof(a->img_sel), "%s", names[row]);
	return DIRTY_LIST;
}

static ssize_t img_row(struct app *a)
{
	const char *names[MAX_IMAGES];
	size_t n = app_image_names(a, names, MAX_IMAGES);
	return (ssize_t)app_image_row(a, names, n);
}

static unsigned act_img_down(struct app *a, _unused_ const char *arg)
{
	return img_select(a, img_row(a) + 1);
}
static unsigned act_img_up(struct app *a, _unused_ const char *arg)
{
	return img_select(a, img_row(a) - 1);
}
static unsigned act_img_first(struct app *a, _unused_ const char *arg)
{
	return img_select(a, 0);
}
static unsigned act_img_last(struct app *a, _unused_ const char *arg)
{
	return img_select(a, MAX_IMAGES);
}

static const json_t *selected_image(struct app *a)
{
	const char *names[MAX_IMAGES];
	size_t n = app_image_names(a, names, MAX_IMAGES);

	if (n == 0)
		return NULL;
	return json_object_get(a->model.images, names[app_image_row(a, names, n)]);
}

static unsigned act_img_inspect(struct app *a, _unused_ const char *arg)
{
	const json_t *img = selected_image(a);

	if (!img)
		return 0;
	app_inspect_json(a, json_string_value(json_object_get(img, "name")) ?: "?", img);
	a->overlay = OVERLAY_INSPECT;
	a->overlay_scroll = 0;
	return DIRTY_OVERLAY | DIRTY_HINTS;
}

/* ":image-import NAME KERNEL ROOTFS [INITRD]": paths as the daemon reads them; its copy is
 * shown in the view as image.import_progress comes. */
static unsigned act_img_import(struct app *a, const char *arg)
{
	char name[64] = "", kernel[1024] = "", rootfs[1024] = "", initrd[1024] = "", what[96];
	json_t *params;

	if (sscanf(arg, "%63s %1023s %1023s %1023s", name, kernel, rootfs, initrd) < 3) {
		app_status(a, STATUS_ERROR, "usage: :image-import NAME KERNEL ROOTFS [INITRD]");
		return 0;
	}
	params = json_pack("{s:s, s:s, s:s}", "name", name, "kernel", kernel, "rootfs", rootfs);
	if (params && initrd[0])
		json_object_set_new(params, "initrd", json_string(initrd));
	snprintf(what, sizeof(what), "import %s", name);
	call(a, RPC_METHOD_IMAGE_IMPORT, params, CALL_ACTION, what);
	app_status(a, STATUS_INFO, "%s: requested", what);
	a->view_mode = VIEW_IMAGES;
	return DIRTY_CLEAR;
}

/* b: the recipe picker; ":image-build RECIPE" builds at once. */
static unsigned act_img_build(struct app *a, const char *arg)
{
	return app_build_open(a, arg);
}

/* X, or Esc in the images view: SIGTERM to the build, always after a confirmation. Not an
 * ACTION_CONFIRM row: with no build running there is nothing to ask about. */
static unsigned act_img_build_cancel(struct app *a, _unused_ const char *arg)
{
	char title[128];
	unsigned redraw;

	if (a->build.pid <= 0) {
		app_status(a, STATUS_WARN, "no build is running");
		return 0;
	}
	snprintf(title, sizeof(title), "Cancel the build of %s?", a->build.recipe);
	redraw = app_confirm_open(a, KEY_ACTION_IMG_BUILD_CANCEL, "Stop build", title);
	snprintf(a->confirm.what, sizeof(a->confirm.what), "cancel build %s", a->build.recipe);
	app_confirm_body(a,
		"banger image build %s (pid %d) gets SIGTERM: the recipe is stopped, its build "
		"directory removed, and nothing is imported.",
		a->build.recipe, (int)a->build.pid);
	return redraw;
}

/* Quitting while a build runs would leave it to finish unseen: ask first. */
static unsigned ask_quit(struct app *a, enum key_action action)
{
	char title[128];
	unsigned redraw;

	snprintf(title, sizeof(title), "Quit while %s is building?", a->build.recipe);
	redraw = app_confirm_open(a, action, "Quit", title);
	app_confirm_body(a, "The build (pid %d) is cancelled with SIGTERM: nothing is imported.",
		(int)a->build.pid);
	return redraw;
}

/* The dialog names the VMs that use it: the daemon refuses while any does. */
static unsigned act_img_remove(struct app *a, _unused_ const char *arg)
{
	const json_t *img = selected_image(a);
	const char *name = img ? json_string_value(json_object_get(img, "name")) : NULL;
	char title[96], users[200] = "";
	size_t o = 0, n_users = 0;
	unsigned redraw;

	if (!name)
		return 0;
	for (size_t i = 0; i < a->model.n; i++) {
		const struct vm *vm = a->model.vms[i];
		if (vm->image && streq(vm->image, name) && o < sizeof(users))
			o += (size_t)snprintf(users + o, sizeof(users) - o, "%s%s",
				n_users++ ? ", " : "", vm->name);
	}
	snprintf(title, sizeof(title), "Remove image %s?", name);
	redraw = app_confirm_open(a, KEY_ACTION_IMG_REMOVE, "Remove", title);
	a->confirm.params = json_pack("{s:s}", "name", name);
	snprintf(a->confirm.what, sizeof(a->confirm.what), "remove image %s", name);
	app_confirm_body(a, "Its kernel, initrd and root filesystem copies are deleted.");
	if (n_users)
		app_confirm_body(a,
			"Used by %zu VM%s (%s): the daemon refuses until they are deleted.",
			n_users, n_users == 1 ? "" : "s", users);
	return redraw;
}

/* ---- the confirm dialog ---- */

static bool dialog_open(struct app *a)
{
	if (a->overlay == OVERLAY_CONFIRM)
		return true;
	app_status(a, STATUS_WARN, "no dialog is open");
	return false;
}

static unsigned act_confirm(struct app *a, _unused_ const char *arg)
{
	return dialog_open(a) ? app_run_confirmed(a) : 0;
}

static unsigned act_cancel(struct app *a, _unused_ const char *arg)
{
	if (!dialog_open(a))
		return 0;
	app_status(a, STATUS_INFO, "cancelled");
	return close_overlay(a);
}

static unsigned act_switch(struct app *a, _unused_ const char *arg)
{
	if (!dialog_open(a))
		return 0;
	a->confirm.focus = !a->confirm.focus;
	return DIRTY_OVERLAY;
}

/* Scrolls the body of a dialog the screen is too short for; clamped when drawn. */
static unsigned act_dialog_down(struct app *a, _unused_ const char *arg)
{
	if (!dialog_open(a))
		return 0;
	a->overlay_scroll++;
	return DIRTY_OVERLAY;
}

static unsigned act_dialog_up(struct app *a, _unused_ const char *arg)
{
	if (!dialog_open(a))
		return 0;
	a->overlay_scroll = MAX(a->overlay_scroll - 1, 0);
	return DIRTY_OVERLAY;
}

static unsigned act_activate(struct app *a, const char *arg)
{
	if (!dialog_open(a))
		return 0;
	return a->confirm.focus == 1 ? app_run_confirmed(a) : act_cancel(a, arg);
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

static unsigned scroll_by(struct app *a, int64_t delta)
{
	struct console *c = shown_console(a);
	int64_t anchor;

	if (!c)
		return 0;
	if (delta > 0 && a->follow)
		return 0;
	pause_follow(a, c);
	anchor = (int64_t)MAX(a->anchor, c->first_id) + delta;
	anchor = MAX(anchor, (int64_t)c->first_id);
	if (anchor >= (int64_t)console_end_id(c) - 1)
		a->follow = true;
	else
		a->anchor = (uint64_t)anchor;
	return DIRTY_CONSOLE;
}

static int con_page(struct app *a)
{
	draw_compute_layout(a);
	return MAX(a->lay.con_h, 1);
}

static unsigned act_scroll_down(struct app *a, _unused_ const char *arg)
{
	return scroll_by(a, 1);
}
static unsigned act_scroll_up(struct app *a, _unused_ const char *arg)
{
	return scroll_by(a, -1);
}
static unsigned act_con_half_down(struct app *a, _unused_ const char *arg)
{
	return scroll_by(a, con_page(a) / 2);
}
static unsigned act_con_half_up(struct app *a, _unused_ const char *arg)
{
	return scroll_by(a, -con_page(a) / 2);
}
static unsigned act_con_page_down(struct app *a, _unused_ const char *arg)
{
	return scroll_by(a, con_page(a));
}
static unsigned act_con_page_up(struct app *a, _unused_ const char *arg)
{
	return scroll_by(a, -con_page(a));
}

static unsigned act_top(struct app *a, _unused_ const char *arg)
{
	struct console *c = shown_console(a);

	if (!c)
		return 0;
	pause_follow(a, c);
	a->anchor = MIN(c->first_id + (uint64_t)con_page(a) - 1, console_end_id(c) - 1);
	return DIRTY_CONSOLE;
}

static unsigned act_follow(struct app *a, _unused_ const char *arg)
{
	a->follow = true;
	return DIRTY_CONSOLE;
}

static unsigned act_wrap(struct app *a, _unused_ const char *arg)
{
	a->wrap = !a->wrap;
	a->hscroll = 0;
	return DIRTY_CONSOLE;
}

static unsigned act_timestamps(struct app *a, _unused_ const char *arg)
{
	a->timestamps = !a->timestamps;
	return DIRTY_CONSOLE;
}

/* ":mouse [on|off]": toggles without an argument. */
static unsigned act_mouse(struct app *a, const char *arg)
{
	bool on = arg && *arg ? !strstr(arg, "off") : !a->mouse;

	if (!app_mouse_enable(a, on))
		app_status(a, STATUS_WARN, "mouse: this terminal reports no mouse events");
	else
		app_status(a, STATUS_INFO, "mouse %s%s", a->mouse ? "on" : "off",
			a->mouse ? " (Shift+drag selects text in most terminals)" : "");
	return DIRTY_STATUS;
}

/* ":set wrap|timestamps|mouse on|off" */
static unsigned act_set(struct app *a, const char *arg)
{
	bool on = !strstr(arg, "off");

	if (strncmp(arg, "wrap", 4) == 0)
		a->wrap = on;
	else if (strncmp(arg, "timestamps", 10) == 0)
		a->timestamps = on;
	else if (strncmp(arg, "mouse", 5) == 0)
		return act_mouse(a, on ? "on" : "off");
	else {
		app_status(a, STATUS_ERROR,
			"set: unknown option '%s' (wrap|timestamps|mouse on|off)", arg);
		return 0;
	}
	return DIRTY_CONSOLE;
}

/* y: the clicked line, else the console rows on screen, as plain text to the terminal's
 * clipboard through OSC 52. */
static unsigned act_copy(struct app *a, _unused_ const char *arg)
{
	struct console *c = shown_console(a);
	_cleanup_free_ char *text = NULL, *seq = NULL;
	size_t len = 0, seq_len, lines = 0;
	uint64_t last = UINT64_MAX;
	FILE *f;

	if (!c) {
		app_status(a, STATUS_WARN, "nothing to copy: the console is empty");
		return 0;
	}
	f = open_memstream(&text, &len);
	if (!f) {
		app_status(a, STATUS_ERROR, "copy: out of memory");
		return 0;
	}
	for (size_t i = 0; i < ELEMENTSOF(a->con_rows); i++) {
		uint64_t id = a->con_sel != UINT64_MAX ? a->con_sel : a->con_rows[i];
		const struct console_line *l = id != UINT64_MAX ? console_get(c, id) : NULL;
		if (!l || id == last)
			continue; /* a wrapped line fills several rows */
		console_line_plain(l, f);
		lines++;
		last = id;
		if (a->con_sel != UINT64_MAX)
			break;
	}
	fclose(f);
	if (lines == 0) {
		app_status(a, STATUS_WARN, "nothing to copy");
		return 0;
	}
	if (osc52_sequence(text, len, &seq, &seq_len) < 0) {
		app_status(a, STATUS_ERROR, "copy: out of memory");
		return 0;
	}
	if (a->osc_fd < 0 || write(a->osc_fd, seq, seq_len) != (ssize_t)seq_len) {
		app_status(a, STATUS_ERROR, "copy: cannot write to the terminal");
		return 0;
	}
	app_status(a, STATUS_INFO, "copied %zu line%s (%zu bytes%s) via OSC 52", lines,
		lines == 1 ? "" : "s", MIN(len, (size_t)OSC52_MAX_DATA),
		len > OSC52_MAX_DATA ? ", cut" : "");
	return 0;
}

static unsigned act_scroll_left(struct app *a, _unused_ const char *arg)
{
	if (a->wrap || a->hscroll == 0)
		return 0;
	a->hscroll = MAX(a->hscroll - 8, 0);
	return DIRTY_CONSOLE;
}

static unsigned act_scroll_right(struct app *a, _unused_ const char *arg)
{
	if (a->wrap)
		return 0;
	a->hscroll += 8;
	return DIRTY_CONSOLE;
}

/* Looks for a match from `from` going up (older, dir -1) or down (newer, dir +1), wrapping. */
static unsigned search_step(struct app *a, uint64_t from, int dir)
{
	struct console *c = shown_console(a);
	uint64_t n, id;

	if (!c || !a->search[0])
		return 0;
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
			if (wrapped && from != UINT64_MAX)
				app_status(a, STATUS_INFO, "search wrapped");
			return DIRTY_CONSOLE;
		}
	}
	a->match_id = UINT64_MAX;
	app_status(a, STATUS_WARN, "no match for \"%s\"", a->search);
	return DIRTY_CONSOLE;
}

unsigned app_search_next(struct app *a)
{
	struct console *c = shown_console(a);
	if (!c)
		return 0;
	return search_step(a, a->match_id != UINT64_MAX ? a->match_id : console_end_id(c), -1);
}

static unsigned act_search_next(struct app *a, _unused_ const char *arg)
{
	return app_search_next(a);
}

static unsigned act_search_prev(struct app *a, _unused_ const char *arg)
{
	struct console *c = shown_console(a);
	if (!c)
		return 0;
	return search_step(a, a->match_id != UINT64_MAX ? a->match_id : c->first_id, 1);
}

static unsigned act_save(struct app *a, _unused_ const char *arg)
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
		return 0;
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
		return 0;
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
	return 0;
}

/* ---- global ---- */

static unsigned act_focus_next(struct app *a, _unused_ const char *arg)
{
	a->focus = a->focus == FOCUS_LIST ? FOCUS_CONSOLE : FOCUS_LIST;
	return DIRTY_ALL;
}
static unsigned act_focus_list(struct app *a, _unused_ const char *arg)
{
	a->focus = FOCUS_LIST;
	return DIRTY_ALL;
}
static unsigned act_focus_console(struct app *a, _unused_ const char *arg)
{
	a->focus = FOCUS_CONSOLE;
	return DIRTY_ALL;
}
static unsigned act_zoom(struct app *a, _unused_ const char *arg)
{
	a->zoom = !a->zoom;
	return DIRTY_CLEAR;
}
static unsigned act_grow(struct app *a, _unused_ const char *arg)
{
	a->split = MIN(a->split + 5, 90u);
	return DIRTY_CLEAR;
}
static unsigned act_shrink(struct app *a, _unused_ const char *arg)
{
	a->split = MAX(a->split - 5, 10u);
	return DIRTY_CLEAR;
}
static unsigned act_redraw(_unused_ struct app *a, _unused_ const char *arg)
{
	clearok(curscr, TRUE);
	return DIRTY_CLEAR;
}

static unsigned act_theme(struct app *a, const char *arg)
{
	if (ui_theme_apply(a, arg) >= 0 && (!a->theme->n_warnings))
		app_status(a, STATUS_INFO, "theme: %s", a->theme->name ? a->theme->name : arg);
	return DIRTY_CLEAR;
}

static unsigned act_resync(struct app *a, _unused_ const char *arg)
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
	return DIRTY_ALL;
}

/* Out of zoom, then console focus, then the filter. */
static unsigned step_back(struct app *a, const char *arg)
{
	if (a->zoom)
		return act_zoom(a, arg);
	if (a->focus == FOCUS_CONSOLE)
		return act_focus_list(a, arg);
	if (a->filter.n > 0) {
		vm_filter_done(&a->filter);
		vm_filter_compile("", &a->filter, NULL, 0);
		a->view_dirty = true;
		app_status(a, STATUS_INFO, "filter cleared");
		return DIRTY_LIST | DIRTY_HEADER;
	}
	return 0;
}

/* In the images view while a build runs, Esc asks to cancel it. */
static unsigned act_escape(struct app *a, const char *arg)
{
	if (a->view_mode == VIEW_IMAGES && a->build.pid > 0 && !a->build.cancelling)
		return act_img_build_cancel(a, arg);
	return step_back(a, arg);
}

/* The q key steps back out of zoom and console focus first; ":quit" always quits. */
static unsigned act_quit(struct app *a, const char *arg)
{
	if (!arg && (a->zoom || a->focus == FOCUS_CONSOLE))
		return step_back(a, arg);
	if (a->build.pid > 0)
		return ask_quit(a, KEY_ACTION_QUIT);
	a->quit = true;
	return 0;
}

static unsigned act_interrupt(struct app *a, _unused_ const char *arg)
{
	if (a->build.pid > 0)
		return ask_quit(a, KEY_ACTION_INTERRUPT);
	a->quit = true;
	return 0;
}

/* ---- the table ---- */

typedef unsigned (*action_handler_t)(struct app *a, const char *arg);

static const action_handler_t handlers[_KEY_ACTION_MAX] = {
#define ACTION(id, name, ctx, keys, handler, flags, method, arg, help) [KEY_ACTION_##id] = handler,
#include "tui/actions.def"
#undef ACTION
};

unsigned app_run_action(struct app *a, enum key_action act, const char *arg)
{
	const struct key_action_info *info = key_action_info(act);

	if (!info)
		return 0;
	a->last_action = act;
	if (arg && *arg && !info->arg) {
		app_status(a, STATUS_ERROR, "%s takes no argument", info->name);
		return 0;
	}
	/* refused before asking for an argument it could not use */
	if (info->method != _RPC_METHOD_INVALID && !need_daemon(a, info->name))
		return 0;
	if (info->arg && info->arg[0] != '[' && (!arg || !*arg)) {
		char initial[64];
		if (arg) {
			app_status(a, STATUS_ERROR, "usage: :%s %s", info->name, info->arg);
			return 0;
		}
		/* A key bound to it: ask for the argument. */
		snprintf(initial, sizeof(initial), "%s ", info->name);
		return app_prompt_open(a, PROMPT_COMMAND, initial);
	}
	return handlers[act](a, arg);
}

/* Over help, inspect and messages, the list's movement keys scroll and closing keys close. */
static unsigned viewer_key(struct app *a, int key)
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
		return close_overlay(a);
	default:
		return 0;
	}
	return DIRTY_OVERLAY | DIRTY_LIST | DIRTY_CONSOLE;
}

unsigned app_handle_key(struct app *a, int key)
{
	unsigned redraw = 0;
	enum key_action act;

	if (key == KEY_RESIZE)
		return DIRTY_CLEAR;
	if (key == KEY_MOUSE) /* over the main screen only */
		return a->prompt == PROMPT_NONE && a->overlay == OVERLAY_NONE ? app_mouse(a) : 0;
	if (a->status_sticky || (a->status[0] && a->status_level == STATUS_ERROR)) {
		a->status[0] = '\0';
		a->status_sticky = false;
		redraw |= DIRTY_STATUS;
	}
	if (key == 26) { /* C-z: raw mode delivers no SIGTSTP */
		app_suspend_self(a);
		return redraw | DIRTY_CLEAR;
	}
	if (a->prompt != PROMPT_NONE)
		return redraw | app_prompt_key(a, key);
	if (a->overlay == OVERLAY_FORM)
		return redraw | app_form_key(a, key);
	if (a->overlay == OVERLAY_BUILD)
		return redraw | app_build_key(a, key);
	if (a->overlay == OVERLAY_CONFIRM) {
		act = keymap_lookup(&a->keys, KEY_CTX_DIALOG, key);
		if (act == KEY_ACTION_NONE)
			return redraw | (key == 3 ? close_overlay(a) : 0);
		return redraw | app_run_action(a, act, NULL);
	}
	if (a->overlay != OVERLAY_NONE)
		return redraw | viewer_key(a, key);
	act = keymap_lookup(&a->keys,
		a->view_mode == VIEW_IMAGES ? KEY_CTX_IMAGES
		: a->focus == FOCUS_LIST    ? KEY_CTX_LIST
					    : KEY_CTX_CONSOLE,
		key);
	return redraw | app_run_action(a, act, NULL) | DIRTY_HINTS;
}

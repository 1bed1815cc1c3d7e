/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the daemon's notifications and answers change: the model, toasts, the connection state,
 * the reconcile plan dialog. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tui/app.h"

/* True while an action of ours on the VM waits for its answer, which will say how it went, or
 * when that answer has just said it (it may come before the event). */
static bool action_pending(const struct app *a, const char *name)
{
	const struct conn_call *c;
	char failed[160];
	time_t now = time(NULL);

	snprintf(failed, sizeof(failed), " %s failed (", name);
	for (size_t i = a->n_messages; i > 0 && i + 8 > a->n_messages; i--) {
		const struct message *m = app_message(a, i - 1);
		if (m->when + 5 >= now && strstr(m->text, failed))
			return true;
	}
	for (size_t i = 0; (c = conn_pending(&a->conn, i)); i++) {
		const char *sp = strrchr(c->what, ' ');
		if (c->kind == CALL_ACTION && sp && streq(sp + 1, name))
			return true;
	}
	return false;
}

/* What a VM action's answer says happened: " (running at IP, started in 9.8 s)", " (stopped)". */
static void action_detail(const json_t *vm, char *buf, size_t size)
{
	const char *state = json_string_value(json_object_get(vm, "state"));
	const char *ip = json_string_value(json_object_get(vm, "ip"));
	json_t *timings = json_object_get(vm, "start_timings_us"), *v;
	const char *key;
	uint64_t us = 0;

	buf[0] = '\0';
	if (!state)
		return;
	json_object_foreach(timings, key, v) us += (uint64_t)json_integer_value(v);
	if (streq(state, "running") && ip && us)
		snprintf(buf, size, " (running at %s, started in %.1f s)", ip, (double)us / 1e6);
	else if (streq(state, "running") && ip)
		snprintf(buf, size, " (running at %s)", ip);
	else
		snprintf(buf, size, " (%s)", state);
}

void app_on_event(struct app *a, const char *method, const json_t *params)
{
	struct model_result res;
	int r;

	/* A VM that fails, whoever started it, says why on the message line. */
	if (streq(method, "vm.state") &&
		streq(json_string_value(json_object_get(params, "new")) ?: "", "error")) {
		const char *name = json_string_value(json_object_get(params, "name")) ?: "a VM";
		const char *why = json_string_value(json_object_get(params, "reason"));
		if (!action_pending(a, name))
			app_status(a, STATUS_ERROR, "%s is in error: %s", name,
				why && *why ? why : "no reason given");
	}
	/* The VM runs, but what it publishes does not: the only place the TUI can say so. */
	if (streq(method, "vm.publish_failed")) {
		const char *name = json_string_value(json_object_get(params, "name")) ?: "a VM";
		const char *why = json_string_value(json_object_get(params, "error"));
		app_status(a, STATUS_ERROR, "%s: published ports refused: %s", name,
			why && *why ? why : "no reason given");
	}
	if (streq(method, "vm.deleted") &&
		streq(a->sel_id, json_string_value(json_object_get(params, "id")) ?: "")) {
		const char *name = json_string_value(json_object_get(params, "name"));
		app_status(a, STATUS_INFO, "%s removed", name ? name : "VM");
	}
	if (strncmp(method, "update.", 7) == 0 || strncmp(method, "reconcile.", 10) == 0) {
		const char *msg = json_string_value(json_object_get(params, "message"));
		app_status(a,
			streq(method + strlen(method) - 6, "failed") ? STATUS_ERROR : STATUS_INFO,
			"%s%s%s", method, msg ? ": " : "", msg ? msg : "");
	}
	r = vm_model_apply(&a->model, method, params, &res);
	if (r < 0) {
		if (r == -ENOMEM)
			app_status(a, STATUS_ERROR, "out of memory");
		return;
	}
	if (res.flags & (MODEL_CHANGED_ROWS | MODEL_SNAPSHOT)) {
		a->view_dirty = true;
		if (a->overlay == OVERLAY_INSPECT && res.vm && streq(res.vm->id, a->sel_id))
			app_inspect_build(a);
	}
	/* the console header shows the shown VM's start progress */
	if (res.flags & (MODEL_CHANGED_CONSOLE | MODEL_CHANGED_ROWS) && res.vm &&
		streq(res.vm->id, a->console_vm))
		a->dirty |= DIRTY_CONSOLE;
	if (res.flags & MODEL_CHANGED_IMAGES && a->view_mode == VIEW_IMAGES)
		a->dirty |= DIRTY_LIST;
	if (res.flags & (MODEL_LAGGED | MODEL_SNAPSHOT))
		a->dirty |= DIRTY_CLEAR; /* the resync banner comes and goes */
	if (res.flags & MODEL_DAEMON) {
		if (streq(method, "daemon.stopping"))
			vm_model_mark_consoles(&a->model, "daemon stopping");
		a->dirty |= DIRTY_HEADER;
	}
	if (res.flags & MODEL_HEARTBEAT) {
		int64_t now = now_ms();
		if (a->conn.last_heartbeat)
			a->conn.heartbeat_gap = now - a->conn.last_heartbeat;
		a->conn.last_heartbeat = now;
	}
}

/* vm.logs' answer, merged into the console by line number around what the vm.log events already
 * brought. Ids after an insertion move: the view's bookmarks into this console move with them. */
static void on_backlog(struct app *a, const char *id, const struct rpc_message *m)
{
	struct vm *vm = vm_model_find(&a->model, id);
	uint64_t at, shift;
	int r;

	if (!vm || !vm->console)
		return;
	if (m->type == RPC_MESSAGE_ERROR) {
		/* A daemon without vm.logs: the console starts empty, as before. */
		if (m->error.code != RPC_ERROR_UNAVAILABLE &&
			m->error.code != RPC_ERROR_NOT_FOUND) {
			char text[200];
			snprintf(text, sizeof(text), "earlier lines unavailable: %.160s",
				m->error.message);
			console_append_marker(vm->console, text);
		}
	} else {
		r = vm_model_apply_backlog(&a->model, id, m->result, &at, &shift);
		if (r == -ENOMEM)
			app_status(a, STATUS_ERROR, "out of memory");
		if (r < 0)
			return;
		if (shift > 0 && streq(vm->id, a->console_vm)) {
			if (a->anchor >= at)
				a->anchor += shift;
			if (a->seen_end >= at)
				a->seen_end += shift;
			if (a->match_id != UINT64_MAX && a->match_id >= at)
				a->match_id += shift;
			if (a->con_sel != UINT64_MAX && a->con_sel >= at)
				a->con_sel += shift;
		}
	}
	if (streq(vm->id, a->console_vm))
		a->dirty |= DIRTY_CONSOLE;
}

void app_on_answer(struct app *a, const struct conn_call *call, const struct rpc_message *m)
{
	bool failed = m->type == RPC_MESSAGE_ERROR;
	const char *code = failed ? rpc_error_code_to_string(m->error.code) : NULL;

	switch (call->kind) {
	case CALL_HELLO:
		if (failed) {
			conn_lost(&a->conn, now_ms(), m->error.message);
			a->dirty |= DIRTY_ALL;
			return;
		}
		snprintf(a->conn.version, sizeof(a->conn.version), "%s",
			json_string_value(json_object_get(m->result, "version")) ?: "?");
		break;
	case CALL_SUBSCRIBE: {
		bool again = a->conn.connected_once;
		bool replayed = json_object_get(m->result, "replayed") != NULL;
		if (failed) {
			conn_lost(&a->conn, now_ms(), m->error.message);
			a->dirty |= DIRTY_ALL;
			return;
		}
		if (again)
			vm_model_reconnected(&a->model,
				(uint64_t)json_integer_value(json_object_get(m->result, "seq")),
				replayed);
		else if (!replayed)
			a->model.last_seq = 0;
		a->conn.state = CONN_CONNECTED;
		a->conn.connected_once = true;
		a->conn.subscribed = true;
		a->conn.attempt = 0;
		a->conn.stale_since = 0;
		a->conn.reason[0] = '\0';
		if (a->conn.expect_restart_until) {
			app_status(a, STATUS_INFO, "daemon updated: now %s", a->conn.version);
			a->conn.expect_restart_until = 0;
		} else if (again)
			app_status(a, STATUS_INFO, "reconnected (daemon %s)", a->conn.version);
		a->dirty |= DIRTY_CLEAR;
		break;
	}
	case CALL_ACTION:
		if (failed)
			app_status(a, STATUS_ERROR, "%s failed (%s): %s", call->what, code,
				m->error.message);
		else {
			char detail[160];
			action_detail(m->result, detail, sizeof(detail));
			app_status(a, STATUS_INFO, "%s: done%s", call->what, detail);
		}
		break;
	case CALL_UPDATE:
		if (failed)
			app_status(a, STATUS_ERROR, "daemon update failed (%s): %s", code,
				m->error.message);
		else {
			a->conn.expect_restart_until = now_ms() + 60000;
			app_status(a, STATUS_INFO, "daemon update started");
		}
		a->dirty |= DIRTY_BANNER;
		break;
	case CALL_PLAN:
		a->dirty |= app_confirm_open(a, KEY_ACTION_RECONCILE, "Reconcile", "Reconcile?");
		if (failed) {
			app_confirm_body(
				a, "The daemon gave no plan: %s (%s).", m->error.message, code);
			app_confirm_body(a, "Reconcile re-adopts live VMs and cleans up what is "
					    "left of dead ones.");
		} else {
			const char *key;
			json_t *v;
			app_confirm_body(a, "The daemon's plan:");
			json_object_foreach(m->result, key, v)
			{
				char line[360] = "";
				size_t o = 0, i;
				json_t *e;
				if (!json_is_array(v)) {
					char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
					app_confirm_body(a, "  %s: %.120s", key, text ? text : "?");
					free(text);
					continue;
				}
				json_array_foreach(v, i, e)
				{
					const char *name =
						json_is_string(e)
							? json_string_value(e)
							: json_string_value(
								  json_object_get(e, "name"));
					if (o < sizeof(line))
						o += (size_t)snprintf(line + o, sizeof(line) - o,
							"%s%s", i ? ", " : "", name ? name : "?");
				}
				app_confirm_body(a, "  %s %zu: %s", key, json_array_size(v),
					json_array_size(v) ? line : "-");
			}
			if (json_object_size(m->result) == 0)
				app_confirm_body(a, "  nothing to do");
		}
		break;
	case CALL_LOGS:
		on_backlog(a, call->what, m);
		break;
	case CALL_DEFAULTS:
		app_form_defaults(a, m);
		break;
	case CALL_CREATE:
		app_form_answer(a, m);
		break;
	case _CONN_CALL_KIND_MAX:
	case _CONN_CALL_KIND_INVALID:
		break;
	}
}

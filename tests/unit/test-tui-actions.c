/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The action table (tui/actions.def) is the one source of what banger-tui does: every row runs
 * from each of its keys and from ":name", the help screen shows every row with its command,
 * destructive rows ask first and then send their own method, rows with a method are refused
 * read-only, and handlers return what to redraw instead of marking it. Driven through
 * app_handle_key() as the program's loop does, on a virtual terminal, with a socketpair in
 * place of bangerd. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/fileio.h"
#include "tui/app.h"

static int peer = -1; /* the daemon's end of the current app's connection */
static char state_dir[] = "/tmp/test-tui-actions.XXXXXX";

/* An event as the loop hands it over (toasts and all), not only to the model. */
static void feed_event(struct app *a, const char *line)
{
	json_error_t e;
	json_t *msg = json_loads(line, 0, &e);

	assert_non_null(msg);
	app_on_event(a, json_string_value(json_object_get(msg, "method")),
		json_object_get(msg, "params"));
	json_decref(msg);
}

static void feed(struct app *a, const char *line)
{
	json_error_t e;
	json_t *msg = json_loads(line, 0, &e);
	struct model_result res;

	assert_non_null(msg);
	assert_int_equal(
		vm_model_apply(&a->model, json_string_value(json_object_get(msg, "method")),
			json_object_get(msg, "params"), &res),
		0);
	json_decref(msg);
}

#define VM(id, name)                                                                               \
	"{\"id\":\"" id "\",\"name\":\"" name "\",\"state\":\"stopped\",\"vcpus\":1,"              \
	"\"memory_mib\":512,\"ip\":null,\"pid\":null,\"boot_id\":null,\"started_at\":null}"

/* A session as main() sets it up, connected, with web-1 selected when there are VMs (web-1 has
 * console lines). */
static struct app *app_new(bool vms)
{
	static const struct console_limits limits = {1000, 1 << 20, 4096, 200, 16 << 10};
	struct app *a = calloc(1, sizeof(*a));
	int sv[2];

	assert_non_null(a);
	tui_config_defaults(&a->cfg);
	keymap_init_defaults(&a->keys);
	vm_model_init(&a->model, &limits);
	vm_filter_compile("", &a->filter, NULL, 0);
	a->view.sort = a->cfg.sort;
	a->wrap = false;
	a->follow = true;
	a->split = a->cfg.split;
	a->match_id = UINT64_MAX;
	a->con_sel = UINT64_MAX;
	a->osc_fd = -1;
	a->keylog_fd = -1;
	a->sigfd = -1;
	conn_init(&a->conn, "/nonexistent/bangerd.sock");
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
	a->conn.fd = sv[0];
	peer = sv[1];
	a->conn.state = CONN_CONNECTED;
	a->conn.connected_once = true;
	if (vms) {
		feed(a, "{\"method\":\"events.snapshot\",\"params\":{\"seq\":1,\"vms\":[" VM("a1",
				"web-1") "," VM("b2", "web-2") "],\"images\":[{\"name\":"
							       "\"minimal\",\"kernel_size\":"
							       "4096,\"rootfs_size\":65536,"
							       "\"kernel_format\":\"elf\","
							       "\"providers\":[\"firecracker\","
							       "\"banger-vmm\"]}]}}");
		feed(a, "{\"method\":\"vm.log\",\"params\":{\"seq\":2,\"id\":\"a1\",\"name\":\"web-"
			"1\","
			"\"first_line\":1,\"lines\":[\"one\",\"two\",\"three\",\"four\"]}}");
	}
	app_rebuild_view(a, now_ms());
	a->dirty = 0;
	return a;
}

static void app_free(struct app *a)
{
	for (size_t i = 0; i < a->n_inspect; i++)
		free(a->inspect_lines[i]);
	free(a->inspect_lines);
	for (size_t i = 0; i < a->confirm.n_targets; i++)
		free(a->confirm.targets[i]);
	free(a->confirm.targets);
	json_decref(a->confirm.params);
	if (a->search_is_re)
		regfree(&a->search_re);
	conn_done(&a->conn);
	peer = safe_close(peer);
	vm_view_done(&a->view);
	vm_filter_done(&a->filter);
	vm_model_done(&a->model);
	keymap_done(&a->keys);
	tui_config_done(&a->cfg);
	free(a);
}

/* Keys as the loop feeds them: each key's regions go into a->dirty, then one frame. */
static unsigned press(struct app *a, int key)
{
	unsigned redraw = app_handle_key(a, key);
	a->dirty |= redraw;
	return redraw;
}

static void type(struct app *a, const char *text)
{
	for (const char *p = text; *p; p++)
		press(a, (unsigned char)*p);
	a->dirty = 0;
}

/* The requests that reached the daemon's end since the last call (vm.logs backlog fetches left
 * out), as [{"method", "params"}…]. */
static json_t *sent(struct app *a)
{
	static char buf[1 << 16];
	static size_t len;
	json_t *out = json_array();
	ssize_t n;

	while (conn_want_write(&a->conn) && conn_flush(&a->conn) > 0)
		;
	while ((n = read(peer, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	for (char *nl; (nl = memchr(buf, '\n', len));) {
		json_error_t e;
		json_t *m = json_loadb(buf, (size_t)(nl - buf), 0, &e);
		const char *method = json_string_value(json_object_get(m, "method"));

		assert_non_null(method);
		if (!streq(method, "vm.logs"))
			json_array_append_new(out, json_pack("{s:s, s:O}", "method", method,
							   "params", json_object_get(m, "params")));
		json_decref(m);
		len -= (size_t)(nl + 1 - buf);
		memmove(buf, nl + 1, len);
	}
	return out;
}

/* How many of reqs call method (dry runs left out). */
static size_t count(const json_t *reqs, enum rpc_method method)
{
	size_t i, n = 0;
	json_t *r;

	json_array_foreach(reqs, i, r)
	{
		if (streq(json_string_value(json_object_get(r, "method")),
			    rpc_method_to_string(method)) &&
			!json_is_true(json_object_get(json_object_get(r, "params"), "dry_run")))
			n++;
	}
	return n;
}

/* The daemon answers every reconcile dry run with a plan, which opens the dialog. */
static void answer_plans(struct app *a)
{
	const struct conn_call *pending;

	for (size_t i = 0; (pending = conn_pending(&a->conn, i));) {
		struct conn_call call;
		struct rpc_message m = {.type = RPC_MESSAGE_RESPONSE};

		if (pending->kind != CALL_PLAN) {
			i++;
			continue;
		}
		m.id = json_integer(pending->id);
		assert_int_equal(conn_match(&a->conn, &m, &call), RPC_INCOMING_REPLY);
		m.result = json_pack("{s:[s]}", "adopt", "web-1");
		app_on_answer(a, &call, &m);
		json_decref(m.result);
		json_decref(m.id);
	}
}

/* The first key bound to an action in its own context, or -1. */
static int first_key(const struct app *a, enum key_action act)
{
	enum key_context ctx = key_action_context(act);

	for (int c = 0; c < KEYMAP_CODES; c++)
		if (a->keys.map[ctx][c] == act)
			return c;
	return -1;
}

/* Puts the session where a key of this context is read. */
static void enter_context(struct app *a, enum key_context ctx, enum focus focus)
{
	switch (ctx) {
	case KEY_CTX_GLOBAL:
		a->focus = focus;
		break;
	case KEY_CTX_LIST:
		a->focus = FOCUS_LIST;
		break;
	case KEY_CTX_CONSOLE:
		a->focus = FOCUS_CONSOLE;
		break;
	case KEY_CTX_DIALOG:
		app_confirm_open(a, KEY_ACTION_NONE, "Do", "Do it?");
		break;
	case KEY_CTX_IMAGES:
		a->view_mode = VIEW_IMAGES;
		break;
	case _KEY_CTX_MAX:
	case _KEY_CTX_INVALID:
		fail();
	}
}

static void test_every_key_runs_its_row(void **state)
{
	(void)state;

	for (int act = KEY_ACTION_NONE + 1; act < _KEY_ACTION_MAX; act++) {
		const struct key_action_info *info = key_action_info((enum key_action)act);
		struct app *probe = app_new(false);
		size_t bound = 0;

		for (int code = 0; code < KEYMAP_CODES; code++) {
			if (probe->keys.map[info->ctx][code] != act)
				continue;
			bound++;
			/* A global key works from the list and from the console. */
			for (int f = 0; f < (info->ctx == KEY_CTX_GLOBAL ? 2 : 1); f++) {
				struct app *a = app_new(false);
				char name[24];

				enter_context(a, info->ctx, (enum focus)f);
				press(a, code);
				if (a->last_action != act)
					fail_msg("key %s runs %s, not %s (focus %d)",
						keymap_key_name(code, name, sizeof(name)),
						key_action_to_string(a->last_action), info->name,
						f);
				app_free(a);
			}
		}
		if ((bound > 0) != (info->keys[0] != '\0'))
			fail_msg("%s: default keys \"%s\", %zu bound", info->name, info->keys,
				bound);
		app_free(probe);
	}
}

static void test_every_name_runs_its_row(void **state)
{
	(void)state;

	for (int act = KEY_ACTION_NONE + 1; act < _KEY_ACTION_MAX; act++) {
		struct app *a = app_new(false);
		const char *name = key_action_to_string((enum key_action)act);

		type(a, ":");
		assert_int_equal(a->prompt, PROMPT_COMMAND);
		a->last_action = KEY_ACTION_NONE; /* ":" itself ran "command" */
		type(a, name);
		type(a, "\r");
		if (a->last_action != act)
			fail_msg("\":%s\" runs %s", name, key_action_to_string(a->last_action));
		app_free(a);
	}
}

static void test_commands(void **state)
{
	struct app *a;
	(void)state;

	a = app_new(true);
	type(a, ":q\r");
	assert_true(a->quit);
	app_free(a);

	a = app_new(true);
	a->focus = FOCUS_CONSOLE;
	type(a, "q");
	assert_false(a->quit); /* the key steps out of the console first… */
	assert_int_equal(a->focus, FOCUS_LIST);
	a->focus = FOCUS_CONSOLE;
	type(a, ":quit\r");
	assert_true(a->quit); /* …the command quits */
	app_free(a);

	a = app_new(true);
	type(a, ":");
	a->last_action = KEY_ACTION_NONE;
	type(a, "re\r");
	assert_int_equal(a->last_action, KEY_ACTION_NONE);
	assert_non_null(strstr(a->status, "ambiguous command: re ("));
	assert_non_null(strstr(a->status, "reconcile"));
	type(a, ":frobnicate\r");
	assert_string_equal(a->status, "unknown command: frobnicate");

	type(a, ":stop now\r");
	assert_string_equal(a->status, "stop takes no argument");
	assert_int_equal(a->overlay, OVERLAY_NONE);
	type(a, ":theme\r");
	assert_string_equal(a->status, "usage: :theme NAME");

	type(a, ":sort mem desc\r");
	assert_int_equal(a->view.sort, VM_COL_MEM);
	assert_true(a->view.descending);
	type(a, ":sort name\r");
	assert_int_equal(a->view.sort, VM_COL_NAME);
	assert_false(a->view.descending);
	type(a, ":sort bogus\r");
	assert_string_equal(a->status, "sort: unknown column 'bogus'");

	type(a, ": set  wrap on\r"); /* blanks around the name are no part of it */
	assert_true(a->wrap);
	type(a, ":set wrap off\r");
	assert_false(a->wrap);
	type(a, ":set colour\r");
	assert_non_null(strstr(a->status, "unknown option"));

	type(a, ":filter web-2\r");
	assert_string_equal(a->filter.source, "web-2");
	type(a, ":filter\r");
	assert_int_equal(a->filter.n, 0);
	app_free(a);

	/* A key bound to an action that needs an argument asks for it. */
	a = app_new(true);
	keymap_bind(&a->keys, "theme", "T");
	type(a, "T");
	assert_int_equal(a->prompt, PROMPT_COMMAND);
	assert_string_equal(a->prompt_buf, "theme ");
	app_free(a);
}

/* Whether a line shows text as a whole word (not the start of a longer name). */
static bool has_word(const char *line, const char *text)
{
	for (const char *p = strstr(line, text); p; p = strstr(p + 1, text)) {
		char next = p[strlen(text)];
		if (!(next >= 'a' && next <= 'z') && next != '-')
			return true;
	}
	return false;
}

static void test_help_lists_every_row(void **state)
{
	static char lines[120][160];
	struct app *a = app_new(true);
	(void)state;

	resize_term(120, 130);
	erase();
	a->overlay = OVERLAY_HELP;
	draw_overlay(a);
	for (int y = 0; y < 120; y++)
		mvinnstr(y, 0, lines[y], (int)sizeof(lines[y]) - 1);
	for (int act = KEY_ACTION_NONE + 1; act < _KEY_ACTION_MAX; act++) {
		const struct key_action_info *info = key_action_info((enum key_action)act);
		char keys[64], cmd[64];
		int y;

		keymap_keys_of(&a->keys, (enum key_action)act, keys, sizeof(keys));
		snprintf(cmd, sizeof(cmd), ":%s%s%s", info->name, info->arg ? " " : "",
			info->arg ? info->arg : "");
		for (y = 0; y < 120; y++)
			if (strstr(lines[y], info->help) && has_word(lines[y], cmd) &&
				strstr(lines[y], keys))
				break;
		if (y == 120)
			fail_msg("no help line for %s with \"%s\", \"%s\" and \"%s\"", info->name,
				keys, info->help, cmd);
	}
	app_free(a);
	resize_term(40, 120);
}

/* By its key and by ":name", a destructive row opens the dialog and sends nothing; "n" sends
 * nothing; "y" sends the row's own method, for the selected VM when it acts on VMs. */
static void test_destructive_rows_ask_first(void **state)
{
	(void)state;

	for (int act = KEY_ACTION_NONE + 1; act < _KEY_ACTION_MAX; act++) {
		const struct key_action_info *info = key_action_info((enum key_action)act);

		if (!(info->flags & ACTION_CONFIRM))
			continue;
		for (int by_name = 0; by_name < 2; by_name++)
			for (int answer = 0; answer < 2; answer++) {
				struct app *a = app_new(true);
				json_t *reqs;
				char cmd[64];

				if (by_name) {
					snprintf(cmd, sizeof(cmd), ":%s\r", info->name);
					type(a, cmd);
				} else {
					enter_context(a, info->ctx, FOCUS_LIST);
					assert_true(first_key(a, (enum key_action)act) >= 0);
					press(a, first_key(a, (enum key_action)act));
				}
				answer_plans(a);
				if (a->overlay != OVERLAY_CONFIRM)
					fail_msg("%s (%s) did not ask", info->name,
						by_name ? "by name" : "by key");
				reqs = sent(a);
				if (count(reqs, info->method) != 0)
					fail_msg("%s sent %s before the answer", info->name,
						rpc_method_to_string(info->method));
				json_decref(reqs);

				type(a, answer ? "y" : "n");
				assert_int_equal(a->overlay, OVERLAY_NONE);
				reqs = sent(a);
				assert_int_equal(count(reqs, info->method), answer ? 1 : 0);
				if (answer && (info->flags & ACTION_VMS))
					assert_string_equal(
						json_string_value(json_object_get(
							json_object_get(
								json_array_get(reqs, 0), "params"),
							"name")),
						"web-1");
				json_decref(reqs);
				app_free(a);
			}
	}
}

/* A row that acts on VMs but destroys nothing goes ahead for one VM and asks for several. */
static void test_start_asks_only_for_several(void **state)
{
	struct app *a = app_new(true);
	json_t *reqs;
	(void)state;

	type(a, "s");
	assert_int_equal(a->overlay, OVERLAY_NONE);
	reqs = sent(a);
	assert_int_equal(count(reqs, RPC_METHOD_VM_START), 1);
	json_decref(reqs);

	type(a, "g  s");
	assert_int_equal(a->overlay, OVERLAY_CONFIRM);
	assert_string_equal(a->confirm.title, "Start 2 VMs?");
	reqs = sent(a);
	assert_int_equal(count(reqs, RPC_METHOD_VM_START), 0);
	json_decref(reqs);
	type(a, "y");
	reqs = sent(a);
	assert_int_equal(count(reqs, RPC_METHOD_VM_START), 2);
	json_decref(reqs);
	app_free(a);
}

/* Every row with a daemon method is refused in read-only mode and while disconnected, by key or
 * by name, and sends nothing. */
static void test_method_rows_need_the_daemon(void **state)
{
	(void)state;

	for (int act = KEY_ACTION_NONE + 1; act < _KEY_ACTION_MAX; act++) {
		const struct key_action_info *info = key_action_info((enum key_action)act);

		if (info->method == _RPC_METHOD_INVALID)
			continue;
		for (int readonly = 0; readonly < 2; readonly++) {
			struct app *a = app_new(true);
			char cmd[64];
			json_t *reqs;

			if (readonly)
				a->readonly = true;
			else
				a->conn.state = CONN_DISCONNECTED;
			snprintf(cmd, sizeof(cmd), ":%s\r", info->name);
			type(a, cmd);
			assert_int_equal(a->overlay, OVERLAY_NONE);
			assert_non_null(strstr(
				a->status, readonly ? "read-only mode: " : "not connected: "));
			assert_non_null(strstr(a->status, info->name));
			reqs = sent(a);
			assert_int_equal(json_array_size(reqs), 0);
			json_decref(reqs);
			app_free(a);
		}
	}
}

/* Handlers say what to redraw; they never mark regions themselves (only toasts mark the status
 * line). And the loop gets it: a key's regions come back from app_handle_key(). */
static void test_handlers_return_what_to_redraw(void **state)
{
	static const struct {
		enum key_action act;
		unsigned want;
	} expect[] = {
		{KEY_ACTION_DOWN, DIRTY_SELECTION | DIRTY_CONSOLE},
		{KEY_ACTION_WRAP, DIRTY_CONSOLE},
		{KEY_ACTION_SCROLL_UP, DIRTY_CONSOLE},
		{KEY_ACTION_ZOOM, DIRTY_CLEAR},
		{KEY_ACTION_HELP, DIRTY_OVERLAY},
		{KEY_ACTION_FOCUS_NEXT, DIRTY_ALL},
		{KEY_ACTION_STOP, DIRTY_OVERLAY},
		{KEY_ACTION_FILTER, DIRTY_STATUS},
		{KEY_ACTION_UNTAG_ALL, DIRTY_LIST},
	};
	(void)state;

	for (int act = KEY_ACTION_NONE + 1; act < _KEY_ACTION_MAX; act++) {
		const struct key_action_info *info = key_action_info((enum key_action)act);
		struct app *a = app_new(true);
		unsigned got;

		enter_context(a, info->ctx, FOCUS_LIST);
		a->ssh = SSH_WAIT_KEY; /* no terminal to hand to ssh here */
		a->dirty = 0;
		got = app_run_action(a, (enum key_action)act, NULL);
		if (a->dirty & ~(unsigned)DIRTY_STATUS)
			fail_msg("%s marked 0x%x itself", info->name, a->dirty);
		for (size_t i = 0; i < ELEMENTSOF(expect); i++)
			if (expect[i].act == act && (got & expect[i].want) != expect[i].want)
				fail_msg("%s returned 0x%x, not 0x%x", info->name, got,
					expect[i].want);
		app_free(a);
	}

	struct app *a = app_new(true);
	a->focus = FOCUS_CONSOLE;
	assert_int_equal(press(a, 'w'), DIRTY_CONSOLE | DIRTY_HINTS);
	assert_int_equal(press(a, KEY_RESIZE), DIRTY_CLEAR);
	app_free(a);
}

/* Answers every pending call of that kind with result (stolen), or with err when result is
 * NULL. */
static void answer_kind(
	struct app *a, enum conn_call_kind kind, json_t *result, const struct rpc_error *err)
{
	const struct conn_call *pending;

	for (size_t i = 0; (pending = conn_pending(&a->conn, i));) {
		struct conn_call call;
		struct rpc_message m = {.type = result ? RPC_MESSAGE_RESPONSE : RPC_MESSAGE_ERROR};

		if (pending->kind != kind) {
			i++;
			continue;
		}
		m.id = json_integer(pending->id);
		assert_int_equal(conn_match(&a->conn, &m, &call), RPC_INCOMING_REPLY);
		m.result = result;
		if (err)
			m.error = *err;
		app_on_answer(a, &call, &m);
		json_decref(m.id);
	}
	json_decref(result);
}

static void answer_actions(struct app *a, json_t *result, const struct rpc_error *err)
{
	answer_kind(a, CALL_ACTION, result, err);
}

/* The create form: banger.conf's defaults from system.status fill it, every field is checked as
 * it is typed with vm.create's own rules (and the name against the VMs there), nothing is sent
 * while a field is wrong, the daemon's refusal keeps the form open with its reason, and its
 * success closes it. */
static void test_create_form(void **state)
{
	struct app *a = app_new(true);
	struct create_form *f = &a->form;
	json_t *reqs, *p;
	(void)state;

	type(a, "c");
	assert_int_equal(a->overlay, OVERLAY_FORM);
	reqs = sent(a);
	assert_int_equal(count(reqs, RPC_METHOD_SYSTEM_STATUS), 1);
	json_decref(reqs);
	assert_string_equal(f->value[FORM_VCPUS], "1"); /* vm.create's own, until told */
	answer_kind(a, CALL_DEFAULTS,
		json_pack("{s:{s:s, s:i, s:i, s:i}}", "vm_defaults", "image", "debian", "vcpus", 2,
			"memory_mib", 1024, "disk_gib", 8),
		NULL);
	assert_string_equal(f->value[FORM_IMAGE], "debian");
	assert_string_equal(f->value[FORM_VCPUS], "2");
	assert_string_equal(f->value[FORM_MEMORY], "1024");
	assert_string_equal(f->value[FORM_DISK], "8");

	/* as typed: the daemon's rule for names, then its conflict */
	type(a, "W");
	assert_string_equal(f->why[FORM_NAME],
		"Invalid VM name \"W\": use 1-32 characters, a-z, 0-9 and '-', starting with a "
		"letter");
	type(a, "\x7fweb-1");
	assert_string_equal(f->why[FORM_NAME], "A VM named \"web-1\" already exists");
	type(a, "\x7f"
		"3");
	assert_string_equal(f->why[FORM_NAME], "");
	type(a, "\t\t\x15"
		"99");
	assert_string_equal(f->value[FORM_VCPUS], "99");
	assert_string_equal(
		f->why[FORM_VCPUS], "Parameter \"vcpus\" must be between 1 and 32, got 99");
	type(a, "\t\t\t\t\r"); /* Enter on Create with a wrong field: not sent */
	reqs = sent(a);
	assert_int_equal(count(reqs, RPC_METHOD_VM_CREATE), 0);
	json_decref(reqs);
	assert_int_equal(f->focus, FORM_VCPUS); /* taken to what is wrong */
	assert_non_null(strstr(a->status, "between 1 and 32"));

	type(a, "\x15"
		"4\r");
	reqs = sent(a);
	assert_int_equal(count(reqs, RPC_METHOD_VM_CREATE), 1);
	p = json_object_get(json_array_get(reqs, 0), "params");
	assert_string_equal(json_string_value(json_object_get(p, "name")), "web-3");
	assert_string_equal(json_string_value(json_object_get(p, "image")), "debian");
	assert_int_equal(json_integer_value(json_object_get(p, "vcpus")), 4);
	assert_int_equal(json_integer_value(json_object_get(p, "memory_mib")), 1024);
	assert_int_equal(json_integer_value(json_object_get(p, "disk_gib")), 8);
	json_decref(reqs);

	answer_kind(a, CALL_CREATE, NULL,
		&(struct rpc_error){RPC_ERROR_NOT_FOUND, "Image \"debian\" not found"});
	assert_int_equal(a->overlay, OVERLAY_FORM);
	assert_string_equal(f->error, "Image \"debian\" not found (not_found)");
	type(a, "\r");
	json_decref(sent(a));
	answer_kind(a, CALL_CREATE, json_pack("{s:s, s:s}", "id", "c3", "name", "web-3"), NULL);
	assert_int_equal(a->overlay, OVERLAY_NONE);
	assert_string_equal(a->status, "create web-3: done (created)");

	/* Esc cancels */
	type(a, "c\x1b");
	assert_int_equal(a->overlay, OVERLAY_NONE);
	app_free(a);
}

/* D deletes: a VM that runs is stopped first with force, which the dialog says. */
static void test_delete_forces_a_running_vm(void **state)
{
	struct app *a = app_new(true);
	json_t *reqs, *p;
	(void)state;

	type(a, "D");
	assert_string_equal(a->confirm.title, "Delete web-1?");
	assert_false(a->confirm.force);
	type(a, "n");
	feed(a, "{\"method\":\"vm.state\",\"params\":{\"seq\":5,\"id\":\"a1\",\"name\":"
		"\"web-1\",\"old\":\"stopped\",\"new\":\"running\"}}");
	type(a, "D");
	assert_true(a->confirm.force);
	assert_string_equal(
		a->confirm.body[2], "web-1 is running: it is stopped first (force), then deleted.");
	type(a, "y");
	reqs = sent(a);
	assert_int_equal(count(reqs, RPC_METHOD_VM_DELETE), 1);
	p = json_object_get(json_array_get(reqs, 0), "params");
	assert_true(json_is_true(json_object_get(p, "force")));
	json_decref(reqs);
	app_free(a);
}

/* The console: t shows when each line arrived; y copies the rows on screen, or the line a click
 * selected, to the terminal's clipboard as OSC 52; the mouse selects rows, focuses panes and
 * scrolls. */
static void test_console_time_copy_mouse(void **state)
{
	struct app *a = app_new(true);
	char buf[4096], row[160];
	int p[2];
	ssize_t n;
	MEVENT ev = {0};
	(void)state;

	assert_int_equal(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
	a->osc_fd = p[1];
	type(a, "\r"); /* the console */
	assert_int_equal(a->focus, FOCUS_CONSOLE);
	draw_compute_layout(a);
	erase();
	draw_console(a);
	mvinnstr(a->lay.con_y, 0, row, sizeof(row) - 1);
	assert_true(strncmp(row, "one", 3) == 0);
	type(a, "t");
	assert_true(a->timestamps);
	erase();
	draw_console(a);
	mvinnstr(a->lay.con_y, 0, row, sizeof(row) - 1);
	if (!(row[2] == ':' && row[5] == ':' && strncmp(row + 9, "one", 3) == 0))
		fail_msg("no time before the line: \"%s\"", row);

	/* y: every line on screen; ESC ] 52 ; c ; base64 BEL */
	type(a, "y");
	n = read(p[0], buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	/* "one\ntwo\nthree\nfour\n-- console attached HH:MM:SS --\n" */
	{
		static const char head[] =
			"\033]52;c;b25lCnR3bwp0aHJlZQpmb3VyCi0tIGNvbnNvbGUgYXR0YWNoZWQg";
		assert_true(strncmp(buf, head, sizeof(head) - 1) == 0);
	}
	assert_int_equal(buf[n - 1], '\a');
	assert_string_equal(a->status, "copied 5 lines (51 bytes) via OSC 52");

	/* the mouse: a click on the console's second row selects that line, y copies it alone */
	assert_true(app_mouse_enable(a, true));
	ev.y = a->lay.con_y + 1;
	ev.bstate = BUTTON1_PRESSED;
	assert_int_equal(ungetmouse(&ev), OK);
	press(a, KEY_MOUSE);
	assert_int_equal(a->con_sel, a->con_rows[1]);
	type(a, "y");
	n = read(p[0], buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "\033]52;c;dHdvCg==\a"); /* "two\n" */
	/* a click on web-2's row selects it and focuses the list; the wheel moves back up */
	ev.y = a->lay.list_y + 1;
	assert_int_equal(ungetmouse(&ev), OK);
	press(a, KEY_MOUSE);
	assert_int_equal(a->focus, FOCUS_LIST);
	assert_string_equal(app_selected(a)->name, "web-2");
	ev.bstate = BUTTON4_PRESSED;
	assert_int_equal(ungetmouse(&ev), OK);
	press(a, KEY_MOUSE);
	assert_string_equal(app_selected(a)->name, "web-1");
	app_mouse_enable(a, false);
	close(p[0]);
	close(p[1]);
	app_free(a);
}

static void screen_text(char *out, size_t size);

/* v switches to the images view: each image with its size, kernel format and providers; D asks
 * and sends image.delete for that image; ":image-import" sends image.import; the daemon's
 * import progress is shown until the image arrives. */
static void test_images_view(void **state)
{
	struct app *a = app_new(true);
	static char screen[200 * 60 + 1];
	json_t *reqs, *p;
	(void)state;

	type(a, "v");
	assert_int_equal(a->view_mode, VIEW_IMAGES);
	a->dirty = DIRTY_ALL;
	erase();
	draw_frame(a);
	screen_text(screen, sizeof(screen));
	if (!strstr(screen, "minimal 68.0 KiB elf firecracker,banger-vmm"))
		fail_msg("no image row: %s", screen);
	type(a, "D");
	assert_string_equal(a->confirm.title, "Remove image minimal?");
	type(a, "y");
	reqs = sent(a);
	assert_int_equal(count(reqs, RPC_METHOD_IMAGE_DELETE), 1);
	p = json_object_get(json_array_get(reqs, 0), "params");
	assert_string_equal(json_string_value(json_object_get(p, "name")), "minimal");
	json_decref(reqs);

	type(a, ":image-import deb /k /r\r");
	reqs = sent(a);
	assert_int_equal(count(reqs, RPC_METHOD_IMAGE_IMPORT), 1);
	p = json_object_get(json_array_get(reqs, 0), "params");
	assert_string_equal(json_string_value(json_object_get(p, "kernel")), "/k");
	assert_null(json_object_get(p, "initrd"));
	json_decref(reqs);
	feed_event(a, "{\"method\":\"image.import_progress\",\"params\":{\"seq\":9,\"name\":"
		      "\"deb\",\"part\":\"rootfs\",\"done_bytes\":1048576,\"total_bytes\":"
		      "4194304}}");
	erase();
	draw_images(a);
	screen_text(screen, sizeof(screen));
	if (!strstr(screen, "importing deb: rootfs 1.0 MiB of 4.0 MiB (25%)"))
		fail_msg("no import progress: %s", screen);
	type(a, "v");
	assert_int_equal(a->view_mode, VIEW_VMS);
	app_free(a);
}

/* K kills: it asks (the dialog says no graceful shutdown), sends vm.stop with force where S
 * sends none, and the message line reports the daemon's answer either way. */
static void test_kill_forces_and_reports(void **state)
{
	struct app *a = app_new(true);
	json_t *reqs, *params;
	(void)state;

	type(a, "K");
	assert_int_equal(a->overlay, OVERLAY_CONFIRM);
	assert_string_equal(a->confirm.title, "Kill web-1?");
	assert_non_null(strstr(a->confirm.body[1], "without a graceful shutdown"));
	type(a, "y");
	reqs = sent(a);
	assert_int_equal(count(reqs, RPC_METHOD_VM_STOP), 1);
	params = json_object_get(json_array_get(reqs, 0), "params");
	assert_true(json_is_true(json_object_get(params, "force")));
	json_decref(reqs);
	answer_actions(a, json_pack("{s:s, s:s}", "name", "web-1", "state", "stopped"), NULL);
	assert_string_equal(a->status, "kill web-1: done (stopped)");

	type(a, "Sy");
	reqs = sent(a);
	params = json_object_get(json_array_get(reqs, 0), "params");
	assert_null(json_object_get(params, "force"));
	json_decref(reqs);
	answer_actions(a, NULL,
		&(struct rpc_error){RPC_ERROR_CONFLICT, "VM \"web-1\" is not running (stopped)"});
	assert_string_equal(
		a->status, "stop web-1 failed (conflict): VM \"web-1\" is not running (stopped)");

	/* a start's answer says where it runs and how long it took */
	type(a, "s");
	json_decref(sent(a));
	answer_actions(a,
		json_pack("{s:s, s:s, s:{s:i, s:i}}", "state", "running", "ip", "172.30.0.2",
			"start_timings_us", "boot", 2500000, "ssh", 1000000),
		NULL);
	assert_string_equal(
		a->status, "start web-1: done (running at 172.30.0.2, started in 3.5 s)");

	/* a VM failing without an action of ours waiting says why */
	feed_event(a, "{\"method\":\"vm.state\",\"params\":{\"seq\":9,\"id\":\"b2\","
		      "\"name\":\"web-2\",\"old\":\"starting\",\"new\":\"error\","
		      "\"reason\":\"start failed at step \\\"tap\\\": no bridge\"}}");
	assert_string_equal(
		a->status, "web-2 is in error: start failed at step \"tap\": no bridge");
	app_free(a);
}

/* ---- every dialog, at 80x24 and 200x60: its whole text is on screen ---- */

/* The screen as one line of text: box borders (the alternate character set) left out, rows
 * joined by a space and runs of spaces collapsed, so wrapped text reads as it was written. */
static void screen_text(char *out, size_t size)
{
	size_t o = 0;

	for (int y = 0; y < LINES; y++) {
		for (int x = 0; x < COLS && o + 2 < size; x++) {
			chtype ch = mvinch(y, x);
			char c = (char)(ch & A_CHARTEXT);
			if (ch & A_ALTCHARSET)
				c = ' ';
			if (c == ' ' && (o == 0 || out[o - 1] == ' '))
				continue;
			out[o++] = c;
		}
		if (o > 0 && out[o - 1] != ' ' && o + 2 < size)
			out[o++] = ' ';
	}
	out[o] = '\0';
}

/* text with its runs of spaces collapsed */
static void squeeze(const char *text, char *out, size_t size)
{
	size_t o = 0;

	for (const char *p = text; *p && o + 1 < size; p++)
		if (*p != ' ' || (o > 0 && out[o - 1] != ' '))
			out[o++] = *p;
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
}

static bool on_screen(const char *screen, const char *text)
{
	char want[1024];

	squeeze(text, want, sizeof(want));
	return strstr(screen, want) != NULL;
}

static void check_dialog_fits(struct app *a, const char *what)
{
	static char screen[200 * 60 + 1];
	const struct confirm *c = &a->confirm;

	erase();
	draw_overlay(a);
	screen_text(screen, sizeof(screen));
	if (!on_screen(screen, c->title))
		fail_msg("%s at %dx%d: title \"%s\" not on screen: %s", what, COLS, LINES, c->title,
			screen);
	for (size_t i = 0; i < c->n_body; i++)
		if (!on_screen(screen, c->body[i]))
			fail_msg("%s at %dx%d: \"%s\" not whole on screen: %s", what, COLS, LINES,
				c->body[i], screen);
	if (!strstr(screen, "[ Cancel ]") || !strstr(screen, c->verb))
		fail_msg("%s at %dx%d: buttons missing: %s", what, COLS, LINES, screen);
}

/* A scrolling overlay: each entry is whole on screen at some scroll position. */
static void check_overlay_entries(
	struct app *a, const char *what, const char *const *entries, size_t n)
{
	static char screens[160][200 * 60 + 1];
	int n_screens = 0;

	for (int scroll = 0; n_screens < (int)ELEMENTSOF(screens); scroll++) {
		a->overlay_scroll = scroll;
		erase();
		draw_overlay(a);
		screen_text(screens[n_screens++], sizeof(screens[0]));
		if (a->overlay_scroll < scroll)
			break; /* clamped: that was the end */
	}
	for (size_t i = 0; i < n; i++) {
		int k;
		for (k = 0; k < n_screens; k++)
			if (on_screen(screens[k], entries[i]))
				break;
		if (k == n_screens)
			fail_msg("%s at %dx%d: \"%s\" never whole on screen", what, COLS, LINES,
				entries[i]);
	}
}

static void test_every_dialog_fits(void **state)
{
	static const int sizes[][2] = {{24, 80}, {60, 200}};
	static const char long_message[] =
		"start web-1 failed (unavailable): bangerd-root is not reachable at "
		"/run/banger/root.sock: No such file or directory; is bangerd-root running "
		"(banger system status), and is this user its owner?";
	(void)state;

	for (size_t s = 0; s < ELEMENTSOF(sizes); s++) {
		resize_term(sizes[s][0], sizes[s][1]);
		/* every confirm dialog, for one VM and for several */
		for (int act = KEY_ACTION_NONE + 1; act < _KEY_ACTION_MAX; act++) {
			const struct key_action_info *info = key_action_info((enum key_action)act);

			if (!(info->flags & ACTION_CONFIRM))
				continue;
			for (int several = 0; several < 2; several++) {
				struct app *a = app_new(true);
				char what[96];

				if (several && !(info->flags & ACTION_VMS)) {
					app_free(a);
					continue;
				}
				if (several)
					type(a, "g  ");
				snprintf(what, sizeof(what), ":%s%s", info->name,
					several ? " (2 VMs)" : "");
				app_run_action(a, (enum key_action)act, NULL);
				answer_plans(a);
				assert_int_equal(a->overlay, OVERLAY_CONFIRM);
				check_dialog_fits(a, what);
				app_free(a);
			}
		}

		/* the create form, every field wrong and the daemon's refusal shown */
		{
			struct app *a = app_new(true);
			type(a, "cWeb\t\x15NoImage\t\x15"
				"0\t\x15"
				"1\t\x15x");
			snprintf(a->form.error, sizeof(a->form.error), "%s", long_message);
			erase();
			draw_overlay(a);
			{
				static char screen[200 * 60 + 1];
				screen_text(screen, sizeof(screen));
				for (int i = 0; i < _FORM_FIELD_MAX; i++) {
					assert_true(a->form.why[i][0]);
					if (!on_screen(screen, a->form.why[i]))
						fail_msg("form at %dx%d: \"%s\" not whole: %s",
							COLS, LINES, a->form.why[i], screen);
				}
				if (!on_screen(screen, long_message))
					fail_msg("form at %dx%d: the daemon's answer not whole: %s",
						COLS, LINES, screen);
			}
			app_free(a);
		}

		/* the help, inspect and message overlays */
		{
			struct app *a = app_new(true);
			const char *help[_KEY_ACTION_MAX];
			size_t n = 0;

			for (int act = KEY_ACTION_NONE + 1; act < _KEY_ACTION_MAX; act++)
				help[n++] = key_action_info((enum key_action)act)->help;
			a->overlay = OVERLAY_HELP;
			check_overlay_entries(a, "help", help, n);

			app_status(a, STATUS_ERROR, "%s", long_message);
			a->overlay = OVERLAY_MESSAGES;
			check_overlay_entries(a, "messages", (const char *[]){long_message}, 1);

			feed(a, "{\"method\":\"vm.state\",\"params\":{\"seq\":3,\"id\":\"a1\","
				"\"name\":\"web-1\",\"old\":\"starting\",\"new\":\"error\","
				"\"reason\":\"start failed at step \\\"launch\\\": the VMM exited "
				"before its API socket appeared; see the console log for why\"}}");
			app_inspect_build(a);
			a->overlay = OVERLAY_INSPECT;
			check_overlay_entries(
				a, "inspect", (const char *const *)a->inspect_lines, a->n_inspect);
			app_free(a);
		}
	}
	resize_term(40, 120);
}

static void write_script(const char *path, const char *text)
{
	char parent[512];
	FILE *f;

	snprintf(parent, sizeof(parent), "%s", path);
	*strrchr(parent, '/') = '\0';
	assert_int_equal(mkdir_parents(parent, 0755), 0);
	f = fopen(path, "we");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, 0755), 0);
}

/* b: the picker lists the recipes banger image build would find, minimal first picked; the
 * build runs `banger --socket SOCK image build RECIPE` (PATH's here), its output read as lines
 * (colours and carriage returns handled), and its failure shown with the exit status and the
 * last lines. */
static void test_image_build(void **state)
{
	char dir[sizeof(state_dir) + 32], path[sizeof(dir) + 64], env[4096];
	const char *old_path = getenv("PATH");
	struct app *a = app_new(true);
	int status;
	pid_t pid;
	(void)state;

	snprintf(dir, sizeof(dir), "%s/build", state_dir);
	snprintf(path, sizeof(path), "%s/recipes/a/build", dir);
	write_script(path, "#!/bin/sh\n");
	snprintf(path, sizeof(path), "%s/recipes/minimal/build", dir);
	write_script(path, "#!/bin/sh\n");
	snprintf(path, sizeof(path), "%s/recipes/zz/build", dir);
	write_script(path, "#!/bin/sh\n");
	assert_int_equal(chmod(path, 0644), 0); /* not a recipe: not executable */
	snprintf(path, sizeof(path), "%s/recipes", dir);
	setenv("BANGER_IMAGES_DIR", path, 1);
	snprintf(path, sizeof(path), "%s/bin/banger", dir);
	write_script(path, "#!/bin/sh\nprintf 'one\\n\\033[1mtwo\\033[0m\\r  three\\t!\\n'\n"
			   "echo \"args: $*\" >&2\nexit 4\n");
	snprintf(env, sizeof(env), "%s/bin:%s", dir, old_path ? old_path : "/usr/bin:/bin");
	setenv("PATH", env, 1);
	a->build.fd = -1;

	type(a, "v");
	type(a, "b");
	assert_int_equal(a->overlay, OVERLAY_BUILD);
	assert_int_equal(a->build.n_recipes, 2);
	assert_string_equal(a->build.recipes[0], "a");
	assert_string_equal(a->build.recipes[a->build.pick], "minimal");
	type(a, "k");
	assert_string_equal(a->build.recipes[a->build.pick], "a");
	type(a, "\x1b");
	assert_int_equal(a->overlay, OVERLAY_NONE);
	assert_int_equal(a->build.pid, 0);

	type(a, ":image-build fake\r");
	pid = a->build.pid;
	assert_true(pid > 0);
	assert_true(a->build.fd >= 0);
	type(a, "b"); /* one at a time */
	assert_int_equal(a->overlay, OVERLAY_NONE);
	assert_non_null(strstr(a->status, "build fake is running"));
	while (a->build.fd >= 0) {
		struct pollfd p = {.fd = a->build.fd, .events = POLLIN};
		assert_true(poll(&p, 1, 5000) > 0);
		app_build_input(a);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	app_build_exited(a, status);
	assert_int_equal(a->build.pid, 0);
	assert_int_equal(a->overlay, OVERLAY_INSPECT);
	if (!strstr(a->inspect_title, "build fake failed (exit status 4)"))
		fail_msg("title: %s; status: %s", a->inspect_title, a->status);
	assert_int_equal(a->n_inspect, 4);
	assert_string_equal(a->inspect_lines[0], "one");
	assert_string_equal(a->inspect_lines[1], "two");
	assert_string_equal(a->inspect_lines[2], "  three !");
	assert_string_equal(
		a->inspect_lines[3], "args: --socket /nonexistent/bangerd.sock image build fake");
	assert_non_null(strstr(a->status, "build fake failed with exit status 4: args: "));

	setenv("PATH", old_path ? old_path : "/usr/bin:/bin", 1);
	unsetenv("BANGER_IMAGES_DIR");
	app_free(a);
}

static int setup(void **state)
{
	FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
	(void)state;

	if (!out || !in || !mkdtemp(state_dir))
		return -1;
	setenv("XDG_STATE_HOME", state_dir, 1);
	/* A real terminal description: the code under test runs against curses as it does live. */
	if (!newterm("xterm-256color", out, in)) {
		fprintf(stderr, "no terminfo entry for xterm-256color\n");
		return -1;
	}
	resize_term(40, 120);
	return 0;
}

static int teardown(void **state)
{
	char cmd[sizeof(state_dir) + 16];
	(void)state;

	endwin();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", state_dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_key_runs_its_row),
		cmocka_unit_test(test_every_name_runs_its_row),
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_help_lists_every_row),
		cmocka_unit_test(test_destructive_rows_ask_first),
		cmocka_unit_test(test_start_asks_only_for_several),
		cmocka_unit_test(test_method_rows_need_the_daemon),
		cmocka_unit_test(test_handlers_return_what_to_redraw),
		cmocka_unit_test(test_every_dialog_fits),
		cmocka_unit_test(test_kill_forces_and_reports),
		cmocka_unit_test(test_create_form),
		cmocka_unit_test(test_images_view),
		cmocka_unit_test(test_console_time_copy_mouse),
		cmocka_unit_test(test_delete_forces_a_running_vm),
		cmocka_unit_test(test_image_build),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

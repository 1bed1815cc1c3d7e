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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tui/app.h"

static int peer = -1; /* the daemon's end of the current app's connection */
static char state_dir[] = "/tmp/test-tui-actions.XXXXXX";

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
	a->keylog_fd = -1;
	a->sigfd = -1;
	conn_init(&a->conn, "/nonexistent/bangerd.sock");
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
	a->conn.fd = sv[0];
	peer = sv[1];
	a->conn.state = CONN_CONNECTED;
	a->conn.connected_once = true;
	if (vms) {
		feed(a, "{\"method\":\"events.snapshot\",\"params\":{\"seq\":1,\"vms\":[" VM(
		                "a1", "web-1") "," VM("b2", "web-2") "]}}");
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
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for daemon/helper-client against a scripted helper in a child process: answers
 * matched by id, passed descriptors, refusals, timeouts, a helper that goes away, no helper. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon/helper-client.h"
#include "protocol/jsonrpc.h"
#include "protocol/ndjson.h"

struct fx {
	char dir[64], path[128];
	pid_t pid;
	sd_event *event;
	struct helper_client *h;
};

static int n_conn; /* connections accepted so far (the child's count) */

static void serve(int fd)
{
	struct ndjson_reader r;
	json_int_t held_id = -1;

	ndjson_reader_init(&r, 0);
	for (;;) {
		char *line, out[512] = "";
		size_t len;
		struct rpc_message m;
		int k = ndjson_reader_next(&r, &line, &len);

		if (k == 0) {
			if (ndjson_reader_fill(&r, fd) <= 0) {
				ndjson_reader_done(&r);
				close(fd);
				return; /* the next connection */
			}
			continue;
		}
		if (k < 0 || rpc_message_parse(line, len, &m, NULL) < 0)
			_exit(2);
		json_int_t id = json_integer_value(m.id);
		if (streq(m.method, "count.fds")) {
			json_t *names = json_object_get(m.params, "fds");
			int n = 0, fdv;
			while ((fdv = ndjson_reader_take_fd(&r)) >= 0) {
				n++;
				close(fdv);
			}
			snprintf(out, sizeof(out),
				"{\"jsonrpc\":\"2.0\",\"id\":%lld,\"result\":{\"fds\":%d,\"names\":"
				"%zu}}\n",
				(long long)id, n, json_array_size(names));
		} else if (streq(m.method, "refuse"))
			snprintf(out, sizeof(out),
				"{\"jsonrpc\":\"2.0\",\"id\":%lld,\"error\":{\"code\":-32003,"
				"\"message\":"
				"\"Tap \\\"eth0\\\" lacks the bgt- "
				"prefix\",\"data\":{\"code\":\"permission_denied\"}}}\n",
				(long long)id);
		else if (streq(m.method, "hold"))
			held_id = id; /* answered after the next request, out of order */
		else if (streq(m.method, "release") && held_id >= 0)
			snprintf(out, sizeof(out),
				"{\"jsonrpc\":\"2.0\",\"id\":%lld,\"result\":\"second\"}\n"
				"{\"jsonrpc\":\"2.0\",\"id\":%lld,\"result\":\"first\"}\n",
				(long long)id, (long long)held_id);
		else if (streq(m.method, "die"))
			_exit(0);
		else if (streq(m.method, "conn.id"))
			snprintf(out, sizeof(out),
				"{\"jsonrpc\":\"2.0\",\"id\":%lld,\"result\":%d}\n", (long long)id,
				n_conn);
		rpc_message_done(&m);
		if (out[0] && write(fd, out, strlen(out)) < 0)
			_exit(1);
	}
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int lfd;

	strcpy(f->dir, "/tmp/banger-hc-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/root.sock", f->dir);
	strcpy(sa.sun_path, f->path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	f->pid = fork();
	if (f->pid == 0) {
		for (;;) {
			int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			if (fd < 0)
				_exit(0);
			n_conn++;
			serve(fd);
		}
	}
	close(lfd);
	assert_int_equal(sd_event_new(&f->event), 0);
	assert_int_equal(helper_client_new(f->event, f->path, &f->h), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	helper_client_free(f->h);
	sd_event_unref(f->event);
	kill(f->pid, SIGKILL);
	waitpid(f->pid, NULL, 0);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

struct outcome {
	bool called;
	int r;
	char *result;
	struct rpc_error err;
	int order;
};
static int order_counter;

static void done_cb(
	struct helper_client *h, int r, json_t *result, const struct rpc_error *err, void *userdata)
{
	struct outcome *o = userdata;
	o->called = true;
	o->r = r;
	o->order = ++order_counter;
	o->result = result ? json_dumps(result, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	if (err)
		o->err = *err;
}

static void run_until(struct fx *f, struct outcome *o)
{
	for (int i = 0; i < 500 && !o->called; i++)
		assert_true(sd_event_run(f->event, 10 * 1000) >= 0);
	assert_true(o->called);
}

static void test_fds_and_names(void **state)
{
	struct fx *f = *state;
	struct outcome o = {};
	const char *names[] = {"kernel", "console"};
	int fds[2] = {
		open("/dev/null", O_RDONLY | O_CLOEXEC), open("/dev/null", O_WRONLY | O_CLOEXEC)};

	assert_int_equal(
		helper_client_call(f->h, "count.fds", json_object(), names, fds, 2, 0, done_cb, &o),
		0);
	assert_false(o.called); /* never from inside the call */
	run_until(f, &o);
	assert_int_equal(o.r, 0);
	assert_string_equal(o.result, "{\"fds\":2,\"names\":2}");
	free(o.result);
	/* the caller still owns its descriptors */
	assert_true(fcntl(fds[0], F_GETFD) >= 0);
	close(fds[0]);
	close(fds[1]);
}

static void test_refusal_carries_helper_message(void **state)
{
	struct fx *f = *state;
	struct outcome o = {};

	assert_int_equal(
		helper_client_call(f->h, "refuse", NULL, NULL, NULL, 0, 0, done_cb, &o), 0);
	run_until(f, &o);
	assert_int_equal(o.r, -EREMOTEIO);
	assert_int_equal(o.err.code, RPC_ERROR_PERMISSION_DENIED);
	assert_string_equal(o.err.message, "Tap \"eth0\" lacks the bgt- prefix");
}

static void test_out_of_order_answers(void **state)
{
	struct fx *f = *state;
	struct outcome a = {}, b = {};

	assert_int_equal(helper_client_call(f->h, "hold", NULL, NULL, NULL, 0, 0, done_cb, &a), 0);
	assert_int_equal(
		helper_client_call(f->h, "release", NULL, NULL, NULL, 0, 0, done_cb, &b), 0);
	assert_int_equal(helper_client_pending(f->h), 2);
	run_until(f, &a);
	run_until(f, &b);
	assert_string_equal(a.result, "\"first\"");
	assert_string_equal(b.result, "\"second\"");
	assert_true(b.order < a.order);
	assert_int_equal(helper_client_pending(f->h), 0);
	free(a.result);
	free(b.result);
}

static void test_timeout(void **state)
{
	struct fx *f = *state;
	struct outcome o = {};

	assert_int_equal(
		helper_client_call(f->h, "hold", NULL, NULL, NULL, 0, 100 * 1000, done_cb, &o), 0);
	run_until(f, &o);
	assert_int_equal(o.r, -ETIMEDOUT);
	assert_int_equal(o.err.code, RPC_ERROR_TIMEOUT);
	assert_non_null(strstr(o.err.message, "hold"));
}

static void test_helper_dies(void **state)
{
	struct fx *f = *state;
	struct outcome a = {}, b = {};

	assert_int_equal(helper_client_call(f->h, "hold", NULL, NULL, NULL, 0, 0, done_cb, &a), 0);
	assert_int_equal(helper_client_call(f->h, "die", NULL, NULL, NULL, 0, 0, done_cb, &b), 0);
	run_until(f, &a);
	run_until(f, &b);
	assert_true(a.r < 0);
	assert_int_equal(a.err.code, RPC_ERROR_UNAVAILABLE);
	assert_non_null(strstr(a.err.message, "Connection to bangerd-root lost"));
	assert_int_equal(b.err.code, RPC_ERROR_UNAVAILABLE);
}

static void test_no_helper(void **state)
{
	struct helper_client *h;
	struct outcome o = {};
	sd_event *e;

	assert_int_equal(sd_event_new(&e), 0);
	assert_int_equal(helper_client_new(e, "/nonexistent/root.sock", &h), 0);
	assert_int_equal(helper_client_call(
				 h, "net.tap_create", json_object(), NULL, NULL, 0, 0, done_cb, &o),
		0);
	assert_false(o.called);
	for (int i = 0; i < 10 && !o.called; i++)
		assert_true(sd_event_run(e, 10 * 1000) >= 0);
	assert_true(o.called);
	assert_int_equal(o.r, -ENOENT);
	assert_int_equal(o.err.code, RPC_ERROR_UNAVAILABLE);
	assert_non_null(strstr(o.err.message, "bangerd-root is not reachable"));
	helper_client_free(h);
	sd_event_unref(e);
}

/* A connection idle longer than the threshold is replaced before the next call is sent on it
 * (bangerd-root closes idle connections; a call must never meet that close). */
static void test_idle_connection_replaced(void **state)
{
	struct fx *f = *state;
	struct outcome a = {}, b = {}, c = {};

	helper_client_set_idle_reconnect(f->h, 50 * 1000);
	assert_int_equal(
		helper_client_call(f->h, "conn.id", NULL, NULL, NULL, 0, 0, done_cb, &a), 0);
	while (!a.called)
		assert_true(sd_event_run(f->event, 1000000) >= 0);
	assert_int_equal(
		helper_client_call(f->h, "conn.id", NULL, NULL, NULL, 0, 0, done_cb, &b), 0);
	while (!b.called)
		assert_true(sd_event_run(f->event, 1000000) >= 0);
	assert_string_equal(a.result, "1");
	assert_string_equal(b.result, "1"); /* right away: the same connection */
	usleep(120 * 1000);
	assert_int_equal(
		helper_client_call(f->h, "conn.id", NULL, NULL, NULL, 0, 0, done_cb, &c), 0);
	while (!c.called)
		assert_true(sd_event_run(f->event, 1000000) >= 0);
	assert_int_equal(c.r, 0);
	assert_string_equal(c.result, "2"); /* after the idle spell: a new one */
	free(a.result);
	free(b.result);
	free(c.result);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fds_and_names, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_refusal_carries_helper_message, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_order_answers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_helper_dies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_connection_replaced, setup, teardown),
		cmocka_unit_test(test_no_helper),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The TUI's non-blocking daemon connection: backoff, failure reasons, and a real exchange with a
 * listening unix socket (hello and events.subscribe queued, answers matched by id). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/macro.h"
#include "protocol/methods.h"
#include "tui/conn.h"

static void test_backoff(void **state)
{
	(void)state;
	assert_int_equal(conn_backoff_ms(0, 0.5), 250);
	assert_int_equal(conn_backoff_ms(1, 0.5), 500);
	assert_int_equal(conn_backoff_ms(2, 0.5), 1000);
	assert_int_equal(conn_backoff_ms(3, 0.5), 2000);
	assert_int_equal(conn_backoff_ms(4, 0.5), 5000);
	assert_int_equal(
		conn_backoff_ms(400, 0.5), 5000);        /* never gives up, never grows past 5 s */
	assert_int_equal(conn_backoff_ms(4, 0.0), 4000); /* ±20 % jitter */
	assert_int_equal(conn_backoff_ms(4, 0.999), 5998);
}

static void test_reasons(void **state)
{
	char buf[160];
	(void)state;
	assert_non_null(strstr(conn_reason_for(ENOENT, buf, sizeof(buf)), "socket missing"));
	assert_non_null(strstr(conn_reason_for(EACCES, buf, sizeof(buf)), "group banger"));
	assert_non_null(strstr(conn_reason_for(EPIPE, buf, sizeof(buf)), "EOF"));
}

/* The TUI calls by the shared table's ids (protocol/methods.def): no call goes out without one. */
static void test_methods(void **state)
{
	struct conn c;
	(void)state;

	conn_init(&c, "/nonexistent/bangerd.sock");
	assert_int_equal(
		conn_call(&c, _RPC_METHOD_INVALID, json_object(), CALL_ACTION, NULL), -EINVAL);
	assert_int_equal(conn_call(&c, _RPC_METHOD_MAX, json_object(), CALL_ACTION, NULL), -EINVAL);
	conn_done(&c);
}

static void test_connect_missing(void **state)
{
	struct conn c;
	(void)state;

	conn_init(&c, "/nonexistent/bangerd.sock");
	assert_int_equal(conn_connect(&c, 1000, 0), -ENOENT);
	assert_int_equal(c.fd, -1);
	assert_int_equal(c.state, CONN_CONNECTING); /* never connected: still "connecting" */
	assert_non_null(strstr(c.reason, "socket missing"));
	assert_int_equal(c.attempt, 1);
	assert_true(c.retry_at >= 1000 + 200 && c.retry_at <= 1000 + 300);
	assert_true(c.stale_since > 0);
	assert_int_equal(conn_call(&c, RPC_METHOD_VM_START, NULL, CALL_ACTION, "x"), -ENOTCONN);
	conn_done(&c);
}

static int read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;
	while (n + 1 < size) {
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, 2000) <= 0 || read(fd, buf + n, 1) != 1)
			return -1;
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = '\0';
	return (int)n;
}

static void test_exchange(void **state)
{
	char dir[] = "/tmp/test-tui-conn.XXXXXX", path[128], line[4096];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct rpc_message m;
	struct rpc_error err;
	struct conn_call call;
	struct conn c;
	int lfd, sfd;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s", dir);
	strcpy(sa.sun_path, path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 4), 0);

	conn_init(&c, path);
	assert_int_equal(conn_connect(&c, 0, 42), 0);
	assert_true(conn_want_write(&c));
	assert_int_equal(conn_flush(&c), 1);
	sfd = accept(lfd, NULL, NULL);
	assert_true(sfd >= 0);
	assert_true(read_line(sfd, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, "\"method\":\"hello\""));
	assert_non_null(strstr(line, "\"program\":\"banger-tui\""));
	assert_true(read_line(sfd, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, "\"method\":\"events.subscribe\""));
	assert_non_null(strstr(line, "\"since_seq\":42")); /* resume where we left off */

	/* Answers (out of order) and a notification, split across writes. */
	const char *out = "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"seq\":50,\"replayed\":8}}\n"
			  "{\"jsonrpc\":\"2.0\",\"method\":\"vm.deleted\",\"params\":{\"seq\":43,"
			  "\"id\":\"a\",\"na";
	assert_int_equal(write(sfd, out, strlen(out)), (ssize_t)strlen(out));
	for (int i = 0; i < 50 && conn_fill(&c, 65536) == 0; i++)
		usleep(10000);
	assert_int_equal(conn_next(&c, &m, &err), 1);
	assert_int_equal(m.type, RPC_MESSAGE_RESPONSE);
	assert_int_equal(conn_match(&c, &m, &call), RPC_INCOMING_REPLY);
	assert_int_equal(call.kind, CALL_SUBSCRIBE);
	assert_int_equal(conn_match(&c, &m, &call), RPC_INCOMING_STRAY); /* only once */
	rpc_message_done(&m);
	assert_int_equal(conn_next(&c, &m, &err), 0); /* the rest is not a whole line yet */
	out = "me\":\"x\"}}\n{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"protocol\":1,\"version\":"
	      "\"9.9\"}}\n";
	assert_int_equal(write(sfd, out, strlen(out)), (ssize_t)strlen(out));
	for (int i = 0; i < 50 && conn_fill(&c, 65536) == 0; i++)
		usleep(10000);
	assert_int_equal(conn_next(&c, &m, &err), 1);
	assert_int_equal(m.type, RPC_MESSAGE_NOTIFICATION);
	assert_int_equal(conn_match(&c, &m, &call), RPC_INCOMING_NOTIFICATION);
	assert_string_equal(m.method, "vm.deleted");
	rpc_message_done(&m);
	assert_int_equal(conn_next(&c, &m, &err), 1);
	assert_int_equal(conn_match(&c, &m, &call), RPC_INCOMING_REPLY);
	assert_int_equal(call.kind, CALL_HELLO);
	rpc_message_done(&m);

	/* A request for an action carries what the toast will name. */
	assert_int_equal(conn_call(&c, RPC_METHOD_VM_STOP, json_pack("{s:s}", "name", "web-1"),
				 CALL_ACTION, "stop web-1"),
		0);
	assert_non_null(conn_pending(&c, 0));
	assert_null(conn_pending(&c, 1));
	assert_string_equal(conn_pending(&c, 0)->what, "stop web-1");

	/* The daemon goes away: end of file. */
	close(sfd);
	int r = 0;
	for (int i = 0; i < 50 && (r = conn_fill(&c, 65536)) >= 0; i++)
		usleep(10000);
	assert_int_equal(r, -EPIPE);
	c.connected_once = true;
	conn_lost(&c, 5000, "daemon closed the connection (EOF)");
	assert_int_equal(c.state, CONN_DISCONNECTED);
	assert_null(conn_pending(&c, 0)); /* its answer cannot come now */
	assert_int_equal(c.fd, -1);

	/* During a daemon update, retries come every 500 ms. */
	c.expect_restart_until = 100000;
	conn_lost(&c, 6000, "EOF");
	assert_int_equal(c.retry_at, 6500);
	conn_done(&c);
	close(lfd);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_methods),
		cmocka_unit_test(test_connect_missing),
		cmocka_unit_test(test_exchange),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for protocol/client against a scripted peer in a child process: answers, errors,
 * queued notifications, timeouts, stray answers, hang-ups and descriptor passing. */
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

#include "protocol/client.h"
#include "protocol/ndjson.h"

struct peer {
	char dir[64];
	char path[128];
	pid_t pid;
};

/* What the scripted peer does with each request it reads, by method name. */
static void peer_serve(int fd)
{
	struct ndjson_reader r;

	ndjson_reader_init(&r, 0);
	for (;;) {
		char *line, out[512];
		size_t len;
		int k = ndjson_reader_next(&r, &line, &len);
		struct rpc_message m;

		if (k == 0) {
			if (ndjson_reader_fill(&r, fd) <= 0)
				_exit(0);
			continue;
		}
		if (k < 0 || rpc_message_parse(line, len, &m, NULL) < 0) {
			dprintf(fd, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,"
				    "\"message\":\"garbage\",\"data\":{\"code\":\"protocol_error\"}"
				    "}}\n");
			continue;
		}
		json_int_t id = json_integer_value(m.id);
		if (streq(m.method, "hello"))
			snprintf(out, sizeof(out),
				"{\"jsonrpc\":\"2.0\",\"id\":%lld,\"result\":{\"protocol\":%d,"
				"\"program\":\"peer\",\"version\":\"9\"}}\n",
				(long long)id, RPC_PROTOCOL_VERSION);
		else if (streq(m.method, "hello.old"))
			snprintf(out, sizeof(out),
				"{\"jsonrpc\":\"2.0\",\"id\":%lld,\"result\":{\"protocol\":0}}\n",
				(long long)id);
		else if (streq(m.method, "echo.with.events"))
			snprintf(out, sizeof(out),
				"{\"jsonrpc\":\"2.0\",\"method\":\"vm.state\",\"params\":{\"seq\":"
				"1}}\n"
				"{\"jsonrpc\":\"2.0\",\"id\":999,\"result\":\"stray\"}\n"
				"{\"jsonrpc\":\"2.0\",\"method\":\"vm.state\",\"params\":{\"seq\":"
				"2}}\n"
				"{\"jsonrpc\":\"2.0\",\"id\":%lld,\"result\":%s}\n",
				(long long)id, m.params ? "{\"echo\":true}" : "null");
		else if (streq(m.method, "fail"))
			snprintf(out, sizeof(out),
				"{\"jsonrpc\":\"2.0\",\"id\":%lld,\"error\":{\"code\":-32001,"
				"\"message\":\"VM \\\"x\\\" not "
				"found\",\"data\":{\"code\":\"not_found\"}}}\n",
				(long long)id);
		else if (streq(m.method, "fdstat")) {
			int got = ndjson_reader_take_fd(&r);
			struct stat st = {};
			if (got >= 0)
				fstat(got, &st);
			snprintf(out, sizeof(out),
				"{\"jsonrpc\":\"2.0\",\"id\":%lld,\"result\":%lld}\n",
				(long long)id, got >= 0 ? (long long)st.st_ino : -1LL);
			safe_close(got);
		} else if (streq(m.method, "hangup"))
			_exit(0);
		else if (streq(m.method, "oversize")) {
			size_t n = NDJSON_MAX_MESSAGE + 10;
			char *b = malloc(n);
			memset(b, 'x', n);
			(void)!write(fd, b, n);
			free(b);
			out[0] = '\0';
		} else
			out[0] = '\0'; /* "slow": never answers */
		rpc_message_done(&m);
		if (out[0] && write(fd, out, strlen(out)) < 0)
			_exit(1);
	}
}

static int peer_start(void **state)
{
	struct peer *p = calloc(1, sizeof(*p));
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int lfd;

	strcpy(p->dir, "/tmp/banger-client-XXXXXX");
	assert_non_null(mkdtemp(p->dir));
	snprintf(p->path, sizeof(p->path), "%s/s", p->dir);
	strcpy(sa.sun_path, p->path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	p->pid = fork();
	assert_true(p->pid >= 0);
	if (p->pid == 0) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			_exit(1);
		peer_serve(fd);
		_exit(0);
	}
	close(lfd);
	*state = p;
	return 0;
}

static int peer_stop(void **state)
{
	struct peer *p = *state;
	kill(p->pid, SIGKILL);
	waitpid(p->pid, NULL, 0);
	unlink(p->path);
	rmdir(p->dir);
	free(p);
	return 0;
}

static void test_hello_and_call(void **state)
{
	struct peer *p = *state;
	_cleanup_rpc_client_ struct rpc_client *c = NULL;
	struct rpc_error e = {};
	json_t *res = NULL;

	assert_int_equal(rpc_client_connect(p->path, &c), 0);
	assert_int_equal(rpc_client_hello(c, "test", 2000, &res, &e), 0);
	assert_string_equal(json_string_value(json_object_get(res, "program")), "peer");
	json_decref(res);
}

static void test_protocol_mismatch(void **state)
{
	struct peer *p = *state;
	_cleanup_rpc_client_ struct rpc_client *c = NULL;
	struct rpc_error e = {};
	json_t *res = NULL;

	assert_int_equal(rpc_client_connect(p->path, &c), 0);
	assert_int_equal(rpc_client_call(c, "hello.old", NULL, 2000, &res, &e), 0);
	assert_int_equal(rpc_hello_check(res, &e), -EPROTONOSUPPORT);
	json_decref(res);
}

static void test_notifications_queued_during_call(void **state)
{
	struct peer *p = *state;
	_cleanup_rpc_client_ struct rpc_client *c = NULL;
	struct rpc_error e = {};
	struct rpc_message m;
	json_t *res = NULL;

	assert_int_equal(rpc_client_connect(p->path, &c), 0);
	assert_int_equal(rpc_client_call(c, "echo.with.events", json_object(), 2000, &res, &e), 0);
	assert_true(json_is_true(json_object_get(res, "echo")));
	json_decref(res);
	assert_int_equal(rpc_client_queued(c), 2);
	assert_int_equal(rpc_client_read_notification(c, 0, &m, &e), 1);
	assert_string_equal(m.method, "vm.state");
	assert_int_equal(json_integer_value(json_object_get(m.params, "seq")), 1);
	rpc_message_done(&m);
	assert_int_equal(rpc_client_read_notification(c, 0, &m, &e), 1);
	assert_int_equal(json_integer_value(json_object_get(m.params, "seq")), 2);
	rpc_message_done(&m);
	assert_int_equal(rpc_client_read_notification(c, 50, &m, &e), 0); /* none left */
}

static void test_remote_error(void **state)
{
	struct peer *p = *state;
	_cleanup_rpc_client_ struct rpc_client *c = NULL;
	struct rpc_error e = {};
	json_t *res = NULL;

	assert_int_equal(rpc_client_connect(p->path, &c), 0);
	assert_int_equal(rpc_client_call(c, "fail", NULL, 2000, &res, &e), -EREMOTEIO);
	assert_null(res);
	assert_int_equal(e.code, RPC_ERROR_NOT_FOUND);
	assert_string_equal(e.message, "VM \"x\" not found");
}

static void test_timeout_then_next_call_works(void **state)
{
	struct peer *p = *state;
	_cleanup_rpc_client_ struct rpc_client *c = NULL;
	struct rpc_error e = {};
	json_t *res = NULL;

	assert_int_equal(rpc_client_connect(p->path, &c), 0);
	assert_int_equal(rpc_client_call(c, "slow", NULL, 100, &res, &e), -ETIMEDOUT);
	assert_int_equal(e.code, RPC_ERROR_TIMEOUT);
	assert_int_equal(rpc_client_hello(c, "test", 2000, NULL, &e), 0);
}

static void test_hangup(void **state)
{
	struct peer *p = *state;
	_cleanup_rpc_client_ struct rpc_client *c = NULL;
	struct rpc_error e = {};
	struct rpc_message m;

	assert_int_equal(rpc_client_connect(p->path, &c), 0);
	assert_int_equal(rpc_client_call(c, "hangup", NULL, 2000, NULL, &e), -ECONNRESET);
	assert_int_equal(e.code, RPC_ERROR_UNAVAILABLE);
	assert_int_equal(rpc_client_read_notification(c, 100, &m, &e), -ECONNRESET);
}

static void test_oversized_answer(void **state)
{
	struct peer *p = *state;
	_cleanup_rpc_client_ struct rpc_client *c = NULL;
	struct rpc_error e = {};

	assert_int_equal(rpc_client_connect(p->path, &c), 0);
	assert_int_equal(rpc_client_call(c, "oversize", NULL, 5000, NULL, &e), -EMSGSIZE);
	assert_int_equal(e.code, RPC_ERROR_PROTOCOL_ERROR);
}

static void test_fd_passing(void **state)
{
	struct peer *p = *state;
	_cleanup_rpc_client_ struct rpc_client *c = NULL;
	struct rpc_error e = {};
	json_t *res = NULL;
	struct stat st;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(rpc_client_connect(p->path, &c), 0);
	assert_int_equal(rpc_client_call_fds(c, "fdstat", NULL, &fd, 1, 2000, &res, &e), 0);
	assert_int_equal(json_integer_value(res), (json_int_t)st.st_ino);
	json_decref(res);
	close(fd);
}

static void test_connect_nobody_listening(void **state)
{
	struct rpc_client *c = NULL;
	assert_int_equal(rpc_client_connect("/nonexistent/banger.sock", &c), -ENOENT);
	assert_null(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hello_and_call, peer_start, peer_stop),
		cmocka_unit_test_setup_teardown(test_protocol_mismatch, peer_start, peer_stop),
		cmocka_unit_test_setup_teardown(
			test_notifications_queued_during_call, peer_start, peer_stop),
		cmocka_unit_test_setup_teardown(test_remote_error, peer_start, peer_stop),
		cmocka_unit_test_setup_teardown(
			test_timeout_then_next_call_works, peer_start, peer_stop),
		cmocka_unit_test_setup_teardown(test_hangup, peer_start, peer_stop),
		cmocka_unit_test_setup_teardown(test_oversized_answer, peer_start, peer_stop),
		cmocka_unit_test_setup_teardown(test_fd_passing, peer_start, peer_stop),
		cmocka_unit_test(test_connect_nobody_listening),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

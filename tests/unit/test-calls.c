/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for protocol/calls: ids, the pending table and its bound, and sorting what a peer
 * sends into notifications, answers, stray answers and errors it could not attribute. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/calls.h"
#include "protocol/ndjson.h"

static int a_, b_, c_;
static void *const A = &a_, *const B = &b_, *const C = &c_;

/* Adds a call and checks the request line it was given. */
static json_int_t add(struct rpc_calls *t, const char *method, json_t *params, void *userdata)
{
	struct rpc_message m;
	char *line;
	size_t len;
	json_int_t id;

	assert_int_equal(rpc_calls_add(t, method, params, userdata, &line, &len, &id), 0);
	assert_int_equal(line[len - 1], '\n');
	assert_int_equal(rpc_message_parse(line, len - 1, &m, NULL), 0);
	assert_int_equal(m.type, RPC_MESSAGE_REQUEST);
	assert_string_equal(m.method, method);
	assert_int_equal(json_integer_value(m.id), id);
	rpc_message_done(&m);
	free(line);
	return id;
}

static struct rpc_message parse(const char *json)
{
	struct rpc_message m;
	assert_int_equal(rpc_message_parse(json, strlen(json), &m, NULL), 0);
	return m;
}

static void test_ids(void **state)
{
	struct rpc_calls t;
	(void)state;

	rpc_calls_init(&t, 8);
	assert_int_equal(add(&t, "vm.list", NULL, A), 1);
	assert_int_equal(add(&t, "vm.get", json_pack("{s:s}", "name", "x"), B), 2);
	assert_ptr_equal(rpc_calls_take(&t, 2), B);
	/* an id given up on is never handed out again */
	assert_int_equal(add(&t, "vm.get", NULL, C), 3);
	assert_int_equal(t.n_calls, 2);
	assert_int_equal(t.calls[0].id, 1); /* oldest first */
	assert_int_equal(t.calls[1].id, 3);
	assert_ptr_equal(rpc_calls_pop(&t), C); /* newest first */
	assert_ptr_equal(rpc_calls_pop(&t), A);
	assert_null(rpc_calls_pop(&t));
	assert_null(rpc_calls_take(&t, 1));
	rpc_calls_done(&t);
}

static void test_match(void **state)
{
	struct rpc_calls t;
	struct rpc_call call = {};
	struct rpc_error err = {};
	struct rpc_message m;
	(void)state;

	rpc_calls_init(&t, 8);
	add(&t, "a", NULL, A);
	add(&t, "b", NULL, B);
	add(&t, "c", NULL, C);

	/* answers out of order, each to its own request */
	m = parse("{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{}}");
	assert_int_equal(rpc_calls_match(&t, &m, &call, &err), RPC_INCOMING_REPLY);
	assert_int_equal(call.id, 2);
	assert_ptr_equal(call.userdata, B);
	assert_int_equal(t.n_calls, 2);
	/* ... only once: the second copy is stray and says which id */
	call = (struct rpc_call){};
	assert_int_equal(rpc_calls_match(&t, &m, &call, &err), RPC_INCOMING_STRAY);
	assert_null(call.userdata);
	assert_int_equal(err.code, RPC_ERROR_PROTOCOL_ERROR);
	assert_non_null(strstr(err.message, "request 2,"));
	rpc_message_done(&m);

	/* an error answer is a reply too */
	m = parse("{\"jsonrpc\":\"2.0\",\"id\":3,\"error\":{\"code\":-32001,\"message\":\"gone\","
		  "\"data\":{\"code\":\"not_found\"}}}");
	assert_int_equal(rpc_calls_match(&t, &m, &call, &err), RPC_INCOMING_REPLY);
	assert_ptr_equal(call.userdata, C);
	rpc_message_done(&m);

	/* ids this client never sends: unknown integers, strings */
	m = parse("{\"jsonrpc\":\"2.0\",\"id\":99,\"result\":1}");
	assert_int_equal(rpc_calls_match(&t, &m, &call, NULL), RPC_INCOMING_STRAY);
	rpc_message_done(&m);
	m = parse("{\"jsonrpc\":\"2.0\",\"id\":\"1\",\"result\":1}");
	assert_int_equal(rpc_calls_match(&t, &m, &call, &err), RPC_INCOMING_STRAY);
	assert_non_null(strstr(err.message, "never sends"));
	rpc_message_done(&m);
	assert_int_equal(t.n_calls, 1); /* "a" is still waiting */

	/* the peer could not read a request: its error, attributed to none */
	m = parse("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,\"message\":"
		  "\"garbage\",\"data\":{\"code\":\"invalid_argument\"}}}");
	assert_int_equal(rpc_calls_match(&t, &m, &call, &err), RPC_INCOMING_UNREADABLE);
	assert_int_equal(err.code, RPC_ERROR_INVALID_ARGUMENT);
	assert_string_equal(err.message, "garbage");
	rpc_message_done(&m);

	/* notifications and requests never touch the table */
	m = parse("{\"jsonrpc\":\"2.0\",\"method\":\"vm.state\",\"params\":{\"seq\":1}}");
	assert_int_equal(rpc_calls_match(&t, &m, &call, &err), RPC_INCOMING_NOTIFICATION);
	rpc_message_done(&m);
	m = parse("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"hello\"}");
	assert_int_equal(rpc_calls_match(&t, &m, &call, &err), RPC_INCOMING_REQUEST);
	rpc_message_done(&m);
	assert_int_equal(t.n_calls, 1);

	m = parse("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":null}");
	assert_int_equal(rpc_calls_match(&t, &m, &call, &err), RPC_INCOMING_REPLY);
	assert_ptr_equal(call.userdata, A);
	rpc_message_done(&m);
	assert_int_equal(t.n_calls, 0);
	rpc_calls_done(&t);
}

static void test_refusals(void **state)
{
	struct rpc_calls t;
	char *line = NULL;
	size_t len;
	json_int_t id = -1;
	json_t *big;
	char *s;
	(void)state;

	rpc_calls_init(&t, 2);
	add(&t, "a", NULL, A);
	add(&t, "b", NULL, B);
	/* the bound: refused, params released (ASan), no id spent */
	assert_int_equal(rpc_calls_add(&t, "c", json_object(), C, &line, &len, &id), -EBUSY);
	assert_null(line);
	assert_int_equal(id, -1);
	assert_ptr_equal(rpc_calls_take(&t, 1), A);

	/* a request over the message limit is not recorded */
	s = calloc(1, NDJSON_MAX_MESSAGE + 1);
	assert_non_null(s);
	memset(s, 'x', NDJSON_MAX_MESSAGE);
	big = json_pack("{s:s}", "blob", s);
	free(s);
	assert_int_equal(rpc_calls_add(&t, "c", big, C, &line, &len, &id), -EMSGSIZE);
	assert_int_equal(t.n_calls, 1);

	/* userdata is what a reply hands back, so it must be something */
	assert_int_equal(rpc_calls_add(&t, "c", json_object(), NULL, &line, &len, &id), -EINVAL);
	assert_int_equal(t.n_calls, 1);
	assert_int_equal(add(&t, "c", NULL, C), 3); /* refusals spend no id */
	rpc_calls_done(&t);
	rpc_calls_done(&t); /* twice is harmless */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_match),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

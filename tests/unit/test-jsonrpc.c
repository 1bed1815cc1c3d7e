/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for protocol/jsonrpc and protocol/error: parsing refusals, constructor round-trips,
 * error codes, hello and the param helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/jsonrpc.h"
#include "protocol/ndjson.h"

static void expect_refused(const char *text, size_t len, const char *why_contains)
{
	struct rpc_message m = {};
	struct rpc_error e = {};

	assert_int_equal(rpc_message_parse(text, len, &m, &e), -EBADMSG);
	assert_int_equal(e.code, RPC_ERROR_PROTOCOL_ERROR);
	if (!strstr(e.message, why_contains))
		fail_msg("message \"%s\" lacks \"%s\"", e.message, why_contains);
	assert_null(m.root);
}
#define REFUSED(s, why) expect_refused((s), strlen(s), (why))

static void test_refuses_invalid_json(void **state)
{
	REFUSED("{", "Failed to parse");
	REFUSED("", "Failed to parse");
	REFUSED("{\"jsonrpc\":\"2.0\",\"method\":\"a\"} trailing", "Failed to parse");
	REFUSED("{\"jsonrpc\":\"2.0\",\"jsonrpc\":\"2.0\",\"method\":\"a\"}", "Failed to parse");
}

static void test_refuses_invalid_utf8(void **state)
{
	const char bad[] = "{\"jsonrpc\":\"2.0\",\"method\":\"\xff\xfe\"}";
	const char overlong[] = "{\"jsonrpc\":\"2.0\",\"method\":\"\xc0\xaf\"}";
	const char nul[] = "{\"jsonrpc\":\"2.0\",\"method\":\"a\\u0000b\"}";

	expect_refused(bad, sizeof(bad) - 1, "Failed to parse");
	expect_refused(overlong, sizeof(overlong) - 1, "Failed to parse");
	expect_refused(nul, sizeof(nul) - 1, "Failed to parse");
}

static void test_refuses_non_objects(void **state)
{
	REFUSED("[1,2]", "not a JSON object");
	REFUSED("\"str\"", "not a JSON object");
	REFUSED("42", "not a JSON object");
	REFUSED("null", "not a JSON object");
}

static void test_refuses_missing_or_wrong_jsonrpc(void **state)
{
	REFUSED("{\"id\":1,\"method\":\"a\"}", "missing \"jsonrpc\"");
	REFUSED("{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"a\"}", "\"jsonrpc\" is not \"2.0\"");
	REFUSED("{\"jsonrpc\":2,\"id\":1,\"method\":\"a\"}", "\"jsonrpc\" is not \"2.0\"");
}

static void test_refuses_bad_ids_and_shapes(void **state)
{
	REFUSED("{\"jsonrpc\":\"2.0\",\"result\":1}", "missing \"id\"");
	REFUSED("{\"jsonrpc\":\"2.0\",\"id\":1}", "missing \"method\", \"result\" or \"error\"");
	REFUSED("{\"jsonrpc\":\"2.0\"}", "missing \"id\" and \"method\"");
	REFUSED("{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"a\"}", "\"id\"");
	REFUSED("{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"a\"}", "\"id\"");
	REFUSED("{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"a\"}", "\"id\"");
	REFUSED("{\"jsonrpc\":\"2.0\",\"id\":null,\"result\":1}", "\"id\"");
	REFUSED("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\"}", "\"method\"");
	REFUSED("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":7}", "\"method\"");
	REFUSED("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\",\"params\":3}", "\"params\"");
	REFUSED("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\",\"result\":3}", "cannot carry");
	REFUSED("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1,\"error\":{}}", "both");
	REFUSED("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":\"x\"}", "\"error\" is not an object");
	REFUSED("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":\"x\",\"message\":\"m\"}}",
		"error.code");
	REFUSED("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":1}}", "error.message");
	REFUSED("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":1,\"message\":\"m\",\"data\":[]}"
		"}",
		"error.data");
}

static void test_refuses_oversized(void **state)
{
	size_t n = NDJSON_MAX_MESSAGE + 1;
	char *b = malloc(n);
	struct rpc_message m = {};
	struct rpc_error e = {};

	memset(b, ' ', n);
	assert_int_equal(rpc_message_parse(b, n, &m, &e), -EBADMSG);
	assert_int_equal(e.code, RPC_ERROR_PROTOCOL_ERROR);
	assert_non_null(strstr(e.message, "limit"));
	free(b);
}

static void roundtrip(json_t *msg, struct rpc_message *ret)
{
	char *s;
	size_t len;
	struct rpc_error e = {};

	assert_non_null(msg);
	assert_int_equal(rpc_message_serialize(msg, &s, &len), 0);
	assert_int_equal(s[len - 1], '\n');
	assert_null(memchr(s, '\n', len - 1));
	assert_int_equal(rpc_message_parse(s, len - 1, ret, &e), 0);
	free(s);
	json_decref(msg);
}

static void test_roundtrip_request(void **state)
{
	struct rpc_message m;
	json_t *id = json_integer(7);

	roundtrip(rpc_request_new(id, "vm.get", json_pack("{s:s}", "name", "a")), &m);
	assert_int_equal(m.type, RPC_MESSAGE_REQUEST);
	assert_string_equal(m.method, "vm.get");
	assert_true(json_equal(m.id, id));
	assert_string_equal(json_string_value(json_object_get(m.params, "name")), "a");
	rpc_message_done(&m);
	json_decref(id);

	id = json_string("abc");
	roundtrip(rpc_request_new(id, "vm.list", NULL), &m);
	assert_int_equal(m.type, RPC_MESSAGE_REQUEST);
	assert_string_equal(json_string_value(m.id), "abc");
	assert_null(m.params);
	rpc_message_done(&m);
	json_decref(id);
}

static void test_roundtrip_notification(void **state)
{
	struct rpc_message m;

	roundtrip(rpc_notification_new(
			  "vm.state", json_pack("{s:i,s:s}", "seq", 3, "new", "running")),
		&m);
	assert_int_equal(m.type, RPC_MESSAGE_NOTIFICATION);
	assert_null(m.id);
	assert_string_equal(m.method, "vm.state");
	assert_int_equal(json_integer_value(json_object_get(m.params, "seq")), 3);
	rpc_message_done(&m);
}

static void test_roundtrip_response(void **state)
{
	struct rpc_message m;
	json_t *id = json_integer(9);

	roundtrip(rpc_response_new(id, json_pack("{s:[]}", "vms")), &m);
	assert_int_equal(m.type, RPC_MESSAGE_RESPONSE);
	assert_true(json_is_array(json_object_get(m.result, "vms")));
	rpc_message_done(&m);

	roundtrip(rpc_response_new(id, NULL), &m); /* NULL result becomes null */
	assert_int_equal(m.type, RPC_MESSAGE_RESPONSE);
	assert_true(json_is_null(m.result));
	rpc_message_done(&m);
	json_decref(id);
}

static void test_roundtrip_every_error_code(void **state)
{
	json_t *id = json_integer(1);

	for (int c = 0; c < _RPC_ERROR_MAX; c++) {
		struct rpc_error e = {.code = c};
		struct rpc_message m;
		const char *name = rpc_error_code_to_string(c);

		assert_non_null(name);
		assert_int_equal(rpc_error_code_from_string(name), c);
		snprintf(e.message, sizeof(e.message), "Failed to frob \"%s\"", name);
		roundtrip(rpc_error_response_new(id, &e, json_pack("{s:s}", "vm", "a")), &m);
		assert_int_equal(m.type, RPC_MESSAGE_ERROR);
		assert_int_equal(m.error.code, c);
		assert_string_equal(m.error.message, e.message);
		assert_string_equal(json_string_value(json_object_get(m.error_data, "vm")), "a");
		assert_int_equal(json_integer_value(
					 json_object_get(json_object_get(m.root, "error"), "code")),
			rpc_error_code_to_jsonrpc(c));
		rpc_message_done(&m);
	}
	json_decref(id);
}

static void test_error_null_id(void **state)
{
	struct rpc_message m;
	struct rpc_error e = {.code = RPC_ERROR_PROTOCOL_ERROR, .message = "bad"};

	roundtrip(rpc_error_response_new(NULL, &e, NULL), &m);
	assert_int_equal(m.type, RPC_MESSAGE_ERROR);
	assert_true(json_is_null(m.id));
	assert_int_equal(m.error.code, RPC_ERROR_PROTOCOL_ERROR);
	rpc_message_done(&m);
}

static void test_unknown_error_code(void **state)
{
	const char *s =
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32000,\"message\":\"boom\","
		"\"data\":{\"code\":\"quota_exceeded\"}}}";
	struct rpc_message m;
	struct rpc_error e = {};

	assert_int_equal(rpc_error_code_from_string("quota_exceeded"), _RPC_ERROR_INVALID);
	assert_int_equal(rpc_error_code_from_string(NULL), _RPC_ERROR_INVALID);
	assert_null(rpc_error_code_to_string(_RPC_ERROR_MAX));
	assert_null(rpc_error_code_to_string(_RPC_ERROR_INVALID));
	assert_int_equal(rpc_message_parse(s, strlen(s), &m, &e), 0);
	assert_int_equal(m.error.code, RPC_ERROR_INTERNAL);
	assert_non_null(strstr(m.error.message, "boom"));
	assert_non_null(strstr(m.error.message, "quota_exceeded"));
	rpc_message_done(&m);

	/* No data.code at all (a generic JSON-RPC peer): internal. */
	s = "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32601,\"message\":\"no method\"}}";
	assert_int_equal(rpc_message_parse(s, strlen(s), &m, &e), 0);
	assert_int_equal(m.error.code, RPC_ERROR_INTERNAL);
	rpc_message_done(&m);
}

static void test_errno_mapping(void **state)
{
	assert_int_equal(rpc_error_code_from_errno(-ENOENT), RPC_ERROR_NOT_FOUND);
	assert_int_equal(rpc_error_code_from_errno(-EEXIST), RPC_ERROR_CONFLICT);
	assert_int_equal(rpc_error_code_from_errno(-EPERM), RPC_ERROR_PERMISSION_DENIED);
	assert_int_equal(rpc_error_code_from_errno(-ETIMEDOUT), RPC_ERROR_TIMEOUT);
	assert_int_equal(rpc_error_code_from_errno(-EINVAL), RPC_ERROR_INVALID_ARGUMENT);
	assert_int_equal(rpc_error_code_from_errno(-EIO), RPC_ERROR_INTERNAL);
}

static void test_hello(void **state)
{
	json_t *h = rpc_hello_new("banger", "0.1.0");
	struct rpc_error e = {};

	assert_int_equal(rpc_hello_check(h, &e), 0);
	json_object_set_new(h, "protocol", json_integer(RPC_PROTOCOL_VERSION + 1));
	assert_int_equal(rpc_hello_check(h, &e), -EPROTONOSUPPORT);
	assert_int_equal(e.code, RPC_ERROR_PROTOCOL_ERROR);
	json_object_del(h, "protocol");
	assert_int_equal(rpc_hello_check(h, &e), -EPROTONOSUPPORT);
	assert_int_equal(rpc_hello_check(NULL, &e), -EPROTONOSUPPORT);
	json_decref(h);
}

static void test_params(void **state)
{
	json_t *p =
		json_pack("{s:s, s:i, s:b, s:i}", "name", "a", "vcpus", 4, "force", 1, "big", 99);
	const char *allowed[] = {"name", "vcpus", "force", "big", NULL};
	const char *narrow[] = {"name", NULL};
	struct rpc_error e = {};
	const char *s = NULL;
	json_int_t i = 0;
	bool b = false;

	assert_int_equal(rpc_params_check_keys(p, allowed, &e), 0);
	assert_int_equal(rpc_params_check_keys(p, narrow, &e), -EINVAL);
	assert_int_equal(e.code, RPC_ERROR_INVALID_ARGUMENT);
	assert_non_null(strstr(e.message, "Unknown parameter"));
	assert_int_equal(rpc_params_check_keys(NULL, narrow, &e), 0);

	assert_int_equal(rpc_param_string(p, "name", true, &s, &e), 0);
	assert_string_equal(s, "a");
	assert_int_equal(rpc_param_string(p, "vcpus", true, &s, &e), -EINVAL);
	assert_non_null(strstr(e.message, "\"vcpus\" must be a string"));
	assert_int_equal(rpc_param_string(p, "missing", true, &s, &e), -EINVAL);
	assert_non_null(strstr(e.message, "Missing required parameter \"missing\""));
	s = "untouched";
	assert_int_equal(rpc_param_string(p, "missing", false, &s, &e), 0);
	assert_string_equal(s, "untouched");

	assert_int_equal(rpc_param_int(p, "vcpus", true, 1, 32, &i, &e), 0);
	assert_int_equal(i, 4);
	assert_int_equal(rpc_param_int(p, "big", true, 1, 32, &i, &e), -ERANGE);
	assert_non_null(strstr(e.message, "between 1 and 32, got 99"));
	assert_int_equal(rpc_param_int(p, "name", true, 1, 32, &i, &e), -EINVAL);

	assert_int_equal(rpc_param_bool(p, "force", true, &b, &e), 0);
	assert_true(b);
	assert_int_equal(rpc_param_bool(p, "name", true, &b, &e), -EINVAL);
	json_decref(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refuses_invalid_json),
		cmocka_unit_test(test_refuses_invalid_utf8),
		cmocka_unit_test(test_refuses_non_objects),
		cmocka_unit_test(test_refuses_missing_or_wrong_jsonrpc),
		cmocka_unit_test(test_refuses_bad_ids_and_shapes),
		cmocka_unit_test(test_refuses_oversized),
		cmocka_unit_test(test_roundtrip_request),
		cmocka_unit_test(test_roundtrip_notification),
		cmocka_unit_test(test_roundtrip_response),
		cmocka_unit_test(test_roundtrip_every_error_code),
		cmocka_unit_test(test_error_null_id),
		cmocka_unit_test(test_unknown_error_code),
		cmocka_unit_test(test_errno_mapping),
		cmocka_unit_test(test_hello),
		cmocka_unit_test(test_params),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

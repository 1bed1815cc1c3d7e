/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* JSON-RPC 2.0 messages: constructors, the one parser both sockets use, and the hello exchange. */
#include <string.h>

#include "protocol/jsonrpc.h"
#include "protocol/ndjson.h"

static int parse_error(struct rpc_error *err, const char *what)
{
	return rpc_error_set(
		err, -EBADMSG, RPC_ERROR_PROTOCOL_ERROR, "Invalid JSON-RPC message: %s", what);
}

static bool id_valid(const json_t *id)
{
	return json_is_string(id) || json_is_integer(id);
}

static int parse_error_object(json_t *e, struct rpc_message *m, struct rpc_error *err)
{
	json_t *msg = json_object_get(e, "message");
	json_t *data = json_object_get(e, "data");
	json_t *code_name;
	enum rpc_error_code code;

	if (!json_is_object(e))
		return parse_error(err, "\"error\" is not an object");
	if (!json_is_integer(json_object_get(e, "code")))
		return parse_error(err, "\"error.code\" is not an integer");
	if (!json_is_string(msg))
		return parse_error(err, "\"error.message\" is not a string");
	if (data && !json_is_object(data))
		return parse_error(err, "\"error.data\" is not an object");
	code_name = data ? json_object_get(data, "code") : NULL;
	if (code_name && !json_is_string(code_name))
		return parse_error(err, "\"error.data.code\" is not a string");

	code = code_name ? rpc_error_code_from_string(json_string_value(code_name))
			 : RPC_ERROR_INTERNAL;
	if (code < 0) {
		m->error.code = RPC_ERROR_INTERNAL;
		snprintf(m->error.message, sizeof(m->error.message),
			"%s (unknown error code \"%s\")", json_string_value(msg),
			json_string_value(code_name));
	} else {
		m->error.code = code;
		snprintf(m->error.message, sizeof(m->error.message), "%s", json_string_value(msg));
	}
	m->error_data = data;
	return 0;
}

int rpc_message_parse(const char *data, size_t len, struct rpc_message *ret, struct rpc_error *err)
{
	struct rpc_message m = {.type = _RPC_MESSAGE_INVALID};
	json_error_t jerr;
	json_t *v, *id, *method, *params, *result, *error;
	int r;

	if (len > NDJSON_MAX_MESSAGE)
		return rpc_error_set(err, -EBADMSG, RPC_ERROR_PROTOCOL_ERROR,
			"Message of %zu bytes exceeds the %u byte limit", len, NDJSON_MAX_MESSAGE);

	m.root = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!m.root)
		return rpc_error_set(err, -EBADMSG, RPC_ERROR_PROTOCOL_ERROR,
			"Failed to parse message: %s (column %d)", jerr.text, jerr.column);
	if (!json_is_object(m.root)) {
		r = parse_error(err, "not a JSON object");
		goto fail;
	}
	v = json_object_get(m.root, "jsonrpc");
	if (!v) {
		r = parse_error(err, "missing \"jsonrpc\" member");
		goto fail;
	}
	if (!json_is_string(v) || !streq(json_string_value(v), "2.0")) {
		r = parse_error(err, "\"jsonrpc\" is not \"2.0\"");
		goto fail;
	}

	id = json_object_get(m.root, "id");
	method = json_object_get(m.root, "method");
	params = json_object_get(m.root, "params");
	result = json_object_get(m.root, "result");
	error = json_object_get(m.root, "error");

	if (method) {
		if (!json_is_string(method) || json_string_length(method) == 0) {
			r = parse_error(err, "\"method\" is not a non-empty string");
			goto fail;
		}
		if (result || error) {
			r = parse_error(err, "a request cannot carry \"result\" or \"error\"");
			goto fail;
		}
		if (params && !json_is_object(params) && !json_is_array(params)) {
			r = parse_error(err, "\"params\" is neither an object nor an array");
			goto fail;
		}
		if (id && !id_valid(id)) {
			r = parse_error(err, "\"id\" is neither a string nor an integer");
			goto fail;
		}
		m.type = id ? RPC_MESSAGE_REQUEST : RPC_MESSAGE_NOTIFICATION;
		m.id = id;
		m.method = json_string_value(method);
		m.params = params;
	} else if (result || error) {
		if (result && error) {
			r = parse_error(
				err, "a response cannot carry both \"result\" and \"error\"");
			goto fail;
		}
		if (!id) {
			r = parse_error(err, "missing \"id\" member");
			goto fail;
		}
		if (!id_valid(id) && !(error && json_is_null(id))) {
			r = parse_error(err, "\"id\" is neither a string nor an integer");
			goto fail;
		}
		m.id = id;
		if (result) {
			m.type = RPC_MESSAGE_RESPONSE;
			m.result = result;
		} else {
			r = parse_error_object(error, &m, err);
			if (r < 0)
				goto fail;
			m.type = RPC_MESSAGE_ERROR;
		}
	} else {
		r = parse_error(err, id ? "missing \"method\", \"result\" or \"error\""
					: "missing \"id\" and \"method\"");
		goto fail;
	}

	*ret = m;
	return 0;
fail:
	json_decref(m.root);
	return r;
}

void rpc_message_done(struct rpc_message *m)
{
	if (m->root)
		json_decref(m->root);
	*m = (struct rpc_message){.type = _RPC_MESSAGE_INVALID};
}

static json_t *message_new(void)
{
	json_t *o = json_object();
	if (o && json_object_set_new(o, "jsonrpc", json_string("2.0")) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *rpc_request_new(json_t *id, const char *method, json_t *params)
{
	json_t *o = message_new();

	if (!o || !id || json_object_set(o, "id", id) < 0 ||
		json_object_set_new(o, "method", json_string(method)) < 0 ||
		(params && json_object_set_new(o, "params", TAKE_PTR(params)) < 0))
		goto fail;
	return o;
fail:
	json_decref(params);
	json_decref(o);
	return NULL;
}

json_t *rpc_notification_new(const char *method, json_t *params)
{
	json_t *o = message_new();

	if (!o || json_object_set_new(o, "method", json_string(method)) < 0 ||
		(params && json_object_set_new(o, "params", TAKE_PTR(params)) < 0))
		goto fail;
	return o;
fail:
	json_decref(params);
	json_decref(o);
	return NULL;
}

json_t *rpc_response_new(json_t *id, json_t *result)
{
	json_t *o = message_new();

	if (!result)
		result = json_null();
	if (!o || !id || json_object_set(o, "id", id) < 0 ||
		json_object_set_new(o, "result", TAKE_PTR(result)) < 0)
		goto fail;
	return o;
fail:
	json_decref(result);
	json_decref(o);
	return NULL;
}

json_t *rpc_error_response_new(json_t *id, const struct rpc_error *e, json_t *data)
{
	json_t *o = message_new(), *eo = json_object();
	const char *name = rpc_error_code_to_string(e->code);

	if (!data)
		data = json_object();
	if (!o || !eo || !data || !json_is_object(data))
		goto fail;
	if (json_object_set_new(data, "code", json_string(name ? name : "internal")) < 0 ||
		json_object_set_new(eo, "code", json_integer(rpc_error_code_to_jsonrpc(e->code))) <
			0 ||
		json_object_set_new(eo, "message", json_string(e->message)) < 0 ||
		json_object_set_new(eo, "data", TAKE_PTR(data)) < 0)
		goto fail;
	if (json_object_set(o, "id", id ? id : json_null()) < 0 ||
		json_object_set_new(o, "error", TAKE_PTR(eo)) < 0)
		goto fail;
	return o;
fail:
	json_decref(data);
	json_decref(eo);
	json_decref(o);
	return NULL;
}

int rpc_message_serialize(const json_t *msg, char **ret_data, size_t *ret_len)
{
	size_t n = json_dumpb(msg, NULL, 0, JSON_COMPACT);
	char *buf;

	if (n == 0)
		return -EINVAL;
	if (n > NDJSON_MAX_MESSAGE)
		return -EMSGSIZE;
	buf = malloc(n + 2);
	if (!buf)
		return -ENOMEM;
	if (json_dumpb(msg, buf, n, JSON_COMPACT) != n) {
		free(buf);
		return -EIO;
	}
	buf[n] = '\n';
	buf[n + 1] = '\0';
	*ret_data = buf;
	if (ret_len)
		*ret_len = n + 1;
	return 0;
}

json_t *rpc_hello_new(const char *program, const char *version)
{
	return json_pack("{s:i, s:s, s:s}", "protocol", RPC_PROTOCOL_VERSION, "program", program,
		"version", version);
}

int rpc_protocol_check(json_int_t peer, struct rpc_error *err)
{
	if (peer != RPC_PROTOCOL_VERSION)
		return rpc_error_set(err, -EPROTONOSUPPORT, RPC_ERROR_PROTOCOL_ERROR,
			"Peer speaks protocol version %" JSON_INTEGER_FORMAT
			", this program speaks %d",
			peer, RPC_PROTOCOL_VERSION);
	return 0;
}

int rpc_hello_check(const json_t *hello, struct rpc_error *err)
{
	json_t *p = json_is_object(hello) ? json_object_get(hello, "protocol") : NULL;

	if (!json_is_integer(p))
		return rpc_error_set(err, -EPROTONOSUPPORT, RPC_ERROR_PROTOCOL_ERROR,
			"Peer's hello carries no protocol version");
	return rpc_protocol_check(json_integer_value(p), err);
}

static int param_get(
	const json_t *params, const char *key, bool required, json_t **ret, struct rpc_error *err)
{
	json_t *v = json_is_object(params) ? json_object_get(params, key) : NULL;

	if (!v || json_is_null(v)) {
		if (required)
			return rpc_error_set(err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT,
				"Missing required parameter \"%s\"", key);
		*ret = NULL;
		return 0;
	}
	*ret = v;
	return 1;
}

int rpc_param_string(const json_t *params, const char *key, bool required, const char **ret,
	struct rpc_error *err)
{
	json_t *v = NULL;
	int r = param_get(params, key, required, &v, err);

	if (r <= 0)
		return r;
	if (!json_is_string(v))
		return rpc_error_set(err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT,
			"Parameter \"%s\" must be a string", key);
	*ret = json_string_value(v);
	return 0;
}

int rpc_param_int(const json_t *params, const char *key, bool required, json_int_t min,
	json_int_t max, json_int_t *ret, struct rpc_error *err)
{
	json_t *v = NULL;
	int r = param_get(params, key, required, &v, err);

	if (r <= 0)
		return r;
	if (!json_is_integer(v))
		return rpc_error_set(err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT,
			"Parameter \"%s\" must be an integer", key);
	if (json_integer_value(v) < min || json_integer_value(v) > max)
		return rpc_error_set(err, -ERANGE, RPC_ERROR_INVALID_ARGUMENT,
			"Parameter \"%s\" must be between %" JSON_INTEGER_FORMAT
			" and %" JSON_INTEGER_FORMAT ", got %" JSON_INTEGER_FORMAT,
			key, min, max, json_integer_value(v));
	*ret = json_integer_value(v);
	return 0;
}

int rpc_param_bool(
	const json_t *params, const char *key, bool required, bool *ret, struct rpc_error *err)
{
	json_t *v = NULL;
	int r = param_get(params, key, required, &v, err);

	if (r <= 0)
		return r;
	if (!json_is_boolean(v))
		return rpc_error_set(err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT,
			"Parameter \"%s\" must be true or false", key);
	*ret = json_is_true(v);
	return 0;
}

int rpc_params_check_keys(const json_t *params, const char *const *allowed, struct rpc_error *err)
{
	const char *key;
	json_t *v = NULL;

	if (!params)
		return 0;
	if (!json_is_object(params))
		return rpc_error_set(err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT,
			"Parameters must be a JSON object");
	json_object_foreach((json_t *)params, key, v)
	{
		bool ok = false;
		for (size_t i = 0; allowed && allowed[i]; i++)
			if (streq(allowed[i], key)) {
				ok = true;
				break;
			}
		if (!ok)
			return rpc_error_set(err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT,
				"Unknown parameter \"%s\"", key);
	}
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Turns one parsed JSON-RPC message into a helper request: op lookup, schema, fields, fds. */
#include <string.h>

#include "common/macro.h"
#include "helper/request.h"
#include "helper/validate.h"

static int check_field(const struct helper_field *f, json_t *v, struct rpc_error *err)
{
	switch (f->type) {
	case HELPER_FIELD_STRING:
		if (!json_is_string(v))
			return rpc_error_set(err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT,
				"Parameter \"%s\" must be a string", f->name);
		break;
	case HELPER_FIELD_INT:
		if (!json_is_integer(v))
			return rpc_error_set(err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT,
				"Parameter \"%s\" must be an integer", f->name);
		if (json_integer_value(v) < f->min || json_integer_value(v) > f->max)
			return rpc_error_set(err, -ERANGE, RPC_ERROR_INVALID_ARGUMENT,
				"Parameter \"%s\" must be between %lld and %lld", f->name,
				(long long)f->min, (long long)f->max);
		break;
	case HELPER_FIELD_BOOL:
		if (!json_is_boolean(v))
			return rpc_error_set(err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT,
				"Parameter \"%s\" must be true or false", f->name);
		break;
	case HELPER_FIELD_ARRAY:
		if (!json_is_array(v))
			return rpc_error_set(err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT,
				"Parameter \"%s\" must be an array", f->name);
		break;
	case _HELPER_FIELD_TYPE_MAX:
	case _HELPER_FIELD_TYPE_INVALID:
		return rpc_error_set(
			err, -EINVAL, RPC_ERROR_INTERNAL, "Bad schema for \"%s\"", f->name);
	}
	return f->check ? f->check(v, f->name, err) : 0;
}

static const struct helper_field *field_find(const struct helper_field *fields, const char *key)
{
	for (const struct helper_field *f = fields; f->name; f++)
		if (streq(f->name, key))
			return f;
	return NULL;
}

int helper_request_decode(
	const struct rpc_message *msg, struct helper_request *ret, struct rpc_error *err)
{
	struct helper_request req = {};
	const struct helper_op *op;
	const char *key;
	json_t *v;
	int r;

	for (size_t i = 0; i < HELPER_MAX_FDS; i++)
		req.fds[i] = -1;

	if (msg->type != RPC_MESSAGE_REQUEST)
		return rpc_error_set(err, -EBADMSG, RPC_ERROR_PROTOCOL_ERROR,
			"Only requests (with an id) are accepted on the helper socket");
	op = helper_op_find(msg->method);
	if (!op)
		return rpc_error_set(err, -EOPNOTSUPP, RPC_ERROR_INVALID_ARGUMENT,
			"Unknown op \"%.64s\"", msg->method);
	req.op = op;

	if (msg->params && !json_is_object(msg->params))
		return rpc_error_set(err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT,
			"Parameters of %s must be a JSON object", op->name);
	req.params = msg->params;

	if (req.params)
		json_object_foreach(req.params, key, v)
		{
			const struct helper_field *f = field_find(op->fields, key);
			if (!f || strlen(key) != strlen(f->name))
				return rpc_error_set(err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT,
					"Unknown parameter \"%.64s\" for %s", key, op->name);
			r = check_field(f, v, err);
			if (r < 0)
				return r;
		}
	for (const struct helper_field *f = op->fields; f->name; f++)
		if (f->required && !(req.params && json_object_get(req.params, f->name)))
			return rpc_error_set(err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT,
				"Missing parameter \"%s\" for %s", f->name, op->name);

	if (op->needs_vm_id) {
		v = req.params ? json_object_get(req.params, "vm_id") : NULL;
		if (!json_is_string(v))
			return rpc_error_set(err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT,
				"Missing parameter \"vm_id\" for %s", op->name);
		req.vm_id = json_string_value(v);
	}

	v = req.params ? json_object_get(req.params, "fds") : NULL;
	if (v) {
		size_t i;
		json_t *e;
		json_array_foreach(v, i, e) req.fd_names[req.n_fds++] = json_string_value(e);
	}

	if (op->validate) {
		r = op->validate(&req, err);
		if (r < 0)
			return r;
	}
	*ret = req;
	return 0;
}

int helper_request_decode_line(const char *line, size_t len, struct rpc_error *err)
{
	struct rpc_message msg = {};
	struct helper_request req;
	int r;

	r = rpc_message_parse(line, len, &msg, err);
	if (r < 0)
		return r;
	r = helper_request_decode(&msg, &req, err);
	rpc_message_done(&msg);
	return r;
}

void helper_request_close_fds(struct helper_request *req)
{
	for (size_t i = 0; i < HELPER_MAX_FDS; i++)
		req->fds[i] = safe_close(req->fds[i]);
}

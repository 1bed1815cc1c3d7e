/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Dispatch (generated from protocol/methods.def) and deferred answers. */
#include <stdlib.h>

#include "common/log.h"
#include "common/macro.h"
#include "daemon/rpc.h"
#include "daemon/server.h"

/* Calls a handler with what methods.def says it takes: its struct, or the checked JSON. */
typedef int (*rpc_invoke_t)(struct rpc_call *call, json_t *params, const union rpc_args *args,
	json_t **ret_result, struct rpc_error *err);

#define METHOD(id, wire, fn, ...)                                                                  \
	static int invoke_##fn(struct rpc_call *call, json_t *params, const union rpc_args *args,  \
		json_t **ret_result, struct rpc_error *err)                                        \
	{                                                                                          \
		return fn(call, &args->fn, ret_result, err);                                       \
	}
#define METHOD_JSON(id, wire, fn, ...)                                                             \
	static int invoke_##fn(struct rpc_call *call, json_t *params, const union rpc_args *args,  \
		json_t **ret_result, struct rpc_error *err)                                        \
	{                                                                                          \
		return fn(call, params, ret_result, err);                                          \
	}
#define UNAVAILABLE(...)
#include "protocol/methods.def"
#undef METHOD
#undef METHOD_JSON
#undef UNAVAILABLE

static const rpc_invoke_t handlers[_RPC_METHOD_MAX] = {
#define METHOD(id, wire, fn, ...) [RPC_METHOD_##id] = invoke_##fn,
#define METHOD_JSON METHOD
#define UNAVAILABLE(...)
#include "protocol/methods.def"
#undef METHOD
#undef METHOD_JSON
#undef UNAVAILABLE
};

bool rpc_method_available(enum rpc_method m)
{
	return m >= 0 && m < _RPC_METHOD_MAX && handlers[m];
}

void rpc_dispatch(struct rpc_call *call, json_t *params)
{
	enum rpc_method m = rpc_method_from_string(call->method);
	const struct rpc_method_info *info = rpc_method_info(m);
	struct rpc_error err = {};
	union rpc_args args;
	json_t *result = NULL;
	int r;

	if (!info) {
		rpc_error_set(&err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT, "Unknown method \"%s\"",
			call->method);
		conn_reply_error(call->conn, call->id, &err);
		return;
	}
	if (!handlers[m]) {
		rpc_error_set(&err, -EOPNOTSUPP, RPC_ERROR_UNAVAILABLE, "%s is not available: %s",
			info->name, info->unavailable ?: "not in this version");
		conn_reply_error(call->conn, call->id, &err);
		return;
	}
	r = rpc_args_decode(m, params, &args, &err);
	if (r >= 0)
		r = handlers[m](call, params, &args, &result, &err);
	if (r == RPC_REPLY_LATER)
		return;
	if (r < 0) {
		if (err.message[0] == '\0')
			rpc_error_set(&err, r, rpc_error_code_from_errno(r), "%s failed: %s",
				info->name, strerror(-r));
		log_debug("%s: %s", info->name, err.message);
		conn_reply_error(call->conn, call->id, &err);
		return;
	}
	conn_reply(call->conn, call->id, result ? result : json_object());
}

struct rpc_call *rpc_call_defer(const struct rpc_call *call)
{
	struct rpc_call *c = malloc(sizeof(*c));

	if (!c)
		return NULL;
	*c = *call;
	/* the request's own strings go with its message; the table's live forever */
	c->method = rpc_method_to_string(rpc_method_from_string(call->method)) ?: "";
	c->conn = conn_ref(call->conn);
	c->id = json_incref(call->id);
	return c;
}

static void rpc_call_free(struct rpc_call *c)
{
	conn_unref(c->conn);
	json_decref(c->id);
	free(c);
}

void rpc_call_reply(struct rpc_call *call, json_t *result)
{
	conn_reply(call->conn, call->id, result);
	rpc_call_free(call);
}

void rpc_call_fail(struct rpc_call *call, const struct rpc_error *err)
{
	conn_reply_error(call->conn, call->id, err);
	rpc_call_free(call);
}

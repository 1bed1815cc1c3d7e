/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The method table (from methods.def), dispatch, and deferred answers. */
#include <stdlib.h>

#include "common/log.h"
#include "common/macro.h"
#include "daemon/rpc.h"
#include "daemon/server.h"

const struct rpc_method rpc_methods[] = {
#define METHOD(n, fn) {.name = n, .handler = fn},
#define UNAVAILABLE(n, why) {.name = n, .unavailable = why},
#include "daemon/methods.def"
#undef METHOD
#undef UNAVAILABLE
};

const size_t rpc_n_methods = ELEMENTSOF(rpc_methods);

const struct rpc_method *rpc_method_find(const char *name)
{
	for (size_t i = 0; i < rpc_n_methods; i++)
		if (streq(rpc_methods[i].name, name))
			return &rpc_methods[i];
	return NULL;
}

void rpc_dispatch(struct rpc_call *call, json_t *params)
{
	const struct rpc_method *m = rpc_method_find(call->method);
	struct rpc_error err = {};
	json_t *result = NULL;
	int r;

	if (!m) {
		rpc_error_set(&err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT, "Unknown method \"%s\"",
		        call->method);
		conn_reply_error(call->conn, call->id, &err);
		return;
	}
	if (!m->handler) {
		rpc_error_set(&err, -EOPNOTSUPP, RPC_ERROR_UNAVAILABLE, "%s is not available: %s",
		        m->name, m->unavailable);
		conn_reply_error(call->conn, call->id, &err);
		return;
	}
	if (params && !json_is_object(params)) {
		rpc_error_set(&err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT,
		        "Parameters of %s must be a JSON object", m->name);
		conn_reply_error(call->conn, call->id, &err);
		return;
	}
	r = m->handler(call, params, &result, &err);
	if (r == RPC_REPLY_LATER)
		return;
	if (r < 0) {
		if (err.message[0] == '\0')
			rpc_error_set(&err, r, rpc_error_code_from_errno(r), "%s failed: %s",
			        m->name, strerror(-r));
		log_debug("%s: %s", m->name, err.message);
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
	c->method = rpc_method_find(call->method) ? rpc_method_find(call->method)->name : "";
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

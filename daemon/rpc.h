/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a bangerd.sock handler receives and returns; the handlers themselves are declared by
 * protocol/methods.def. */
#pragma once

#include <jansson.h>

#include "protocol/error.h"
#include "protocol/methods.h"

struct daemon;
struct conn;

/* A request being answered. A handler that finishes later copies it with rpc_call_defer(). */
struct rpc_call {
	struct daemon *d;
	struct conn *conn;
	json_t *id;
	const char *method;
};

/* A handler's "I will answer later" return value. */
#define RPC_REPLY_LATER 1

/* Runs one request: checks its params against the method's schema (protocol/methods.def), then
 * runs the handler, answering on call->conn now or (RPC_REPLY_LATER) later. */
void rpc_dispatch(struct rpc_call *call, json_t *params);

/* Whether m has a handler in this daemon (system.status lists the others as unavailable). */
bool rpc_method_available(enum rpc_method m);

/* A heap copy holding references to the connection and id. */
struct rpc_call *rpc_call_defer(const struct rpc_call *call);
/* Answer (result stolen) or fail a deferred call, then free it. */
void rpc_call_reply(struct rpc_call *call, json_t *result);
void rpc_call_fail(struct rpc_call *call, const struct rpc_error *err);

/* The handlers, one per methods.def row. Each returns 0 with *ret_result (a new reference),
 * RPC_REPLY_LATER, or -errno with err filled; args are the request's params, checked. */
#define METHOD(id, wire, fn, ...)                                                                  \
	int fn(struct rpc_call *call, const struct fn##_args *args, json_t **ret_result,           \
		struct rpc_error *err);
#define METHOD_JSON(id, wire, fn, ...)                                                             \
	int fn(struct rpc_call *call, json_t *params, json_t **ret_result, struct rpc_error *err);
#define UNAVAILABLE(...)
#include "protocol/methods.def"
#undef METHOD
#undef METHOD_JSON
#undef UNAVAILABLE

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The method table (from methods.def) and what a handler receives and returns. */
#pragma once

#include <jansson.h>

#include "protocol/error.h"

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

/* Returns 0 with *ret_result (a new reference), RPC_REPLY_LATER, or -errno with err filled. */
typedef int (*rpc_handler_t)(
        struct rpc_call *call, json_t *params, json_t **ret_result, struct rpc_error *err);

struct rpc_method {
	const char *name;
	rpc_handler_t handler;   /* NULL for methods not available yet */
	const char *unavailable; /* what is missing, for those */
};

extern const struct rpc_method rpc_methods[];
extern const size_t rpc_n_methods;
const struct rpc_method *rpc_method_find(const char *name);

/* Runs one request, answering on call->conn now or (RPC_REPLY_LATER) later. */
void rpc_dispatch(struct rpc_call *call, json_t *params);

/* A heap copy holding references to the connection and id. */
struct rpc_call *rpc_call_defer(const struct rpc_call *call);
/* Answer (result stolen) or fail a deferred call, then free it. */
void rpc_call_reply(struct rpc_call *call, json_t *result);
void rpc_call_fail(struct rpc_call *call, const struct rpc_error *err);

#define METHOD(name, fn)                                                                           \
	int fn(struct rpc_call *call, json_t *params, json_t **ret_result, struct rpc_error *err);
#define UNAVAILABLE(name, why)
#include "daemon/methods.def"
#undef METHOD
#undef UNAVAILABLE

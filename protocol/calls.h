/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A JSON-RPC client's outstanding requests: id allocation, the pending table, and sorting what
 * the peer sends into notifications, answers to a request of ours, and answers to none. The
 * blocking client (protocol/client.c), the TUI's connection (tui/conn.c) and the daemon's helper
 * client (daemon/helper-client.c) all match answers here; each keeps its own per-call data behind
 * userdata, and its own transport. */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "protocol/error.h"
#include "protocol/jsonrpc.h"

struct rpc_call {
	json_int_t id;
	void *userdata; /* the client's, never NULL; the table never frees it */
};

struct rpc_calls {
	json_int_t next_id;
	struct rpc_call *calls; /* outstanding, oldest first */
	size_t n_calls;
	size_t n_allocated;
	size_t max_calls;
};

/* What one message from the peer is, for a client. */
enum rpc_incoming {
	RPC_INCOMING_NOTIFICATION, /* an event: no request involved */
	RPC_INCOMING_REPLY,        /* the result or error answering an outstanding request */
	RPC_INCOMING_STRAY,        /* an answer to no outstanding request: one given up on (timed
				    * out, cancelled), or an id never sent */
	RPC_INCOMING_UNREADABLE,   /* an error with a null id: the peer could not read a request */
	RPC_INCOMING_REQUEST,      /* the peer called us; clients serve nothing */
	_RPC_INCOMING_MAX,
	_RPC_INCOMING_INVALID = -EINVAL,
};

/* max_calls bounds the outstanding requests (a peer that never answers cannot make the table
 * grow without bound). Ids start at 1 and are never reused within one table. */
void rpc_calls_init(struct rpc_calls *t, size_t max_calls);
/* Frees the table, not the userdata: callers fail or free their calls first (rpc_calls_pop). */
void rpc_calls_done(struct rpc_calls *t);

/* Builds the request for method with the next id (params stolen, NULL omits them), serialises it
 * (a '\n'-terminated line) and records userdata (not NULL) under that id. -EBUSY with max_calls
 * outstanding, -EMSGSIZE when the request is over NDJSON_MAX_MESSAGE, -ENOMEM; nothing is recorded
 * on failure. A request that then cannot be sent is withdrawn with rpc_calls_take. */
int rpc_calls_add(struct rpc_calls *t, const char *method, json_t *params, void *userdata,
	char **ret_line, size_t *ret_len, json_int_t *ret_id);

/* Sorts one parsed message. RPC_INCOMING_REPLY: *ret_call is the request it answers, now removed
 * from the table. RPC_INCOMING_STRAY and RPC_INCOMING_UNREADABLE fill err (when not NULL): which
 * id was unknown, or the peer's own code and message. */
enum rpc_incoming rpc_calls_match(struct rpc_calls *t, const struct rpc_message *m,
	struct rpc_call *ret_call, struct rpc_error *err);

/* Removes the request with this id (given up on by its caller): its userdata, or NULL when it is
 * not outstanding. An answer that comes later is RPC_INCOMING_STRAY. */
void *rpc_calls_take(struct rpc_calls *t, json_int_t id);
/* Removes the newest outstanding request: its userdata, or NULL when none is left. For failing
 * every call when the connection is lost. */
void *rpc_calls_pop(struct rpc_calls *t);

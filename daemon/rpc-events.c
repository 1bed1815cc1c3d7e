/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* events.subscribe: turns the connection into an event stream (replay or snapshot first). */
#include "daemon/rpc.h"
#include "daemon/server.h"

int rpc_events_subscribe(struct rpc_call *call, const struct rpc_events_subscribe_args *args,
	json_t **ret_result, struct rpc_error *err)
{
	/* since_seq is -1 when not given */
	return conn_subscribe(call->conn, args->since_seq, ret_result, err);
}

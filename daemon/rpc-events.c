/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* events.subscribe: turns the connection into an event stream (replay or snapshot first). */
#include <limits.h>

#include "daemon/rpc.h"
#include "daemon/server.h"
#include "protocol/jsonrpc.h"

int rpc_events_subscribe(
        struct rpc_call *call, json_t *params, json_t **ret_result, struct rpc_error *err)
{
	static const char *const keys[] = {"since_seq", NULL};
	json_int_t since = -1;
	int r;

	r = rpc_params_check_keys(params, keys, err);
	r = r ?: rpc_param_int(params, "since_seq", false, 0, LLONG_MAX, &since, err);
	if (r < 0)
		return r;
	return conn_subscribe(call->conn, since, ret_result, err);
}

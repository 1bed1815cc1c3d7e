/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hello: the protocol version check a client may open with. */
#include "daemon/rpc.h"
#include "protocol/jsonrpc.h"

int rpc_hello(struct rpc_call *call, const struct rpc_hello_args *args, json_t **ret_result,
	struct rpc_error *err)
{
	int r;

	r = rpc_protocol_check(args->protocol, err);
	if (r < 0)
		return r;
	*ret_result = rpc_hello_new("bangerd", PACKAGE_VERSION);
	return *ret_result ? 0 : -ENOMEM;
}

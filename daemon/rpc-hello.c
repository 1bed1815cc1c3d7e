/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hello: the protocol version check a client may open with. */
#include "daemon/rpc.h"
#include "protocol/jsonrpc.h"

int rpc_hello(struct rpc_call *call, json_t *params, json_t **ret_result, struct rpc_error *err)
{
	static const char *const keys[] = {"protocol", "program", "version", NULL};
	int r;

	r = rpc_params_check_keys(params, keys, err);
	if (r < 0)
		return r;
	r = rpc_hello_check(params, err);
	if (r < 0)
		return r;
	*ret_result = rpc_hello_new("bangerd", PACKAGE_VERSION);
	return *ret_result ? 0 : -ENOMEM;
}

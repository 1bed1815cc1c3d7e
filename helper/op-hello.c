/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hello: protocol version exchange.
 * Security: reads nothing but the caller's declared protocol number; changes nothing. */
#include "common/macro.h"
#include "helper/helper.h"
#include "helper/ops.h"
#include "helper/validate.h"
#include "protocol/jsonrpc.h"

int op_hello_validate(const struct helper_request *req, struct rpc_error *err)
{
	return rpc_hello_check(req->params, err) < 0 ? -EPROTONOSUPPORT : 0;
}

int op_hello_run(_unused_ const struct helper_ctx *ctx, _unused_ const struct helper_request *req,
	json_t **ret_result, _unused_ struct rpc_error *err)
{
	json_t *o = rpc_hello_new("bangerd-root", PACKAGE_VERSION);
	if (!o)
		return -ENOMEM;
	*ret_result = o;
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Declarations of every op's schema, validator and handler, generated from ops.def. */
#pragma once

#include "helper/helper.h"

#define HELPER_OP(c, wire, vm, ser)                                                                \
	extern const struct helper_field op_##c##_fields[];                                        \
	int op_##c##_validate(const struct helper_request *req, struct rpc_error *err);            \
	int op_##c##_run(const struct helper_ctx *ctx, const struct helper_request *req,           \
	        json_t **ret_result, struct rpc_error *err);
#include "helper/ops.def"
#undef HELPER_OP

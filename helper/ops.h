/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Declarations of every op's handler and (where it has one) cross-field validator, generated from
 * protocol/helper-ops.def; op-*.c define them. */
#pragma once

#include <stdio.h>

#include "helper/helper.h"

#define HELPER_VALIDATE_DECL_VALIDATE(c)                                                           \
	int op_##c##_validate(const struct helper_request *req, struct rpc_error *err);
#define HELPER_VALIDATE_DECL_NO_VALIDATE(c)
#define HELPER_OP(c, wire, vm, ser, val, fds, result)                                              \
	HELPER_VALIDATE_DECL_##val(c) int op_##c##_run(const struct helper_ctx *ctx,               \
		const struct helper_request *req, json_t **ret_result, struct rpc_error *err);
#define HELPER_FIELD(c, f, type, req, min, max, check, doc)
#define HELPER_END(c)
#include "protocol/helper-ops.def"
#undef HELPER_OP
#undef HELPER_FIELD
#undef HELPER_END

/* `bangerd-root --print-ops`: the op table of helper/README.md, one Markdown row per op. */
void helper_ops_print(FILE *f);

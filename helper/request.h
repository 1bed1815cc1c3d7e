/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Turns one parsed JSON-RPC message into a helper request: op lookup, schema, fields, fds. */
#pragma once

#include "helper/helper.h"
#include "protocol/jsonrpc.h"

/* Decodes and validates msg without side effects (this is what the fuzzer drives). Unknown ops,
 * unknown fields, wrong types, bad values and an fd list over the cap are refused with err set.
 * ret borrows from msg; ret->fds are all -1 (the server fills them). */
int helper_request_decode(
	const struct rpc_message *msg, struct helper_request *ret, struct rpc_error *err);

/* The whole pipeline on one raw line: parse, decode. For the fuzzer and unit tests. */
int helper_request_decode_line(const char *line, size_t len, struct rpc_error *err);

/* Closes the descriptors a request carried. */
void helper_request_close_fds(struct helper_request *req);

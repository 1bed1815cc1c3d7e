/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The error codes both sockets speak, with their stable string names, and the error a person reads.
 */
#pragma once

#include <errno.h>
#include <stdarg.h>

#include "common/macro.h"

enum rpc_error_code {
	RPC_ERROR_INVALID_ARGUMENT,
	RPC_ERROR_NOT_FOUND,
	RPC_ERROR_CONFLICT,
	RPC_ERROR_PERMISSION_DENIED,
	RPC_ERROR_UNAVAILABLE,
	RPC_ERROR_TIMEOUT,
	RPC_ERROR_INTERNAL,
	RPC_ERROR_PROTOCOL_ERROR,
	_RPC_ERROR_MAX,
	_RPC_ERROR_INVALID = -EINVAL,
};

#define RPC_ERROR_MESSAGE_MAX 1024

/* Filled where a failure is understood, sent unchanged as the JSON-RPC error. */
struct rpc_error {
	enum rpc_error_code code;
	char message[RPC_ERROR_MESSAGE_MAX];
};

const char *rpc_error_code_to_string(enum rpc_error_code code);
/* _RPC_ERROR_INVALID for names this version does not know. */
enum rpc_error_code rpc_error_code_from_string(const char *s);

/* The JSON-RPC 2.0 integer code carried next to the string code (-32700…-32000). */
int rpc_error_code_to_jsonrpc(enum rpc_error_code code);

/* Sets *e (when e is not NULL) and returns ret, so callers can write
 * `return rpc_error_set(e, -EINVAL, RPC_ERROR_INVALID_ARGUMENT, "Bad name \"%s\"", n);` */
int rpc_error_set(struct rpc_error *e, int ret, enum rpc_error_code code, const char *fmt, ...)
	_printf_(4, 5);
int rpc_error_setv(struct rpc_error *e, int ret, enum rpc_error_code code, const char *fmt,
	va_list ap) _printf_(4, 0);

/* Maps a -errno to the closest code (used when nothing more specific is known). */
enum rpc_error_code rpc_error_code_from_errno(int r);

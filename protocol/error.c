/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The error codes both sockets speak, with their stable string names, and the error a person reads.
 */
#include <stdio.h>
#include <string.h>

#include "protocol/error.h"

static const char *const error_names[_RPC_ERROR_MAX] = {
	[RPC_ERROR_INVALID_ARGUMENT] = "invalid_argument",
	[RPC_ERROR_NOT_FOUND] = "not_found",
	[RPC_ERROR_CONFLICT] = "conflict",
	[RPC_ERROR_PERMISSION_DENIED] = "permission_denied",
	[RPC_ERROR_UNAVAILABLE] = "unavailable",
	[RPC_ERROR_TIMEOUT] = "timeout",
	[RPC_ERROR_INTERNAL] = "internal",
	[RPC_ERROR_PROTOCOL_ERROR] = "protocol_error",
};

const char *rpc_error_code_to_string(enum rpc_error_code code)
{
	if (code < 0 || code >= _RPC_ERROR_MAX)
		return NULL;
	return error_names[code];
}

enum rpc_error_code rpc_error_code_from_string(const char *s)
{
	if (!s)
		return _RPC_ERROR_INVALID;
	for (int i = 0; i < _RPC_ERROR_MAX; i++)
		if (streq(error_names[i], s))
			return (enum rpc_error_code)i;
	return _RPC_ERROR_INVALID;
}

int rpc_error_code_to_jsonrpc(enum rpc_error_code code)
{
	switch (code) {
	case RPC_ERROR_PROTOCOL_ERROR:
		return -32600; /* Invalid Request */
	case RPC_ERROR_INVALID_ARGUMENT:
		return -32602; /* Invalid params */
	case RPC_ERROR_INTERNAL:
		return -32603; /* Internal error */
	case RPC_ERROR_NOT_FOUND:
		return -32001;
	case RPC_ERROR_CONFLICT:
		return -32002;
	case RPC_ERROR_PERMISSION_DENIED:
		return -32003;
	case RPC_ERROR_UNAVAILABLE:
		return -32004;
	case RPC_ERROR_TIMEOUT:
		return -32005;
	case _RPC_ERROR_MAX:
	case _RPC_ERROR_INVALID:
		break;
	}
	return -32603;
}

int rpc_error_setv(
	struct rpc_error *e, int ret, enum rpc_error_code code, const char *fmt, va_list ap)
{
	if (e) {
		e->code = code;
		vsnprintf(e->message, sizeof(e->message), fmt, ap);
	}
	return ret;
}

int rpc_error_set(struct rpc_error *e, int ret, enum rpc_error_code code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rpc_error_setv(e, ret, code, fmt, ap);
	va_end(ap);
	return ret;
}

enum rpc_error_code rpc_error_code_from_errno(int r)
{
	switch (r < 0 ? -r : r) {
	case EINVAL:
	case ERANGE:
	case ENAMETOOLONG:
		return RPC_ERROR_INVALID_ARGUMENT;
	case ENOENT:
	case ESRCH:
	case ENODEV:
		return RPC_ERROR_NOT_FOUND;
	case EEXIST:
	case EBUSY:
	case ENOTEMPTY:
		return RPC_ERROR_CONFLICT;
	case EPERM:
	case EACCES:
		return RPC_ERROR_PERMISSION_DENIED;
	case ECONNREFUSED:
	case EAGAIN:
	case EOPNOTSUPP:
	case ECONNRESET:
	case EPIPE:
		return RPC_ERROR_UNAVAILABLE;
	case ETIMEDOUT:
		return RPC_ERROR_TIMEOUT;
	case EPROTO:
	case EBADMSG:
	case EMSGSIZE:
		return RPC_ERROR_PROTOCOL_ERROR;
	default:
		return RPC_ERROR_INTERNAL;
	}
}

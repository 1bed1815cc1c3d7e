/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* JSON-RPC 2.0 messages: constructors, the one parser both sockets use, and the hello exchange. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "protocol/error.h"

/* Bumped when a change would make an older peer misread us. */
#define RPC_PROTOCOL_VERSION 1

enum rpc_message_type {
	RPC_MESSAGE_REQUEST,
	RPC_MESSAGE_NOTIFICATION,
	RPC_MESSAGE_RESPONSE,
	RPC_MESSAGE_ERROR,
	_RPC_MESSAGE_MAX,
	_RPC_MESSAGE_INVALID = -EINVAL,
};

/* A parsed message. Pointers borrow from root, which the message owns. */
struct rpc_message {
	enum rpc_message_type type;
	json_t *root;
	json_t *id;         /* request and response id; NULL for notifications, json null allowed
			     * only in an error answering something unparseable */
	const char *method; /* requests and notifications */
	json_t *params;     /* object or array, or NULL */
	json_t *result;     /* responses */
	struct rpc_error error; /* RPC_MESSAGE_ERROR */
	json_t *error_data;     /* the error's "data" object, or NULL */
};

/* Parses one line. On failure fills err with RPC_ERROR_PROTOCOL_ERROR and a description, and
 * returns -EBADMSG. Invalid UTF-8, non-objects, a missing or wrong "jsonrpc", a request id that
 * is not a string or integer, params that are neither object nor array, and a response with
 * both or neither of result and error are all refused. An error code this version does not know
 * is kept as RPC_ERROR_INTERNAL, its name preserved in the message. */
int rpc_message_parse(const char *data, size_t len, struct rpc_message *ret, struct rpc_error *err);
void rpc_message_done(struct rpc_message *m);

/* Constructors return a new reference or NULL on allocation failure. params and result are
 * stolen (NULL params omits the member); id is borrowed and copied. */
json_t *rpc_request_new(json_t *id, const char *method, json_t *params);
json_t *rpc_notification_new(const char *method, json_t *params);
json_t *rpc_response_new(json_t *id, json_t *result);
/* id NULL becomes json null (answering an unparseable request). data (stolen, may be NULL)
 * is merged into the error's "data" object beside "code". */
json_t *rpc_error_response_new(json_t *id, const struct rpc_error *e, json_t *data);

/* Compact serialisation with a trailing '\n'. -EMSGSIZE when over NDJSON_MAX_MESSAGE. */
int rpc_message_serialize(const json_t *msg, char **ret_data, size_t *ret_len);

/* hello: {"protocol": N, "program": "...", "version": "..."} in both directions. */
json_t *rpc_hello_new(const char *program, const char *version);
/* Checks a peer's hello params or result: -EPROTONOSUPPORT (with err filled) when its protocol
 * version differs from ours or is missing. */
int rpc_hello_check(const json_t *hello, struct rpc_error *err);
/* The same for a version already read: -EPROTONOSUPPORT unless it is ours. */
int rpc_protocol_check(json_int_t peer, struct rpc_error *err);

/* Strict field helpers for method params. Each fills err (invalid_argument, naming the field)
 * and returns -EINVAL when the member has the wrong type. Absent optional members leave *ret
 * untouched and return 0; absent required ones are refused. */
int rpc_param_string(const json_t *params, const char *key, bool required, const char **ret,
	struct rpc_error *err);
int rpc_param_int(const json_t *params, const char *key, bool required, json_int_t min,
	json_int_t max, json_int_t *ret, struct rpc_error *err);
int rpc_param_bool(
	const json_t *params, const char *key, bool required, bool *ret, struct rpc_error *err);
/* Refuses members not in the NULL-terminated allowed list. NULL params count as {}. */
int rpc_params_check_keys(const json_t *params, const char *const *allowed, struct rpc_error *err);

/* jansson's own json_decrefp (2.14) is the cleanup function for json_t. */
#define _cleanup_json_ _cleanup_(json_decrefp)

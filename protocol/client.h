/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A small blocking JSON-RPC client for the CLI, the TUI and tests: connect, call with a timeout,
 * read notifications. Notifications that arrive during a call are queued for later. */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "protocol/error.h"
#include "protocol/jsonrpc.h"

struct rpc_client;

/* Connects to a unix socket. -ENOENT/-ECONNREFUSED when nobody listens there. */
int rpc_client_connect(const char *path, struct rpc_client **ret);
void rpc_client_free(struct rpc_client *c);
static inline void rpc_client_freep(struct rpc_client **c)
{
	if (*c)
		rpc_client_free(*c);
}
#define _cleanup_rpc_client_ _cleanup_(rpc_client_freep)

/* The socket, for poll() loops: readable means rpc_client_read_notification(c, 0, ...) may
 * make progress. */
int rpc_client_fd(const struct rpc_client *c);

/* Sends a request and waits up to timeout_ms (-1: forever) for its answer.
 * Returns 0 with *ret_result (a new reference, may be NULL when not wanted) on success;
 * -EREMOTEIO when the peer answered with an error (err holds its code and message);
 * -ETIMEDOUT, -ECONNRESET, -EBADMSG… for local failures (err describes them too).
 * params is stolen. fds (may be NULL) are passed with the request (SCM_RIGHTS). */
int rpc_client_call(struct rpc_client *c, const char *method, json_t *params, int timeout_ms,
	json_t **ret_result, struct rpc_error *err);
int rpc_client_call_fds(struct rpc_client *c, const char *method, json_t *params, const int *fds,
	size_t n_fds, int timeout_ms, json_t **ret_result, struct rpc_error *err);

/* hello with our program name and version; checks the peer's protocol version. */
int rpc_client_hello(struct rpc_client *c, const char *program, int timeout_ms, json_t **ret_result,
	struct rpc_error *err);

/* The next notification (queued first, then from the socket). Returns 1 with *ret filled
 * (release with rpc_message_done), 0 when none arrived within timeout_ms, -errno on failure
 * (-ECONNRESET when the peer hung up). */
int rpc_client_read_notification(
	struct rpc_client *c, int timeout_ms, struct rpc_message *ret, struct rpc_error *err);

/* Number of notifications queued while waiting for answers. */
size_t rpc_client_queued(const struct rpc_client *c);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's connection to bangerd-root: asynchronous JSON-RPC calls on the event loop, with
 * descriptors passed alongside (SCM_RIGHTS). The lifecycle's steps build each op's parameters
 * as helper/README.md (and helper/op-*.c) define them. */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "protocol/error.h"

struct helper_client;

/* r == 0: result holds the op's answer (borrowed for the callback's duration). r < 0: err says
 * why (the helper's own message when it refused, else a connection problem). */
typedef void (*helper_done_t)(struct helper_client *h, int r, json_t *result,
	const struct rpc_error *err, void *userdata);

int helper_client_new(sd_event *e, const char *sock_path, struct helper_client **ret);
/* Fails every pending call with "unavailable" (callbacks run) and frees. */
struct helper_client *helper_client_free(struct helper_client *h);

/* Calls op with params (stolen). fd_names/fds (n_fds of each) travel with the request; the
 * caller keeps its descriptors. Connects on first use and again after a lost connection. done
 * runs exactly once, from the event loop, never from inside this call (failures included). */
int helper_client_call(struct helper_client *h, const char *op, json_t *params,
	const char *const *fd_names, const int *fds, size_t n_fds, uint64_t timeout_usec,
	helper_done_t done, void *userdata);

unsigned helper_client_pending(const struct helper_client *h);
/* A connection idle longer than usec is replaced before its next call (default 120 s, half of
 * bangerd-root's idle timeout). */
void helper_client_set_idle_reconnect(struct helper_client *h, uint64_t usec);

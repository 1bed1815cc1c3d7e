/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's calls to bangerd-root: one typed stub per op of protocol/helper-ops.def, the
 * daemon's side of helper/op-*.c by the same names (helper_call_tap_create ↔ op-tap-create.c).
 * A stub builds the op's params from its request struct and sends them, with the request's
 * descriptors, through a port: the daemon's connection (helper-client.c) or a test's fake. */
#pragma once

#include <jansson.h>

#include "daemon/helper-client.h"
#include "protocol/helper-ops.h"

struct helper_port {
	/* Sends op with params (stolen) and the descriptors (the caller keeps its own). Returns
	 * >= 0, and done runs exactly once, from the event loop, never from inside this call; or
	 * -errno, and done never runs. */
	int (*call)(void *data, const char *op, json_t *params, const struct helper_fds *fds,
		helper_done_t done, void *userdata);
	void *data;
};

/* The port of a connection to root.sock (calls without a deadline of their own). */
struct helper_port helper_client_port(struct helper_client *h);

#define HELPER_OP(c, wire, vm, ser, val, fds, result)                                              \
	int helper_call_##c(const struct helper_port *p, const struct helper_req_##c *req,         \
		helper_done_t done, void *userdata);
#define HELPER_FIELD(c, f, type, req, min, max, check, doc)
#define HELPER_END(c)
#include "protocol/helper-ops.def"
#undef HELPER_OP
#undef HELPER_FIELD
#undef HELPER_END

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The typed stubs of daemon/helper-port.h, generated from protocol/helper-ops.def, and the port of
 * a root.sock connection. */
#include <errno.h>

#include "common/macro.h"
#include "daemon/helper-port.h"

static int client_call(void *data, const char *op, json_t *params, const struct helper_fds *fds,
	helper_done_t done, void *userdata)
{
	return helper_client_call(data, op, params, fds ? fds->names : NULL, fds ? fds->fds : NULL,
		fds ? fds->n : 0, 0, done, userdata);
}

struct helper_port helper_client_port(struct helper_client *h)
{
	return (struct helper_port){.call = client_call, .data = h};
}

static int send_op(const struct helper_port *p, const char *op, int r, json_t *params,
	const struct helper_fds *fds, helper_done_t done, void *userdata)
{
	if (r < 0)
		return r;
	return p->call(p->data, op, params, fds, done, userdata);
}

/* Only a FDS field sends descriptors. */
#define HELPER_FDS_STRING(f)
#define HELPER_FDS_INT(f)
#define HELPER_FDS_BOOL(f)
#define HELPER_FDS_STRINGS(f)
#define HELPER_FDS_DRIVES(f)
#define HELPER_FDS_FDS(f) fds = &req->f;

#define HELPER_OP(c, wire, vm, ser, val, fds_doc, result)                                          \
	int helper_call_##c(const struct helper_port *p, const struct helper_req_##c *req,         \
		helper_done_t done, void *userdata)                                                \
	{                                                                                          \
		const struct helper_fds *fds = NULL;                                               \
		json_t *params = NULL;                                                             \
		int r;
#define HELPER_FIELD(c, f, type, req_, min, max, check, doc) HELPER_FDS_##type(f)
#define HELPER_END(c)                                                                              \
	r = helper_req_##c##_params(req, &params);                                                 \
	return send_op(p, helper_op_name_##c, r, params, fds, done, userdata);                     \
	}
#include "protocol/helper-ops.def"
#undef HELPER_OP
#undef HELPER_FIELD
#undef HELPER_END

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Firecracker HTTP API: the route table, phase rules and error shapes (vmm_api_dispatch),
 * served over HTTP/1.1 on a unix socket with libmicrohttpd. */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "vmm/vmm.h"

struct MHD_Daemon;

struct vmm_reply {
	unsigned status;
	json_t *body; /* NULL: no body (204) */
};

/* Answers one request. Always fills ret (status + body); returns <0 only for -ENOMEM. */
int vmm_api_dispatch(struct vmm *v, const char *method, const char *url, const char *data,
	size_t size, struct vmm_reply *ret);

/* Binds and listens on a unix socket at path; fails if path exists, as Firecracker does. */
int vmm_api_listen(const char *path, int *ret_fd);

/* Serves v's API on listen_fd (taken over). Drive it with vmm_api_fd() + vmm_api_run(). */
int vmm_api_start(struct vmm *v, int listen_fd, struct MHD_Daemon **ret);
int vmm_api_fd(struct MHD_Daemon *d);
/* Milliseconds until vmm_api_run() must be called anyway, or -1. */
int vmm_api_timeout_ms(struct MHD_Daemon *d);
void vmm_api_run(struct MHD_Daemon *d);
void vmm_api_stop(struct MHD_Daemon *d);

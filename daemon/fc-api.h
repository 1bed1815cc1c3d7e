/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Firecracker API client: HTTP/1.1 over a VM's unix socket through libcurl's multi interface,
 * driven by sd-event so a slow or dead VMM never stalls the daemon. */
#pragma once

#include <jansson.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "protocol/error.h"

struct fc_api;

/* What a finished request produced. r < 0: transport failure (no answer; err says why).
 * r == 0: the VMM answered; status is the HTTP status, body the parsed JSON body (NULL for 204 or
 * an empty body). On a status >= 300 err also holds the VMM's fault message (both the
 * {"fault_message"} and the {"error"} shapes are understood). */
struct fc_api_result {
	int r;
	long status;
	json_t *body;
	struct rpc_error err;
	uint64_t usec; /* time from submission to completion */
};

typedef void (*fc_api_done_t)(struct fc_api *api, const struct fc_api_result *res, void *userdata);

/* One client per event loop; requests to any number of VM sockets share it. */
int fc_api_new(sd_event *event, struct fc_api **ret);
struct fc_api *fc_api_free(struct fc_api *api);
static inline void fc_api_freep(struct fc_api **a)
{
	if (*a)
		fc_api_free(*a);
}

/* Queues a request to the VMM listening on sock_path. method: "GET", "PUT", "PATCH". body
 * (borrowed, may be NULL) is sent as JSON. done is called exactly once, from the event loop,
 * unless fc_api_cancel() is called first. Returns a request id > 0, or -errno. */
int64_t fc_api_request(struct fc_api *api, const char *sock_path, const char *method,
	const char *path, const json_t *body, uint64_t timeout_usec, fc_api_done_t done,
	void *userdata);

/* Forgets a queued request: its callback will not run. Returns -ENOENT for unknown ids. */
int fc_api_cancel(struct fc_api *api, int64_t id);

/* Number of requests in flight. */
unsigned fc_api_in_flight(const struct fc_api *api);

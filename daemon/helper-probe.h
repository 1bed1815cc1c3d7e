/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Is bangerd-root there? An asynchronous hello on a connection of the probe's own, for
 * system.status: asking never waits on the event loop, so a stopped or busy helper delays only
 * the status answers that asked about it, never another client. A helper that answered less
 * than HELPER_PROBE_FRESH_USEC ago is taken as there; callers arriving while a hello is out
 * share it. */
#pragma once

#include <jansson.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#define HELPER_PROBE_TIMEOUT_USEC (500u * 1000u)
#define HELPER_PROBE_FRESH_USEC (1000u * 1000u)

struct helper_probe;

/* helper: {"socket": path, "reachable": bool, "program"/"version": from its hello or null,
 * "error": why not, or null} (borrowed for the call). */
typedef void (*helper_probe_done_t)(json_t *helper, void *userdata);

int helper_probe_new(sd_event *e, const char *root_sock, struct helper_probe **ret);
/* Callers still waiting hear "the daemon is shutting down". */
struct helper_probe *helper_probe_free(struct helper_probe *p);

/* The last answer when the helper answered and that is fresh (a new reference), else NULL. */
json_t *helper_probe_fresh(struct helper_probe *p);
/* Calls done from the event loop once a hello answered or HELPER_PROBE_TIMEOUT_USEC passed. */
int helper_probe_ask(struct helper_probe *p, helper_probe_done_t done, void *userdata);

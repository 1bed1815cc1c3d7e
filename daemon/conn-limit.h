/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Descriptors and clients: the soft NOFILE limit raised to the hard one at start, a client cap
 * that leaves half the descriptors to the VMs, the helper and files, refusals that say why, and
 * accepting paused — never spun — when descriptors run out anyway. Repeated complaints about
 * clients are rate-limited, so a flood of them cannot flood the journal. */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "common/ratelimit.h"

/* Accepting stays paused this long after EMFILE/ENFILE, unless a client leaves first. */
#define CONN_LIMIT_PAUSE_USEC (250u * 1000u)

struct conn_limit {
	sd_event *event;
	sd_event_source *listen; /* borrowed: the server's accept source */
	sd_event_source *resume; /* re-enables it after a pause */
	size_t max_clients;
	uint64_t nofile_soft, nofile_hard;
	uint64_t n_refused; /* clients turned away at the cap */
	uint64_t n_paused;  /* times accepting paused for want of descriptors */
	struct ratelimit log_rl;
};

/* Raises RLIMIT_NOFILE's soft limit to the hard one (the daemon uses no select()). Returns the
 * new soft limit, or -errno. */
int conn_limit_raise_nofile(void);

/* max_clients: at most `cap`, and at most half the soft NOFILE limit. */
int conn_limit_init(struct conn_limit *cl, sd_event *e, sd_event_source *listen, size_t cap);
void conn_limit_done(struct conn_limit *cl);

/* accept4() failed with -err. EMFILE/ENFILE pause accepting (clients wait in the kernel's
 * queue); other errors are only logged, rate-limited. */
void conn_limit_accept_failed(struct conn_limit *cl, int err);
/* A client left: accept again at once if a pause was waiting for a descriptor. */
void conn_limit_client_left(struct conn_limit *cl);
/* Turns away fd, just accepted, at the cap: one `unavailable` error line, then it is closed. */
void conn_limit_refuse(struct conn_limit *cl, int fd, size_t n_clients);

/* Logs a complaint about a client at level, at most 20 a second in all; the next line that
 * passes says how many were held back. */
void conn_limit_log(struct conn_limit *cl, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same about an error (-errno), which %m names. */
void conn_limit_log_errno(struct conn_limit *cl, int level, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* {"nofile": soft, "nofile_hard": hard, "max_clients": n, "refused": n, "accept_paused": n} */
json_t *conn_limit_json(const struct conn_limit *cl);

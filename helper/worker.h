/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Requests run off the loop: a thread per request in flight (the loop starts at most one per
 * client), each taking its op's lock first, and a done queue the loop drains when an eventfd
 * says so. The loop never takes an op's lock nor waits for a worker, so a stuck op stalls no
 * other client and no keep-alive. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "helper/helper.h"
#include "protocol/jsonrpc.h"

/* One request on its way through a worker. The loop fills the first part and hands it over; the
 * worker runs the op and fills answer; the loop takes it back from the done queue. */
struct helper_work {
	struct helper_work *next;
	const struct helper_config *cfg;
	uid_t uid;
	pid_t pid;
	void *client; /* the loop's, untouched by the worker */
	struct rpc_message msg;
	struct helper_request req; /* borrows from msg; its fds are the work's to close */
	char *answer;              /* serialized response line; NULL when it could not be built */
	size_t answer_len;
};

/* Frees what the work owns (message, descriptors, answer). */
void helper_work_free(struct helper_work *w);

/* Runs the op of a decoded request here and now (an op whose serial is LOOP, or a worker's),
 * logs it, and fills w->answer. */
void helper_work_run(struct helper_work *w);

struct helper_workers;

int helper_workers_new(struct helper_workers **ret);
/* Only when none runs (helper_workers_running() == 0): a running thread uses the queue. */
void helper_workers_free(struct helper_workers *ws);
/* Readable when a work is done (an eventfd). */
int helper_workers_fd(const struct helper_workers *ws);
/* Starts a thread for w; on failure (-errno) w is still the caller's. */
int helper_workers_start(struct helper_workers *ws, struct helper_work *w);
/* Takes every finished work, oldest first (a list through ->next), and clears the eventfd. */
struct helper_work *helper_workers_take_done(struct helper_workers *ws);
/* Works started and not yet taken back. */
unsigned helper_workers_running(const struct helper_workers *ws);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Runs a helper program (ssh, scp, ssh-keygen), or a function in a forked child (a long file
 * copy), from the event loop without blocking it: output captured up to a cap, a deadline after
 * which the child is killed, one callback at the end. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#define CHILD_MAX_OUTPUT (64u * 1024u)

struct child;

struct child_result {
	int r; /* 0 when the program ran (see status), else -errno (spawn failed, -ETIMEDOUT) */
	int status; /* exit status, or 128 + signal */
	char *out;  /* stdout, NUL-terminated, at most CHILD_MAX_OUTPUT bytes */
	size_t out_len;
	char *err; /* stderr, likewise */
	size_t err_len;
};

typedef void (*child_done_t)(struct child *c, const struct child_result *res, void *userdata);

/* Blocks SIGCHLD (sd-event's child sources need that); call once before the first child_run. */
int child_init(void);

/* Starts argv[0] (searched in PATH) with stdin from /dev/null, or from stdin_fd when >= 0 (the
 * descriptor is dup'ed; the caller keeps its own). timeout_usec 0 means no deadline. */
int child_run(sd_event *e, const char *const *argv, int stdin_fd, uint64_t timeout_usec,
	child_done_t done, void *userdata, struct child **ret);

/* What a forked child runs: its return value (0..255) is the exit status; it writes to fds 1
 * and 2, and may only make system calls (no malloc, no stdio, no locks). */
typedef int (*child_fn_t)(void *arg);

/* Forks a child that runs fn(arg) (arg is the child's copy of the parent's memory) with every
 * other descriptor closed, killed when the daemon ends (PR_SET_PDEATHSIG); otherwise as
 * child_run. */
int child_fork(sd_event *e, child_fn_t fn, void *arg, uint64_t timeout_usec, child_done_t done,
	void *userdata, struct child **ret);

/* Kills a running child (SIGKILL) and forgets it: its callback will not run. */
void child_cancel(struct child *c);

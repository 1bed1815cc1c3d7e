/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Live start progress for vm start, run and restart: the daemon's vm.start_step events shown
 * while the call waits (one updating line on a terminal, a line per step otherwise), then a
 * summary of where the time went. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

struct cli;

struct cli_progress {
	pid_t pid; /* the process following the events; 0 when none */
	bool tty;
};

/* Follows the start of VM name until cli_progress_end(): a process of its own with its own
 * subscription, ready before this returns so no step is missed. Shows nothing with --json or
 * --quiet; failing to follow is not an error (the start goes on, unshown). */
void cli_progress_begin(struct cli *cli, const char *name, struct cli_progress *ret);
void cli_progress_end(struct cli_progress *p);

/* " in 9.8 s (boot 4.1 s, ssh 3.2 s, launch 1.0 s, 10 more 1.5 s)" from start_timings_us;
 * "" when the answer has none. */
void cli_progress_summary(const json_t *vm, char *buf, size_t size);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The launch itself (upstream's Env::run): netns, rlimits, cgroups, the jail, daemonize or a
 * new pid namespace, the pid file, and the exec as the target uid/gid. */
#pragma once

#include <stdint.h>
#include <time.h>

#include "vmm/jailer-env.h"

/* Microseconds of CLOCK_MONOTONIC / CLOCK_PROCESS_CPUTIME_ID, as upstream's get_time_us. */
uint64_t jailer_time_us(clockid_t clock);

/* Runs the whole launch. Returns only on failure (e filled, the caller prints it and exits 1);
 * parents that daemonize or clone exit 0 themselves. */
int jailer_run(struct jailer_env *env, struct jailer_error *e);

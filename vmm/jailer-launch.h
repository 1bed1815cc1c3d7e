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
 * parents that daemonize or clone exit 0 themselves.
 *
 * Modes, as upstream (firecracker-notes.md a.6):
 * - plain: the jailer writes its own pid to /<exec name>.pid and becomes the exec file (same
 *   pid, the caller can waitpid() it and sees its exit status; stdio inherited).
 * - --daemonize: after the jail is built, fork (parent exits 0), setsid, fork again (that parent
 *   exits 0); the grandchild puts /dev/null (opened before the pivot) on fds 0-2, writes the pid
 *   file and execs. The pid file can appear after the jailer has exited: poll for it.
 * - --new-pid-ns: clone(CLONE_NEWPID) without CLONE_VM (fork-like; we pass SIGCHLD as the exit
 *   signal, which the kernel sets anyway once the child is re-parented). The parent writes the
 *   child's pid as seen from the jailer's namespace to the pid file and exits 0; the child calls
 *   setsid() if the jailer was a session leader and execs as pid 1 of the new namespace. As for
 *   any namespace init, signals from outside arrive only if the program installed a handler:
 *   stop it with SIGKILL or through its API. /proc is not remounted in the jail.
 * - both: daemonize first, then the clone.
 * --start-time-us is CLOCK_MONOTONIC when the jailer started; --start-time-cpu-us the jailer's
 * CPU clock then (0 in a forked or cloned process, whose CPU clock starts again); and
 * --parent-cpu-time-us the CPU time spent in processes the exec'd program does not descend from
 * by exec (0 in plain mode). */
int jailer_run(struct jailer_env *env, struct jailer_error *e);

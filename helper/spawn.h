/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Starting a program detached from the helper: two vfork-style clones + setsid, stdio given,
 * nobody's child.
 */
#pragma once

#include <sys/types.h>

#include "protocol/error.h"

/* Runs argv[0] with stdin from /dev/null and stdout+stderr on out_fd, in a new session, as a
 * grandchild that the helper does not wait for. Returns once the exec succeeded (or failed:
 * err says why) with the grandchild's pid in ret_pid and a pidfd for it in ret_pidfd. */
int spawn_detached(
	char *const argv[], int out_fd, pid_t *ret_pid, int *ret_pidfd, struct rpc_error *err);
/* The same with one more environment entry (extra_env[0], "NAME=value", may be NULL). */
int spawn_detached_env(char *const argv[], char *const extra_env[], int out_fd, pid_t *ret_pid,
	int *ret_pidfd, struct rpc_error *err);

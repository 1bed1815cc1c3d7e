/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Finding a VM's VMM process by what /proc says about it, never by trusting a pid alone. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "helper/helper.h"

enum proc_found_by {
	PROC_FOUND_BY_CMDLINE,
	PROC_FOUND_BY_LAUNCH_RECORD,
	_PROC_FOUND_BY_MAX,
	_PROC_FOUND_BY_INVALID = -EINVAL,
};

const char *proc_found_by_to_string(enum proc_found_by b);

/* True when pid's comm equals the VMM exec name and it runs as the owner uid (not pid 1, not
 * the helper). */
bool proc_is_vmm_exec(const struct helper_config *cfg, pid_t pid);

/* True when pid is this VM's VMM: comm equals the exec name, it runs as the owner uid, and its
 * command line carries "--id <vm id>" with "--api-sock" being the jail's socket (or the
 * chroot-relative /run/firecracker.socket). */
bool proc_is_vmm(const struct helper_config *cfg, pid_t pid, const char *vm_id);

/* Finds the VM's VMM: first by scanning /proc command lines, then by the helper's launch record
 * (jail.h: pid and start time, root-only; then comm and uid are checked too). Nothing in the
 * chroot is read: after launch it is the owner's. 0 with *ret_pid 0 when none runs. */
int proc_find_vmm(const struct helper_config *cfg, const char *vm_id, pid_t *ret_pid,
	enum proc_found_by *ret_by);

/* Field 22 of /proc/<pid>/stat (clock ticks after boot): with the pid, names one process. */
int proc_start_time(pid_t pid, unsigned long long *ret);

/* "R", "S", "Z"… from /proc/<pid>/stat, or '\0' when gone. */
char proc_state(pid_t pid);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Per-VM jail directories under the jail base: safe opening (no symlinks, root's, not the
 * owner's to change) and complete teardown (unmount deepest first, self-bind last, remove). */
#pragma once

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>

#include "helper/helper.h"

/* <base>/<exec>/<vm id> and <base>/<exec>/<vm id>/root. */
int jail_paths(const struct helper_config *cfg, const char *vm_id, char ret_vm_dir[PATH_MAX],
	char ret_root[PATH_MAX], struct rpc_error *err);

/* Opens <base>/<exec>/<vm id> (creating the two levels when create is set) without following
 * symlinks, checking each level is a root-owned directory the owner cannot write; <exec> is
 * 0755, <vm id> root 0700 so that nothing below it is reachable from the host by the owner, to
 * whom the jailer gives the chroot. -ENOENT (err set, may be NULL) when it does not exist and
 * create is false. */
int jail_open_vm_dir(const struct helper_config *cfg, const char *vm_id, bool create,
	int *ret_exec_fd, int *ret_vm_fd, struct rpc_error *err);

/* The launch record, <base>/<exec>/<vm id>/launch: root 0600 in the root-only VM directory,
 * never in the chroot (the owner's after launch). It exists from the moment a launch begins until
 * jail.cleanup removes the directory, and holds "<VMM pid> <its start time>" once the VMM runs. */
#define JAIL_LAUNCH_RECORD "launch"
/* Creates it (O_EXCL): -EEXIST with err saying the VM was already launched. */
int jail_launch_record_create(int vm_fd, int *ret_fd, struct rpc_error *err);
int jail_launch_record_write(int fd, pid_t pid, unsigned long long start_time);
/* -ENOENT without one, -ENODATA while the VMM was not seen yet. */
int jail_launch_record_read(const struct helper_config *cfg, const char *vm_id, pid_t *ret_pid,
	unsigned long long *ret_start_time);

/* Unmounts everything at and below the VM's chroot (from the mount table, deepest first, the
 * self-bind last) and removes <base>/<exec>/<vm id> without following symlinks or crossing
 * into a mount; every device node in it is made root's, mode 0000, before it is unlinked, so no
 * handle kept on one opens anything again. Appends unmounted paths to unmounted (may be NULL).
 * 0 when there was nothing. */
int jail_teardown(const struct helper_config *cfg, const char *vm_id, json_t *unmounted,
	bool *ret_removed, struct rpc_error *err);

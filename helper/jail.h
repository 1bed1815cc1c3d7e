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

/* Opens <base>/<exec>/<vm id> (creating the two levels, root 0755, when create is set) without
 * following symlinks, checking each level is a root-owned directory the owner cannot write.
 * -ENOENT (err set) when it does not exist and create is false. */
int jail_open_vm_dir(const struct helper_config *cfg, const char *vm_id, bool create,
        int *ret_exec_fd, int *ret_vm_fd, struct rpc_error *err);

/* Unmounts everything at and below the VM's chroot (from the mount table, deepest first, the
 * self-bind last) and removes <base>/<exec>/<vm id> without following symlinks or crossing
 * into a mount. Appends unmounted paths to unmounted (may be NULL). 0 when there was nothing. */
int jail_teardown(const struct helper_config *cfg, const char *vm_id, json_t *unmounted,
        bool *ret_removed, struct rpc_error *err);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Changing a VM record after creation: the one way the lifecycle changes a VM's state or
 * fields, so the record on disk, the record in memory and the events never disagree. */
#pragma once

#include "daemon/vm.h"

struct daemon;

/* Saves vm with the new state and reason (NULL: none), then publishes vm.state {id, name, old,
 * new, reason}. On a failed save the record in memory is left as it was. */
int daemon_vm_set_state(struct daemon *d, struct vm *vm, enum vm_state state, const char *reason);

/* Saves vm after the caller changed fields other than the state (ip, pid, boot_id…) and
 * publishes vm.updated {vm}. The caller passes the record as it was, for the rollback. */
int daemon_vm_update(struct daemon *d, struct vm *vm, const struct vm *before);

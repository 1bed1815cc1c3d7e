/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Changing a VM record after creation: the one way the lifecycle changes a VM's state or
 * fields, so the record on disk, the record in memory and the events never disagree. */
#pragma once

#include "daemon/vm.h"

struct daemon;

/* Sets vm's state and reason (NULL: none), saves it and publishes vm.state {id, name, old, new,
 * reason}. The change is what happened, so it stands in memory and is published even when the
 * save fails: the save is then retried until it lands (save-retry.h), and the error returned is
 * for the log, never a reason to act against a guest. */
int daemon_vm_set_state(struct daemon *d, struct vm *vm, enum vm_state state, const char *reason);

/* Saves vm after the caller changed fields other than the state (ip, pid, boot_id…) and
 * publishes vm.updated {vm}; a failed save is retried, as for daemon_vm_set_state(). */
int daemon_vm_update(struct daemon *d, struct vm *vm);

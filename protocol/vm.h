/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The VM vocabulary both ends of bangerd.sock share: the states a VM record is in, the rule for
 * VM and image names, and vm.create's limits and defaults. */
#pragma once

#include <errno.h>
#include <stdbool.h>

#define VM_NAME_MAX 32
#define VM_VCPUS_MIN 1
#define VM_VCPUS_MAX 32
#define VM_MEMORY_MIN 128
#define VM_MEMORY_MAX 65536
#define VM_DISK_MIN 1
#define VM_DISK_MAX 1024
#define VM_DEFAULT_VCPUS 1
#define VM_DEFAULT_MEMORY 512
#define VM_DEFAULT_DISK 4
#define VM_DEFAULT_IMAGE "minimal"

/* The "state" of a VM record and of vm.state events. */
enum vm_state {
	VM_STATE_CREATED,
	VM_STATE_STARTING,
	VM_STATE_RUNNING,
	VM_STATE_STOPPING,
	VM_STATE_STOPPED,
	VM_STATE_ERROR,
	VM_STATE_PAUSED,    /* the VMM runs, its vCPUs are stopped (vm.pause) */
	VM_STATE_SUSPENDED, /* no VMM: its memory and devices saved next to its disk (vm.stop
			       snapshot) */
	_VM_STATE_MAX,
	_VM_STATE_INVALID = -EINVAL,
};

/* The wire name ("running"); NULL for values out of range. */
const char *vm_state_to_string(enum vm_state s);
/* _VM_STATE_INVALID for NULL and for names this version does not know (a newer daemon's). */
enum vm_state vm_state_from_string(const char *s);

/* ^[a-z][a-z0-9-]{0,31}$: VM and image names alike. */
bool vm_name_is_valid(const char *name);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The VM vocabulary both ends of bangerd.sock share: states and the name rule. */
#include <string.h>

#include "common/macro.h"
#include "protocol/vm.h"

static const char *const vm_state_table[_VM_STATE_MAX] = {
	[VM_STATE_CREATED] = "created",
	[VM_STATE_STARTING] = "starting",
	[VM_STATE_RUNNING] = "running",
	[VM_STATE_STOPPING] = "stopping",
	[VM_STATE_STOPPED] = "stopped",
	[VM_STATE_ERROR] = "error",
	[VM_STATE_PAUSED] = "paused",
	[VM_STATE_SUSPENDED] = "suspended",
};

const char *vm_state_to_string(enum vm_state s)
{
	if (s < 0 || s >= _VM_STATE_MAX)
		return NULL;
	return vm_state_table[s];
}

enum vm_state vm_state_from_string(const char *s)
{
	for (int i = 0; s && i < _VM_STATE_MAX; i++)
		if (streq(vm_state_table[i], s))
			return i;
	return _VM_STATE_INVALID;
}

bool vm_name_is_valid(const char *name)
{
	size_t n;

	if (!name || !(name[0] >= 'a' && name[0] <= 'z'))
		return false;
	for (n = 1; name[n]; n++) {
		char c = name[n];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return n <= VM_NAME_MAX;
}

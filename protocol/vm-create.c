/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vm.create's fields and their rules, shared by the daemon's check of a request and the clients
 * that check as the user types (banger-tui's create form), so both say the same thing. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/macro.h"
#include "protocol/vm-create.h"

static const struct vm_create_field_info fields[_VM_FIELD_MAX] = {
        [VM_FIELD_NAME] = {"name", "name", false, 0, 0, 0, NULL},
        [VM_FIELD_IMAGE] = {"image", "image", false, 0, 0, 0, NULL},
        [VM_FIELD_VCPUS] = {"vcpus", "vCPUs", true, VM_VCPUS_MIN, VM_VCPUS_MAX, VM_DEFAULT_VCPUS,
                NULL},
        [VM_FIELD_MEMORY] = {"memory_mib", "memory", true, VM_MEMORY_MIN, VM_MEMORY_MAX,
                VM_DEFAULT_MEMORY, "MiB"},
        [VM_FIELD_DISK] = {"disk_gib", "disk", true, VM_DISK_MIN, VM_DISK_MAX, VM_DEFAULT_DISK,
                "GiB"},
};

const struct vm_create_field_info *vm_create_field(enum vm_create_field f)
{
	return f >= 0 && f < _VM_FIELD_MAX ? &fields[f] : NULL;
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

int vm_create_check(
        enum vm_create_field f, const char *text, long *ret_int, char *why, size_t why_size)
{
	const struct vm_create_field_info *info = vm_create_field(f);
	char *end;
	long n;

	if (!info || !text)
		return -EINVAL;
	if (!info->is_int) {
		if (vm_name_is_valid(text))
			return 0;
		if (f == VM_FIELD_NAME)
			snprintf(why, why_size, "Invalid VM name \"%.64s\": " VM_NAME_RULE, text);
		else
			snprintf(why, why_size, "Invalid image name \"%.64s\"", text);
		return -EINVAL;
	}
	errno = 0;
	n = strtol(text, &end, 10);
	/* worded as rpc_param_int() answers a request */
	if (errno || end == text || *end) {
		snprintf(why, why_size, "Parameter \"%s\" must be an integer", info->key);
		return -EINVAL;
	}
	if (n < info->min || n > info->max) {
		snprintf(why, why_size, "Parameter \"%s\" must be between %ld and %ld, got %ld",
		        info->key, info->min, info->max, n);
		return -EINVAL;
	}
	if (ret_int)
		*ret_int = n;
	return 0;
}

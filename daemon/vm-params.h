/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Validation of vm.create's parameters, in one place so the unit tests cover exactly it. */
#pragma once

#include <jansson.h>

#include "daemon/vm.h"
#include "protocol/error.h"

struct vm_params {
	char name[VM_NAME_MAX + 1];
	char image[VM_NAME_MAX + 1];
	unsigned vcpus, memory_mib, disk_gib;
};

/* Checks every field (unknown ones refused), filling defaults. invalid_argument with a message
 * naming the field and the rule. */
int vm_params_parse(const json_t *params, struct vm_params *ret, struct rpc_error *err);

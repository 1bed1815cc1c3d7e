/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Validation of vm.create's parameters, in one place so the unit tests cover exactly it. */
#pragma once

#include <jansson.h>

#include "daemon/vm.h"
#include "protocol/error.h"

struct daemon;

struct vm_params {
	char name[VM_NAME_MAX + 1];
	char image[VM_NAME_MAX + 1];
	unsigned vcpus, memory_mib, disk_gib;
};

/* Checks every field (unknown ones refused) with protocol/vm-create.c's rules, filling what is
 * not given from defaults (banger.conf's [vm], else vm.create's own; NULL: vm.create's).
 * invalid_argument with a message naming the field and the rule. */
int vm_params_parse(const json_t *params, const struct vm_params *defaults, struct vm_params *ret,
        struct rpc_error *err);

/* vm.create's own defaults. */
void vm_params_defaults(struct vm_params *ret);

int rpc_vm_lookup(struct daemon *d, const json_t *params, struct vm **ret, struct rpc_error *err);

/* Removes vm's record and directory (disk, console log), forgets its known_hosts entry and
 * publishes vm.deleted; *ret_result is {"id", "name"}. vm must not be running. */
int daemon_vm_remove(struct daemon *d, struct vm *vm, json_t **ret_result, struct rpc_error *err);

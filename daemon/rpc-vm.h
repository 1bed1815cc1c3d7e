/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What rpc-vm.c shares with the other VM handlers and the lifecycle. */
#pragma once

#include <jansson.h>

#include "daemon/vm.h"
#include "protocol/error.h"

struct daemon;

/* The VM a request names by name or by id (the schema lets exactly one through; a name that is
 * a VM's id also works). not_found, with the name or id, when there is none. */
int rpc_vm_lookup(
        struct daemon *d, const char *name, const char *id, struct vm **ret, struct rpc_error *err);

/* Removes vm's record and directory (disk, console log), forgets its known_hosts entry and
 * publishes vm.deleted; *ret_result is {"id", "name"}. vm must not be running. */
int daemon_vm_remove(struct daemon *d, struct vm *vm, json_t **ret_result, struct rpc_error *err);

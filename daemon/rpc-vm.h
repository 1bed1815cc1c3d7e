/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What rpc-vm.c (the VM record methods) offers the other VM methods and the lifecycle's
 * callback: finding the VM a request names, and removing a record. */
#pragma once

#include <jansson.h>

#include "daemon/lifecycle.h"
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

/* The lifecycle's notify callback (lifecycle.h) in bangerd, with the daemon as userdata:
 * answers the vm.start/stop/restart/delete calls waiting for the outcome (rpc-vm-lifecycle.c). */
void rpc_vm_lifecycle_notify(struct lifecycle *lc, const char *vm_id, struct vm *vm,
	enum lifecycle_event ev, const struct rpc_error *err, void *userdata);

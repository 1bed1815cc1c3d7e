/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Changing a VM record after creation: the one way the lifecycle changes a VM's state or
 * fields, so the record on disk, the record in memory and the events never disagree. */
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "daemon/daemon.h"
#include "daemon/save-retry.h"
#include "daemon/vm-state.h"

int daemon_vm_set_state(struct daemon *d, struct vm *vm, enum vm_state state, const char *reason)
{
	enum vm_state old = vm->state;
	int r;

	vm->state = state;
	snprintf(vm->reason, sizeof(vm->reason), "%s", reason ? reason : "");
	r = store_vm_save(&d->store, vm);
	log_vm(LOG_INFO, vm->name, "vm.state", "VM \"%s\": %s -> %s%s%s", vm->name,
		vm_state_to_string(old), vm_state_to_string(state), reason ? ": " : "",
		reason ? reason : "");
	daemon_publish(d, "vm.state",
		json_pack("{s:s, s:s, s:s, s:s, s:s?}", "id", vm->id, "name", vm->name, "old",
			vm_state_to_string(old), "new", vm_state_to_string(state), "reason",
			reason));
	if (r < 0)
		save_retry_vm(d, vm, r);
	else
		save_retry_saved(d, vm);
	return r;
}

int daemon_vm_update(struct daemon *d, struct vm *vm)
{
	int r = store_vm_save(&d->store, vm);

	daemon_publish(d, "vm.updated", json_pack("{s:o}", "vm", vm_to_json(vm)));
	if (r < 0)
		save_retry_vm(d, vm, r);
	else
		save_retry_saved(d, vm);
	return r;
}

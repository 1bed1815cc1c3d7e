/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vm.create, vm.get, vm.list and removing a record: VM records (no VMM involved; a vm.delete
 * that must stop one first is rpc-vm-lifecycle.c's). */
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/macro.h"
#include "daemon/daemon.h"
#include "daemon/lifecycle.h"
#include "daemon/publish.h"
#include "daemon/rpc-vm.h"
#include "daemon/rpc.h"
#include "daemon/save-retry.h"
#include "daemon/vm-state.h"

int rpc_vm_lookup(
	struct daemon *d, const char *name, const char *id, struct vm **ret, struct rpc_error *err)
{
	struct vm *vm;

	if (!name == !id) /* the schema's one_of lets only one through; callers in C may not */
		return rpc_error_set(err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT,
			"Give exactly one of \"name\" and \"id\"");
	if (name) {
		vm = store_vm_by_name(&d->store, name);
		/* a name that is not one may still be an id a script copied */
		if (!vm && vm_id_is_valid(name))
			vm = store_vm_by_id(&d->store, name);
		if (!vm)
			return rpc_error_set(
				err, -ENOENT, RPC_ERROR_NOT_FOUND, "VM \"%s\" not found", name);
	} else {
		vm = store_vm_by_id(&d->store, id);
		if (!vm)
			return rpc_error_set(
				err, -ENOENT, RPC_ERROR_NOT_FOUND, "No VM has id \"%s\"", id);
	}
	*ret = vm;
	return 0;
}

int rpc_vm_create(struct rpc_call *call, const struct rpc_vm_create_args *args, json_t **ret_result,
	struct rpc_error *err)
{
	struct daemon *d = call->d;
	_cleanup_free_ struct vm *vm = NULL;
	json_t *o;
	int r;

	/* what the request does not give comes from banger.conf's [vm] (the schema leaves it
	 * "not given": NULL, 0) */
	const struct vm_create_defaults *def = &d->config.vm_defaults;
	const char *image = args->image ?: def->image;
	unsigned vcpus = args->vcpus ? (unsigned)args->vcpus : def->vcpus;
	unsigned memory_mib = args->memory_mib ? (unsigned)args->memory_mib : def->memory_mib;
	unsigned disk_gib = args->disk_gib ? (unsigned)args->disk_gib : def->disk_gib;

	if (store_vm_by_name(&d->store, args->name))
		return rpc_error_set(err, -EEXIST, RPC_ERROR_CONFLICT,
			"A VM named \"%s\" already exists", args->name);
	if (!store_image_by_name(&d->store, image))
		return rpc_error_set(err, -ENOENT, RPC_ERROR_NOT_FOUND,
			"Image \"%s\" not found (import one with \"banger image import\" or "
			"\"banger image build\")",
			image);
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	if (args->publish) {
		char why[160];
		if (vm_publish_from_json(
			    args->publish, vm->publish, &vm->n_publish, why, sizeof(why)) < 0)
			return rpc_error_set(err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT,
				"Invalid publish: %s", why);
		r = publish_check(d, NULL, vm->publish, vm->n_publish, err);
		if (r < 0)
			return r;
	}
	r = vm_id_generate(vm->id);
	if (r < 0)
		return rpc_error_set(
			err, r, RPC_ERROR_INTERNAL, "Failed to generate a VM id: %s", strerror(-r));
	/* the schema checked both names (VM_NAME_MAX) and the three ranges */
	strcpy(vm->name, args->name);
	strcpy(vm->image, image);
	vm->state = VM_STATE_CREATED;
	vm->vcpus = vcpus;
	vm->memory_mib = memory_mib;
	vm->disk_gib = disk_gib;
	rfc3339_now(vm->created_at, sizeof(vm->created_at));
	r = store_vm_save(&d->store, vm);
	if (r < 0) {
		log_vm_errno(LOG_ERR, r, vm->name, "vm.create", "Failed to save VM \"%s\": %m",
			vm->name);
		return rpc_error_set(err, r, RPC_ERROR_INTERNAL, "Failed to save VM \"%s\": %s",
			vm->name, strerror(-r));
	}
	log_vm(LOG_INFO, vm->name, "vm.create", "Created VM \"%s\" (%s, image %s)", vm->name,
		vm->id, vm->image);
	o = vm_to_json(vm);
	if (o)
		daemon_publish(d, "vm.created", json_pack("{s:o}", "vm", json_incref(o)));
	TAKE_PTR(vm);
	*ret_result = o;
	return o ? 0 : -ENOMEM;
}

int rpc_vm_update(struct rpc_call *call, const struct rpc_vm_update_args *args, json_t **ret_result,
	struct rpc_error *err)
{
	struct daemon *d = call->d;
	struct publish p[PUBLISH_MAX];
	struct vm *vm;
	char why[160];
	size_t n = 0;
	int r;

	r = rpc_vm_lookup(d, args->name, args->id, &vm, err);
	if (r < 0)
		return r;
	if (!vm_state_is_inactive(vm->state) || lifecycle_busy(d->lifecycle, vm))
		return rpc_error_set(err, -EBUSY, RPC_ERROR_CONFLICT,
			"VM \"%s\" is %s: stop it first to change it", vm->name,
			vm_state_to_string(vm->state));
	if (args->publish) {
		if (vm_publish_from_json(args->publish, p, &n, why, sizeof(why)) < 0)
			return rpc_error_set(err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT,
				"Invalid publish: %s", why);
		r = publish_check(d, vm, p, n, err);
		if (r < 0)
			return r;
		memcpy(vm->publish, p, n * sizeof(p[0]));
		vm->n_publish = n;
	}
	log_vm(LOG_INFO, vm->name, "vm.update", "Updated VM \"%s\" (%zu published ports)", vm->name,
		vm->n_publish);
	(void)daemon_vm_update(d, vm); /* a failed save is retried (save-retry.h) */
	*ret_result = vm_to_json(vm);
	return *ret_result ? 0 : -ENOMEM;
}

int rpc_vm_get(struct rpc_call *call, const struct rpc_vm_get_args *args, json_t **ret_result,
	struct rpc_error *err)
{
	struct vm *vm;
	int r;

	r = rpc_vm_lookup(call->d, args->name, args->id, &vm, err);
	if (r < 0)
		return r;
	*ret_result = vm_to_json(vm);
	return *ret_result ? 0 : -ENOMEM;
}

int rpc_vm_list(struct rpc_call *call, const struct rpc_vm_list_args *args, json_t **ret_result,
	struct rpc_error *err)
{
	*ret_result = json_pack("{s:o}", "vms", daemon_vms_json(call->d));
	return *ret_result ? 0 : -ENOMEM;
}

int daemon_vm_remove(struct daemon *d, struct vm *vm, json_t **ret_result, struct rpc_error *err)
{
	char id[VM_ID_LEN + 1], name[VM_NAME_MAX + 1];
	int r;

	lifecycle_forget(d->lifecycle, vm); /* known_hosts entry; the IP goes with the record */
	save_retry_forget(d, vm->id);
	strcpy(id, vm->id);
	strcpy(name, vm->name);
	r = store_vm_remove(&d->store, vm);
	if (r < 0)
		return rpc_error_set(err, r, RPC_ERROR_INTERNAL, "Failed to delete VM \"%s\": %s",
			name, strerror(-r));
	log_vm(LOG_INFO, name, "vm.delete", "Deleted VM \"%s\" (%s)", name, id);
	daemon_publish(d, "vm.deleted", json_pack("{s:s, s:s}", "id", id, "name", name));
	*ret_result = json_pack("{s:s, s:s}", "id", id, "name", name);
	return *ret_result ? 0 : -ENOMEM;
}

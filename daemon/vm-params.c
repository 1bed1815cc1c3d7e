/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Validation of vm.create's parameters, in one place so the unit tests cover exactly it. */
#include <string.h>

#include "daemon/vm-params.h"
#include "protocol/jsonrpc.h"

void vm_params_defaults(struct vm_params *ret)
{
	*ret = (struct vm_params){.image = VM_DEFAULT_IMAGE,
	        .vcpus = VM_DEFAULT_VCPUS,
	        .memory_mib = VM_DEFAULT_MEMORY,
	        .disk_gib = VM_DEFAULT_DISK};
}

int vm_params_parse(const json_t *params, const struct vm_params *defaults, struct vm_params *ret,
        struct rpc_error *err)
{
	static const char *const keys[] = {
	        "name", "image", "vcpus", "memory_mib", "disk_gib", NULL};
	const struct vm_create_field_info *fv = vm_create_field(VM_FIELD_VCPUS),
	                                     *fm = vm_create_field(VM_FIELD_MEMORY),
	                                     *fd = vm_create_field(VM_FIELD_DISK);
	struct vm_params def;
	const char *name = NULL, *image;
	json_int_t vcpus, mem, disk;
	char why[256];
	int r;

	if (!defaults) {
		vm_params_defaults(&def);
		defaults = &def;
	}
	image = defaults->image;
	vcpus = defaults->vcpus;
	mem = defaults->memory_mib;
	disk = defaults->disk_gib;
	r = rpc_params_check_keys(params, keys, err);
	r = r ?: rpc_param_string(params, "name", true, &name, err);
	r = r ?: rpc_param_string(params, "image", false, &image, err);
	r = r ?: rpc_param_int(params, fv->key, false, fv->min, fv->max, &vcpus, err);
	r = r ?: rpc_param_int(params, fm->key, false, fm->min, fm->max, &mem, err);
	r = r ?: rpc_param_int(params, fd->key, false, fd->min, fd->max, &disk, err);
	if (r < 0)
		return r;
	if (vm_create_check(VM_FIELD_NAME, name, NULL, why, sizeof(why)) < 0 ||
	        vm_create_check(VM_FIELD_IMAGE, image, NULL, why, sizeof(why)) < 0)
		return rpc_error_set(err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT, "%s", why);
	strcpy(ret->name, name);
	strcpy(ret->image, image);
	ret->vcpus = (unsigned)vcpus;
	ret->memory_mib = (unsigned)mem;
	ret->disk_gib = (unsigned)disk;
	return 0;
}

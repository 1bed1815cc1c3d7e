/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Validation of vm.create's parameters, in one place so the unit tests cover exactly it. */
#include <string.h>

#include "daemon/vm-params.h"
#include "protocol/jsonrpc.h"

int vm_params_parse(const json_t *params, struct vm_params *ret, struct rpc_error *err)
{
	static const char *const keys[] = {
	        "name", "image", "vcpus", "memory_mib", "disk_gib", NULL};
	const char *name = NULL, *image = VM_DEFAULT_IMAGE;
	json_int_t vcpus = VM_DEFAULT_VCPUS, mem = VM_DEFAULT_MEMORY, disk = VM_DEFAULT_DISK;
	int r;

	r = rpc_params_check_keys(params, keys, err);
	r = r ?: rpc_param_string(params, "name", true, &name, err);
	r = r ?: rpc_param_string(params, "image", false, &image, err);
	r = r ?: rpc_param_int(params, "vcpus", false, VM_VCPUS_MIN, VM_VCPUS_MAX, &vcpus, err);
	r = r
	            ?: rpc_param_int(params, "memory_mib", false, VM_MEMORY_MIN, VM_MEMORY_MAX,
	                       &mem, err);
	r = r ?: rpc_param_int(params, "disk_gib", false, VM_DISK_MIN, VM_DISK_MAX, &disk, err);
	if (r < 0)
		return r;
	if (!vm_name_is_valid(name))
		return rpc_error_set(err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT,
		        "Invalid VM name \"%.64s\": use 1-32 characters, a-z, 0-9 and '-', "
		        "starting with a letter",
		        name);
	if (!vm_name_is_valid(image))
		return rpc_error_set(err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT,
		        "Invalid image name \"%.64s\"", image);
	strcpy(ret->name, name);
	strcpy(ret->image, image);
	ret->vcpus = (unsigned)vcpus;
	ret->memory_mib = (unsigned)mem;
	ret->disk_gib = (unsigned)disk;
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The op table, generated from ops.def. */
#include "common/macro.h"
#include "helper/helper.h"
#include "helper/ops.h"

const struct helper_op helper_ops[] = {
#define HELPER_OP(c, wire, vm, ser)                                                                \
	{.name = wire,                                                                             \
	        .fields = op_##c##_fields,                                                         \
	        .validate = op_##c##_validate,                                                     \
	        .run = op_##c##_run,                                                               \
	        .needs_vm_id = vm,                                                                 \
	        .serial = HELPER_SERIAL_##ser},
#include "helper/ops.def"
#undef HELPER_OP
};

const size_t helper_ops_count = ELEMENTSOF(helper_ops);

const struct helper_op *helper_op_find(const char *name)
{
	for (size_t i = 0; i < helper_ops_count; i++)
		if (streq(helper_ops[i].name, name))
			return &helper_ops[i];
	return NULL;
}

int helper_request_fd(const struct helper_request *req, const char *name)
{
	for (size_t i = 0; i < req->n_fds; i++)
		if (streq(req->fd_names[i], name))
			return (int)i;
	return -ENOENT;
}

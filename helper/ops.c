/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The op table and every op's field schema, generated from protocol/helper-ops.def; the README's
 * op table printed from the same. */
#include <stdio.h>

#include "common/macro.h"
#include "helper/helper.h"
#include "helper/ops.h"
#include "helper/validate.h"

#define HELPER_TYPE_STRING HELPER_FIELD_STRING
#define HELPER_TYPE_INT HELPER_FIELD_INT
#define HELPER_TYPE_BOOL HELPER_FIELD_BOOL
#define HELPER_TYPE_STRINGS HELPER_FIELD_ARRAY
#define HELPER_TYPE_DRIVES HELPER_FIELD_ARRAY
#define HELPER_TYPE_FDS HELPER_FIELD_ARRAY
#define HELPER_REQUIRED_REQ true
#define HELPER_REQUIRED_OPT false

#define HELPER_OP(c, wire, vm, ser, val, fds, result)                                              \
	static const struct helper_field fields_##c[] = {
#define HELPER_FIELD(c, f, type_, req_, min_, max_, check_, doc_)                                  \
	{.name = #f,                                                                               \
		.type = HELPER_TYPE_##type_,                                                       \
		.required = HELPER_REQUIRED_##req_,                                                \
		.min = (min_),                                                                     \
		.max = (max_),                                                                     \
		.check = (check_),                                                                 \
		.doc = (doc_)},
#define HELPER_END(c)                                                                              \
	{                                                                                          \
	}                                                                                          \
	}                                                                                          \
	;
#include "protocol/helper-ops.def"
#undef HELPER_OP
#undef HELPER_FIELD
#undef HELPER_END

#define HELPER_VALIDATE_VALIDATE(c) op_##c##_validate
#define HELPER_VALIDATE_NO_VALIDATE(c) NULL

const struct helper_op helper_ops[] = {
#define HELPER_OP(c, wire, vm, ser, val, fds_, result_)                                            \
	{.name = wire,                                                                             \
		.fields = fields_##c,                                                              \
		.validate = HELPER_VALIDATE_##val(c),                                              \
		.run = op_##c##_run,                                                               \
		.needs_vm_id = vm,                                                                 \
		.serial = HELPER_SERIAL_##ser,                                                     \
		.descriptors = fds_,                                                               \
		.result = result_},
#define HELPER_FIELD(c, f, type, req, min, max, check, doc)
#define HELPER_END(c)
#include "protocol/helper-ops.def"
#undef HELPER_OP
#undef HELPER_FIELD
#undef HELPER_END
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

/* A cell: its text, or nothing. */
static void cell(FILE *f, const char *s)
{
	fprintf(f, "| %s%s", s, *s ? " " : "");
}

void helper_ops_print(FILE *f)
{
	fputs("| op | params (`?` optional) | descriptors | result |\n", f);
	fputs("|---|---|---|---|\n", f);
	for (size_t i = 0; i < helper_ops_count; i++) {
		const struct helper_op *op = &helper_ops[i];

		fprintf(f, "| `%s` |", op->name);
		for (const struct helper_field *fl = op->fields; fl->name; fl++)
			fprintf(f, "%s `%s%s`%s%s%s", fl == op->fields ? "" : ",", fl->name,
				fl->required ? "" : "?", fl->doc[0] ? " (" : "", fl->doc,
				fl->doc[0] ? ")" : "");
		fputc(' ', f);
		cell(f, op->descriptors);
		cell(f, op->result);
		fputs("|\n", f);
	}
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's typed requests (protocol/helper-ops.h) against the helper's schemas (helper/ops.c):
 * both come from protocol/helper-ops.def, and this checks that what one side builds the other
 * accepts — every key a field of the op with the JSON type the helper checks, every field the
 * helper requires present — and that `--print-ops` shows every field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/macro.h"
#include "helper/helper.h"
#include "helper/ops.h"
#include "protocol/helper-ops.h"

static const char *const sample_strings[] = {"--no-boot"};
static const struct helper_block_drive sample_drive = {"rootfs", "/dev/loop0"};

/* every member of a request set */
#define SAMPLE_STRING_REQ(f) .f = "x",
#define SAMPLE_STRING_OPT(f) .f = "x",
#define SAMPLE_INT_REQ(f) .f = 1,
#define SAMPLE_INT_OPT(f) .has_##f = true, .f = 1,
#define SAMPLE_BOOL_REQ(f) .f = true,
#define SAMPLE_BOOL_OPT(f) .has_##f = true, .f = true,
#define SAMPLE_STRINGS_REQ(f) .f = sample_strings, .n_##f = 1,
#define SAMPLE_STRINGS_OPT(f) SAMPLE_STRINGS_REQ(f)
#define SAMPLE_DRIVES_REQ(f) .f = &sample_drive, .n_##f = 1,
#define SAMPLE_DRIVES_OPT(f) SAMPLE_DRIVES_REQ(f)
#define SAMPLE_FDS_REQ(f) .f = {{"console"}, {0}, 1},
#define SAMPLE_FDS_OPT(f) SAMPLE_FDS_REQ(f)

static bool type_matches(enum helper_field_type t, const json_t *v)
{
	switch (t) {
	case HELPER_FIELD_STRING:
		return json_is_string(v);
	case HELPER_FIELD_INT:
		return json_is_integer(v);
	case HELPER_FIELD_BOOL:
		return json_is_boolean(v);
	case HELPER_FIELD_ARRAY:
		return json_is_array(v);
	case _HELPER_FIELD_TYPE_MAX:
	case _HELPER_FIELD_TYPE_INVALID:
		break;
	}
	return false;
}

/* params: everything the daemon can send for op (the client adds "fds" itself) */
static void check_op(const char *name, json_t *params, bool sends_fds)
{
	const struct helper_op *op = helper_op_find(name);
	const char *key;
	json_t *v;

	assert_non_null(op);
	json_object_foreach(params, key, v)
	{
		const struct helper_field *f = op->fields;
		while (f->name && !streq(f->name, key))
			f++;
		if (!f->name)
			fail_msg(
				"%s: the daemon sends \"%s\", which the helper refuses", name, key);
		if (!type_matches(f->type, v))
			fail_msg("%s: the daemon sends \"%s\" of another type than the helper "
				 "checks",
				name, key);
	}
	for (const struct helper_field *f = op->fields; f->name; f++) {
		if (streq(f->name, "fds")) {
			if (!sends_fds)
				fail_msg("%s: the helper takes descriptors the daemon cannot send",
					name);
			continue;
		}
		if (!json_object_get(params, f->name))
			fail_msg("%s: the helper's field \"%s\" cannot be sent", name, f->name);
	}
}

#define HELPER_FDS_STRING 0
#define HELPER_FDS_INT 0
#define HELPER_FDS_BOOL 0
#define HELPER_FDS_STRINGS 0
#define HELPER_FDS_DRIVES 0
#define HELPER_FDS_FDS 1

/* whether an op's request carries descriptors: 1 when one of its fields is FDS */
#define SENDS_FDS_OP(c)                                                                            \
	static bool sends_fds_##c(void)                                                            \
	{                                                                                          \
		return 0
#define SENDS_FDS_FIELD(type) || HELPER_FDS_##type
#define SENDS_FDS_END                                                                              \
	;                                                                                          \
	}
#define HELPER_OP(c, wire, vm, ser, val, fds, result) SENDS_FDS_OP(c)
#define HELPER_FIELD(c, f, type, req, min, max, check, doc) SENDS_FDS_FIELD(type)
#define HELPER_END(c) SENDS_FDS_END
#include "protocol/helper-ops.def"
#undef HELPER_OP
#undef HELPER_FIELD
#undef HELPER_END

#define HELPER_OP(c, wire, vm, ser, val, fds, result)                                              \
	static void test_##c(_unused_ void **state)                                                \
	{                                                                                          \
		json_t *params = NULL;                                                             \
		struct helper_req_##c req = {
#define HELPER_FIELD(c, f, type, req, min, max, check, doc) SAMPLE_##type##_##req(f)
#define HELPER_END(c)                                                                              \
	}                                                                                          \
	;                                                                                          \
	assert_int_equal(helper_req_##c##_params(&req, &params), 0);                               \
	check_op(helper_op_name_##c, params, sends_fds_##c());                                     \
	json_decref(params);                                                                       \
	}
#include "protocol/helper-ops.def"
#undef HELPER_OP
#undef HELPER_FIELD
#undef HELPER_END

/* A required string left NULL is refused before anything is sent. */
static void test_required_missing(_unused_ void **state)
{
	json_t *params = NULL;

	assert_int_equal(
		helper_req_tap_create_params(&(struct helper_req_tap_create){}, &params), -EINVAL);
	assert_null(params);
}

/* Every op and every field is in the printed table. */
static void test_print_ops(_unused_ void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	helper_ops_print(f);
	fclose(f);
	for (size_t i = 0; i < helper_ops_count; i++) {
		char needle[64];
		snprintf(needle, sizeof(needle), "| `%s` |", helper_ops[i].name);
		assert_non_null(strstr(buf, needle));
		for (const struct helper_field *fl = helper_ops[i].fields; fl->name; fl++) {
			snprintf(needle, sizeof(needle), "`%s%s`", fl->name,
				fl->required ? "" : "?");
			assert_non_null(strstr(buf, needle));
		}
	}
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define HELPER_OP(c, wire, vm, ser, val, fds, result) cmocka_unit_test(test_##c),
#define HELPER_FIELD(c, f, type, req, min, max, check, doc)
#define HELPER_END(c)
#include "protocol/helper-ops.def"
#undef HELPER_OP
#undef HELPER_FIELD
#undef HELPER_END
		cmocka_unit_test(test_required_missing),
		cmocka_unit_test(test_print_ops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Builders of bangerd-root's request params, generated from helper-ops.def. */
#include <errno.h>

#include "common/macro.h"
#include "protocol/helper-ops.h"

static int put(json_t *o, const char *key, json_t *v)
{
	return v && json_object_set_new(o, key, v) >= 0 ? 0 : -ENOMEM;
}

static int put_strings(json_t *o, const char *key, const char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_string(v[i])) < 0)
			return json_decref(a), -ENOMEM;
	return put(o, key, a);
}

static int put_drives(json_t *o, const char *key, const struct helper_block_drive *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a,
			    json_pack("{s:s, s:s}", "name", v[i].name, "device", v[i].device)) < 0)
			return json_decref(a), -ENOMEM;
	return put(o, key, a);
}

/* One expression per field type: 0, -ENOMEM, or -EINVAL for a required string left NULL. */
#define HELPER_PUT_STRING_REQ(f) (req->f ? put(o, #f, json_string(req->f)) : -EINVAL)
#define HELPER_PUT_STRING_OPT(f) (req->f ? put(o, #f, json_string(req->f)) : 0)
#define HELPER_PUT_INT_REQ(f) put(o, #f, json_integer(req->f))
#define HELPER_PUT_INT_OPT(f) (req->has_##f ? put(o, #f, json_integer(req->f)) : 0)
#define HELPER_PUT_BOOL_REQ(f) put(o, #f, json_boolean(req->f))
#define HELPER_PUT_BOOL_OPT(f) (req->has_##f ? put(o, #f, json_boolean(req->f)) : 0)
#define HELPER_PUT_STRINGS_REQ(f) put_strings(o, #f, req->f, req->n_##f)
#define HELPER_PUT_STRINGS_OPT(f) (req->f ? put_strings(o, #f, req->f, req->n_##f) : 0)
#define HELPER_PUT_DRIVES_REQ(f) put_drives(o, #f, req->f, req->n_##f)
#define HELPER_PUT_DRIVES_OPT(f) (req->f ? put_drives(o, #f, req->f, req->n_##f) : 0)
#define HELPER_PUT_FDS_REQ(f) 0
#define HELPER_PUT_FDS_OPT(f) 0

#define HELPER_OP(c, wire, vm, ser, val, fds, result)                                              \
	const char helper_op_name_##c[] = wire;                                                    \
	int helper_req_##c##_params(_unused_ const struct helper_req_##c *req, json_t **ret)       \
	{                                                                                          \
		json_t *o = json_object();                                                         \
		int r = o ? 0 : -ENOMEM;
#define HELPER_FIELD(c, f, type, req, min, max, check, doc)                                        \
	if (r >= 0)                                                                                \
		r = HELPER_PUT_##type##_##req(f);
#define HELPER_END(c)                                                                              \
	if (r < 0) {                                                                               \
		json_decref(o);                                                                    \
		return r;                                                                          \
	}                                                                                          \
	*ret = o;                                                                                  \
	return 0;                                                                                  \
	}
#include "protocol/helper-ops.def"
#undef HELPER_OP
#undef HELPER_FIELD
#undef HELPER_END

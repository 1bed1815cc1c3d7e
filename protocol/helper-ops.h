/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The requests of bangerd-root's ops as C types, generated from helper-ops.def: one struct per
 * op whose members are the op's fields, and a builder that turns it into the op's params. The
 * daemon fills these (daemon/helper-port.h); a key the helper does not accept has no member. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define HELPER_OP_MAX_FDS 8

/* The descriptors sent with a request and the names the helper knows them by. */
struct helper_fds {
	const char *names[HELPER_OP_MAX_FDS];
	int fds[HELPER_OP_MAX_FDS];
	size_t n;
};

/* One element of a DRIVES field. */
struct helper_block_drive {
	const char *name;
	const char *device;
};

/* Members per field type: an absent optional STRING is NULL, an optional INT or BOOL says with
 * has_<field> whether it is sent, an array is a pointer and a count. */
#define HELPER_MEMBER_STRING_REQ(f) const char *f;
#define HELPER_MEMBER_STRING_OPT(f) const char *f;
#define HELPER_MEMBER_INT_REQ(f) json_int_t f;
#define HELPER_MEMBER_INT_OPT(f)                                                                   \
	bool has_##f;                                                                              \
	json_int_t f;
#define HELPER_MEMBER_BOOL_REQ(f) bool f;
#define HELPER_MEMBER_BOOL_OPT(f)                                                                  \
	bool has_##f;                                                                              \
	bool f;
#define HELPER_MEMBER_STRINGS_REQ(f)                                                               \
	const char *const *f;                                                                      \
	size_t n_##f;
#define HELPER_MEMBER_STRINGS_OPT(f) HELPER_MEMBER_STRINGS_REQ(f)
#define HELPER_MEMBER_DRIVES_REQ(f)                                                                \
	const struct helper_block_drive *f;                                                        \
	size_t n_##f;
#define HELPER_MEMBER_DRIVES_OPT(f) HELPER_MEMBER_DRIVES_REQ(f)
#define HELPER_MEMBER_FDS_REQ(f) struct helper_fds f;
#define HELPER_MEMBER_FDS_OPT(f) struct helper_fds f;

#define HELPER_OP(c, wire, vm, ser, val, fds, result) struct helper_req_##c {
#define HELPER_FIELD(c, f, type, req, min, max, check, doc) HELPER_MEMBER_##type##_##req(f)
#define HELPER_END(c)                                                                              \
	}                                                                                          \
	;
#include "protocol/helper-ops.def"
#undef HELPER_OP
#undef HELPER_FIELD
#undef HELPER_END

/* The op's wire name ("net.tap_create"), and its params as a new object in *ret: 0, -ENOMEM, or
 * -EINVAL when a required string is NULL. Descriptor names (FDS) are not in it: the client that
 * sends the descriptors adds them. */
#define HELPER_OP(c, wire, vm, ser, val, fds, result)                                              \
	extern const char helper_op_name_##c[];                                                    \
	int helper_req_##c##_params(const struct helper_req_##c *req, json_t **ret);
#define HELPER_FIELD(c, f, type, req, min, max, check, doc)
#define HELPER_END(c)
#include "protocol/helper-ops.def"
#undef HELPER_OP
#undef HELPER_FIELD
#undef HELPER_END

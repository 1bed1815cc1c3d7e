/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bangerd.sock's methods, from methods.def: their ids and wire names, each method's parameter
 * struct and schema, and the one check of a request's params against it. */
#pragma once

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "protocol/error.h"
#include "protocol/publish.h"
#include "protocol/vm.h"

enum rpc_method {
#define METHOD(id, ...) RPC_METHOD_##id,
#define METHOD_JSON(id, ...) RPC_METHOD_##id,
#define UNAVAILABLE(id, ...) RPC_METHOD_##id,
#include "protocol/methods.def"
#undef METHOD
#undef METHOD_JSON
#undef UNAVAILABLE
	_RPC_METHOD_MAX,
	_RPC_METHOD_INVALID = -EINVAL,
};

/* The wire name ("vm.start"); NULL out of range. */
const char *rpc_method_to_string(enum rpc_method m);
/* _RPC_METHOD_INVALID for NULL and for names bangerd does not have. */
enum rpc_method rpc_method_from_string(const char *s);

/* One struct per method, its members named and typed as its parameters: struct rpc_vm_logs_args
 * {const char *name; const char *id; json_int_t tail;}. Strings borrow from the request. */
#define ARG_STRING(n, ...) const char *n;
#define ARG_INT(n, ...) json_int_t n;
#define ARG_BOOL(n) bool n;
#define ARG_STRINGS(n, ...) const json_t *n;
#define METHOD(id, wire, fn, ...)                                                                  \
	struct fn##_args {                                                                         \
		__VA_ARGS__                                                                        \
	};
#define METHOD_JSON METHOD
#define UNAVAILABLE(...)
#include "protocol/methods.def"
#undef METHOD
#undef METHOD_JSON
#undef UNAVAILABLE

/* Room for any method's parameters. */
union rpc_args {
#define METHOD(id, wire, fn, ...) struct fn##_args fn;
#define METHOD_JSON METHOD
#define UNAVAILABLE(...)
#include "protocol/methods.def"
#undef METHOD
#undef METHOD_JSON
#undef UNAVAILABLE
#undef ARG_STRING
#undef ARG_INT
#undef ARG_BOOL
#undef ARG_STRINGS
};

enum rpc_arg_type {
	RPC_ARG_STRING,
	RPC_ARG_INT,
	RPC_ARG_BOOL,
	RPC_ARG_STRINGS,
	_RPC_ARG_TYPE_MAX,
	_RPC_ARG_TYPE_INVALID = -EINVAL,
};

enum rpc_pattern {
	RPC_PATTERN_NONE,
	RPC_PATTERN_NAME,          /* vm_name_is_valid() */
	RPC_PATTERN_ABSOLUTE_PATH, /* starts with '/' */
	_RPC_PATTERN_MAX,
	_RPC_PATTERN_INVALID = -EINVAL,
};

/* One parameter's schema (methods.def explains each member). */
struct rpc_arg {
	const char *name;
	enum rpc_arg_type type;
	bool required;
	bool one_of;
	json_int_t min, max, int_default;
	const char *str_default;
	size_t max_len;   /* 0: no limit; ARG_STRINGS: of each string */
	size_t max_items; /* ARG_STRINGS: at most this many (always given) */
	enum rpc_pattern pattern;
	const char *what; /* what a NAME names, in its message */
};

struct rpc_method_info {
	const char *name;
	const struct rpc_arg *args; /* ends with an entry whose name is NULL */
	const char *unavailable;    /* for UNAVAILABLE rows: what is missing */
};

/* NULL out of range. */
const struct rpc_method_info *rpc_method_info(enum rpc_method m);

/* Checks params (NULL counts as {}) against m's schema and fills m's member of *ret, defaults
 * included. -EINVAL/-ERANGE with err filled (invalid_argument, naming the parameter and the
 * rule) when params is not an object, has a member the method does not declare, or a member
 * breaks its declaration; *ret is then unspecified. Strings in *ret borrow from params. */
int rpc_args_decode(
	enum rpc_method m, const json_t *params, union rpc_args *ret, struct rpc_error *err);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bangerd.sock's methods, from methods.def: names, schemas, and the check of a request's params
 * every handler relies on. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/macro.h"
#include "protocol/methods.h"

/* Each method's schema, in methods.def's order, ending with a nameless entry. */
#define ARG_STRING(n, ...) {.name = #n, .type = RPC_ARG_STRING, __VA_ARGS__},
#define ARG_INT(n, ...) {.name = #n, .type = RPC_ARG_INT, __VA_ARGS__},
#define ARG_BOOL(n) {.name = #n, .type = RPC_ARG_BOOL},
#define ARG_STRINGS(n, ...) {.name = #n, .type = RPC_ARG_STRINGS, __VA_ARGS__},
#define METHOD(id, wire, fn, ...) static const struct rpc_arg fn##_schema[] = {__VA_ARGS__{}};
#define METHOD_JSON METHOD
#define UNAVAILABLE(id, ...) static const struct rpc_arg id##_schema[] = {{}};
#include "protocol/methods.def"
#undef METHOD
#undef METHOD_JSON
#undef UNAVAILABLE
#undef ARG_STRING
#undef ARG_INT
#undef ARG_BOOL
#undef ARG_STRINGS

static const struct rpc_method_info methods[_RPC_METHOD_MAX] = {
#define METHOD(id, wire, fn, ...) [RPC_METHOD_##id] = {.name = wire, .args = fn##_schema},
#define METHOD_JSON METHOD
#define UNAVAILABLE(id, wire, why)                                                                 \
	[RPC_METHOD_##id] = {.name = wire, .args = id##_schema, .unavailable = why},
#include "protocol/methods.def"
#undef METHOD
#undef METHOD_JSON
#undef UNAVAILABLE
};

const char *rpc_method_to_string(enum rpc_method m)
{
	if (m < 0 || m >= _RPC_METHOD_MAX)
		return NULL;
	return methods[m].name;
}

enum rpc_method rpc_method_from_string(const char *s)
{
	for (int m = 0; s && m < _RPC_METHOD_MAX; m++)
		if (streq(methods[m].name, s))
			return m;
	return _RPC_METHOD_INVALID;
}

const struct rpc_method_info *rpc_method_info(enum rpc_method m)
{
	if (m < 0 || m >= _RPC_METHOD_MAX)
		return NULL;
	return &methods[m];
}

static int invalid(struct rpc_error *err, const char *fmt, ...) _printf_(2, 3);
static int invalid(struct rpc_error *err, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = rpc_error_setv(err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT, fmt, ap);
	va_end(ap);
	return r;
}

/* The member for a, or NULL when absent or null; refuses an absent required one. */
static int member(
	const json_t *params, const struct rpc_arg *a, json_t **ret, struct rpc_error *err)
{
	json_t *v = json_object_get(params, a->name);

	if (!v || json_is_null(v)) {
		if (a->required)
			return invalid(err, "Missing required parameter \"%s\"", a->name);
		v = NULL;
	}
	*ret = v;
	return 0;
}

static int decode_string(
	const json_t *params, const struct rpc_arg *a, const char **ret, struct rpc_error *err)
{
	const char *s;
	json_t *v;
	size_t len;
	int r;

	r = member(params, a, &v, err);
	if (r < 0)
		return r;
	if (!v) {
		*ret = a->str_default;
		return 0;
	}
	if (!json_is_string(v))
		return invalid(err, "Parameter \"%s\" must be a string", a->name);
	s = json_string_value(v);
	len = json_string_length(v);
	/* the C string every handler sees must be all of it */
	if (strlen(s) != len)
		return invalid(err, "Parameter \"%s\" must not contain a NUL character", a->name);
	if (a->max_len > 0 && len > a->max_len)
		return invalid(err, "Parameter \"%s\" must be at most %zu bytes, got %zu", a->name,
			a->max_len, len);
	switch (a->pattern) {
	case RPC_PATTERN_NONE:
		break;
	case RPC_PATTERN_NAME:
		if (!vm_name_is_valid(s))
			return invalid(err,
				"Invalid %s \"%.64s\": use 1-%d characters, a-z, 0-9 and '-', "
				"starting "
				"with a letter",
				a->what ? a->what : a->name, s, VM_NAME_MAX);
		break;
	case RPC_PATTERN_ABSOLUTE_PATH:
		if (s[0] != '/')
			return invalid(err, "The %s path \"%s\" must be absolute", a->name, s);
		break;
	case _RPC_PATTERN_MAX:
	case _RPC_PATTERN_INVALID:
		return rpc_error_set(err, -EINVAL, RPC_ERROR_INTERNAL,
			"Parameter \"%s\" has no valid pattern", a->name);
	}
	*ret = s;
	return 0;
}

static int decode_int(
	const json_t *params, const struct rpc_arg *a, json_int_t *ret, struct rpc_error *err)
{
	json_int_t i;
	json_t *v;
	int r;

	r = member(params, a, &v, err);
	if (r < 0)
		return r;
	if (!v) {
		*ret = a->int_default;
		return 0;
	}
	if (!json_is_integer(v))
		return invalid(err, "Parameter \"%s\" must be an integer", a->name);
	i = json_integer_value(v);
	if (i < a->min || i > a->max)
		return rpc_error_set(err, -ERANGE, RPC_ERROR_INVALID_ARGUMENT,
			"Parameter \"%s\" must be between %" JSON_INTEGER_FORMAT
			" and %" JSON_INTEGER_FORMAT ", got %" JSON_INTEGER_FORMAT,
			a->name, a->min, a->max, i);
	*ret = i;
	return 0;
}

static int decode_bool(
	const json_t *params, const struct rpc_arg *a, bool *ret, struct rpc_error *err)
{
	json_t *v;
	int r;

	r = member(params, a, &v, err);
	if (r < 0)
		return r;
	if (!v) {
		*ret = false;
		return 0;
	}
	if (!json_is_boolean(v))
		return invalid(err, "Parameter \"%s\" must be true or false", a->name);
	*ret = json_is_true(v);
	return 0;
}

/* An array of at most max_items strings, each without NUL and at most max_len bytes; what they
 * mean is the handler's to check. NULL when absent. */
static int decode_strings(
	const json_t *params, const struct rpc_arg *a, const json_t **ret, struct rpc_error *err)
{
	json_t *v, *s;
	size_t i;
	int r;

	r = member(params, a, &v, err);
	if (r < 0)
		return r;
	if (!v) {
		*ret = NULL;
		return 0;
	}
	if (!json_is_array(v))
		return invalid(err, "Parameter \"%s\" must be a list of strings", a->name);
	if (json_array_size(v) > a->max_items)
		return invalid(err, "Parameter \"%s\" takes at most %zu items, got %zu", a->name,
			a->max_items, json_array_size(v));
	json_array_foreach(v, i, s)
	{
		if (!json_is_string(s))
			return invalid(err, "Parameter \"%s\" must be a list of strings", a->name);
		if (strlen(json_string_value(s)) != json_string_length(s))
			return invalid(
				err, "Parameter \"%s\" must not contain a NUL character", a->name);
		if (a->max_len > 0 && json_string_length(s) > a->max_len)
			return invalid(err, "Parameter \"%s\": each item is at most %zu bytes",
				a->name, a->max_len);
	}
	*ret = v;
	return 0;
}

/* One decoder per method: each parameter lands in its own typed member. */
#define ARG_STRING(n, ...)                                                                         \
	if (r >= 0)                                                                                \
		r = decode_string(params, &schema[i], &a->n, err);                                 \
	i++;
#define ARG_INT(n, ...)                                                                            \
	if (r >= 0)                                                                                \
		r = decode_int(params, &schema[i], &a->n, err);                                    \
	i++;
#define ARG_BOOL(n)                                                                                \
	if (r >= 0)                                                                                \
		r = decode_bool(params, &schema[i], &a->n, err);                                   \
	i++;
#define ARG_STRINGS(n, ...)                                                                        \
	if (r >= 0)                                                                                \
		r = decode_strings(params, &schema[i], &a->n, err);                                \
	i++;
#define METHOD(id, wire, fn, ...)                                                                  \
	static int fn##_decode(const json_t *params, union rpc_args *u, struct rpc_error *err)     \
	{                                                                                          \
		_unused_ const struct rpc_arg *schema = fn##_schema;                               \
		_unused_ struct fn##_args *a = &u->fn;                                             \
		_unused_ size_t i = 0;                                                             \
		int r = 0;                                                                         \
		__VA_ARGS__                                                                        \
		return r;                                                                          \
	}
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

typedef int (*decode_t)(const json_t *params, union rpc_args *u, struct rpc_error *err);

static const decode_t decoders[_RPC_METHOD_MAX] = {
#define METHOD(id, wire, fn, ...) [RPC_METHOD_##id] = fn##_decode,
#define METHOD_JSON METHOD
#define UNAVAILABLE(...)
#include "protocol/methods.def"
#undef METHOD
#undef METHOD_JSON
#undef UNAVAILABLE
};

static const struct rpc_arg *schema_find(const struct rpc_arg *args, const char *name)
{
	for (; args->name; args++)
		if (streq(args->name, name))
			return args;
	return NULL;
}

/* Exactly one of the one_of parameters, when the method has some. */
static int check_one_of(const struct rpc_arg *args, const json_t *params, struct rpc_error *err)
{
	const struct rpc_arg *group[8];
	size_t n = 0, given = 0, len = 0;
	char names[256] = "";

	for (const struct rpc_arg *a = args; a->name; a++) {
		json_t *v;
		if (!a->one_of || n == ELEMENTSOF(group))
			continue;
		group[n++] = a;
		v = json_object_get(params, a->name);
		if (v && !json_is_null(v))
			given++;
	}
	if (n == 0 || given == 1)
		return 0;
	for (size_t i = 0; i < n && len < sizeof(names); i++)
		len += (size_t)snprintf(names + len, sizeof(names) - len, "%s\"%s\"",
			i == 0       ? ""
			: i + 1 == n ? " and "
				     : ", ",
			group[i]->name);
	return invalid(err, "Give exactly one of %s", names);
}

int rpc_args_decode(
	enum rpc_method m, const json_t *params, union rpc_args *ret, struct rpc_error *err)
{
	const struct rpc_method_info *info = rpc_method_info(m);
	const char *key;
	json_t *v;
	int r;

	if (!info)
		return rpc_error_set(err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT, "Unknown method");
	if (params && !json_is_object(params))
		return invalid(err, "Parameters of %s must be a JSON object", info->name);
	json_object_foreach((json_t *)params, key, v)
	{
		if (!schema_find(info->args, key))
			return invalid(err, "Unknown parameter \"%s\"", key);
	}
	if (!decoders[m])
		return 0;
	memset(ret, 0, sizeof(*ret));
	r = decoders[m](params, ret, err);
	if (r < 0)
		return r;
	return check_one_of(info->args, params, err);
}

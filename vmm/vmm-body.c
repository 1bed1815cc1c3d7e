/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Checking a JSON request body against a table of fields, with serde-like error texts. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/macro.h"
#include "vmm/vmm-body.h"

#define DESERIALIZE "An error occurred when deserializing the json body of a request: "

static const char *const field_type_name[_VMM_FIELD_TYPE_MAX] = {
	[VMM_FIELD_STRING] = "a string",
	[VMM_FIELD_BOOL] = "a boolean",
	[VMM_FIELD_UINT] = "an unsigned integer",
	[VMM_FIELD_OBJECT] = "a map",
	[VMM_FIELD_ARRAY] = "a sequence",
};

static const char *json_kind(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		return "map";
	case JSON_ARRAY:
		return "sequence";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
		return json_integer_value(j) < 0 ? "integer" : "unsigned integer";
	case JSON_REAL:
		return "floating point";
	case JSON_TRUE:
	case JSON_FALSE:
		return "boolean";
	case JSON_NULL:
		return "null";
	}
	return "value";
}

int vmm_body_parse(
	const char *method, const char *data, size_t size, json_t **ret, struct vmm_fault *f)
{
	json_error_t err;
	json_t *j;

	if (size == 0)
		return vmm_fault_set(f, "Empty %s request.", method);
	j = json_loadb(data, size, JSON_REJECT_DUPLICATES, &err);
	if (!j)
		return vmm_fault_set(
			f, DESERIALIZE "%s at line %d column %d.", err.text, err.line, err.column);
	if (!json_is_object(j)) {
		vmm_fault_set(f, DESERIALIZE "invalid type: %s, expected a map.", json_kind(j));
		json_decref(j);
		return -EINVAL;
	}
	*ret = j;
	return 0;
}

static const struct vmm_field *field_find(const struct vmm_field *fields, size_t n, const char *k)
{
	for (size_t i = 0; i < n; i++)
		if (streq(fields[i].name, k))
			return &fields[i];
	return NULL;
}

static bool type_matches(const json_t *v, enum vmm_field_type t)
{
	switch (t) {
	case VMM_FIELD_STRING:
		return json_is_string(v);
	case VMM_FIELD_BOOL:
		return json_is_boolean(v);
	case VMM_FIELD_UINT:
		return json_is_integer(v) && json_integer_value(v) >= 0;
	case VMM_FIELD_OBJECT:
		return json_is_object(v);
	case VMM_FIELD_ARRAY:
		return json_is_array(v);
	case _VMM_FIELD_TYPE_MAX:
	case _VMM_FIELD_TYPE_INVALID:
		break;
	}
	return false;
}

int vmm_body_check(json_t *body, const char *what, const struct vmm_field *fields, size_t n,
	struct vmm_fault *f)
{
	const char *key;
	json_t *v;

	json_object_foreach(body, key, v)
	{
		const struct vmm_field *fd = field_find(fields, n, key);

		if (!fd) {
			char expected[512] = "";
			size_t len = 0;

			for (size_t i = 0; i < n && len < sizeof(expected); i++)
				len += snprintf(expected + len, sizeof(expected) - len, "%s`%s`",
					i == 0 ? "" : (i + 1 == n ? " or " : ", "), fields[i].name);
			return vmm_fault_set(f, DESERIALIZE "unknown field `%s`, expected %s%s.",
				key, n > 1 ? "one of " : "", expected);
		}
		if (json_is_null(v) && !fd->required)
			continue;
		if (!type_matches(v, fd->type))
			return vmm_fault_set(f,
				DESERIALIZE "invalid type: %s for `%s` in %s, expected %s.",
				json_kind(v), key, what, field_type_name[fd->type]);
		if (fd->one_of) {
			bool ok = false;

			for (const char *const *o = fd->one_of; *o; o++)
				ok = ok || streq(*o, json_string_value(v));
			if (!ok)
				return vmm_fault_set(f,
					DESERIALIZE "unknown variant `%s` for `%s` in %s.",
					json_string_value(v), key, what);
		}
	}
	for (size_t i = 0; i < n; i++)
		if (fields[i].required && !json_object_get(body, fields[i].name))
			return vmm_fault_set(
				f, DESERIALIZE "missing field `%s` in %s.", fields[i].name, what);
	return 0;
}

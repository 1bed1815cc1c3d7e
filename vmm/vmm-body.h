/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Checking a JSON request body against a table of fields, with serde-like error texts. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "vmm/vmm.h"

enum vmm_field_type {
	VMM_FIELD_STRING,
	VMM_FIELD_BOOL,
	VMM_FIELD_UINT,
	VMM_FIELD_OBJECT,
	VMM_FIELD_ARRAY,
	_VMM_FIELD_TYPE_MAX,
	_VMM_FIELD_TYPE_INVALID = -EINVAL,
};

struct vmm_field {
	const char *name;
	enum vmm_field_type type;
	bool required;
	/* For strings: the allowed values, NULL-terminated, or NULL for any. */
	const char *const *one_of;
};

/* Parses a request body (must be a JSON object). Empty body: "Empty PUT request." etc. */
int vmm_body_parse(
	const char *method, const char *data, size_t size, json_t **ret, struct vmm_fault *f);

/* Refuses unknown fields, missing required ones, wrong types and values outside one_of
 * (Firecracker's #[serde(deny_unknown_fields)] behaviour). A JSON null counts as absent for
 * optional fields, as serde's Option does. */
int vmm_body_check(json_t *body, const char *what, const struct vmm_field *fields, size_t n,
	struct vmm_fault *f);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Checks of single option values (id, numbers, cgroup and resource-limit specs), with upstream's
 * error texts; pure functions, no system calls. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "vmm/jailer-error.h"

#define JAILER_ID_MIN_LEN 1
#define JAILER_ID_MAX_LEN 64

/* 1-64 bytes of [A-Za-z0-9-]. -EINVAL with "Invalid instance ID: Invalid len (N);  the length
 * must be between 1 and 64" or "Invalid instance ID: Invalid char (c) at position i". */
int jailer_validate_id(const char *id, struct jailer_error *e);

/* Unsigned decimal the way Rust's str::parse does it (an optional leading '+', then digits, at
 * most max). Returns 0, or -EINVAL / -ERANGE with *ret_why set to Rust's message. */
int jailer_parse_uint(const char *s, uint64_t max, uint64_t *ret, const char **ret_why);

/* --parent-cgroup: relative, without "." or ".." components. */
int jailer_validate_parent_cgroup(const char *path, struct jailer_error *e);

/* --cgroup FILE=VALUE: exactly one '=', a non-empty value ("Invalid format for cgroups: ..."),
 * and FILE relative, without "." / ".." components, holding a '.' that ends the controller name
 * ("Cgroup invalid file: ..."). The returned strings are allocated. */
int jailer_parse_cgroup_spec(const char *arg, char **ret_file, char **ret_value,
	char **ret_controller, struct jailer_error *e);

enum jailer_rlimit {
	JAILER_RLIMIT_FSIZE,
	JAILER_RLIMIT_NO_FILE,
	_JAILER_RLIMIT_MAX,
	_JAILER_RLIMIT_INVALID = -22,
};

const char *jailer_rlimit_to_string(enum jailer_rlimit r);

/* --resource-limit NAME=N: NAME fsize or no-file, N a u64. */
int jailer_parse_resource_limit(const char *arg, enum jailer_rlimit *ret_resource,
	uint64_t *ret_value, struct jailer_error *e);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Checks of single option values (id, numbers, cgroup and resource-limit specs), with upstream's
 * error texts; pure functions, no system calls. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/jailer-validate.h"

/* Length of the UTF-8 sequence starting at s (1 for anything malformed), so an invalid character
 * is reported whole and positions count characters, as Rust's chars() does. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n = 1;

	if (s[0] >= 0xf0)
		n = 4;
	else if (s[0] >= 0xe0)
		n = 3;
	else if (s[0] >= 0xc0)
		n = 2;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 1;
	return n;
}

int jailer_validate_id(const char *id, struct jailer_error *e)
{
	size_t len = strlen(id), pos = 0;
	char dbg[128];

	if (len < JAILER_ID_MIN_LEN || len > JAILER_ID_MAX_LEN) {
		snprintf(dbg, sizeof(dbg), "InvalidInstanceId(InvalidLen(%zu, %d, %d))", len,
			JAILER_ID_MIN_LEN, JAILER_ID_MAX_LEN);
		return jailer_error_set(e, -EINVAL, dbg,
			"Invalid instance ID: Invalid len (%zu);  the length must be between %d "
			"and %d",
			len, JAILER_ID_MIN_LEN, JAILER_ID_MAX_LEN);
	}
	for (const unsigned char *p = (const unsigned char *)id; *p; pos++) {
		size_t n = utf8_len(p);
		char c[8] = {};

		if (*p == '-' ||
			(*p < 0x80 && ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
					      (*p >= 'A' && *p <= 'Z')))) {
			p++;
			continue;
		}
		memcpy(c, p, n);
		snprintf(dbg, sizeof(dbg), "InvalidInstanceId(InvalidChar('%s', %zu))", c, pos);
		return jailer_error_set(e, -EINVAL, dbg,
			"Invalid instance ID: Invalid char (%s) at position %zu", c, pos);
	}
	return 0;
}

int jailer_parse_uint(const char *s, uint64_t max, uint64_t *ret, const char **ret_why)
{
	uint64_t v = 0;
	const char *p = s;

	if (*p == '+')
		p++;
	if (!*s || (*s == '+' && !*p)) {
		*ret_why = *s ? "invalid digit found in string"
			      : "cannot parse integer from empty string";
		return -EINVAL;
	}
	for (; *p; p++) {
		if (*p < '0' || *p > '9') {
			*ret_why = "invalid digit found in string";
			return -EINVAL;
		}
		if (v > (max - (uint64_t)(*p - '0')) / 10) {
			*ret_why = "number too large to fit in target type";
			return -ERANGE;
		}
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*ret = v;
	return 0;
}

/* True when a relative path has no "." / ".." component and does not start with '/'. */
static bool path_is_plain_relative(const char *path)
{
	const char *p = path;

	if (*p == '/')
		return false;
	while (*p) {
		size_t n = strcspn(p, "/");

		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += n;
		p += strspn(p, "/");
	}
	return true;
}

int jailer_validate_parent_cgroup(const char *path, struct jailer_error *e)
{
	if (!path_is_plain_relative(path))
		return jailer_error_set(e, -EINVAL, "CgroupInvalidParentPath",
			"Parent cgroup path is invalid. Path should not be absolute or contain "
			"'..' "
			"or '.'");
	return 0;
}

int jailer_parse_cgroup_spec(const char *arg, char **ret_file, char **ret_value,
	char **ret_controller, struct jailer_error *e)
{
	const char *eq = strchr(arg, '='), *dot;
	_cleanup_free_ char *file = NULL, *value = NULL, *controller = NULL;
	char dbg[640];

	if (!eq || strchr(eq + 1, '=') || !eq[1]) {
		snprintf(dbg, sizeof(dbg), "CgroupFormat(\"%s\")", arg);
		return jailer_error_set(e, -EINVAL, dbg, "Invalid format for cgroups: %s", arg);
	}
	file = strndup(arg, (size_t)(eq - arg));
	value = strdup(eq + 1);
	if (!file || !value)
		return jailer_error_set(e, -ENOMEM, "OutOfMemory", "Out of memory");

	dot = strchr(file, '.');
	if (!path_is_plain_relative(file) || !dot || dot == file || strchr(file, '/')) {
		snprintf(dbg, sizeof(dbg), "CgroupInvalidFile(\"%s\")", file);
		return jailer_error_set(e, -EINVAL, dbg, "Cgroup invalid file: %s", file);
	}
	controller = strndup(file, (size_t)(dot - file));
	if (!controller)
		return jailer_error_set(e, -ENOMEM, "OutOfMemory", "Out of memory");

	*ret_file = TAKE_PTR(file);
	*ret_value = TAKE_PTR(value);
	*ret_controller = TAKE_PTR(controller);
	return 0;
}

static const char *const rlimit_names[_JAILER_RLIMIT_MAX] = {
	[JAILER_RLIMIT_FSIZE] = "fsize",
	[JAILER_RLIMIT_NO_FILE] = "no-file",
};

const char *jailer_rlimit_to_string(enum jailer_rlimit r)
{
	if (r < 0 || r >= _JAILER_RLIMIT_MAX)
		return NULL;
	return rlimit_names[r];
}

int jailer_parse_resource_limit(const char *arg, enum jailer_rlimit *ret_resource,
	uint64_t *ret_value, struct jailer_error *e)
{
	const char *eq = strchr(arg, '='), *why = NULL;
	char dbg[640], name[256];
	uint64_t v;

	if (!eq) {
		snprintf(dbg, sizeof(dbg), "ResLimitFormat(\"%s\")", arg);
		return jailer_error_set(
			e, -EINVAL, dbg, "Invalid format for resources limits: %s", arg);
	}
	if (jailer_parse_uint(eq + 1, UINT64_MAX, &v, &why) < 0) {
		snprintf(dbg, sizeof(dbg), "ResLimitValue(\"%s\", \"%s\")", eq + 1, why);
		return jailer_error_set(
			e, -EINVAL, dbg, "Invalid limit value for resource: %s: %s", eq + 1, why);
	}
	snprintf(name, sizeof(name), "%.*s", (int)(eq - arg), arg);
	for (int i = 0; i < _JAILER_RLIMIT_MAX; i++)
		if (streq(rlimit_names[i], name)) {
			*ret_resource = (enum jailer_rlimit)i;
			*ret_value = v;
			return 0;
		}
	snprintf(dbg, sizeof(dbg), "ResLimitArgument(\"%s\")", name);
	return jailer_error_set(e, -EINVAL, dbg, "Invalid resource argument: %s", name);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Syntax checks for every field a request may carry: pure functions, no system calls. */
#include <arpa/inet.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "common/macro.h"
#include "helper/helper.h"
#include "helper/validate.h"
#include "protocol/publish.h"

static bool chars_in(const char *s, const char *extra)
{
	for (; *s; s++) {
		char c = *s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
			continue;
		if (!strchr(extra, c))
			return false;
	}
	return true;
}

/* The jailer's own rule (validate_instance_id), kept to ASCII: 1-64 of [A-Za-z0-9-]. */
bool vm_id_is_valid(const char *s)
{
	size_t n = strlen(s);
	return n >= 1 && n <= 64 && chars_in(s, "-") && s[0] != '-';
}

/* "bgt-" and 1-11 more of [a-z0-9-], so the whole name fits IFNAMSIZ. */
bool tap_name_is_valid(const char *s)
{
	size_t n = strlen(s), p = strlen(HELPER_TAP_PREFIX);
	if (n <= p || n >= IFNAMSIZ || !strneq(s, HELPER_TAP_PREFIX, p))
		return false;
	for (const char *c = s + p; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-'))
			return false;
	return true;
}

/* "banger" and up to 9 more of [a-z0-9-]: banger0 by default. */
bool bridge_name_is_valid(const char *s)
{
	size_t n = strlen(s);
	if (n < 6 || n >= IFNAMSIZ || !strneq(s, "banger", 6))
		return false;
	for (const char *c = s; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-'))
			return false;
	return true;
}

bool drive_name_is_valid(const char *s)
{
	size_t n = strlen(s);
	return n >= 1 && n <= 32 && chars_in(s, "_-");
}

int ipv4_cidr_parse(const char *s, struct in_addr *ret_addr, unsigned *ret_prefix)
{
	char buf[INET_ADDRSTRLEN + 4];
	const char *slash = strchr(s, '/');
	unsigned prefix = 0;
	struct in_addr a;
	size_t alen;

	if (!slash || strlen(s) >= sizeof(buf))
		return -EINVAL;
	alen = (size_t)(slash - s);
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, &a) != 1)
		return -EINVAL;
	/* Exactly one or two decimal digits, no sign, no leading zero. */
	const char *p = slash + 1;
	if (!(p[0] >= '0' && p[0] <= '9') || (p[1] && !(p[1] >= '0' && p[1] <= '9')) ||
		(p[1] && p[2]) || (p[0] == '0' && p[1]))
		return -EINVAL;
	prefix = (unsigned)(p[0] - '0');
	if (p[1])
		prefix = prefix * 10 + (unsigned)(p[1] - '0');
	if (prefix > 32)
		return -EINVAL;
	*ret_addr = a;
	*ret_prefix = prefix;
	return 0;
}

bool block_device_path_is_valid(const char *s)
{
	const char *dm = "/dev/mapper/" HELPER_DM_PREFIX, *loop = "/dev/loop";
	if (strneq(s, dm, strlen(dm)))
		return vm_id_is_valid(s + strlen(dm));
	if (strneq(s, loop, strlen(loop))) {
		const char *d = s + strlen(loop);
		size_t n = strlen(d);
		if (n < 1 || n > 6 || (d[0] == '0' && n > 1))
			return false;
		for (; *d; d++)
			if (*d < '0' || *d > '9')
				return false;
		return true;
	}
	return false;
}

static const struct {
	const char *name;
	int sig;
} signal_table[] = {
	{"TERM", SIGTERM},
	{"KILL", SIGKILL},
	{"INT", SIGINT},
};

int signal_from_name(const char *s)
{
	for (size_t i = 0; i < ELEMENTSOF(signal_table); i++)
		if (streq(signal_table[i].name, s))
			return signal_table[i].sig;
	return -EINVAL;
}

static int bad(struct rpc_error *err, const char *name, const char *why)
{
	return rpc_error_set(
		err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT, "Invalid \"%s\": %s", name, why);
}

/* Strings carry no NUL: jansson allows "\u0000" inside a string. */
static const char *plain_string(const json_t *v)
{
	if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
		return NULL;
	return json_string_value(v);
}

int check_vm_id(const json_t *v, const char *name, struct rpc_error *err)
{
	const char *s = plain_string(v);
	if (!s || !vm_id_is_valid(s))
		return bad(err, name,
			"a VM id is 1-64 characters of [A-Za-z0-9-], not starting with '-'");
	return 0;
}

int check_tap_name(const json_t *v, const char *name, struct rpc_error *err)
{
	const char *s = plain_string(v);
	if (!s || !tap_name_is_valid(s))
		return bad(err, name,
			"a tap name is \"" HELPER_TAP_PREFIX "\" followed by 1-11 of [a-z0-9-]");
	return 0;
}

int check_bridge_name(const json_t *v, const char *name, struct rpc_error *err)
{
	const char *s = plain_string(v);
	if (!s || !bridge_name_is_valid(s))
		return bad(
			err, name, "a bridge name is \"banger\" followed by up to 9 of [a-z0-9-]");
	return 0;
}

/* A bridge subnet must be ordinary unicast space: not 0/8, loopback, link-local, multicast or
 * the reserved 240/4 (the kernel would accept all of them on a bridge). */
static bool ipv4_is_ordinary(struct in_addr a)
{
	uint32_t h = ntohl(a.s_addr);
	return (h >> 24) != 0 && (h >> 24) != 127 && (h >> 16) != 0xa9fe && (h >> 28) < 0xe;
}

int check_ipv4_host_cidr(const json_t *v, const char *name, struct rpc_error *err)
{
	const char *s = plain_string(v);
	struct in_addr a;
	unsigned prefix;

	if (!s || ipv4_cidr_parse(s, &a, &prefix) < 0 || prefix < 8 || prefix > 30)
		return bad(err, name,
			"expected an IPv4 address with a prefix length 8-30, e.g. 172.16.0.1/24");
	if (!ipv4_is_ordinary(a))
		return bad(err, name,
			"not an ordinary unicast address (0/8, 127/8, 169.254/16, 224/3 are "
			"refused)");
	uint32_t host = ntohl(a.s_addr), mask = prefix ? ~0u << (32 - prefix) : 0;
	if ((host & ~mask) == 0 || (host & ~mask) == ~mask)
		return bad(
			err, name, "the address is the network or broadcast address of its subnet");
	return 0;
}

int check_ipv4_subnet(const json_t *v, const char *name, struct rpc_error *err)
{
	const char *s = plain_string(v);
	struct in_addr a;
	unsigned prefix;

	if (!s || ipv4_cidr_parse(s, &a, &prefix) < 0 || prefix < 8 || prefix > 30)
		return bad(err, name,
			"expected an IPv4 subnet with a prefix length 8-30, e.g. 172.16.0.0/24");
	if (!ipv4_is_ordinary(a))
		return bad(err, name,
			"not an ordinary unicast subnet (0/8, 127/8, 169.254/16, 224/3 are "
			"refused)");
	uint32_t mask = ~0u << (32 - prefix);
	if (ntohl(a.s_addr) & ~mask)
		return bad(err, name, "host bits are set; give the network address");
	return 0;
}

int check_fd_names(const json_t *v, const char *name, struct rpc_error *err)
{
	size_t i, j;
	json_t *e;

	if (!json_is_array(v) || json_array_size(v) > HELPER_MAX_FDS)
		return bad(err, name, "expected an array of at most 8 descriptor names");
	json_array_foreach(v, i, e)
	{
		const char *s = plain_string(e);
		if (!s || strlen(s) < 1 || strlen(s) > 40 || !chars_in(s, "_-:"))
			return bad(err, name, "descriptor names are 1-40 of [A-Za-z0-9_:-]");
		for (j = 0; j < i; j++)
			if (streq(s, json_string_value(json_array_get(v, j))))
				return bad(err, name, "a descriptor name appears twice");
	}
	return 0;
}

int check_signal_name(const json_t *v, const char *name, struct rpc_error *err)
{
	const char *s = plain_string(v);
	if (!s || signal_from_name(s) < 0)
		return bad(err, name, "expected one of TERM, KILL, INT");
	return 0;
}

static bool is_one_of(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (streq(s, *list))
			return true;
	return false;
}

static bool is_number(const char *s)
{
	size_t n = strlen(s);
	return n >= 1 && n <= 10 && strspn(s, "0123456789") == n;
}

static bool is_log_module(const char *s)
{
	size_t n = strlen(s);
	return n >= 1 && n <= 64 && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_:") == n;
}

static const char *const log_levels[] = {"Off", "Error", "Warning", "Info", "Debug", "Trace", NULL};
static const char *const accels[] = {"auto", "kvm", "tcg", NULL};

/* What the owner may add to the VMM's command line: options that change how it logs, times or
 * boots, never one naming a path (a binary, a config, a log or metrics file, a seccomp filter),
 * turning a protection off (--no-seccomp), or set by the jailer and the helper (--id, --api-sock,
 * the start times). Firecracker's and banger-vmm's options alike. */
static const struct {
	const char *name;
	const char *const *values;      /* allowed values, or NULL */
	bool (*value_ok)(const char *); /* or a check; both NULL: takes no value */
} vmm_options[] = {
	{"--level", log_levels, NULL}, {"--module", NULL, is_log_module},
	{"--show-level", NULL, NULL}, {"--show-log-origin", NULL, NULL},
	{"--boot-timer", NULL, NULL}, {"--enable-pci", NULL, NULL},
	{"--http-api-max-payload-size", NULL, is_number}, {"--mmds-size-limit", NULL, is_number},
	{"--accel", accels, NULL}, /* banger-vmm */
	{"--no-boot", NULL, NULL}, /* banger-vmm, control-plane benchmarks */
};

static int vmm_option_find(const char *arg, size_t len)
{
	for (size_t i = 0; i < ELEMENTSOF(vmm_options); i++)
		if (strlen(vmm_options[i].name) == len && strneq(vmm_options[i].name, arg, len))
			return (int)i;
	return -ENOENT;
}

int check_vmm_args(const json_t *v, const char *name, struct rpc_error *err)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v) || json_array_size(v) > HELPER_MAX_VMM_ARGS)
		return bad(err, name, "expected an array of at most 16 arguments");
	json_array_foreach(v, i, e)
	{
		const char *s = plain_string(e), *eq, *value = NULL;
		int k;

		if (!s || strlen(s) < 1 || strlen(s) > 128 || !chars_in(s, "-_.=:,/+"))
			return bad(err, name, "arguments are 1-128 of [A-Za-z0-9-_.=:,/+]");
		eq = strchr(s, '=');
		k = vmm_option_find(s, eq ? (size_t)(eq - s) : strlen(s));
		if (k < 0)
			return rpc_error_set(err, -EPERM, RPC_ERROR_PERMISSION_DENIED,
				"Invalid \"%s\": \"%.64s\" is not an allowed VMM option (allowed: "
				"--level, "
				"--module, --show-level, --show-log-origin, --boot-timer, "
				"--enable-pci, "
				"--http-api-max-payload-size, --mmds-size-limit, --accel, "
				"--no-boot)",
				name, s);
		if (!vmm_options[k].values && !vmm_options[k].value_ok) {
			if (eq)
				return bad(err, name, "this VMM option takes no value");
			continue;
		}
		if (eq)
			value = eq + 1;
		else {
			const char *next = plain_string(json_array_get(v, i + 1));
			if (!next)
				return bad(err, name, "a VMM option is missing its value");
			value = next;
			i++; /* json_array_foreach's own ++ skips past the value */
		}
		if (vmm_options[k].values ? !is_one_of(value, vmm_options[k].values)
					  : !vmm_options[k].value_ok(value))
			return rpc_error_set(err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT,
				"Invalid \"%s\": \"%.64s\" is not a value %s takes", name, value,
				vmm_options[k].name);
	}
	return 0;
}

int check_block_drives(const json_t *v, const char *name, struct rpc_error *err)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v) || json_array_size(v) > HELPER_MAX_DRIVES)
		return bad(err, name, "expected an array of at most 8 {name, device} objects");
	json_array_foreach(v, i, e)
	{
		const char *key;
		json_t *m;
		if (!json_is_object(e) || json_object_size(e) != 2)
			return bad(err, name,
				"each drive is an object with exactly \"name\" and \"device\"");
		json_object_foreach(e, key, m)
		{
			const char *s = plain_string(m);
			if (streq(key, "name")) {
				if (!s || !drive_name_is_valid(s))
					return bad(
						err, name, "drive names are 1-32 of [A-Za-z0-9_-]");
			} else if (streq(key, "device")) {
				if (!s || !block_device_path_is_valid(s))
					return bad(err, name,
						"a drive device is /dev/mapper/" HELPER_DM_PREFIX
						"<vm id> or /dev/loopN");
			} else
				return bad(err, name,
					"each drive is an object with exactly \"name\" and "
					"\"device\"");
		}
	}
	return 0;
}

int check_short_token(const json_t *v, const char *name, struct rpc_error *err)
{
	const char *s = plain_string(v);
	if (!s || strlen(s) > 64 || !chars_in(s, "-_.+ "))
		return bad(err, name, "expected up to 64 of [A-Za-z0-9-_.+ ]");
	return 0;
}

int check_disk_strategy(const json_t *v, const char *name, struct rpc_error *err)
{
	const char *s = json_string_value(v);
	if (!s || !(streq(s, "auto") || streq(s, "dm-snapshot") || streq(s, "reflink") ||
			  streq(s, "sparse-copy")))
		return rpc_error_set(err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT,
			"Invalid \"%s\": expected auto, dm-snapshot, reflink or sparse-copy", name);
	return 0;
}

int check_ipv4_address(const json_t *v, const char *name, struct rpc_error *err)
{
	const char *s = plain_string(v);
	struct in_addr a;

	if (!s || strlen(s) > 15 || inet_pton(AF_INET, s, &a) != 1)
		return bad(err, name, "expected an IPv4 address like 172.30.0.2");
	return 0;
}

int check_publish_specs(const json_t *v, const char *name, struct rpc_error *err)
{
	struct publish p;
	char why[160];
	size_t i;
	json_t *e;

	if (!json_is_array(v) || json_array_size(v) > PUBLISH_MAX)
		return bad(err, name, "expected an array of at most 16 publishes");
	json_array_foreach(v, i, e)
	{
		const char *s = plain_string(e);
		if (!s || publish_parse(s, &p, why, sizeof(why)) < 0)
			return rpc_error_set(err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT,
				"Invalid \"%s\": %s", name, s ? why : "each publish is a string");
	}
	return 0;
}

int check_dns_hosts(const json_t *v, const char *name, struct rpc_error *err)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v) || json_array_size(v) > 256)
		return bad(err, name, "expected an array of at most 256 \"ADDRESS NAME\" entries");
	json_array_foreach(v, i, e)
	{
		const char *s = plain_string(e);
		if (!s || strlen(s) > 64 || !chars_in(s, ". -"))
			return bad(err, name, "entries are \"ADDRESS NAME\" of [A-Za-z0-9.-]");
	}
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* banger.conf: the daemon's settings (network, timeouts, console cap, file_sync), INI parsed
 * with libinih. A bad entry is reported with its line and the default kept. */
#include <errno.h>
#include <ini.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/macro.h"
#include "daemon/config.h"
#include "protocol/methods.h"
#include "protocol/publish.h"

void config_defaults(struct banger_config *c)
{
	*c = (struct banger_config){
		.ssh_timeout_sec = 120,
		.stop_timeout_sec = 10,
		.console_max_bytes = 4u * 1024u * 1024u,
		.vmm_api_timeout_sec = 10,
		.client_silent_timeout_sec = 10,
		.state_min_free_mib = 1024,
		.publish_min_port = PUBLISH_MIN_PORT_DEFAULT,
	};
	snprintf(c->subnet_text, sizeof(c->subnet_text), "%s", NET_DEFAULT_SUBNET);
	(void)net_subnet_parse(NET_DEFAULT_SUBNET, &c->subnet);
	snprintf(c->bridge, sizeof(c->bridge), "banger0");
	c->vm_defaults = (struct vm_create_defaults){.image = VM_DEFAULT_IMAGE,
		.vcpus = VM_DEFAULT_VCPUS,
		.memory_mib = VM_DEFAULT_MEMORY,
		.disk_gib = VM_DEFAULT_DISK};
}

void config_done(struct banger_config *c)
{
	for (size_t i = 0; i < c->n_sync; i++)
		free(c->sync[i]);
	c->n_sync = 0;
}

static int parse_uint(const char *v, unsigned long min, unsigned long max, unsigned long *ret)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || end == v || *end || v[0] == '-' || n < min || n > max)
		return -EINVAL;
	*ret = n;
	return 0;
}

struct parse_state {
	struct banger_config *c;
	const char *path;
};

static void warn(struct parse_state *s, const char *fmt, ...) _printf_(2, 3);
static void warn(struct parse_state *s, const char *fmt, ...)
{
	struct banger_config *c = s->c;
	char what[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(c->last_warning, sizeof(c->last_warning), "%s: %s", s->path, what);
	c->n_warnings++;
	log_warning("%s (keeping the default)", c->last_warning);
}

/* [vm] image, vcpus, memory_mib, disk_gib: vm.create's defaults, checked by its own rules.
 * Returns false for other names. */
static bool vm_default_entry(struct parse_state *s, const char *name, const char *value)
{
	static const char *const keys[] = {"image", "vcpus", "memory_mib", "disk_gib"};
	struct vm_create_defaults *d = &s->c->vm_defaults;
	struct rpc_error err = {};
	union rpc_args args;
	json_t *params;
	size_t k;
	char *end;
	long n = 0;
	int r;

	for (k = 0; k < ELEMENTSOF(keys) && !streq(name, keys[k]); k++)
		;
	if (k == ELEMENTSOF(keys))
		return false;
	/* checked as vm.create checks a request that gives it (protocol/methods.def) */
	if (k > 0) {
		errno = 0;
		n = strtol(value, &end, 10);
		if (errno || end == value || *end) {
			warn(s, "[vm] %s = \"%s\" is not a number", name, value);
			return true;
		}
	}
	params = json_pack(
		"{s:s, s:o}", "name", "x", name, k == 0 ? json_string(value) : json_integer(n));
	r = params ? rpc_args_decode(RPC_METHOD_VM_CREATE, params, &args, &err) : -ENOMEM;
	json_decref(params);
	if (r < 0) {
		warn(s, "[vm] %s = \"%s\": %s", name, value, err.message);
		return true;
	}
	if (k == 0)
		snprintf(d->image, sizeof(d->image), "%s", value);
	else
		*(k == 1 ? &d->vcpus : k == 2 ? &d->memory_mib : &d->disk_gib) = (unsigned)n;
	return true;
}

static int on_entry(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *s = user;
	struct banger_config *c = s->c;
	unsigned long n;

	if (!name)
		return 1; /* a section header alone */
	if (streq(section, "network") && streq(name, "subnet")) {
		struct net_subnet sn;
		if (net_subnet_parse(value, &sn) < 0)
			warn(s, "[%s] %s = \"%s\" is not an IPv4 subnet like 172.30.0.0/24",
				section, name, value);
		else {
			c->subnet = sn;
			snprintf(c->subnet_text, sizeof(c->subnet_text), "%s", value);
		}
	} else if (streq(section, "network") && streq(name, "bridge")) {
		if (strlen(value) > 15 || strncmp(value, "banger", 6) != 0 ||
			strpbrk(value, "/ \t"))
			warn(s, "[%s] %s = \"%s\" must start with \"banger\" and fit 15 characters",
				section, name, value);
		else
			snprintf(c->bridge, sizeof(c->bridge), "%s", value);
	} else if (streq(section, "network") && streq(name, "publish_min_port")) {
		if (parse_uint(value, 1, PUBLISH_MIN_PORT_DEFAULT, &n) < 0)
			warn(s, "[%s] %s = \"%s\" must be 1..1024", section, name, value);
		else
			c->publish_min_port = (unsigned)n;
	} else if (streq(section, "vm") && streq(name, "ssh_timeout_sec")) {
		if (parse_uint(value, 5, 3600, &n) < 0)
			warn(s, "[%s] %s = \"%s\" must be 5..3600", section, name, value);
		else
			c->ssh_timeout_sec = (unsigned)n;
	} else if (streq(section, "vm") && streq(name, "stop_timeout_sec")) {
		if (parse_uint(value, 1, 600, &n) < 0)
			warn(s, "[%s] %s = \"%s\" must be 1..600", section, name, value);
		else
			c->stop_timeout_sec = (unsigned)n;
	} else if (streq(section, "vm") && streq(name, "console_max_bytes")) {
		if (parse_uint(value, 65536, 1024ul * 1024 * 1024, &n) < 0)
			warn(s, "[%s] %s = \"%s\" must be 65536..1073741824", section, name, value);
		else
			c->console_max_bytes = n;
	} else if (streq(section, "vm") && vm_default_entry(s, name, value)) {
		/* done */
	} else if (streq(section, "daemon") && streq(name, "client_silent_timeout_sec")) {
		if (parse_uint(value, 0, 3600, &n) < 0)
			warn(s, "[%s] %s = \"%s\" must be 0..3600 (0: never)", section, name,
				value);
		else
			c->client_silent_timeout_sec = (unsigned)n;
	} else if (streq(section, "state") && streq(name, "min_free_mib")) {
		if (parse_uint(value, 0, 1024ul * 1024 * 1024, &n) < 0)
			warn(s, "[%s] %s = \"%s\" must be 0..1073741824 (0: never warn)", section,
				name, value);
		else
			c->state_min_free_mib = n;
	} else if (streq(section, "file_sync") && streq(name, "path")) {
		if (c->n_sync >= CONFIG_MAX_SYNC)
			warn(s, "[%s] %s = \"%s\": more than 32 file_sync paths", section, name,
				value);
		else if (value[0] == '\0')
			warn(s, "[%s] %s = \"%s\": empty path", section, name, value);
		else {
			c->sync[c->n_sync] = strdup(value);
			if (!c->sync[c->n_sync])
				return 0;
			c->n_sync++;
		}
	} else if (streq(section, "update") && streq(name, "url")) {
		/* banger update reads it, as root; nothing for the daemon to do */
	} else
		warn(s, "unknown setting [%s] %s (= \"%s\")", section, name, value);
	return 1;
}

int config_load(struct banger_config *c, const char *path)
{
	struct parse_state s = {.c = c, .path = path};
	FILE *f;
	int k;

	config_defaults(c);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : negative_errno();
	k = ini_parse_file(f, on_entry, &s);
	fclose(f);
	if (k > 0) {
		snprintf(c->last_warning, sizeof(c->last_warning), "%s:%d: syntax error", path, k);
		c->n_warnings++;
		log_warning("%s (line ignored)", c->last_warning);
	} else if (k < 0)
		return -ENOMEM;
	return 0;
}

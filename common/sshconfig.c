/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The OpenSSH client configuration banger keeps for its VMs: its text, built in memory. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/sshcmd.h"
#include "common/sshconfig.h"

static int sc_appendf(struct sshconfig *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int sc_appendf(struct sshconfig *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if (c->len + (size_t)n + 1 > c->size) {
		size_t size = (c->len + (size_t)n + 1) * 2;
		char *p = realloc(c->buf, size);
		if (!p)
			return -ENOMEM;
		c->buf = p;
		c->size = size;
	}
	va_start(ap, fmt);
	vsnprintf(c->buf + c->len, c->size - c->len, fmt, ap);
	va_end(ap);
	c->len += (size_t)n;
	return 0;
}

/* "DIR/FILE" quoted, '%' doubled: ssh_config(5) expands %-tokens in IdentityFile and
 * UserKnownHostsFile, and a home with a space needs the quotes. */
static int sc_append_path(struct sshconfig *c, const char *dir, const char *file)
{
	int r = sc_appendf(c, "\"");

	for (const char *p = dir; r >= 0 && *p; p++)
		r = *p == '%' ? sc_appendf(c, "%%%%") : sc_appendf(c, "%c", *p);
	return r < 0 ? r : sc_appendf(c, "/%s\"\n", file);
}

int sshconfig_begin(struct sshconfig *c)
{
	*c = (struct sshconfig){0};
	return sc_appendf(c,
		"# Written by bangerd: one Host block per VM, rewritten as VMs come and go.\n"
		"# Use it with \"Include ~/.config/banger/ssh/config\" in ~/.ssh/config;\n"
		"# edits here are lost.\n");
}

/* What a Host pattern and the name ssh looks up carry unquoted: the VM name rule is narrower,
 * but common/ does not know it, and this is the check that keeps the file well-formed. */
static bool sc_name_is_plain(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > 64 || name[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
			    name[i] == '-'))
			return false;
	return true;
}

int sshconfig_add_host(struct sshconfig *c, const char *ssh_dir, const char *name, const char *ip)
{
	struct in_addr a;
	int r;

	if (!sc_name_is_plain(name) || !ip || inet_pton(AF_INET, ip, &a) != 1 || !ssh_dir ||
		ssh_dir[0] != '/')
		return -EINVAL;
	for (const char *p = ssh_dir; *p; p++)
		if (*p == '"' || (unsigned char)*p < 0x20 || *p == 0x7f)
			return -EINVAL;

	r = sc_appendf(c, "\nHost %s %s.%s\n", name, name, SSHCONFIG_DOMAIN);
	if (r >= 0)
		r = sc_appendf(c, "\tHostName %s\n\tUser root\n\tIdentityFile ", ip);
	if (r >= 0)
		r = sc_append_path(c, ssh_dir, SSHCMD_KEY_FILE);
	if (r >= 0)
		r = sc_appendf(c, "\tIdentitiesOnly yes\n\tUserKnownHostsFile ");
	if (r >= 0)
		r = sc_append_path(c, ssh_dir, SSHCMD_KNOWN_HOSTS_FILE);
	if (r >= 0)
		r = sc_appendf(c, "\tGlobalKnownHostsFile /dev/null\n"
				  "\tStrictHostKeyChecking yes\n"
				  "\tCheckHostIP no\n");
	return r;
}

void sshconfig_free(struct sshconfig *c)
{
	free(c->buf);
	*c = (struct sshconfig){0};
}

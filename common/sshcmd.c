/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The OpenSSH client command line banger uses to reach a guest: the owner's key, the daemon-managed
 * known_hosts and StrictHostKeyChecking=yes, shared by `banger vm ssh` and the daemon's probes. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/sshcmd.h"

int sshcmd_build(struct sshcmd *c, const char *ssh_dir, const char *ip, int batch,
	unsigned connect_timeout_s, char *const *cmd)
{
	size_t n = 0;

	if (!ssh_dir || !ip || !ip[0] || strchr(ip, '@') || ip[0] == '-')
		return -EINVAL;
	if ((size_t)snprintf(c->key, sizeof(c->key), "%s/%s", ssh_dir, SSHCMD_KEY_FILE) >=
			sizeof(c->key) ||
		(size_t)snprintf(c->known_hosts_opt, sizeof(c->known_hosts_opt),
			"UserKnownHostsFile=%s/%s", ssh_dir,
			SSHCMD_KNOWN_HOSTS_FILE) >= sizeof(c->known_hosts_opt) ||
		(size_t)snprintf(c->target, sizeof(c->target), "root@%s", ip) >= sizeof(c->target))
		return -ENAMETOOLONG;
	snprintf(c->connect_timeout_opt, sizeof(c->connect_timeout_opt), "ConnectTimeout=%u",
		connect_timeout_s ? connect_timeout_s : 5);

	c->argv[n++] = "ssh";
	c->argv[n++] = "-i";
	c->argv[n++] = c->key;
	c->argv[n++] = "-o";
	c->argv[n++] = "IdentitiesOnly=yes";
	c->argv[n++] = "-o";
	c->argv[n++] = c->known_hosts_opt;
	c->argv[n++] = "-o";
	c->argv[n++] = "GlobalKnownHostsFile=/dev/null";
	c->argv[n++] = "-o";
	c->argv[n++] = "StrictHostKeyChecking=yes";
	c->argv[n++] = "-o";
	c->argv[n++] = "LogLevel=ERROR";
	c->argv[n++] = "-o";
	c->argv[n++] = c->connect_timeout_opt;
	if (batch) {
		c->argv[n++] = "-o";
		c->argv[n++] = "BatchMode=yes";
	}
	c->argv[n++] = c->target;
	if (cmd && cmd[0]) {
		c->argv[n++] = "--";
		for (size_t i = 0; cmd[i]; i++) {
			if (n >= SSHCMD_MAX_ARGS)
				return -E2BIG;
			c->argv[n++] = cmd[i];
		}
	}
	c->argv[n] = NULL;
	c->argc = n;
	return 0;
}

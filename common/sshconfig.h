/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The OpenSSH client configuration banger keeps for its VMs (~/.config/banger/ssh/config): one
 * Host block per VM with the same key, known_hosts and StrictHostKeyChecking as sshcmd.h, so
 * `ssh NAME.banger`, scp and rsync reach a guest the way `banger vm ssh` does. */
#pragma once

#include <stddef.h>

#define SSHCONFIG_FILE "config"
#define SSHCONFIG_DOMAIN "banger"

struct sshconfig {
	char *buf; /* NUL-terminated; free() it */
	size_t len;
	size_t size;
};

/* Starts buf with the header saying who writes the file. */
int sshconfig_begin(struct sshconfig *c);

/* Appends "Host NAME NAME.banger" with HostName ip, User root, the owner's key and the pinned
 * known_hosts of ssh_dir (layout_ssh_dir()). Paths
 * are quoted and their '%' doubled (ssh expands tokens in both options); -EINVAL for a name
 * other than [a-z0-9-] (not starting with '-'), an address that is not IPv4 dotted quad or a
 * ssh_dir holding a '"' or a control character, which no quoting carries. */
int sshconfig_add_host(struct sshconfig *c, const char *ssh_dir, const char *name, const char *ip);

void sshconfig_free(struct sshconfig *c);

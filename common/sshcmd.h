/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The OpenSSH client command line banger uses to reach a guest: the owner's key, the daemon-managed
 * known_hosts and StrictHostKeyChecking=yes, shared by `banger vm ssh` and the daemon's probes. */
#pragma once

#include <limits.h>
#include <stddef.h>

#define SSHCMD_KEY_FILE "id_ed25519"
#define SSHCMD_KNOWN_HOSTS_FILE "known_hosts"
#define SSHCMD_MAX_ARGS 64

struct sshcmd {
	char key[PATH_MAX];
	char known_hosts_opt[PATH_MAX + 32];
	char target[64];
	char connect_timeout_opt[48];
	const char *argv[SSHCMD_MAX_ARGS + 1];
	size_t argc;
};

/* Fills argv: ssh -i KEY -o UserKnownHostsFile=KH -o StrictHostKeyChecking=yes -o BatchMode=yes
 * [-o ConnectTimeout=N] root@IP [--] [CMD...]. ssh_dir is layout_ssh_dir(); interactive
 * sessions pass batch=0 (password prompts are impossible anyway: the guest takes keys only).
 * cmd may be NULL. -E2BIG when cmd has too many words. Pointers into cmd are borrowed. */
int sshcmd_build(struct sshcmd *c, const char *ssh_dir, const char *ip, int batch,
	unsigned connect_timeout_s, char *const *cmd);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The owner's SSH key pair and the daemon-managed known_hosts: host keys are pinned from the
 * console line the guest prints before the first connection, never learned on first use. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/macro.h"
#include "common/sshcmd.h"
#include "daemon/ssh-keys.h"

extern char **environ;

#define KNOWN_HOSTS_MAX (1024u * 1024u)

int ssh_key_ensure(const char *ssh_dir, char **ret_pubkey)
{
	char key[PATH_MAX], pub[PATH_MAX];
	_cleanup_free_ char *data = NULL;
	size_t len;
	int r;

	r = mkdir_parents(ssh_dir, 0700);
	if (r < 0)
		return r;
	if (chmod(ssh_dir, 0700) < 0)
		return negative_errno();
	if ((size_t)snprintf(key, sizeof(key), "%s/%s", ssh_dir, SSHCMD_KEY_FILE) >= sizeof(key) ||
		(size_t)snprintf(pub, sizeof(pub), "%s.pub", key) >= sizeof(pub))
		return -ENAMETOOLONG;

	if (access(key, F_OK) < 0 || access(pub, F_OK) < 0) {
		const char *argv[] = {"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "banger",
			"-f", key, NULL};
		posix_spawnattr_t attr;
		sigset_t none;
		pid_t pid;
		int status;

		unlink(key);
		unlink(pub);
		sigemptyset(&none);
		posix_spawnattr_init(&attr);
		posix_spawnattr_setsigmask(&attr, &none);
		posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
		r = posix_spawnp(&pid, "ssh-keygen", NULL, &attr, (char *const *)argv, environ);
		posix_spawnattr_destroy(&attr);
		if (r != 0)
			return -r;
		if (waitpid(pid, &status, 0) < 0)
			return negative_errno();
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			return -EIO;
	}
	r = read_file_full(pub, 16384, &data, &len);
	if (r < 0)
		return r;
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		data[--len] = '\0';
	*ret_pubkey = TAKE_PTR(data);
	return 0;
}

static bool is_b64(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/' || c == '=';
}

int ssh_hostkey_from_console_line(const char *line, char *ret, size_t size)
{
	static const char *const types[] = {"ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa"};
	const char *p = strstr(line, SSH_HOSTKEY_MARKER), *blob, *end;
	size_t tlen = 0;

	if (!p)
		return 0;
	p += strlen(SSH_HOSTKEY_MARKER);
	for (size_t i = 0; i < ELEMENTSOF(types); i++) {
		size_t n = strlen(types[i]);
		if (strneq(p, types[i], n) && p[n] == ' ') {
			tlen = n;
			break;
		}
	}
	if (tlen == 0)
		return -EINVAL;
	blob = p + tlen + 1;
	for (end = blob; is_b64(*end); end++)
		;
	if (end - blob < 16 || (*end && *end != ' ' && *end != '\r' && *end != '\n'))
		return -EINVAL;
	if ((size_t)(end - p) >= size)
		return -ENAMETOOLONG;
	memcpy(ret, p, (size_t)(end - p));
	ret[end - p] = '\0';
	return 1;
}

/* Rewrites known_hosts without ip's lines, then with "ip key" appended when key is given. */
static int known_hosts_rewrite(const char *ssh_dir, const char *ip, const char *key)
{
	char path[PATH_MAX];
	_cleanup_free_ char *old = NULL, *out = NULL;
	size_t old_len = 0, out_len = 0, iplen = strlen(ip);
	int r;

	if (iplen == 0 || strpbrk(ip, " \t\n,*?!") || (key && strpbrk(key, "\n\r")))
		return -EINVAL;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", ssh_dir, SSHCMD_KNOWN_HOSTS_FILE) >=
		sizeof(path))
		return -ENAMETOOLONG;
	r = read_file_full(path, KNOWN_HOSTS_MAX, &old, &old_len);
	if (r < 0 && r != -ENOENT)
		return r;
	out = malloc(old_len + iplen + (key ? strlen(key) : 0) + 3);
	if (!out)
		return -ENOMEM;
	for (char *line = old, *next; line && *line; line = next) {
		size_t n;
		next = strchr(line, '\n');
		n = next ? (size_t)(next - line) : strlen(line);
		if (next)
			next++;
		if (n == 0 || (n > iplen && strneq(line, ip, iplen) && line[iplen] == ' '))
			continue;
		memcpy(out + out_len, line, n);
		out_len += n;
		out[out_len++] = '\n';
	}
	if (key)
		out_len += (size_t)sprintf(out + out_len, "%s %s\n", ip, key);
	return write_file_atomic(path, out, out_len, 0600);
}

int ssh_known_hosts_pin(const char *ssh_dir, const char *ip, const char *key)
{
	if (!key || !strchr(key, ' '))
		return -EINVAL;
	return known_hosts_rewrite(ssh_dir, ip, key);
}

int ssh_known_hosts_forget(const char *ssh_dir, const char *ip)
{
	return known_hosts_rewrite(ssh_dir, ip, NULL);
}

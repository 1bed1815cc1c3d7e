/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Finding a VM's VMM process by what /proc says about it, never by trusting a pid alone. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/macro.h"
#include "helper/jail.h"
#include "helper/proc.h"

#define JAIL_API_SOCK "/run/firecracker.socket"

const char *proc_found_by_to_string(enum proc_found_by b)
{
	switch (b) {
	case PROC_FOUND_BY_CMDLINE:
		return "cmdline";
	case PROC_FOUND_BY_LAUNCH_RECORD:
		return "launch_record";
	case _PROC_FOUND_BY_MAX:
	case _PROC_FOUND_BY_INVALID:
		break;
	}
	return NULL;
}

static ssize_t read_proc(pid_t pid, const char *what, char *buf, size_t size)
{
	char p[64];
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), "/proc/%d/%s", (int)pid, what);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

char proc_state(pid_t pid)
{
	char buf[512], *p;

	if (read_proc(pid, "stat", buf, sizeof(buf)) < 0)
		return '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '\0';
}

int proc_start_time(pid_t pid, unsigned long long *ret)
{
	char buf[1024], *p;
	unsigned long long v;

	if (read_proc(pid, "stat", buf, sizeof(buf)) < 0)
		return -ESRCH;
	/* after "pid (comm) ": state is field 3, starttime field 22 */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return -EBADMSG;
	p += 2;
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return -EBADMSG;
		p++;
	}
	if (sscanf(p, "%llu", &v) != 1)
		return -EBADMSG;
	*ret = v;
	return 0;
}

static bool proc_uid_is(pid_t pid, uid_t uid)
{
	char buf[4096], *l;
	unsigned r, e;

	if (read_proc(pid, "status", buf, sizeof(buf)) < 0)
		return false;
	l = strstr(buf, "\nUid:");
	return l && sscanf(l + 5, "%u %u", &r, &e) == 2 && r == uid && e == uid;
}

bool proc_is_vmm_exec(const struct helper_config *cfg, pid_t pid)
{
	char comm[64];

	if (pid <= 1 || pid == getpid() || !cfg->exec_name[0])
		return false;
	if (read_proc(pid, "comm", comm, sizeof(comm)) < 0)
		return false;
	comm[strcspn(comm, "\n")] = '\0';
	/* comm is cut at 15 bytes. */
	if (!strneq(comm, cfg->exec_name, 15) || strlen(comm) != MIN(strlen(cfg->exec_name), 15u))
		return false;
	return proc_uid_is(pid, cfg->owner_uid);
}

bool proc_is_vmm(const struct helper_config *cfg, pid_t pid, const char *vm_id)
{
	char cmd[8192], vm_dir[PATH_MAX], root[PATH_MAX], host_sock[PATH_MAX + 32];
	const char *args[128];
	size_t n_args = 0;
	bool id_ok = false, sock_ok = false;
	ssize_t n;

	if (!proc_is_vmm_exec(cfg, pid))
		return false;
	n = read_proc(pid, "cmdline", cmd, sizeof(cmd));
	if (n <= 0)
		return false;
	for (ssize_t i = 0; i < n && n_args < ELEMENTSOF(args); i += (ssize_t)strlen(cmd + i) + 1)
		args[n_args++] = cmd + i;
	if (jail_paths(cfg, vm_id, vm_dir, root, NULL) < 0)
		return false;
	snprintf(host_sock, sizeof(host_sock), "%s%s", root, JAIL_API_SOCK);
	for (size_t i = 0; i + 1 < n_args; i++) {
		if (streq(args[i], "--id") && streq(args[i + 1], vm_id))
			id_ok = true;
		if (streq(args[i], "--api-sock") &&
			(streq(args[i + 1], JAIL_API_SOCK) || streq(args[i + 1], host_sock)))
			sock_ok = true;
	}
	return id_ok && sock_ok;
}

int proc_find_vmm(const struct helper_config *cfg, const char *vm_id, pid_t *ret_pid,
	enum proc_found_by *ret_by)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	unsigned long long start, now_start;
	pid_t pid = 0;

	if (!d)
		return negative_errno();
	while ((de = readdir(d))) {
		char *end;
		long v = strtol(de->d_name, &end, 10);
		if (*end || v <= 1)
			continue;
		if (proc_is_vmm(cfg, (pid_t)v, vm_id)) {
			pid = (pid_t)v;
			break;
		}
	}
	closedir(d);
	if (pid > 0) {
		*ret_pid = pid;
		*ret_by = PROC_FOUND_BY_CMDLINE;
		return 0;
	}
	/* The helper's own record of what it launched (root-only): the same process only if it
	 * started when the record says, so a recycled pid is never taken for the VMM. */
	if (jail_launch_record_read(cfg, vm_id, &pid, &start) >= 0 &&
		proc_start_time(pid, &now_start) >= 0 && now_start == start &&
		proc_state(pid) != 'Z' && proc_is_vmm_exec(cfg, pid)) {
		*ret_pid = pid;
		*ret_by = PROC_FOUND_BY_LAUNCH_RECORD;
		return 0;
	}
	*ret_pid = 0;
	return 0;
}

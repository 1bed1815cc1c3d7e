/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Re-executing in place with the listening socket: how a daemon without systemd takes up its
 * updated program and keeps its pid and its socket (clients reconnect, nothing is re-bound). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "common/macro.h"
#include "common/reexec.h"

#define DELETED " (deleted)"

int reexec_path(char *buf, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", buf, size - 1);
	size_t d = strlen(DELETED);

	if (n <= 0)
		return -errno;
	buf[n] = '\0';
	/* rename(2) replaced our file: the path now names the new program */
	if ((size_t)n > d && streq(buf + n - d, DELETED))
		buf[n - d] = '\0';
	return access(buf, X_OK) < 0 ? -errno : 0;
}

int reexec_with_socket(char *const argv[], int listen_fd)
{
	char path[4096], pid[32];

	if (reexec_path(path, sizeof(path)) < 0)
		return -errno;
	if (listen_fd != SD_LISTEN_FDS_START && dup2(listen_fd, SD_LISTEN_FDS_START) < 0)
		return -errno;
	if (fcntl(SD_LISTEN_FDS_START, F_SETFD, 0) < 0)
		return -errno;
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	if (setenv("LISTEN_FDS", "1", 1) < 0 || setenv("LISTEN_PID", pid, 1) < 0)
		return -errno;
	(void)unsetenv("LISTEN_FDNAMES");
	execv(path, argv);
	return -errno;
}

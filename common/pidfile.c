/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pid files of detached daemons, and whether a pid still runs (a zombie does not). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fileio.h"
#include "common/macro.h"
#include "common/pidfile.h"

bool proc_running(pid_t pid)
{
	_cleanup_free_ char *stat = NULL;
	char proc[64];
	const char *p;

	snprintf(proc, sizeof(proc), "/proc/%ld/stat", (long)pid);
	if (pid <= 0 || read_file_full(proc, 4096, &stat, NULL) < 0)
		return false;
	/* "pid (comm) S ...": the state follows the last ')' (comm may hold one) */
	p = strrchr(stat, ')');
	return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

pid_t pidfile_running(const char *path, const char *comm)
{
	_cleanup_free_ char *data = NULL, *have = NULL;
	char proc[64];
	char *end;
	long pid;

	if (read_file_full(path, 64, &data, NULL) < 0)
		return 0;
	pid = strtol(data, &end, 10);
	if (pid <= 1 || (*end && *end != '\n'))
		return 0;
	snprintf(proc, sizeof(proc), "/proc/%ld/comm", pid);
	if (read_file_full(proc, 64, &have, NULL) < 0)
		return 0;
	have[strcspn(have, "\n")] = '\0';
	if (!strneq(have, comm, 15) || !proc_running((pid_t)pid))
		return 0;
	return (pid_t)pid;
}

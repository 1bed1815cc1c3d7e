/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pid files of detached daemons, and whether a pid still runs (a zombie does not). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* pid runs (exists and is neither a zombie nor dead). */
bool proc_running(pid_t pid);

/* The pid in the file at path when that process runs and its comm is comm (up to the kernel's 15
 * characters); else 0. */
pid_t pidfile_running(const char *path, const char *comm);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Re-executing in place, keeping the listening socket (socket-activation style). */
#pragma once

#include <stddef.h>

/* The path of this process's program, without the " (deleted)" the kernel adds once an update
 * renamed a new file over it; -errno when there is nothing executable there. */
int reexec_path(char *buf, size_t size);

/* execv()s that program with argv, listen_fd as fd 3 and LISTEN_FDS=1, LISTEN_PID=this pid, as
 * systemd passes a socket. Returns only on failure (-errno). */
int reexec_with_socket(char *const argv[], int listen_fd);

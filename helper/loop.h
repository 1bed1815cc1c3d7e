/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Loop devices from descriptors: /dev/loop-control plus LOOP_CONFIGURE, always autoclear. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "protocol/error.h"

/* Attaches backing_fd to a free loop device. Returns the open loop descriptor (close-on-exec;
 * the device detaches itself when the last user closes it) and its path in ret_path. */
int loop_attach(
	int backing_fd, bool read_only, char *ret_path, size_t path_size, struct rpc_error *err);

/* Calls cb for every attached loop device: its name ("loop3") and backing file. */
int loop_list(void (*cb)(const char *name, const char *backing, void *data), void *data);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dm-snapshot devices through libdevmapper, named banger-<vm id>. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "protocol/error.h"

/* True when /dev/mapper/control can be opened (the kernel has device-mapper). */
bool dm_available(void);
/* Creates <name> as a persistent snapshot of base_dev with cow_dev (chunk 8 sectors) over
 * sectors. Fails with -EEXIST when the name is taken. */
int dm_snapshot_create(const char *name, const char *base_dev, const char *cow_dev,
	uint64_t sectors, struct rpc_error *err);
/* Removes <name>; 0 when it did not exist (*ret_removed false). */
int dm_remove(const char *name, bool *ret_removed, struct rpc_error *err);
/* Calls cb for every device-mapper device. */
int dm_list(void (*cb)(const char *name, void *data), void *data, struct rpc_error *err);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* net.ipv4.conf.<banger's bridge>.route_localnet, which 127/8 publishes need, and the quiet
 * removal of a publish table (op-publish-apply.c, op-publish-remove.c). */
#pragma once

#include <stdbool.h>

#include "protocol/error.h"

/* Sets route_localnet of bridge (banger's, from the pool: never a caller's name) to on. */
int publish_route_localnet(const char *bridge, bool on, struct rpc_error *err);
/* Deletes "ip banger_pub_<id>" (table names it whole) if it exists; 1 when it did. */
int nft_run_quiet_delete(const char *table);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The helper's root-owned configuration: layout, owner, VMM and jailer, and the safety checks on
 * every path the helper uses itself. */
#pragma once

#include <stdbool.h>

#include "helper/helper.h"

/* Fills cfg from the layout under root (NULL: $BANGER_ROOT or the real system), install.json and
 * banger.conf's [network] (the address pool and bridge; the daemon's defaults when absent).
 * owner_uid >= 0 overrides the metadata's owner (tests); its gid is then the same number unless
 * owner_gid >= 0. Creates the run dir, lib dir and jail base (root, 0755) when missing, and
 * refuses a jail base, VMM, jailer or banger.conf the owner could change, and a pool outside
 * ordinary unicast space. why describes a refusal. */
int helper_config_load(struct helper_config *cfg, const char *root, long owner_uid, long owner_gid,
	char *why, size_t why_size);

/* Walks every component of the absolute path from "/" with lstat: none may be a symlink, every
 * one must be owned by root, and none writable by the owner (group-writable only by root's
 * group, world-writable only with the sticky bit, and no access ACL entry letting anyone but
 * root write). -EPERM with err naming the component. */
int helper_path_check_trusted(
	const struct helper_config *cfg, const char *path, struct rpc_error *err);

/* The jail ops need a VMM and a jailer: -EHOSTDOWN/unavailable when install.json names none. */
int helper_config_require_vmm(const struct helper_config *cfg, struct rpc_error *err);

/* The bridge an op names (param, NULL when the request gives none: the configured one): only
 * banger.conf's [network] bridge is ever touched. -EPERM with err naming both otherwise. */
int helper_pool_bridge(const struct helper_config *cfg, const json_t *param, const char **ret,
	struct rpc_error *err);

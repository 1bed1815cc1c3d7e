/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libnftables for banger's own table: one atomic script per change, nft's error text kept. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "protocol/error.h"

/* Runs a script as one transaction. what names it in err ("Failed to <what>: <nft's text>"). */
int nft_run(const char *script, const char *what, struct rpc_error *err);
/* The kernel's nftables ruleset generation: every committed change anywhere in the ruleset
 * (any table, any program) moves it by one. */
int nft_generation(uint32_t *ret, struct rpc_error *err);
/* 1 when banger's table exists, 0 when not. */
int nft_table_exists(struct rpc_error *err);

/* The per-VM publish tables (ip banger_pub_<vm id>, op-publish-apply.c). */
#define NFT_PUBLISH_FAMILY "ip"
#define NFT_PUBLISH_PREFIX "banger_pub_"
/* The VM ids of the publish tables there are, as a JSON array of strings in *ret. */
int nft_publish_tables(json_t **ret, struct rpc_error *err);

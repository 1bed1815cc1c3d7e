/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* publish.remove: a VM's publish table goes (the VM stopped); when no publish table is left,
 * route_localnet goes back to 0 on banger's bridge.
 * Security: names only the VM's own table (its id passed check_vm_id) and banger's bridge from
 * the pool. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/macro.h"
#include "helper/helper.h"
#include "helper/nft.h"
#include "helper/ops.h"
#include "helper/publish-sysctl.h"
#include "protocol/jsonrpc.h"

int publish_route_localnet(const char *bridge, bool on, struct rpc_error *err)
{
	char path[128];
	_cleanup_close_ int fd = -EBADF;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/route_localnet", bridge);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, on ? "1\n" : "0\n", 2) != 2)
		return rpc_error_set(err, negative_errno(), RPC_ERROR_INTERNAL,
			"Failed to set net.ipv4.conf.%s.route_localnet: %m", bridge);
	return 0;
}

int nft_run_quiet_delete(const char *table)
{
	char script[128];
	struct rpc_error e = {};

	snprintf(script, sizeof(script), "delete table %s", table);
	return nft_run(script, "delete the publish table", &e) < 0 ? 0 : 1;
}

int op_publish_remove_run(const struct helper_ctx *ctx, const struct helper_request *req,
	json_t **ret_result, struct rpc_error *err)
{
	_cleanup_json_ json_t *left = NULL;
	char table[80];
	int removed, r;

	snprintf(table, sizeof(table), NFT_PUBLISH_FAMILY " " NFT_PUBLISH_PREFIX "%s", req->vm_id);
	removed = nft_run_quiet_delete(table);
	r = nft_publish_tables(&left, err);
	if (r < 0)
		return r;
	if (json_array_size(left) == 0) {
		/* the bridge may be gone already: nothing to turn off then */
		struct rpc_error e = {};
		(void)publish_route_localnet(ctx->cfg->pool.bridge, false, &e);
	}
	if (removed)
		log_info("Removed the publish table of VM %s", req->vm_id);
	*ret_result = json_pack("{s:s, s:b}", "table", table, "removed", removed);
	return *ret_result ? 0 : -ENOMEM;
}

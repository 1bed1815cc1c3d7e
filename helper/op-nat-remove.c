/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nat.remove: deletes banger's nftables table; net.ipv4.ip_forward is left as it is (other
 * software may rely on it), and the answer says so.
 * Security: takes no arguments; the only object named is banger's own table. */
#include "common/macro.h"
#include "helper/helper.h"
#include "helper/ops.h"
#include "helper/nft.h"

int op_nat_remove_run(_unused_ const struct helper_ctx *ctx,
	_unused_ const struct helper_request *req, json_t **ret_result, struct rpc_error *err)
{
	const char *t = HELPER_NFT_FAMILY " " HELPER_NFT_TABLE;
	int existed, r;

	existed = nft_table_exists(err);
	if (existed < 0)
		return existed;
	if (existed) {
		r = nft_run("delete table " HELPER_NFT_FAMILY " " HELPER_NFT_TABLE,
			"delete the nftables table " HELPER_NFT_FAMILY " " HELPER_NFT_TABLE, err);
		if (r < 0)
			return r;
	}
	*ret_result = json_pack(
		"{s:s, s:b, s:s}", "table", t, "removed", existed, "ip_forward", "left unchanged");
	return *ret_result ? 0 : -ENOMEM;
}

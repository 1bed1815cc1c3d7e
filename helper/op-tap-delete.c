/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* net.tap_delete: removes one of banger's taps; a tap that is already gone is not an error.
 * Security: the name must carry the "bgt-" prefix and the link must be a persistent tap (not a
 * TUN device) owned by the owner uid, as net.tap_create makes them: another uid's tap or a TUN
 * device that happens to carry the prefix is not banger's, and no other kind of interface can be
 * deleted through this op. */
#include <linux/if_tun.h>

#include "common/macro.h"
#include "helper/helper.h"
#include "helper/ops.h"
#include "helper/netlink.h"
#include "helper/validate.h"

int op_tap_delete_run(const struct helper_ctx *ctx, const struct helper_request *req,
	json_t **ret_result, struct rpc_error *err)
{
	_cleanup_mnl_ struct mnl_socket *nl = NULL;
	const char *tap = json_string_value(json_object_get(req->params, "tap"));
	struct nl_link link;
	int r;

	r = nl_open(&nl, err);
	if (r < 0)
		return r;
	r = nl_link_get(nl, tap, &link, err);
	if (r == -ENODEV) {
		*ret_result = json_pack("{s:s, s:b}", "tap", tap, "deleted", false);
		return *ret_result ? 0 : -ENOMEM;
	}
	if (r < 0)
		return r;
	if (!streq(link.kind, "tun"))
		return rpc_error_set(err, -EEXIST, RPC_ERROR_CONFLICT,
			"Link \"%s\" is not a tap (kind \"%s\"); not touching it", tap,
			link.kind[0] ? link.kind : "none");
	if (link.tun_type != IFF_TAP)
		return rpc_error_set(err, -EEXIST, RPC_ERROR_CONFLICT,
			"Link \"%s\" is %s; not touching it", tap,
			link.tun_type == IFF_TUN ? "a TUN device, not a tap"
						 : "not a tap the kernel vouches for");
	if (link.tun_owner != (long long)ctx->cfg->owner_uid || !link.tun_persist) {
		char owner[48] = "no owner";
		if (link.tun_owner >= 0)
			snprintf(owner, sizeof(owner), "owned by uid %lld", link.tun_owner);
		return rpc_error_set(err, -EPERM, RPC_ERROR_PERMISSION_DENIED,
			"Tap \"%s\" is not banger's (%s, %s); not touching it", tap, owner,
			link.tun_persist ? "persistent" : "not persistent");
	}
	r = nl_link_delete(nl, link.ifindex, tap, err);
	if (r < 0)
		return r;
	*ret_result = json_pack("{s:s, s:b}", "tap", tap, "deleted", true);
	return *ret_result ? 0 : -ENOMEM;
}

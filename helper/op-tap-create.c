/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* net.tap_create: a persistent tap owned by the owner, enslaved to banger's bridge and up.
 * Security: the tap name must carry the "bgt-" prefix and must not exist yet (TUNSETIFF on an
 * existing tap would attach to it rather than create); the bridge must be banger.conf's and be
 * a bridge. A tap this call created is deleted again if a later step fails. */
#include <fcntl.h>
#include <linux/if_tun.h>
#include <string.h>
#include <sys/ioctl.h>

#include "common/macro.h"
#include "helper/config.h"
#include "helper/helper.h"
#include "helper/ops.h"
#include "helper/netlink.h"
#include "helper/validate.h"

static int tun_create(const char *name, uid_t uid, gid_t gid, struct rpc_error *err)
{
	_cleanup_close_ int fd = -1;
	struct ifreq ifr = {};

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return rpc_error_set(err, negative_errno(), RPC_ERROR_UNAVAILABLE,
			"Failed to open /dev/net/tun: %m");
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		return rpc_error_set(err, negative_errno(), RPC_ERROR_INTERNAL,
			"Failed to create tap \"%s\" (TUNSETIFF): %m", name);
	if (ioctl(fd, TUNSETOWNER, (unsigned long)uid) < 0 ||
		ioctl(fd, TUNSETGROUP, (unsigned long)gid) < 0 || ioctl(fd, TUNSETPERSIST, 1UL) < 0)
		/* Closing the descriptor removes the not yet persistent tap. */
		return rpc_error_set(err, negative_errno(), RPC_ERROR_INTERNAL,
			"Failed to hand tap \"%s\" to uid %u and make it persistent: %m", name,
			(unsigned)uid);
	return 0;
}

int op_tap_create_run(const struct helper_ctx *ctx, const struct helper_request *req,
	json_t **ret_result, struct rpc_error *err)
{
	_cleanup_mnl_ struct mnl_socket *nl = NULL;
	const char *tap = json_string_value(json_object_get(req->params, "tap"));
	const char *bridge;
	struct nl_link br, link;
	int r;

	r = helper_pool_bridge(ctx->cfg, json_object_get(req->params, "bridge"), &bridge, err);
	if (r < 0)
		return r;
	r = nl_open(&nl, err);
	if (r < 0)
		return r;
	r = nl_link_get(nl, bridge, &br, err);
	if (r == -ENODEV)
		return rpc_error_set(err, r, RPC_ERROR_NOT_FOUND,
			"Bridge \"%s\" does not exist (net.bridge_ensure first)", bridge);
	if (r < 0)
		return r;
	if (!streq(br.kind, "bridge"))
		return rpc_error_set(
			err, -EEXIST, RPC_ERROR_CONFLICT, "Link \"%s\" is not a bridge", bridge);
	r = nl_link_get(nl, tap, &link, err);
	if (r >= 0)
		return rpc_error_set(err, -EEXIST, RPC_ERROR_CONFLICT,
			"Link \"%s\" already exists (kind \"%s\"); net.tap_delete it first", tap,
			link.kind);
	if (r != -ENODEV)
		return r;

	r = tun_create(tap, ctx->cfg->owner_uid, ctx->cfg->owner_gid, err);
	if (r < 0)
		return r;
	r = nl_link_get(nl, tap, &link, err);
	if (r == -ENODEV)
		return rpc_error_set(err, r, RPC_ERROR_INTERNAL, "Tap \"%s\" vanished", tap);
	if (r < 0)
		goto undo_unknown;
	r = nl_link_set(nl, link.ifindex, tap, br.ifindex, true, err);
	if (r < 0)
		goto undo;

	*ret_result = json_pack("{s:s, s:i, s:s, s:i}", "tap", tap, "ifindex", link.ifindex,
		"bridge", bridge, "owner_uid", (int)ctx->cfg->owner_uid);
	if (!*ret_result) {
		r = -ENOMEM;
		goto undo;
	}
	return 0;

undo_unknown:
	if (nl_link_get(nl, tap, &link, NULL) < 0)
		return r;
undo:
	(void)nl_link_delete(nl, link.ifindex, tap, NULL);
	return r;
}

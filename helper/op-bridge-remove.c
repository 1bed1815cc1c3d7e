/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* net.bridge_remove: deletes banger's bridge once no tap is attached to it.
 * Security: the name must be banger.conf's bridge and the link must be a bridge; a bridge that
 * still has ports is refused (those belong to running VMs or to someone else). Where
 * systemd-resolved runs, it forgets what dns.ensure registered for the bridge first. */
#include "common/macro.h"
#include "helper/config.h"
#include "helper/helper.h"
#include "common/log.h"
#include "helper/ops.h"
#include "helper/netlink.h"
#include "helper/resolved.h"
#include "helper/validate.h"

struct ports {
	int master;
	char first[IFNAMSIZ];
	unsigned n;
};

static void count_port(const struct nl_link *l, void *data)
{
	struct ports *p = data;
	if (l->master == p->master) {
		if (p->n++ == 0)
			snprintf(p->first, sizeof(p->first), "%s", l->name);
	}
}

int op_bridge_remove_run(const struct helper_ctx *ctx, const struct helper_request *req,
	json_t **ret_result, struct rpc_error *err)
{
	_cleanup_mnl_ struct mnl_socket *nl = NULL;
	struct nl_link link;
	struct ports ports = {};
	const char *name;
	int r;

	r = helper_pool_bridge(ctx->cfg, json_object_get(req->params, "bridge"), &name, err);
	if (r < 0)
		return r;
	r = nl_open(&nl, err);
	if (r < 0)
		return r;
	r = nl_link_get(nl, name, &link, err);
	if (r == -ENODEV) {
		*ret_result = json_pack("{s:s, s:b}", "bridge", name, "removed", false);
		return *ret_result ? 0 : -ENOMEM;
	}
	if (r < 0)
		return r;
	if (!streq(link.kind, "bridge"))
		return rpc_error_set(err, -EEXIST, RPC_ERROR_CONFLICT,
			"Link \"%s\" is not a bridge (kind \"%s\"); not touching it", name,
			link.kind[0] ? link.kind : "none");
	ports.master = link.ifindex;
	r = nl_link_dump(nl, count_port, &ports, err);
	if (r < 0)
		return r;
	if (ports.n > 0)
		return rpc_error_set(err, -EBUSY, RPC_ERROR_CONFLICT,
			"Bridge \"%s\" still has %u port(s), e.g. \"%s\"", name, ports.n,
			ports.first);
	char why[256];
	if (resolved_link_revert(link.ifindex, why, sizeof(why)) < 0)
		log_warning("%s", why); /* the link goes anyway, and resolved with it */
	r = nl_link_delete(nl, link.ifindex, name, err);
	if (r < 0)
		return r;
	*ret_result = json_pack("{s:s, s:b}", "bridge", name, "removed", true);
	return *ret_result ? 0 : -ENOMEM;
}

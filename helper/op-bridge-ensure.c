/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* net.bridge_ensure: banger's bridge exists, carries the gateway address of the configured pool
 * (and no other IPv4 address) and is up.
 * Security: the bridge and its address are the administrator's (banger.conf [network], read by
 * root at start), never the caller's: a request may name them only to say the same thing. The
 * pool must not overlap anything the host already has -- an address of another link, or a route
 * of any table other than the default route and the bridge's own -- or the helper would move
 * the host's traffic onto a bridge the owner's taps hang off; that is checked before anything is
 * changed. An existing link of that name that is not a bridge is refused, not changed. Other
 * IPv4 addresses found on the bridge are removed: one address per bridge. A bridge this call
 * created is deleted again if a later step fails. The checks run every time; a change is made
 * only where the bridge differs (no address, a stray one, down): then it says "unchanged". */
#include <arpa/inet.h>
#include <net/if.h>

#include "common/macro.h"
#include "helper/config.h"
#include "helper/helper.h"
#include "helper/netlink.h"
#include "helper/ops.h"
#include "helper/validate.h"

static bool prefixes_overlap(struct in_addr a, unsigned pa, struct in_addr b, unsigned pb)
{
	unsigned p = MIN(pa, pb);
	uint32_t mask = p ? ~0u << (32 - p) : 0;
	return (ntohl(a.s_addr) & mask) == (ntohl(b.s_addr) & mask);
}

/* What one address dump says: whether the pool overlaps another link's address, and what the
 * bridge itself carries (the gateway, and anything else: strays, removed below). */
struct overlap {
	const struct helper_pool *pool;
	int bridge; /* ifindex of banger's bridge, 0 when it does not exist yet */
	char found[160];
	bool has_gateway;
	struct nl_addr stray[16];
	size_t n_stray;
};

static void check_addr(const struct nl_addr *a, void *data)
{
	struct overlap *o = data;
	char s[INET_ADDRSTRLEN], ifname[IF_NAMESIZE] = "?";

	if (o->bridge && a->ifindex == o->bridge) {
		if (a->addr.s_addr == o->pool->gateway.s_addr && a->prefix == o->pool->prefix)
			o->has_gateway = true;
		else if (o->n_stray < ELEMENTSOF(o->stray))
			o->stray[o->n_stray++] = *a;
		return;
	}
	if (o->found[0] || !prefixes_overlap(a->addr, a->prefix, o->pool->network, o->pool->prefix))
		return;
	inet_ntop(AF_INET, &a->addr, s, sizeof(s));
	(void)if_indextoname((unsigned)a->ifindex, ifname);
	snprintf(o->found, sizeof(o->found), "the address %s/%u of %s", s, a->prefix, ifname);
}

static void check_route(const struct nl_route *r, void *data)
{
	struct overlap *o = data;
	char s[INET_ADDRSTRLEN], ifname[IF_NAMESIZE] = "-";

	/* The default route overlaps everything and steals nothing: a more specific one wins. */
	if (o->found[0] || r->prefix == 0 || (o->bridge && r->oif == o->bridge) ||
		!prefixes_overlap(r->dst, r->prefix, o->pool->network, o->pool->prefix))
		return;
	inet_ntop(AF_INET, &r->dst, s, sizeof(s));
	if (r->oif)
		(void)if_indextoname((unsigned)r->oif, ifname);
	snprintf(o->found, sizeof(o->found), "the route to %s/%u (dev %s, table %u)", s, r->prefix,
		ifname, r->table);
}

int op_bridge_ensure_run(const struct helper_ctx *ctx, const struct helper_request *req,
	json_t **ret_result, struct rpc_error *err)
{
	const struct helper_pool *pool = &ctx->cfg->pool;
	_cleanup_mnl_ struct mnl_socket *nl = NULL;
	json_t *address = json_object_get(req->params, "address"), *removed = NULL;
	struct overlap o = {.pool = pool};
	struct nl_link link;
	const char *name;
	bool created = false;
	json_t *res;
	int r;

	r = helper_pool_bridge(ctx->cfg, json_object_get(req->params, "bridge"), &name, err);
	if (r < 0)
		return r;
	if (address) {
		struct in_addr a;
		unsigned prefix;
		if (ipv4_cidr_parse(json_string_value(address), &a, &prefix) < 0 ||
			a.s_addr != pool->gateway.s_addr || prefix != pool->prefix)
			return rpc_error_set(err, -EPERM, RPC_ERROR_PERMISSION_DENIED,
				"Refusing address %s: banger's address pool is %s (%s [network] "
				"subnet), so its bridge carries %s",
				json_string_value(address), pool->text, ctx->cfg->layout.config,
				pool->gateway_text);
	}
	r = nl_open(&nl, err);
	if (r < 0)
		return r;

	r = nl_link_get(nl, name, &link, err);
	if (r >= 0 && !streq(link.kind, "bridge"))
		return rpc_error_set(err, -EEXIST, RPC_ERROR_CONFLICT,
			"Link \"%s\" exists and is not a bridge (kind \"%s\"); not touching it",
			name, link.kind[0] ? link.kind : "none");
	if (r < 0 && r != -ENODEV)
		return r;
	o.bridge = r >= 0 ? link.ifindex : 0;
	/* Before anything changes: the pool must be the host's free space. */
	r = nl_addr_dump(nl, check_addr, &o, err);
	if (r >= 0)
		r = nl_route_dump(nl, check_route, &o, err);
	if (r < 0)
		return r;
	if (o.found[0])
		return rpc_error_set(err, -EADDRINUSE, RPC_ERROR_CONFLICT,
			"Refusing to put %s on \"%s\": the pool %s overlaps %s (choose another "
			"[network] subnet in %s)",
			pool->gateway_text, name, pool->text, o.found, ctx->cfg->layout.config);

	if (!o.bridge) {
		r = nl_bridge_create(nl, name, err);
		if (r < 0)
			return r;
		created = true;
		r = nl_link_get(nl, name, &link, err);
		if (r == -ENODEV)
			r = rpc_error_set(err, r, RPC_ERROR_INTERNAL,
				"Bridge \"%s\" vanished right after it was created", name);
		if (r < 0)
			goto undo;
	}

	/* Only what differs is changed: a VM start finds the bridge as the last one left it, and
	 * then this is the checks above and nothing else. */
	if (!o.has_gateway) {
		r = nl_addr_add(nl, link.ifindex, name, pool->gateway, pool->prefix, err);
		if (r < 0)
			goto undo;
	}
	/* One address per bridge: whatever else an earlier configuration left goes. */
	removed = json_array();
	if (!removed) {
		r = -ENOMEM;
		goto undo;
	}
	for (size_t i = 0; r >= 0 && i < o.n_stray; i++) {
		char s[INET_ADDRSTRLEN], text[INET_ADDRSTRLEN + 4];
		r = nl_addr_del(nl, link.ifindex, name, o.stray[i].addr, o.stray[i].prefix, err);
		inet_ntop(AF_INET, &o.stray[i].addr, s, sizeof(s));
		snprintf(text, sizeof(text), "%s/%u", s, o.stray[i].prefix);
		if (r >= 0)
			json_array_append_new(removed, json_string(text));
	}
	if (r < 0)
		goto undo;
	if (!(link.flags & IFF_UP)) {
		r = nl_link_set(nl, link.ifindex, name, -1, true, err);
		if (r < 0)
			goto undo;
	}

	res = json_pack("{s:s, s:i, s:b, s:b, s:s, s:s, s:O}", "bridge", name, "ifindex",
		link.ifindex, "created", created, "unchanged",
		!created && o.has_gateway && o.n_stray == 0 && (link.flags & IFF_UP), "address",
		pool->gateway_text, "pool", pool->text, "removed_addresses", removed);
	json_decref(removed);
	if (!res)
		return -ENOMEM;
	*ret_result = res;
	return 0;

undo:
	json_decref(removed);
	if (created)
		(void)nl_link_delete(nl, link.ifindex, name, NULL);
	return r;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nat.ensure: banger's own nftables table (inet banger) masquerading the configured pool out of
 * every other interface and accepting its forwarded traffic; enables net.ipv4.ip_forward.
 * Security: the subnet and the bridge are the administrator's (banger.conf [network], read by
 * root), never the caller's: a request may name them only to say the same thing, so no request
 * can NAT the host's LAN or anyone else's space. Its input chain drops DNS to the gateway
 * address from anything but the bridge and loopback (dns.ensure's resolver is the guests' and
 * the host's, never the network's). The script only ever names banger's table,
 * which it replaces as a whole in one transaction, so no other table is read or changed. If
 * ip_forward cannot be enabled, the table this call created is removed again.
 * Set up once, checked every time: a VM start calls this, and rebuilding the table costs
 * libnftables' cache fetch and a commit (~15 ms). The kernel's ruleset generation moves with
 * every committed change by anyone; when it is still the one right after this helper's own
 * commit of the same script, nothing in nftables has changed since and the table is exactly
 * what was written, so only ip_forward is checked. Anything else (another program's rule, our
 * table edited or deleted, a restarted helper) means a full rewrite as before. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/macro.h"
#include "helper/config.h"
#include "helper/helper.h"
#include "helper/ops.h"
#include "helper/nft.h"
#include "helper/validate.h"

#define IP_FORWARD "/proc/sys/net/ipv4/ip_forward"

/* Returns the old value (0 or 1) after making sure it is 1. */
static int ip_forward_enable(struct rpc_error *err)
{
	_cleanup_close_ int fd = open(IP_FORWARD, O_RDWR | O_CLOEXEC);
	char c = 0;

	if (fd < 0 || pread(fd, &c, 1, 0) != 1)
		return rpc_error_set(err, fd < 0 ? negative_errno() : -EIO, RPC_ERROR_INTERNAL,
			"Failed to read " IP_FORWARD ": %m");
	if (c == '1')
		return 1;
	if (pwrite(fd, "1\n", 2, 0) != 2)
		return rpc_error_set(err, negative_errno(), RPC_ERROR_INTERNAL,
			"Failed to enable net.ipv4.ip_forward: %m");
	return 0;
}

/* What this helper last committed and the generation that commit made (net ops run one at a
 * time: the NET serial lock guards these). */
static char applied_script[2048];
static uint32_t applied_gen;
static bool applied_known;

int op_nat_ensure_run(const struct helper_ctx *ctx, const struct helper_request *req,
	json_t **ret_result, struct rpc_error *err)
{
	const struct helper_pool *pool = &ctx->cfg->pool;
	json_t *want = json_object_get(req->params, "subnet");
	const char *subnet = pool->text, *bridge;
	const char *t = HELPER_NFT_FAMILY " " HELPER_NFT_TABLE;
	char script[sizeof(applied_script)], gw[16];
	uint32_t gen_before = 0, gen_after;
	bool have_gen, unchanged;
	int existed, r, fwd;

	r = helper_pool_bridge(ctx->cfg, json_object_get(req->params, "bridge"), &bridge, err);
	if (r < 0)
		return r;
	if (want) {
		struct in_addr a;
		unsigned prefix;
		if (ipv4_cidr_parse(json_string_value(want), &a, &prefix) < 0 ||
			a.s_addr != pool->network.s_addr || prefix != pool->prefix)
			return rpc_error_set(err, -EPERM, RPC_ERROR_PERMISSION_DENIED,
				"Refusing to NAT %s: banger NATs its own pool, %s (%s [network] "
				"subnet), and nothing else",
				json_string_value(want), pool->text, ctx->cfg->layout.config);
	}

	/* the guests' resolver (dns.ensure) answers on the gateway: only the bridge and the host */
	inet_ntop(AF_INET, &pool->gateway, gw, sizeof(gw));
	/* add+delete first: replaces an existing table and works when there is none, all in the
	 * same transaction as the new content. */
	snprintf(script, sizeof(script),
		"add table %s\n"
		"delete table %s\n"
		"table %s {\n"
		"	chain postrouting {\n"
		"		type nat hook postrouting priority srcnat; policy accept;\n"
		"		ip saddr %s oifname != \"%s\" masquerade\n"
		"	}\n"
		"	chain forward {\n"
		"		type filter hook forward priority filter; policy accept;\n"
		"		iifname \"%s\" ip saddr %s accept\n"
		"		oifname \"%s\" ip daddr %s ct state established,related accept\n"
		"	}\n"
		"	chain input {\n"
		"		type filter hook input priority filter; policy accept;\n"
		"		iifname != { \"%s\", \"lo\" } ip daddr %s meta l4proto { tcp, udp "
		"} th dport 53 drop\n"
		"	}\n"
		"}\n",
		t, t, t, subnet, bridge, bridge, subnet, bridge, subnet, bridge, gw);

	have_gen = nft_generation(&gen_before, NULL) >= 0;
	unchanged = have_gen && applied_known && gen_before == applied_gen &&
		    streq(script, applied_script);
	if (unchanged)
		existed = 1;
	else {
		applied_known = false;
		existed = nft_table_exists(err);
		if (existed < 0)
			return existed;
		r = nft_run(script,
			"apply the nftables table " HELPER_NFT_FAMILY " " HELPER_NFT_TABLE, err);
		if (r < 0)
			return r;
		/* Ours was the only commit in between: the generation now names our table. */
		if (have_gen && nft_generation(&gen_after, NULL) >= 0 &&
			gen_after == gen_before + 1) {
			snprintf(applied_script, sizeof(applied_script), "%s", script);
			applied_gen = gen_after;
			applied_known = true;
		}
	}

	fwd = ip_forward_enable(err);
	if (fwd < 0) {
		if (!existed) {
			(void)nft_run("delete table inet banger", "remove the table", NULL);
			applied_known = false;
		}
		return fwd;
	}
	if (fwd == 0)
		log_notice(
			"Enabled net.ipv4.ip_forward for banger's NAT (%s via %s)", subnet, bridge);

	*ret_result = json_pack("{s:s, s:s, s:s, s:b, s:b, s:b, s:b}", "table", t, "subnet", subnet,
		"bridge", bridge, "replaced", existed && !unchanged, "unchanged", unchanged,
		"ip_forward", true, "ip_forward_changed", fwd == 0);
	return *ret_result ? 0 : -ENOMEM;
}

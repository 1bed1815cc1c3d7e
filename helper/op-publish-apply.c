/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* publish.apply: a running VM's published ports as nftables DNAT, in a table of the VM's own
 * (ip banger_pub_<vm id>: nat.ensure replaces banger's table as a whole, so they cannot live
 * there), replaced as a whole in one transaction.
 * Security: the destination is a host address of the administrator's pool (banger.conf
 * [network]; not its network, gateway or broadcast address). Each publish is parsed into numbers
 * (publish_parse()) and the script is printed from those numbers alone, so no caller text
 * reaches nft; no ranges. A host port below [network] publish_min_port (1024 unless root's
 * banger.conf lowers it) is refused, and so is one a socket of this host is bound to (bind(2)
 * as root sees every listener). Only the VM's own table is named. A publish on 127/8 needs
 * net.ipv4.conf.<bridge>.route_localnet (the rerouted packet keeps its loopback source until
 * masqueraded): it is set on banger's bridge only, and every publish table carries a
 * raw-prerouting guard dropping 127/8 that arrives from the bridge, so guests cannot reach the
 * host's loopback services through it (CVE-2020-8558). On failure nothing is left changed:
 * route_localnet is set only after the table is in. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "common/macro.h"
#include "helper/helper.h"
#include "helper/nft.h"
#include "helper/ops.h"
#include "helper/publish-sysctl.h"
#include "protocol/publish.h"

/* 0 when nothing on this host holds the port, else -errno (EADDRINUSE: something does). */
static int port_free(const struct publish *p)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET, .sin_port = htons(p->host_port), .sin_addr = p->host};
	_cleanup_close_ int fd = socket(
		AF_INET, (p->proto == PUBLISH_UDP ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return negative_errno();
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return negative_errno();
	return 0;
}

static bool in_pool_host(const struct helper_pool *pool, struct in_addr a)
{
	uint32_t mask = pool->prefix ? htonl(~0u << (32 - pool->prefix)) : 0;
	uint32_t bcast = pool->network.s_addr | ~mask;

	return (a.s_addr & mask) == pool->network.s_addr && a.s_addr != pool->network.s_addr &&
	       a.s_addr != pool->gateway.s_addr && a.s_addr != bcast;
}

static size_t put_rules(
	char *buf, size_t size, const struct publish *p, size_t n, const char *guest)
{
	size_t len = 0;

	for (size_t i = 0; i < n && len < size; i++) {
		char host[INET_ADDRSTRLEN], match[48];
		inet_ntop(AF_INET, &p[i].host, host, sizeof(host));
		if (p[i].host.s_addr == htonl(INADDR_ANY))
			snprintf(match, sizeof(match), "fib daddr type local");
		else
			snprintf(match, sizeof(match), "ip daddr %s", host);
		len += (size_t)snprintf(buf + len, size - len, "\t\t%s %s dport %u dnat to %s:%u\n",
			match, p[i].proto == PUBLISH_UDP ? "udp" : "tcp", p[i].host_port, guest,
			p[i].guest_port);
	}
	return len;
}

int op_publish_apply_run(const struct helper_ctx *ctx, const struct helper_request *req,
	json_t **ret_result, struct rpc_error *err)
{
	const struct helper_pool *pool = &ctx->cfg->pool;
	const char *address = json_string_value(json_object_get(req->params, "address"));
	json_t *list = json_object_get(req->params, "publish"), *v;
	struct publish pubs[PUBLISH_MAX];
	char script[8192], rules[4096], why[160], table[80], text[PUBLISH_TEXT_MAX];
	struct in_addr guest;
	bool localnet = false;
	size_t n = 0, i, len;
	int r;

	if (!address || inet_pton(AF_INET, address, &guest) != 1 || !in_pool_host(pool, guest))
		return rpc_error_set(err, -EPERM, RPC_ERROR_PERMISSION_DENIED,
			"Refusing to publish to %s: banger publishes only to a guest address of "
			"its "
			"pool, %s (%s [network] subnet)",
			address ? address : "(none)", pool->text, ctx->cfg->layout.config);
	json_array_foreach(list, i, v)
	{
		/* the schema checked each (check_publish_specs); parsed again for the numbers */
		if (n >= PUBLISH_MAX ||
			publish_parse(json_string_value(v), &pubs[n], why, sizeof(why)) < 0)
			return rpc_error_set(err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT,
				"Invalid publish: %s", why);
		n++;
	}
	if (publish_check_list(pubs, n, pool->publish_min_port, why, sizeof(why)) < 0)
		return rpc_error_set(
			err, -EPERM, RPC_ERROR_PERMISSION_DENIED, "Refusing to publish: %s", why);
	for (i = 0; i < n; i++) {
		publish_format(&pubs[i], text);
		r = port_free(&pubs[i]);
		if (r < 0)
			return rpc_error_set(err, -EPERM, RPC_ERROR_PERMISSION_DENIED,
				"Refusing to publish %s: %s", text,
				r == -EADDRINUSE      ? "the host port is taken by another program"
				: r == -EADDRNOTAVAIL ? "the host has no such address"
						      : strerror(-r));
		localnet |= (ntohl(pubs[i].host.s_addr) >> 24) == 127 ||
			    pubs[i].host.s_addr == htonl(INADDR_ANY);
	}

	snprintf(table, sizeof(table), NFT_PUBLISH_FAMILY " " NFT_PUBLISH_PREFIX "%s", req->vm_id);
	if (put_rules(rules, sizeof(rules), pubs, n, address) >= sizeof(rules))
		return rpc_error_set(err, -E2BIG, RPC_ERROR_INTERNAL, "Too many rules");
	/* add+delete first: replaces the VM's table, or makes it, in one transaction */
	len = (size_t)snprintf(script, sizeof(script),
		"add table %s\n"
		"delete table %s\n"
		"table %s {\n"
		"	chain guard {\n"
		"		type filter hook prerouting priority raw; policy accept;\n"
		"		iifname \"%s\" ip daddr 127.0.0.0/8 drop\n"
		"		iifname \"%s\" ip saddr 127.0.0.0/8 drop\n"
		"	}\n"
		"	chain prerouting {\n"
		"		type nat hook prerouting priority dstnat; policy accept;\n"
		"%s"
		"	}\n"
		"	chain output {\n"
		"		type nat hook output priority -100; policy accept;\n"
		"%s"
		"	}\n"
		"	chain postrouting {\n"
		"		type nat hook postrouting priority srcnat; policy accept;\n"
		"		oifname \"%s\" ip saddr 127.0.0.0/8 ip daddr %s masquerade\n"
		"	}\n"
		"}\n",
		table, table, table, pool->bridge, pool->bridge, rules, rules, pool->bridge,
		address);
	if (len >= sizeof(script))
		return rpc_error_set(err, -E2BIG, RPC_ERROR_INTERNAL, "Too many rules");
	r = nft_run(script, "apply the publish table", err);
	if (r < 0)
		return r;
	if (localnet) {
		r = publish_route_localnet(pool->bridge, true, err);
		if (r < 0) {
			(void)nft_run_quiet_delete(table);
			return r;
		}
	}
	log_info("Published %zu port(s) of VM %s (%s) in table %s", n, req->vm_id, address, table);
	*ret_result = json_pack("{s:s, s:I, s:b}", "table", table, "published", (json_int_t)n,
		"route_localnet", localnet);
	return *ret_result ? 0 : -ENOMEM;
}

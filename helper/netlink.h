/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtnetlink through libmnl, the iproute2 way: extended ACKs on, an ACK for every change, the
 * kernel's error text passed back in the rpc_error. */
#pragma once

#include <libmnl/libmnl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>

#include "protocol/error.h"

struct nl_link {
	int ifindex;
	unsigned flags; /* IFF_* */
	int master;     /* 0 when none */
	char name[IFNAMSIZ];
	char kind[32]; /* IFLA_INFO_KIND ("bridge", "tun"), "" when none */
	/* kind "tun" only (IFLA_INFO_DATA): IFF_TUN or IFF_TAP, its owner uid (-1 for none), and
	 * whether it is persistent; tun_type 0 when the kernel said nothing */
	unsigned tun_type;
	long long tun_owner;
	bool tun_persist;
};

static inline void mnl_socket_closep(struct mnl_socket **s)
{
	if (*s)
		mnl_socket_close(*s);
}
#define _cleanup_mnl_ _cleanup_(mnl_socket_closep)

/* An rtnetlink socket; nl_open_protocol: one of another netlink family (NETLINK_NETFILTER). */
int nl_open(struct mnl_socket **ret, struct rpc_error *err);
int nl_open_protocol(int protocol, struct mnl_socket **ret, struct rpc_error *err);

/* Sends one request with NLM_F_ACK and waits for the ACK (or, for dumps, NLMSG_DONE); other
 * answers go to cb. On a kernel error fills err with "Failed to <what>: <strerror>[: <ext ack>]".
 */
int nl_transact(struct mnl_socket *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data,
	const char *what, struct rpc_error *err);

/* -ENODEV (err untouched) when no link has that name. */
int nl_link_get(
	struct mnl_socket *nl, const char *name, struct nl_link *ret, struct rpc_error *err);
/* Calls cb for every link. */
int nl_link_dump(struct mnl_socket *nl, void (*cb)(const struct nl_link *l, void *data), void *data,
	struct rpc_error *err);
int nl_bridge_create(struct mnl_socket *nl, const char *name, struct rpc_error *err);
/* master: -1 leaves it, 0 detaches. up: sets IFF_UP when true. */
int nl_link_set(struct mnl_socket *nl, int ifindex, const char *name, int master, bool up,
	struct rpc_error *err);
int nl_link_delete(struct mnl_socket *nl, int ifindex, const char *name, struct rpc_error *err);
int nl_addr_add(struct mnl_socket *nl, int ifindex, const char *name, struct in_addr addr,
	unsigned prefix, struct rpc_error *err);
int nl_addr_del(struct mnl_socket *nl, int ifindex, const char *name, struct in_addr addr,
	unsigned prefix, struct rpc_error *err);

/* One IPv4 address of a link (RTM_GETADDR). */
struct nl_addr {
	int ifindex;
	struct in_addr addr; /* IFA_LOCAL (else IFA_ADDRESS) */
	unsigned prefix;
};
/* Calls cb for every IPv4 address of every link. */
int nl_addr_dump(struct mnl_socket *nl, void (*cb)(const struct nl_addr *a, void *data), void *data,
	struct rpc_error *err);

/* One IPv4 route of any table (RTM_GETROUTE). */
struct nl_route {
	struct in_addr dst; /* 0.0.0.0 with prefix 0 for a default route */
	unsigned prefix;
	int oif; /* 0 when none */
	unsigned table;
	unsigned type; /* RTN_* */
};
/* Calls cb for every IPv4 route of every table. */
int nl_route_dump(struct mnl_socket *nl, void (*cb)(const struct nl_route *r, void *data),
	void *data, struct rpc_error *err);

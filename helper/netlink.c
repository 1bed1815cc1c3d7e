/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtnetlink through libmnl, the iproute2 way: extended ACKs on, an ACK for every change, the
 * kernel's error text passed back in the rpc_error. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <time.h>

#include "common/macro.h"
#include "helper/netlink.h"

#define NL_BUF_SIZE 32768

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

int nl_open_protocol(int protocol, struct mnl_socket **ret, struct rpc_error *err)
{
	struct mnl_socket *nl;
	int one = 1;

	nl = mnl_socket_open2(protocol, SOCK_CLOEXEC);
	if (!nl)
		return rpc_error_set(err, negative_errno(), RPC_ERROR_INTERNAL,
			"Failed to open a netlink socket (protocol %d): %m", protocol);
	/* Extended ACKs carry the kernel's explanation; capped ACKs keep them small. Both are
	 * best effort: an old kernel just answers with the errno. */
	(void)mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int r = negative_errno();
		mnl_socket_close(nl);
		return rpc_error_set(err, r, RPC_ERROR_INTERNAL,
			"Failed to bind a netlink socket (protocol %d): %m", protocol);
	}
	*ret = nl;
	return 0;
}

int nl_open(struct mnl_socket **ret, struct rpc_error *err)
{
	return nl_open_protocol(NETLINK_ROUTE, ret, err);
}

struct ext_ack {
	const char *msg;
};

static int ext_ack_attr(const struct nlattr *a, void *data)
{
	struct ext_ack *ea = data;
	if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
		mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
		ea->msg = mnl_attr_get_str(a);
	return MNL_CB_OK;
}

static int ack_error(const struct nlmsghdr *nlh, const char *what, struct rpc_error *err)
{
	const struct nlmsgerr *e;
	struct ext_ack ea = {};
	unsigned off;
	int r;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct nlmsgerr)))
		return rpc_error_set(err, -EBADMSG, RPC_ERROR_INTERNAL,
			"Failed to %s: truncated netlink ACK", what);
	e = mnl_nlmsg_get_payload(nlh);
	if (e->error == 0)
		return 0;
	r = e->error < 0 ? e->error : -e->error;

	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		off = sizeof(*e);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
		if (mnl_nlmsg_size(off) <= nlh->nlmsg_len)
			(void)mnl_attr_parse(nlh, off, ext_ack_attr, &ea);
	}
	if (ea.msg && ea.msg[0])
		return rpc_error_set(err, r, rpc_error_code_from_errno(r),
			"Failed to %s: %s (kernel: %s)", what, strerror(-r), ea.msg);
	return rpc_error_set(
		err, r, rpc_error_code_from_errno(r), "Failed to %s: %s", what, strerror(-r));
}

int nl_transact(struct mnl_socket *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data,
	const char *what, struct rpc_error *err)
{
	static unsigned seq_counter; /* ops run on several threads: only ever atomically */
	char buf[NL_BUF_SIZE];
	unsigned portid = mnl_socket_get_portid(nl);
	bool dump = (nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
	unsigned seq;
	ssize_t n;

	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = seq =
		(unsigned)time(NULL) + __atomic_add_fetch(&seq_counter, 1, __ATOMIC_RELAXED);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return rpc_error_set(err, negative_errno(), RPC_ERROR_INTERNAL,
			"Failed to %s: sending the netlink request: %m", what);

	for (;;) {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return rpc_error_set(err, negative_errno(), RPC_ERROR_INTERNAL,
				"Failed to %s: reading the netlink answer: %m", what);
		int len = (int)n;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; mnl_nlmsg_ok(h, len);
			h = mnl_nlmsg_next(h, &len)) {
			if (h->nlmsg_seq != seq || h->nlmsg_pid != portid)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				int r = ack_error(h, what, err);
				if (r < 0 || !dump)
					return r;
				continue; /* the ACK after a dump's DONE */
			}
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (cb && h->nlmsg_type >= NLMSG_MIN_TYPE && cb(h, data) < 0)
				return rpc_error_set(err, -EBADMSG, RPC_ERROR_INTERNAL,
					"Failed to %s: malformed netlink answer", what);
		}
	}
}

static int tun_attr(const struct nlattr *a, void *data)
{
	struct nl_link *l = data;

	switch (mnl_attr_get_type(a)) {
	case IFLA_TUN_TYPE:
		if (mnl_attr_validate(a, MNL_TYPE_U8) >= 0)
			l->tun_type = mnl_attr_get_u8(a);
		break;
	case IFLA_TUN_OWNER:
		if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
			l->tun_owner = mnl_attr_get_u32(a);
		break;
	case IFLA_TUN_PERSIST:
		if (mnl_attr_validate(a, MNL_TYPE_U8) >= 0)
			l->tun_persist = mnl_attr_get_u8(a) != 0;
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

static int linkinfo_attr(const struct nlattr *a, void *data)
{
	struct nl_link *l = data;
	/* IFLA_INFO_DATA follows IFLA_INFO_KIND: its meaning depends on the kind */
	if (mnl_attr_get_type(a) == IFLA_INFO_DATA && streq(l->kind, "tun") &&
		mnl_attr_validate(a, MNL_TYPE_NESTED) >= 0)
		(void)mnl_attr_parse_nested(a, tun_attr, l);
	if (mnl_attr_get_type(a) == IFLA_INFO_KIND && mnl_attr_validate(a, MNL_TYPE_STRING) >= 0) {
		size_t n = mnl_attr_get_payload_len(a);
		if (n >= sizeof(l->kind))
			n = sizeof(l->kind) - 1;
		memcpy(l->kind, mnl_attr_get_payload(a), n);
		l->kind[n] = '\0';
		l->kind[strnlen(l->kind, n)] = '\0';
	}
	return MNL_CB_OK;
}

static int link_attr(const struct nlattr *a, void *data)
{
	struct nl_link *l = data;
	switch (mnl_attr_get_type(a)) {
	case IFLA_IFNAME:
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0 &&
			mnl_attr_get_payload_len(a) <= IFNAMSIZ)
			snprintf(l->name, sizeof(l->name), "%s", mnl_attr_get_str(a));
		break;
	case IFLA_MASTER:
		if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
			l->master = (int)mnl_attr_get_u32(a);
		break;
	case IFLA_LINKINFO:
		if (mnl_attr_validate(a, MNL_TYPE_NESTED) >= 0)
			(void)mnl_attr_parse_nested(a, linkinfo_attr, l);
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

static int parse_link(const struct nlmsghdr *nlh, struct nl_link *l)
{
	const struct ifinfomsg *ifi;

	if (nlh->nlmsg_type != RTM_NEWLINK || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifi)))
		return -EBADMSG;
	ifi = mnl_nlmsg_get_payload(nlh);
	*l = (struct nl_link){.ifindex = ifi->ifi_index, .flags = ifi->ifi_flags, .tun_owner = -1};
	if (mnl_attr_parse(nlh, sizeof(*ifi), link_attr, l) < 0)
		return -EBADMSG;
	return 0;
}

static int link_get_cb(const struct nlmsghdr *nlh, void *data)
{
	return parse_link(nlh, data) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

int nl_link_get(struct mnl_socket *nl, const char *name, struct nl_link *ret, struct rpc_error *err)
{
	char buf[NL_BUF_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nl_link l = {};
	struct rpc_error e = {};
	char what[64];
	int r;

	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	snprintf(what, sizeof(what), "look up link \"%s\"", name);
	r = nl_transact(nl, nlh, link_get_cb, &l, what, &e);
	if (r == -ENODEV || (r >= 0 && l.ifindex == 0))
		return -ENODEV;
	if (r < 0) {
		if (err)
			*err = e;
		return r;
	}
	*ret = l;
	return 0;
}

struct dump_ctx {
	void (*cb)(const struct nl_link *l, void *data);
	void *data;
};

static int link_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *d = data;
	struct nl_link l;
	if (parse_link(nlh, &l) < 0)
		return MNL_CB_ERROR;
	d->cb(&l, d->data);
	return MNL_CB_OK;
}

int nl_link_dump(struct mnl_socket *nl, void (*cb)(const struct nl_link *l, void *data), void *data,
	struct rpc_error *err)
{
	char buf[NL_BUF_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct dump_ctx d = {cb, data};
	struct rtgenmsg *g;

	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->rtgen_family = AF_UNSPEC;
	return nl_transact(nl, nlh, link_dump_cb, &d, "list links", err);
}

int nl_bridge_create(struct mnl_socket *nl, const char *name, struct rpc_error *err)
{
	char buf[NL_BUF_SIZE], what[64];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nlattr *info;

	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	mnl_attr_nest_end(nlh, info);
	snprintf(what, sizeof(what), "create bridge \"%s\"", name);
	return nl_transact(nl, nlh, NULL, NULL, what, err);
}

int nl_link_set(struct mnl_socket *nl, int ifindex, const char *name, int master, bool up,
	struct rpc_error *err)
{
	char buf[NL_BUF_SIZE], what[80];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	if (up) {
		ifi->ifi_change = IFF_UP;
		ifi->ifi_flags = IFF_UP;
	}
	if (master >= 0)
		mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)master);
	snprintf(what, sizeof(what), "%s%s link \"%s\"", master > 0 ? "enslave " : "",
		up ? "bring up" : "change", name);
	return nl_transact(nl, nlh, NULL, NULL, what, err);
}

int nl_link_delete(struct mnl_socket *nl, int ifindex, const char *name, struct rpc_error *err)
{
	char buf[NL_BUF_SIZE], what[64];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = RTM_DELLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	snprintf(what, sizeof(what), "delete link \"%s\"", name);
	return nl_transact(nl, nlh, NULL, NULL, what, err);
}

static int addr_change(struct mnl_socket *nl, bool add, int ifindex, const char *name,
	struct in_addr addr, unsigned prefix, struct rpc_error *err)
{
	char buf[NL_BUF_SIZE], what[96], a[INET_ADDRSTRLEN];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;
	uint32_t mask = prefix ? ~0u << (32 - prefix) : 0;
	struct in_addr brd = {.s_addr = htonl(ntohl(addr.s_addr) | ~mask)};

	nlh->nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | (add ? NLM_F_CREATE | NLM_F_REPLACE : 0);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)prefix;
	ifa->ifa_index = (unsigned)ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, sizeof(addr), &addr);
	mnl_attr_put(nlh, IFA_ADDRESS, sizeof(addr), &addr);
	mnl_attr_put(nlh, IFA_BROADCAST, sizeof(brd), &brd);
	inet_ntop(AF_INET, &addr, a, sizeof(a));
	snprintf(what, sizeof(what), "%s address %s/%u %s \"%s\"", add ? "add" : "remove", a,
		prefix, add ? "to" : "from", name);
	return nl_transact(nl, nlh, NULL, NULL, what, err);
}

int nl_addr_add(struct mnl_socket *nl, int ifindex, const char *name, struct in_addr addr,
	unsigned prefix, struct rpc_error *err)
{
	return addr_change(nl, true, ifindex, name, addr, prefix, err);
}

int nl_addr_del(struct mnl_socket *nl, int ifindex, const char *name, struct in_addr addr,
	unsigned prefix, struct rpc_error *err)
{
	return addr_change(nl, false, ifindex, name, addr, prefix, err);
}

struct addr_dump {
	void (*cb)(const struct nl_addr *a, void *data);
	void *data;
	struct nl_addr cur;
	bool have_local, have_address;
	struct in_addr address;
};

static int addr_attr(const struct nlattr *a, void *data)
{
	struct addr_dump *d = data;
	int type = mnl_attr_get_type(a);

	if ((type == IFA_LOCAL || type == IFA_ADDRESS) &&
		mnl_attr_validate2(a, MNL_TYPE_BINARY, sizeof(struct in_addr)) >= 0) {
		if (type == IFA_LOCAL) {
			memcpy(&d->cur.addr, mnl_attr_get_payload(a), sizeof(struct in_addr));
			d->have_local = true;
		} else {
			memcpy(&d->address, mnl_attr_get_payload(a), sizeof(struct in_addr));
			d->have_address = true;
		}
	}
	return MNL_CB_OK;
}

static int addr_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct addr_dump *d = data;
	const struct ifaddrmsg *ifa;

	if (nlh->nlmsg_type != RTM_NEWADDR || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifa)))
		return MNL_CB_ERROR;
	ifa = mnl_nlmsg_get_payload(nlh);
	if (ifa->ifa_family != AF_INET)
		return MNL_CB_OK;
	d->cur = (struct nl_addr){.ifindex = (int)ifa->ifa_index, .prefix = ifa->ifa_prefixlen};
	d->have_local = d->have_address = false;
	if (mnl_attr_parse(nlh, sizeof(*ifa), addr_attr, d) < 0)
		return MNL_CB_ERROR;
	if (!d->have_local && d->have_address)
		d->cur.addr = d->address;
	if (d->have_local || d->have_address)
		d->cb(&d->cur, d->data);
	return MNL_CB_OK;
}

int nl_addr_dump(struct mnl_socket *nl, void (*cb)(const struct nl_addr *a, void *data), void *data,
	struct rpc_error *err)
{
	char buf[NL_BUF_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct addr_dump d = {.cb = cb, .data = data};
	struct ifaddrmsg *ifa;

	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	return nl_transact(nl, nlh, addr_dump_cb, &d, "list addresses", err);
}

struct route_dump {
	void (*cb)(const struct nl_route *r, void *data);
	void *data;
	struct nl_route cur;
};

static int route_attr(const struct nlattr *a, void *data)
{
	struct route_dump *d = data;

	switch (mnl_attr_get_type(a)) {
	case RTA_DST:
		if (mnl_attr_validate2(a, MNL_TYPE_BINARY, sizeof(struct in_addr)) >= 0)
			memcpy(&d->cur.dst, mnl_attr_get_payload(a), sizeof(struct in_addr));
		break;
	case RTA_OIF:
		if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
			d->cur.oif = (int)mnl_attr_get_u32(a);
		break;
	case RTA_TABLE:
		if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
			d->cur.table = mnl_attr_get_u32(a);
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

static int route_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct route_dump *d = data;
	const struct rtmsg *rtm;

	if (nlh->nlmsg_type != RTM_NEWROUTE || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*rtm)))
		return MNL_CB_ERROR;
	rtm = mnl_nlmsg_get_payload(nlh);
	if (rtm->rtm_family != AF_INET)
		return MNL_CB_OK;
	d->cur = (struct nl_route){
		.prefix = rtm->rtm_dst_len, .table = rtm->rtm_table, .type = rtm->rtm_type};
	if (mnl_attr_parse(nlh, sizeof(*rtm), route_attr, d) < 0)
		return MNL_CB_ERROR;
	d->cb(&d->cur, d->data);
	return MNL_CB_OK;
}

int nl_route_dump(struct mnl_socket *nl, void (*cb)(const struct nl_route *r, void *data),
	void *data, struct rpc_error *err)
{
	char buf[NL_BUF_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct route_dump d = {.cb = cb, .data = data};
	struct rtmsg *rtm;

	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_table = RT_TABLE_UNSPEC; /* every table */
	return nl_transact(nl, nlh, route_dump_cb, &d, "list routes", err);
}

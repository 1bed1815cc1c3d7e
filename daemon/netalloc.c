/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Guest addressing: the bridge subnet, per-VM IP allocation, deterministic MACs and tap names,
 * and the kernel command line that tells the guest its address and the owner's SSH key. */
#include <arpa/inet.h>
#include <errno.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/macro.h"
#include "daemon/netalloc.h"

static uint32_t mask_of(unsigned prefix)
{
	return prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
}

int net_subnet_parse(const char *s, struct net_subnet *ret)
{
	char buf[32], *slash, *end;
	struct in_addr a;
	unsigned long prefix;
	uint32_t h;

	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	errno = 0;
	prefix = strtoul(slash + 1, &end, 10);
	if (errno || *end || end == slash + 1 || prefix < 8 || prefix > 30)
		return -EINVAL;
	if (inet_pton(AF_INET, buf, &a) != 1)
		return -EINVAL;
	h = ntohl(a.s_addr);
	if (h & ~mask_of((unsigned)prefix))
		return -EINVAL; /* host bits set: "172.30.0.5/24" is an address, not a subnet */
	ret->network = a;
	ret->prefix = (unsigned)prefix;
	ret->gateway.s_addr = htonl(h + 1);
	return 0;
}

bool net_ip_in_subnet(const struct net_subnet *n, struct in_addr a)
{
	uint32_t m = mask_of(n->prefix);
	return (ntohl(a.s_addr) & m) == ntohl(n->network.s_addr);
}

int net_ip_allocate(
	const struct net_subnet *n, const struct in_addr *used, size_t n_used, struct in_addr *ret)
{
	uint32_t base = ntohl(n->network.s_addr);
	uint32_t size = 1u << (32 - n->prefix);

	/* .0 network, .1 gateway, last broadcast */
	for (uint32_t off = 2; off < size - 1; off++) {
		uint32_t cand = htonl(base + off);
		bool taken = false;
		for (size_t i = 0; i < n_used; i++)
			if (used[i].s_addr == cand) {
				taken = true;
				break;
			}
		if (!taken) {
			ret->s_addr = cand;
			return 0;
		}
	}
	return -ENOSPC;
}

void net_mac_from_id(const char *vm_id, char ret[18])
{
	unsigned char d[SHA256_DIGEST_LENGTH];

	SHA256((const unsigned char *)vm_id, strlen(vm_id), d);
	/* 02: locally administered, unicast */
	snprintf(ret, 18, "02:%02x:%02x:%02x:%02x:%02x", d[0], d[1], d[2], d[3], d[4]);
}

int net_tap_name(const char *vm_id, char ret[16])
{
	size_t n = strlen(vm_id);

	if (n == 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!((vm_id[i] >= 'a' && vm_id[i] <= 'z') ||
			    (vm_id[i] >= '0' && vm_id[i] <= '9') || vm_id[i] == '-'))
			return -EINVAL;
	snprintf(ret, 16, NET_TAP_PREFIX "%.11s", vm_id);
	return 0;
}

void net_netmask(unsigned prefix, char ret[16])
{
	struct in_addr m = {.s_addr = htonl(mask_of(prefix))};
	inet_ntop(AF_INET, &m, ret, 16);
}

int net_boot_args(const struct net_subnet *n, struct in_addr guest, const char *hostname,
	const char *ssh_pubkey, char *buf, size_t size)
{
	char ip[16], gw[16], mask[16], type[64];
	const char *sp, *blob_end;
	size_t tlen;
	int w;

	if (!net_ip_in_subnet(n, guest))
		return -EINVAL;
	inet_ntop(AF_INET, &guest, ip, sizeof(ip));
	inet_ntop(AF_INET, &n->gateway, gw, sizeof(gw));
	net_netmask(n->prefix, mask);

	/* "TYPE BLOB [comment]" → "TYPE:BLOB" */
	sp = ssh_pubkey ? strchr(ssh_pubkey, ' ') : NULL;
	if (!sp || sp == ssh_pubkey)
		return -EINVAL;
	tlen = (size_t)(sp - ssh_pubkey);
	if (tlen >= sizeof(type))
		return -EINVAL;
	memcpy(type, ssh_pubkey, tlen);
	type[tlen] = '\0';
	blob_end = sp + 1 + strcspn(sp + 1, " \n\r\t");
	if (blob_end == sp + 1)
		return -EINVAL;
	for (const char *p = sp + 1; p < blob_end; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			    (*p >= '0' && *p <= '9') || *p == '+' || *p == '/' || *p == '='))
			return -EINVAL;

	w = snprintf(buf, size,
		"console=ttyS0 reboot=k panic=1 ip=%s::%s:%s:%s:eth0:off:%s banger.ssh_key=%s:%.*s",
		ip, gw, mask, hostname, gw, type, (int)(blob_end - sp - 1), sp + 1);
	if (w < 0 || (size_t)w >= size)
		return -ENAMETOOLONG;
	return 0;
}

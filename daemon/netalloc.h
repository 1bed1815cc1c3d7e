/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Guest addressing: the bridge subnet, per-VM IP allocation, deterministic MACs and tap names,
 * and the kernel command line that tells the guest its address and the owner's SSH key. */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

#define NET_DEFAULT_SUBNET "172.30.0.0/24"
#define NET_TAP_PREFIX "bgt-"

struct net_subnet {
	struct in_addr network; /* host order bits stored in network order, like inet_pton */
	unsigned prefix;        /* 8..30 */
	struct in_addr gateway; /* first host: .1 */
};

/* "172.30.0.0/24" → subnet with gateway .1. Refuses host bits set, prefixes outside 8..30 and
 * anything inet_pton would not take. */
int net_subnet_parse(const char *s, struct net_subnet *ret);

/* Lowest free guest address: not the network, gateway or broadcast address and not in used[].
 * -ENOSPC when the subnet is full. */
int net_ip_allocate(
	const struct net_subnet *n, const struct in_addr *used, size_t n_used, struct in_addr *ret);
bool net_ip_in_subnet(const struct net_subnet *n, struct in_addr a);

/* Locally administered unicast MAC derived from the VM id: stable across restarts. */
void net_mac_from_id(const char *vm_id, char ret[18]);

/* "bgt-" + the first 11 characters of the VM id (IFNAMSIZ is 16 with the NUL). */
int net_tap_name(const char *vm_id, char ret[16]);

/* Dotted netmask for the prefix ("255.255.255.0"). */
void net_netmask(unsigned prefix, char ret[16]);

/* "console=ttyS0 reboot=k panic=1 ip=G::GW:MASK:NAME:eth0:off banger.ssh_key=TYPE:B64"
 * ssh_pubkey is an OpenSSH public key line ("ssh-ed25519 AAAA… comment"); the comment is
 * dropped because a kernel argument cannot hold spaces. */
int net_boot_args(const struct net_subnet *n, struct in_addr guest, const char *hostname,
	const char *ssh_pubkey, char *buf, size_t size);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A VM's published ports, "[HOSTIP:]HOSTPORT:GUESTPORT[/tcp|udp]": parsed and checked the same
 * way by the CLI, the daemon and bangerd-root. */
#pragma once

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PUBLISH_MAX 16      /* per VM */
#define PUBLISH_TEXT_MAX 32 /* "255.255.255.255:65535:65535/udp" + NUL */
#define PUBLISH_DEFAULT_HOST "127.0.0.1"
/* Host ports below this are privileged: published only when banger.conf's [network]
 * publish_min_port (read by the daemon and, as root's file, by bangerd-root) says so. */
#define PUBLISH_MIN_PORT_DEFAULT 1024

enum publish_proto {
	PUBLISH_TCP,
	PUBLISH_UDP,
	_PUBLISH_PROTO_MAX,
	_PUBLISH_PROTO_INVALID = -EINVAL,
};

struct publish {
	struct in_addr host; /* INADDR_ANY: every host address */
	uint16_t host_port;
	uint16_t guest_port;
	enum publish_proto proto;
};

/* Parses one spec; the host address defaults to 127.0.0.1 and the protocol to tcp. A port is
 * 1-65535 in decimal without sign or leading zero; no ranges. -EINVAL with why filled. */
int publish_parse(const char *s, struct publish *ret, char *why, size_t why_size);
/* The canonical text ("127.0.0.1:8080:80/tcp"): what records and the wire carry. */
void publish_format(const struct publish *p, char buf[PUBLISH_TEXT_MAX]);
/* Same protocol and host port, and the same host address or either is every address. */
bool publish_overlaps(const struct publish *a, const struct publish *b);
/* The list a VM asks for: at most PUBLISH_MAX, no two overlapping, no host port below
 * min_host_port (1024 unless banger.conf allows privileged ports). -EINVAL with why filled. */
int publish_check_list(
	const struct publish *p, size_t n, unsigned min_host_port, char *why, size_t why_size);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A VM's published ports, parsed and checked (publish.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "protocol/publish.h"

static const char *const proto_names[_PUBLISH_PROTO_MAX] = {
	[PUBLISH_TCP] = "tcp",
	[PUBLISH_UDP] = "udp",
};

static int parse_port(const char *s, size_t len, uint16_t *ret)
{
	unsigned v = 0;

	if (len == 0 || len > 5 || s[0] == '0')
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > 65535)
		return -EINVAL;
	*ret = (uint16_t)v;
	return 0;
}

int publish_parse(const char *s, struct publish *ret, char *why, size_t why_size)
{
	struct publish p = {.proto = PUBLISH_TCP};
	const char *parts[3], *slash, *end;
	char host[INET_ADDRSTRLEN];
	size_t n = 0, lens[3];

	if (!s || strlen(s) >= PUBLISH_TEXT_MAX) {
		snprintf(why, why_size, "a publish is [HOSTIP:]HOSTPORT:GUESTPORT[/tcp|udp]");
		return -EINVAL;
	}
	slash = strchr(s, '/');
	end = slash ? slash : s + strlen(s);
	if (slash) {
		if (strcmp(slash + 1, "tcp") == 0)
			p.proto = PUBLISH_TCP;
		else if (strcmp(slash + 1, "udp") == 0)
			p.proto = PUBLISH_UDP;
		else {
			snprintf(why, why_size, "\"%s\": the protocol is tcp or udp", s);
			return -EINVAL;
		}
	}
	for (const char *q = s; q <= end && n < 3;) {
		const char *c = memchr(q, ':', (size_t)(end - q));
		parts[n] = q;
		lens[n++] = (size_t)((c ? c : end) - q);
		if (!c)
			break;
		q = c + 1;
		if (q > end || (n == 3))
			n = 4; /* too many fields */
	}
	if (n < 2 || n > 3) {
		snprintf(why, why_size, "\"%s\": use [HOSTIP:]HOSTPORT:GUESTPORT[/tcp|udp]", s);
		return -EINVAL;
	}
	if (n == 3) {
		if (lens[0] == 0 || lens[0] >= sizeof(host)) {
			snprintf(why, why_size, "\"%s\": the host address is not an IPv4 address",
				s);
			return -EINVAL;
		}
		memcpy(host, parts[0], lens[0]);
		host[lens[0]] = 0;
		if (inet_pton(AF_INET, host, &p.host) != 1) {
			snprintf(why, why_size, "\"%s\": %s is not an IPv4 address", s, host);
			return -EINVAL;
		}
	} else
		inet_pton(AF_INET, PUBLISH_DEFAULT_HOST, &p.host);
	if (parse_port(parts[n - 2], lens[n - 2], &p.host_port) < 0 ||
		parse_port(parts[n - 1], lens[n - 1], &p.guest_port) < 0) {
		snprintf(why, why_size, "\"%s\": a port is one number from 1 to 65535 (no ranges)",
			s);
		return -EINVAL;
	}
	*ret = p;
	return 0;
}

void publish_format(const struct publish *p, char buf[PUBLISH_TEXT_MAX])
{
	char host[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &p->host, host, sizeof(host));
	snprintf(buf, PUBLISH_TEXT_MAX, "%s:%u:%u/%s", host, p->host_port, p->guest_port,
		proto_names[p->proto]);
}

bool publish_overlaps(const struct publish *a, const struct publish *b)
{
	return a->proto == b->proto && a->host_port == b->host_port &&
	       (a->host.s_addr == b->host.s_addr || a->host.s_addr == htonl(INADDR_ANY) ||
		       b->host.s_addr == htonl(INADDR_ANY));
}

int publish_check_list(
	const struct publish *p, size_t n, unsigned min_host_port, char *why, size_t why_size)
{
	char a[PUBLISH_TEXT_MAX], b[PUBLISH_TEXT_MAX];

	if (n > PUBLISH_MAX) {
		snprintf(why, why_size, "at most %d published ports per VM", PUBLISH_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		publish_format(&p[i], a);
		if (p[i].host_port < min_host_port) {
			snprintf(why, why_size,
				"%s: host port %u is privileged (below %u); banger.conf's "
				"[network] publish_min_port allows lower ones",
				a, p[i].host_port, min_host_port);
			return -EINVAL;
		}
		for (size_t j = 0; j < i; j++)
			if (publish_overlaps(&p[i], &p[j])) {
				publish_format(&p[j], b);
				snprintf(why, why_size, "%s overlaps %s", a, b);
				return -EINVAL;
			}
	}
	return 0;
}

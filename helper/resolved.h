/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* banger's bridge as a systemd-resolved link: the gateway's dnsmasq as its DNS server for the
 * ~banger routing domain, so the host resolves NAME.banger where resolved runs. */
#pragma once

#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>

enum resolved_outcome {
	RESOLVED_SET,         /* resolved had something else for the link: set now */
	RESOLVED_KEPT,        /* resolved already had exactly this */
	RESOLVED_NOT_RUNNING, /* no org.freedesktop.resolve1 on the system bus */
	_RESOLVED_OUTCOME_MAX,
	_RESOLVED_OUTCOME_INVALID = -EINVAL,
};

/* "set", "kept", "not running" */
const char *resolved_outcome_to_string(enum resolved_outcome o);

/* Makes resolved's view of the link ifindex "DNS server dns, domain ~banger, not a default
 * route, no DNSSEC" (reading first, so a periodic call changes nothing and logs nothing when
 * resolved already has it). Never starts resolved (no bus activation). Returns the outcome, or
 * -errno with the reason in why. */
int resolved_link_register(int ifindex, struct in_addr dns, char *why, size_t why_size);

/* RevertLink: resolved forgets what banger set for ifindex. RESOLVED_SET when it did,
 * RESOLVED_NOT_RUNNING, or -errno with the reason in why. */
int resolved_link_revert(int ifindex, char *why, size_t why_size);

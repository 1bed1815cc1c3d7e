/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* banger's bridge as a systemd-resolved link (resolved.h), over sd-bus.
 * Security: the link and the address are the callers' own arguments here, and every caller takes
 * them from the administrator's pool (the bridge's ifindex, the gateway), never from a request.
 * resolved grants Set* to root (its polkit check passes a uid-0 sender before asking polkit). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-bus.h>

#include "common/bus.h"
#include "common/macro.h"
#include "common/resolve1.h"
#include "helper/resolved.h"

#define RESOLVED_DOMAIN RESOLVE1_DOMAIN

static const char *const outcome_names[_RESOLVED_OUTCOME_MAX] = {
	[RESOLVED_SET] = "set",
	[RESOLVED_KEPT] = "kept",
	[RESOLVED_NOT_RUNNING] = "not running",
};

const char *resolved_outcome_to_string(enum resolved_outcome o)
{
	return o >= 0 && o < _RESOLVED_OUTCOME_MAX ? outcome_names[o] : NULL;
}

static void msg_unrefp(sd_bus_message **m)
{
	sd_bus_message_unref(*m);
}

#define _cleanup_msg_ __attribute__((cleanup(msg_unrefp)))

static int bus_fail(int r, const sd_bus_error *e, char *why, size_t why_size, const char *what)
{
	snprintf(why, why_size, "systemd-resolved: failed to %s: %s", what,
		e && e->message ? e->message : strerror(-r));
	return r;
}

int resolved_link_register(int ifindex, struct in_addr dns, char *why, size_t why_size)
{
	_cleanup_bus_ sd_bus *bus = NULL;
	_cleanup_msg_ sd_bus_message *m = NULL;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	struct resolve1_link have;
	int r;

	r = resolve1_open(&bus, &e);
	if (r < 0)
		goto error;
	if (r == 0)
		return RESOLVED_NOT_RUNNING;
	r = resolve1_link_read(bus, ifindex, dns, &have, &e);
	if (r < 0)
		goto error;
	if (have.is_banger)
		return RESOLVED_KEPT;

	/* the server first: a domain without a server would send .banger nowhere meanwhile */
	r = sd_bus_message_new_method_call(
		bus, &m, RESOLVE1, RESOLVE1_PATH, RESOLVE1_MANAGER, "SetLinkDNS");
	if (r >= 0)
		r = sd_bus_message_append(m, "i", (int32_t)ifindex);
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'a', "(iay)");
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'r', "iay");
	if (r >= 0)
		r = sd_bus_message_append(m, "i", (int32_t)AF_INET);
	if (r >= 0)
		r = sd_bus_message_append_array(m, 'y', &dns, sizeof(dns));
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r >= 0)
		r = sd_bus_call(bus, m, 0, &e, NULL);
	if (r < 0)
		goto error;
	/* "~banger": a routing domain only; the link is no default route, so the host's other
	 * names never go to the guests' resolver, and no DNSSEC for a name no zone signs */
	r = sd_bus_call_method(bus, RESOLVE1, RESOLVE1_PATH, RESOLVE1_MANAGER, "SetLinkDomains", &e,
		NULL, "ia(sb)", (int32_t)ifindex, 1, RESOLVED_DOMAIN, 1);
	if (r >= 0)
		r = sd_bus_call_method(bus, RESOLVE1, RESOLVE1_PATH, RESOLVE1_MANAGER,
			"SetLinkDefaultRoute", &e, NULL, "ib", (int32_t)ifindex, 0);
	if (r >= 0)
		r = sd_bus_call_method(bus, RESOLVE1, RESOLVE1_PATH, RESOLVE1_MANAGER,
			"SetLinkDNSSEC", &e, NULL, "is", (int32_t)ifindex, "no");
	if (r >= 0)
		return RESOLVED_SET;
error:
	if (resolve1_error_gone(&e)) {
		sd_bus_error_free(&e);
		return RESOLVED_NOT_RUNNING;
	}
	r = bus_fail(r, &e, why, why_size, "register banger's bridge");
	sd_bus_error_free(&e);
	return r;
}

int resolved_link_revert(int ifindex, char *why, size_t why_size)
{
	_cleanup_bus_ sd_bus *bus = NULL;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	int r;

	r = resolve1_open(&bus, &e);
	if (r == 0)
		return RESOLVED_NOT_RUNNING;
	if (r > 0)
		r = sd_bus_call_method(bus, RESOLVE1, RESOLVE1_PATH, RESOLVE1_MANAGER, "RevertLink",
			&e, NULL, "i", (int32_t)ifindex);
	if (r >= 0)
		return RESOLVED_SET;
	if (resolve1_error_gone(&e)) {
		sd_bus_error_free(&e);
		return RESOLVED_NOT_RUNNING;
	}
	r = bus_fail(r, &e, why, why_size, "revert banger's bridge");
	sd_bus_error_free(&e);
	return r;
}

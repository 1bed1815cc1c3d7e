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

#include "common/macro.h"
#include "helper/resolved.h"

#define RESOLVE1 "org.freedesktop.resolve1"
#define RESOLVE1_PATH "/org/freedesktop/resolve1"
#define RESOLVE1_MANAGER RESOLVE1 ".Manager"
#define RESOLVE1_LINK RESOLVE1 ".Link"
#define RESOLVED_DOMAIN "banger"
#define RESOLVED_CALL_USEC (5u * 1000u * 1000u)

static const char *const outcome_names[_RESOLVED_OUTCOME_MAX] = {
	[RESOLVED_SET] = "set",
	[RESOLVED_KEPT] = "kept",
	[RESOLVED_NOT_RUNNING] = "not running",
};

const char *resolved_outcome_to_string(enum resolved_outcome o)
{
	return o >= 0 && o < _RESOLVED_OUTCOME_MAX ? outcome_names[o] : NULL;
}

static void bus_unrefp(sd_bus **b)
{
	sd_bus_flush_close_unref(*b);
}

static void msg_unrefp(sd_bus_message **m)
{
	sd_bus_message_unref(*m);
}

#define _cleanup_sdbus_ __attribute__((cleanup(bus_unrefp)))
#define _cleanup_msg_ __attribute__((cleanup(msg_unrefp)))

static int bus_fail(int r, const sd_bus_error *e, char *why, size_t why_size, const char *what)
{
	snprintf(why, why_size, "systemd-resolved: failed to %s: %s", what,
		e && e->message ? e->message : strerror(-r));
	return r;
}

/* 1 and the bus when resolve1 has an owner on the system bus, 0 when it has none (or there is
 * no system bus at all). Asking the bus first means a call never bus-activates resolved. */
static int open_resolved(sd_bus **ret, char *why, size_t why_size)
{
	_cleanup_sdbus_ sd_bus *bus = NULL;
	_cleanup_msg_ sd_bus_message *reply = NULL;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	int has, r;

	if (sd_bus_open_system(&bus) < 0)
		return 0;
	(void)sd_bus_set_method_call_timeout(bus, RESOLVED_CALL_USEC);
	r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
		"org.freedesktop.DBus", "NameHasOwner", &e, &reply, "s", RESOLVE1);
	if (r >= 0)
		r = sd_bus_message_read(reply, "b", &has);
	if (r < 0) {
		bus_fail(r, &e, why, why_size, "ask the system bus whether it runs");
		sd_bus_error_free(&e);
		return r;
	}
	if (!has)
		return 0;
	*ret = TAKE_PTR(bus);
	return 1;
}

static bool not_running(const sd_bus_error *e)
{
	return sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN,
		SD_BUS_ERROR_NAME_HAS_NO_OWNER, SD_BUS_ERROR_NO_REPLY, SD_BUS_ERROR_DISCONNECTED);
}

/* 1 when the Link object's DNS is exactly [dns], its Domains exactly [~banger] and it is not a
 * default route; 0 when anything differs. */
static int link_matches(sd_bus *bus, const char *path, struct in_addr dns, sd_bus_error *e)
{
	_cleanup_msg_ sd_bus_message *m = NULL;
	const void *bytes;
	const char *domain;
	size_t size;
	int family, route_only, def, n = 0, ok = 1, r;

	r = sd_bus_get_property(bus, RESOLVE1, path, RESOLVE1_LINK, "DNS", e, &m, "a(iay)");
	if (r < 0)
		return r;
	r = sd_bus_message_enter_container(m, 'a', "(iay)");
	while (r >= 0 && (r = sd_bus_message_enter_container(m, 'r', "iay")) > 0) {
		r = sd_bus_message_read(m, "i", &family);
		if (r >= 0)
			r = sd_bus_message_read_array(m, 'y', &bytes, &size);
		if (r >= 0)
			r = sd_bus_message_exit_container(m);
		if (r >= 0 && (n++ > 0 || family != AF_INET || size != sizeof(dns) ||
				      memcmp(bytes, &dns, size) != 0))
			ok = 0;
	}
	if (r < 0)
		return r;
	if (n != 1)
		ok = 0;
	m = sd_bus_message_unref(m);

	n = 0;
	r = sd_bus_get_property(bus, RESOLVE1, path, RESOLVE1_LINK, "Domains", e, &m, "a(sb)");
	if (r < 0)
		return r;
	r = sd_bus_message_enter_container(m, 'a', "(sb)");
	while (r >= 0 && (r = sd_bus_message_read(m, "(sb)", &domain, &route_only)) > 0)
		if (n++ > 0 || !streq(domain, RESOLVED_DOMAIN) || !route_only)
			ok = 0;
	if (r < 0)
		return r;
	if (n != 1)
		ok = 0;
	m = sd_bus_message_unref(m);

	r = sd_bus_get_property_trivial(
		bus, RESOLVE1, path, RESOLVE1_LINK, "DefaultRoute", e, 'b', &def);
	if (r < 0)
		return r;
	return ok && !def;
}

int resolved_link_register(int ifindex, struct in_addr dns, char *why, size_t why_size)
{
	_cleanup_sdbus_ sd_bus *bus = NULL;
	_cleanup_msg_ sd_bus_message *reply = NULL, *m = NULL;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	const char *path;
	int r;

	r = open_resolved(&bus, why, why_size);
	if (r <= 0)
		return r < 0 ? r : RESOLVED_NOT_RUNNING;
	r = sd_bus_call_method(bus, RESOLVE1, RESOLVE1_PATH, RESOLVE1_MANAGER, "GetLink", &e,
		&reply, "i", (int32_t)ifindex);
	if (r >= 0)
		r = sd_bus_message_read(reply, "o", &path);
	if (r >= 0)
		r = link_matches(bus, path, dns, &e);
	if (r > 0)
		return RESOLVED_KEPT;
	if (r < 0)
		goto error;

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
	if (not_running(&e)) {
		sd_bus_error_free(&e);
		return RESOLVED_NOT_RUNNING;
	}
	r = bus_fail(r, &e, why, why_size, "register banger's bridge");
	sd_bus_error_free(&e);
	return r;
}

int resolved_link_revert(int ifindex, char *why, size_t why_size)
{
	_cleanup_sdbus_ sd_bus *bus = NULL;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	int r;

	r = open_resolved(&bus, why, why_size);
	if (r <= 0)
		return r < 0 ? r : RESOLVED_NOT_RUNNING;
	r = sd_bus_call_method(bus, RESOLVE1, RESOLVE1_PATH, RESOLVE1_MANAGER, "RevertLink", &e,
		NULL, "i", (int32_t)ifindex);
	if (r >= 0)
		return RESOLVED_SET;
	if (not_running(&e)) {
		sd_bus_error_free(&e);
		return RESOLVED_NOT_RUNNING;
	}
	r = bus_fail(r, &e, why, why_size, "revert banger's bridge");
	sd_bus_error_free(&e);
	return r;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* systemd-resolved's view of a link, read over sd-bus (resolve1.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "common/macro.h"
#include "common/resolve1.h"

#define RESOLVE1_CALL_USEC (5u * 1000u * 1000u)

static void msg_unrefp(sd_bus_message **m)
{
	sd_bus_message_unref(*m);
}
#define _cleanup_msg_ __attribute__((cleanup(msg_unrefp)))

int resolve1_open(sd_bus **ret, sd_bus_error *e)
{
	_cleanup_msg_ sd_bus_message *reply = NULL;
	sd_bus *bus = NULL;
	int has, r;

	if (sd_bus_open_system(&bus) < 0)
		return 0;
	(void)sd_bus_set_method_call_timeout(bus, RESOLVE1_CALL_USEC);
	r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
		"org.freedesktop.DBus", "NameHasOwner", e, &reply, "s", RESOLVE1);
	if (r >= 0)
		r = sd_bus_message_read(reply, "b", &has);
	if (r < 0 || !has) {
		sd_bus_flush_close_unref(bus);
		return r < 0 ? r : 0;
	}
	*ret = bus;
	return 1;
}

bool resolve1_error_gone(const sd_bus_error *e)
{
	return sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN,
		SD_BUS_ERROR_NAME_HAS_NO_OWNER, SD_BUS_ERROR_NO_REPLY, SD_BUS_ERROR_DISCONNECTED);
}

static void append(char *buf, size_t size, const char *s)
{
	size_t len = strlen(buf);

	snprintf(buf + len, size - len, "%s%s", len ? " " : "", s);
}

int resolve1_link_read(sd_bus *bus, int ifindex, struct in_addr gateway, struct resolve1_link *ret,
	sd_bus_error *e)
{
	_cleanup_msg_ sd_bus_message *reply = NULL, *m = NULL;
	struct resolve1_link l = {};
	const char *path, *domain;
	const void *bytes;
	size_t size;
	int family, route_only, def, n_dns = 0, n_dom = 0, r;
	bool ok = true;

	r = sd_bus_call_method(bus, RESOLVE1, RESOLVE1_PATH, RESOLVE1_MANAGER, "GetLink", e, &reply,
		"i", (int32_t)ifindex);
	if (r >= 0)
		r = sd_bus_message_read(reply, "o", &path);
	if (r >= 0)
		r = sd_bus_get_property(bus, RESOLVE1, path, RESOLVE1_LINK, "DNS", e, &m, "a(iay)");
	if (r >= 0)
		r = sd_bus_message_enter_container(m, 'a', "(iay)");
	while (r >= 0 && (r = sd_bus_message_enter_container(m, 'r', "iay")) > 0) {
		char text[INET6_ADDRSTRLEN] = "?";
		r = sd_bus_message_read(m, "i", &family);
		if (r >= 0)
			r = sd_bus_message_read_array(m, 'y', &bytes, &size);
		if (r >= 0)
			r = sd_bus_message_exit_container(m);
		if (r < 0)
			break;
		if ((family == AF_INET && size == 4) || (family == AF_INET6 && size == 16))
			inet_ntop(family, bytes, text, sizeof(text));
		append(l.dns, sizeof(l.dns), text);
		if (n_dns++ > 0 || family != AF_INET || size != sizeof(gateway) ||
			memcmp(bytes, &gateway, size) != 0)
			ok = false;
	}
	if (r < 0)
		return r;
	m = sd_bus_message_unref(m);

	r = sd_bus_get_property(bus, RESOLVE1, path, RESOLVE1_LINK, "Domains", e, &m, "a(sb)");
	if (r >= 0)
		r = sd_bus_message_enter_container(m, 'a', "(sb)");
	while (r >= 0 && (r = sd_bus_message_read(m, "(sb)", &domain, &route_only)) > 0) {
		char text[96];
		snprintf(text, sizeof(text), "%s%.80s", route_only ? "~" : "", domain);
		append(l.domains, sizeof(l.domains), text);
		if (n_dom++ > 0 || !streq(domain, RESOLVE1_DOMAIN) || !route_only)
			ok = false;
	}
	if (r < 0)
		return r;

	r = sd_bus_get_property_trivial(
		bus, RESOLVE1, path, RESOLVE1_LINK, "DefaultRoute", e, 'b', &def);
	if (r < 0)
		return r;
	l.default_route = def;
	l.is_banger = ok && n_dns == 1 && n_dom == 1 && !def;
	*ret = l;
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading systemd-resolved's view of a link over sd-bus: whether resolved runs, and whether a
 * link is banger's (the gateway as its only DNS server, ~banger its only domain). */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-bus.h>

#define RESOLVE1 "org.freedesktop.resolve1"
#define RESOLVE1_PATH "/org/freedesktop/resolve1"
#define RESOLVE1_MANAGER RESOLVE1 ".Manager"
#define RESOLVE1_LINK RESOLVE1 ".Link"
#define RESOLVE1_DOMAIN "banger"

/* 1 and the system bus in *ret when org.freedesktop.resolve1 has an owner there; 0 when it has
 * none or there is no system bus. Asking the bus first means nothing bus-activates resolved. */
int resolve1_open(sd_bus **ret, sd_bus_error *e);

struct resolve1_link {
	char dns[128];     /* "172.30.0.1 …" (IPv4 servers; "" none) */
	char domains[128]; /* "~banger …" ("" none) */
	bool default_route;
	bool is_banger; /* dns is exactly the gateway, domains exactly ~banger, no default route */
};

/* What resolved holds for ifindex, compared with gateway. -errno (with e) when it cannot tell. */
int resolve1_link_read(sd_bus *bus, int ifindex, struct in_addr gateway, struct resolve1_link *ret,
	sd_bus_error *e);

/* Whether e says resolved went away (not running, or gone mid-call). */
bool resolve1_error_gone(const sd_bus_error *e);

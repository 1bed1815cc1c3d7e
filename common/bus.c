/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A connection to systemd over sd-bus: the system bus, or for root systemd's private socket
 * where no D-Bus broker runs. */
#include <errno.h>
#include <unistd.h>

#include "common/bus.h"

int bus_open_systemd(sd_bus **ret)
{
	sd_bus *b = NULL;
	int r = sd_bus_open_system(&b);

	if (r >= 0) {
		*ret = b;
		return 0;
	}
	if (geteuid() != 0)
		return r;
	r = sd_bus_new(&b);
	if (r < 0)
		return r;
	r = sd_bus_set_address(b, "unix:path=/run/systemd/private");
	if (r >= 0)
		r = sd_bus_start(b);
	if (r < 0) {
		sd_bus_unref(b);
		return r;
	}
	*ret = b;
	return 0;
}

void bus_flush_close_unrefp(sd_bus **b)
{
	if (*b)
		sd_bus_flush_close_unref(*b);
}

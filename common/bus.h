/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A connection to systemd over sd-bus. */
#pragma once

#include <systemd/sd-bus.h>

/* The system bus; for root, systemd's private socket when no D-Bus broker answers. */
int bus_open_systemd(sd_bus **ret);

void bus_flush_close_unrefp(sd_bus **b);
#define _cleanup_bus_ __attribute__((cleanup(bus_flush_close_unrefp)))

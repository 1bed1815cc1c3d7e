/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bangerd-root --purge: everything root made for banger, taken away. */
#pragma once

#include <stdio.h>

#include "helper/helper.h"

/* Removes every jail, banger's taps and bridges, the nftables table, and the device-mapper and
 * loop devices of the state directory, printing one line per object to out. -EBUSY (nothing
 * touched) while a VMM runs; -EIO when something could not be removed (each said on out). */
int helper_purge(const struct helper_config *cfg, FILE *out);

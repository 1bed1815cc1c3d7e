/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The helper's capabilities: only what its ops and the jailer it starts need. */
#pragma once

#include <stdint.h>

/* Drops every other capability from the bounding set (so the jailer and VMM can never regain
 * them) and from the helper's own permitted and effective sets. Capabilities already outside the
 * bounding set (a unit's CapabilityBoundingSet=) need no dropping; one that is inside it while
 * CAP_SETPCAP is not fails with -EPERM and its number in *ret_undroppable. */
int caps_restrict(int *ret_undroppable);

/* The capabilities kept, as a mask over capability numbers (for tests and the log). */
uint64_t caps_kept_mask(void);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Rate limiting for repeated log lines: at most `burst` events per `interval`, and a count of what
 * was held back so the next line that passes can say so (systemd's RateLimit, without logging). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct ratelimit {
	uint64_t interval_usec;
	unsigned burst;
	uint64_t begin;      /* CLOCK_MONOTONIC start of the current interval */
	unsigned num;        /* events let through in it */
	uint64_t suppressed; /* events held back since the last one let through */
};

#define RATELIMIT_INIT(interval, b) ((struct ratelimit){.interval_usec = (interval), .burst = (b)})

/* True when this event may be logged. When it may, *ret_suppressed (if not NULL) is set to how
 * many were held back before it, and that count starts over. */
bool ratelimit_below(struct ratelimit *rl, uint64_t *ret_suppressed);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Rate limiting for repeated log lines (see ratelimit.h). */
#include <time.h>

#include "common/ratelimit.h"

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

bool ratelimit_below(struct ratelimit *rl, uint64_t *ret_suppressed)
{
	uint64_t now = now_usec();

	if (rl->begin == 0 || now - rl->begin >= rl->interval_usec) {
		rl->begin = now;
		rl->num = 0;
	}
	if (rl->num >= rl->burst) {
		rl->suppressed++;
		return false;
	}
	rl->num++;
	if (ret_suppressed)
		*ret_suppressed = rl->suppressed;
	rl->suppressed = 0;
	return true;
}

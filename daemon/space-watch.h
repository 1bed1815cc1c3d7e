/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The state directory's free space, announced before it bites. Guests' sparse disks live there
 * and can fill it, and a full state directory makes every save fail (save-retry.h). It is
 * checked every 5 s and after a failed save: below [state] min_free_mib it publishes
 * daemon.low_space {path, free_bytes, min_free_bytes} and logs a warning, once; back above it
 * (with 10 % to spare), daemon.space_ok {path, free_bytes}. */
#pragma once

#include <jansson.h>
#include <stdint.h>

#define SPACE_WATCH_USEC (5u * 1000u * 1000u)

struct daemon;

int space_watch_start(struct daemon *d);
void space_watch_stop(struct daemon *d);
/* Checks now (a save just failed). */
void space_watch_check(struct daemon *d);
/* {"free_bytes", "min_free_bytes", "low_space"} for system.status; free_bytes null if unknown. */
json_t *space_watch_json(struct daemon *d);

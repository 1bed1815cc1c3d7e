/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The root updater's steps (<run dir>/update.json) as update.progress / update.finished events. */
#pragma once

struct daemon;
struct update_watch;

/* Watches the run directory for update.json; publishes what is new, and at start a result
 * from the last two minutes (the update that restarted this daemon). */
int update_watch_start(struct daemon *d, struct update_watch **ret);
void update_watch_free(struct update_watch *w);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The state directory's free space, announced before it bites (space-watch.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "common/log.h"
#include "common/macro.h"
#include "daemon/daemon.h"
#include "daemon/space-watch.h"

struct space_watch {
	sd_event_source *timer;
	bool known, low;
	uint64_t free_bytes;
};

static uint64_t min_free(struct daemon *d)
{
	return d->config.state_min_free_mib << 20;
}

void space_watch_check(struct daemon *d)
{
	struct space_watch *w = d->space_watch;
	struct statvfs st;
	uint64_t want = min_free(d);

	if (!w || statvfs(d->layout.state_dir, &st) < 0)
		return;
	w->known = true;
	/* what the owner may use: f_bavail, not the root-reserved f_bfree */
	w->free_bytes = (uint64_t)st.f_bavail * st.f_frsize;
	if (!w->low && want > 0 && w->free_bytes < want) {
		w->low = true;
		log_warning(
			"The state directory %s has %llu MiB free, below the %llu MiB of [state] "
			"min_free_mib: VM disks grow there, and saves fail once it is full",
			d->layout.state_dir, (unsigned long long)(w->free_bytes >> 20),
			(unsigned long long)(want >> 20));
		daemon_publish(d, "daemon.low_space",
			json_pack("{s:s, s:I, s:I}", "path", d->layout.state_dir, "free_bytes",
				(json_int_t)w->free_bytes, "min_free_bytes", (json_int_t)want));
	} else if (w->low && (want == 0 || w->free_bytes >= want + want / 10)) {
		w->low = false;
		log_info("The state directory %s has %llu MiB free again", d->layout.state_dir,
			(unsigned long long)(w->free_bytes >> 20));
		daemon_publish(d, "daemon.space_ok",
			json_pack("{s:s, s:I}", "path", d->layout.state_dir, "free_bytes",
				(json_int_t)w->free_bytes));
	}
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct daemon *d = userdata;

	space_watch_check(d);
	(void)sd_event_source_set_time_relative(s, SPACE_WATCH_USEC);
	return 0;
}

int space_watch_start(struct daemon *d)
{
	struct space_watch *w = calloc(1, sizeof(*w));
	int r;

	if (!w)
		return -ENOMEM;
	d->space_watch = w;
	r = sd_event_add_time_relative(
		d->event, &w->timer, CLOCK_MONOTONIC, SPACE_WATCH_USEC, 1000u * 1000u, on_timer, d);
	if (r >= 0)
		r = sd_event_source_set_enabled(w->timer, SD_EVENT_ON);
	if (r < 0) {
		space_watch_stop(d);
		return r;
	}
	space_watch_check(d);
	return 0;
}

void space_watch_stop(struct daemon *d)
{
	struct space_watch *w = d->space_watch;

	if (!w)
		return;
	sd_event_source_disable_unref(w->timer);
	free(w);
	d->space_watch = NULL;
}

json_t *space_watch_json(struct daemon *d)
{
	struct space_watch *w = d->space_watch;

	return json_pack("{s:o, s:I, s:b}", "free_bytes",
		w && w->known ? json_integer((json_int_t)w->free_bytes) : json_null(),
		"min_free_bytes", (json_int_t)min_free(d), "low_space", w && w->low);
}

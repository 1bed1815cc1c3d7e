/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Noticing that a process exits, without being its parent: a pidfd watched on the event loop. The
 * daemon's one way of following a VMM (which is nobody's child once its jailer is gone). */
#pragma once

#include <systemd/sd-event.h>

struct pid_watch;

typedef void (*pid_exit_t)(void *userdata);

/* exited runs once, from the loop, when pid exits. -ESRCH when it is gone already. */
int pid_watch_new(sd_event *e, int pid, pid_exit_t exited, void *userdata, struct pid_watch **ret);
/* Stops watching; exited will not run. */
struct pid_watch *pid_watch_free(struct pid_watch *w);

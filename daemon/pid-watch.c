/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A process's exit through a pidfd on the event loop. */
#include <errno.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/macro.h"
#include "daemon/pid-watch.h"

struct pid_watch {
	int fd;
	sd_event_source *src;
	pid_exit_t exited;
	void *userdata;
};

static int on_exit_event(
	_unused_ sd_event_source *s, _unused_ int fd, _unused_ uint32_t revents, void *userdata)
{
	struct pid_watch *w = userdata;

	/* once: the pidfd stays readable */
	w->src = sd_event_source_disable_unref(w->src);
	w->exited(w->userdata);
	return 0;
}

int pid_watch_new(sd_event *e, int pid, pid_exit_t exited, void *userdata, struct pid_watch **ret)
{
	struct pid_watch *w;
	int r;

	if (pid <= 1)
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	*w = (struct pid_watch){.exited = exited, .userdata = userdata};
	w->fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (w->fd < 0) {
		r = negative_errno();
		free(w);
		return r;
	}
	r = sd_event_add_io(e, &w->src, w->fd, EPOLLIN, on_exit_event, w);
	if (r < 0) {
		pid_watch_free(w);
		return r;
	}
	*ret = w;
	return 0;
}

struct pid_watch *pid_watch_free(struct pid_watch *w)
{
	if (!w)
		return NULL;
	sd_event_source_disable_unref(w->src);
	safe_close(w->fd);
	free(w);
	return NULL;
}

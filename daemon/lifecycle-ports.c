/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The lifecycle's real ports: bangerd-root over root.sock, the Firecracker API over libcurl,
 * child processes, file_sync and pidfds, all on the daemon's loop. */
#include <errno.h>
#include <stdlib.h>

#include "common/macro.h"
#include "daemon/daemon.h"
#include "daemon/file-copy.h"
#include "daemon/lifecycle-ports.h"

struct lifecycle_real_ports {
	struct daemon *d;
	struct fc_api *api;
	struct helper_client *helper;
};

static int64_t fc_send(void *data, const char *sock, const struct fc_request *req,
	uint64_t timeout_usec, fc_api_done_t done, void *userdata)
{
	struct lifecycle_real_ports *p = data;

	return fc_api_request(
		p->api, sock, req->method, req->path, req->body, timeout_usec, done, userdata);
}

static void fc_cancel(void *data, int64_t id)
{
	struct lifecycle_real_ports *p = data;

	(void)fc_api_cancel(p->api, id);
}

static int spawn(void *data, const char *const *argv, uint64_t timeout_usec, child_done_t done,
	void *userdata, struct child **ret)
{
	struct lifecycle_real_ports *p = data;

	return child_run(p->d->event, argv, -1, timeout_usec, done, userdata, ret);
}

static void spawn_cancel(_unused_ void *data, struct child *c)
{
	child_cancel(c);
}

static int copy(void *data, const char *src, const char *dst, uint64_t timeout_usec,
	child_done_t done, void *userdata, struct child **ret)
{
	struct lifecycle_real_ports *p = data;

	return file_copy_start(p->d->event, src, dst, timeout_usec, done, userdata, ret);
}

static int sync_start(void *data, const char *ssh_dir, const char *ip, const char *const *paths,
	size_t n_paths, const char *vm_name, file_sync_done_t done, void *userdata,
	struct file_sync **ret)
{
	struct lifecycle_real_ports *p = data;

	return file_sync_start(p->d->event, p->d->owner.owner_home, p->d->layout.root, ssh_dir, ip,
		paths, n_paths, vm_name, done, userdata, ret);
}

static void sync_free(_unused_ void *data, struct file_sync *s)
{
	file_sync_free(s);
}

static int watch_pid(void *data, int pid, pid_exit_t exited, void *userdata, struct pid_watch **ret)
{
	struct lifecycle_real_ports *p = data;

	return pid_watch_new(p->d->event, pid, exited, userdata, ret);
}

static void unwatch_pid(_unused_ void *data, struct pid_watch *w)
{
	pid_watch_free(w);
}

int lifecycle_ports_new(
	struct daemon *d, struct lifecycle_ports *ret, struct lifecycle_real_ports **ret_own)
{
	struct lifecycle_real_ports *p = calloc(1, sizeof(*p));
	int r;

	if (!p)
		return -ENOMEM;
	p->d = d;
	r = child_init();
	if (r >= 0)
		r = fc_api_new(d->event, &p->api);
	if (r >= 0)
		r = helper_client_new(d->event, d->layout.root_sock, &p->helper);
	if (r < 0) {
		lifecycle_ports_free(p);
		return r;
	}
	*ret = (struct lifecycle_ports){
		.helper = helper_client_port(p->helper),
		.data = p,
		.fc_send = fc_send,
		.fc_cancel = fc_cancel,
		.spawn = spawn,
		.spawn_cancel = spawn_cancel,
		.copy = copy,
		.sync_start = sync_start,
		.sync_free = sync_free,
		.watch_pid = watch_pid,
		.unwatch_pid = unwatch_pid,
	};
	*ret_own = p;
	return 0;
}

void lifecycle_ports_close_helper(struct lifecycle_real_ports *p)
{
	if (p)
		p->helper = helper_client_free(p->helper);
}

struct lifecycle_real_ports *lifecycle_ports_free(struct lifecycle_real_ports *p)
{
	if (!p)
		return NULL;
	helper_client_free(p->helper);
	fc_api_free(p->api);
	free(p);
	return NULL;
}

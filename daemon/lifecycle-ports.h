/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Everything the VM lifecycle asks of the world besides the records: bangerd-root (typed, through
 * daemon/helper-port.h), the VMM's Firecracker API (bodies from daemon/fc-requests.h), programs
 * (ssh for the boot id, resize2fs), file copies off the loop (snapshots), file_sync into a guest
 * and a VMM's exit. bangerd passes the real ones (lifecycle_ports_new()); tests/unit/test-lifecycle
 * passes fakes, which is how every step can be failed, stopped, deleted and have its VMM die in
 * turn.
 *
 * Every asynchronous port calls back exactly once, from the event loop, never from inside the
 * call that started it, unless cancelled first; a call that returns -errno never calls back. */
#pragma once

#include <stdint.h>
#include <systemd/sd-event.h>

#include "daemon/child.h"
#include "daemon/fc-api.h"
#include "daemon/fc-requests.h"
#include "daemon/file-sync.h"
#include "daemon/helper-port.h"
#include "daemon/pid-watch.h"

struct daemon;

struct lifecycle_ports {
	struct helper_port helper;
	void *data; /* for the functions below */

	/* Sends req to the VMM listening on sock; returns a request id > 0. */
	int64_t (*fc_send)(void *data, const char *sock, const struct fc_request *req,
		uint64_t timeout_usec, fc_api_done_t done, void *userdata);
	void (*fc_cancel)(void *data, int64_t id);

	/* Runs argv (argv[0] from PATH) with a deadline. */
	int (*spawn)(void *data, const char *const *argv, uint64_t timeout_usec, child_done_t done,
		void *userdata, struct child **ret);
	void (*spawn_cancel)(void *data, struct child *c);
	/* Copies src into dst (daemon/file-copy.h: done reads file_copy_result()); spawn_cancel
	 * kills it. */
	int (*copy)(void *data, const char *src, const char *dst, uint64_t timeout_usec,
		child_done_t done, void *userdata, struct child **ret);

	/* Copies paths (relative to the owner's home) into the guest at ip over SSH. */
	int (*sync_start)(void *data, const char *ssh_dir, const char *ip, const char *const *paths,
		size_t n_paths, const char *vm_name, file_sync_done_t done, void *userdata,
		struct file_sync **ret);
	void (*sync_free)(void *data, struct file_sync *s);

	/* Calls exited when pid exits; -ESRCH when it is gone already. */
	int (*watch_pid)(
		void *data, int pid, pid_exit_t exited, void *userdata, struct pid_watch **ret);
	void (*unwatch_pid)(void *data, struct pid_watch *w);
};

struct lifecycle_real_ports;

/* The real ports: a connection to root.sock, a Firecracker API client, child processes,
 * file_sync and pidfds on d's loop. */
int lifecycle_ports_new(
	struct daemon *d, struct lifecycle_ports *ret, struct lifecycle_real_ports **ret_own);
/* Closes the root.sock connection first: its pending calls fail now (their callbacks run). */
void lifecycle_ports_close_helper(struct lifecycle_real_ports *p);
struct lifecycle_real_ports *lifecycle_ports_free(struct lifecycle_real_ports *p);

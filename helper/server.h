/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* root.sock: the listening socket, the owner check at accept, one poll loop that is never blocked
 * by an op (one request per client per round, ops on workers), the idle timeout, and systemd's
 * notifications (READY=1, STOPPING=1, WATCHDOG=1 from the loop itself). */
#pragma once

#include "helper/helper.h"

struct helper_server;

int helper_server_new(const struct helper_config *cfg, struct helper_server **ret);
void helper_server_free(struct helper_server *s);
/* Creates root.sock: root 0600 plus an ACL entry giving the owner uid rw (group = owner's gid
 * 0660 on a filesystem without ACLs). */
int helper_server_listen(struct helper_server *s);
/* Serves until SIGTERM, SIGINT or SIGHUP, then answers what is in flight (up to 30 s) and
 * returns 0. Sends READY=1 first, STOPPING=1 on the signal, and WATCHDOG=1 every half
 * WATCHDOG_USEC from the loop while systemd asks for keep-alives. */
int helper_server_run(struct helper_server *s);
/* After a SIGHUP ended the run: the listening socket to re-execute with (-1 otherwise). */
int helper_server_take_reexec_fd(struct helper_server *s);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* root.sock: the listening socket, the owner check, one poll loop, request dispatch and the log
 * line for every accepted and refused request. */
#pragma once

#include "helper/helper.h"

struct helper_server;

int helper_server_new(const struct helper_config *cfg, struct helper_server **ret);
void helper_server_free(struct helper_server *s);
/* Creates root.sock: root 0600 plus an ACL entry giving the owner uid rw (group = owner's gid
 * 0660 on a filesystem without ACLs). */
int helper_server_listen(struct helper_server *s);
/* Serves until SIGTERM or SIGINT; returns 0 then. */
int helper_server_run(struct helper_server *s);

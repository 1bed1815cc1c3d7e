/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Published ports: checking what vm.create and vm.update ask for, and keeping bangerd-root's
 * DNAT in step with the VMs (publish.apply while a VM runs, publish.remove when it does not),
 * driven by the vm.state events the daemon publishes — not by the lifecycle, so a start, a stop,
 * a guest's own poweroff, a re-adoption after a restart and a reconcile all count. */
#pragma once

#include <stddef.h>

#include "protocol/error.h"
#include "protocol/publish.h"

struct daemon;
struct vm;

/* Checks p[0..n) for vm (NULL: a VM being created): the list's own rules (overlaps, at most
 * PUBLISH_MAX, no host port below [network] publish_min_port: permission_denied), no overlap
 * with another VM's publishes (conflict), and no host port something on this host holds now
 * (conflict; a privileged port the owner cannot bind is left to bangerd-root's check). */
int publish_check(struct daemon *d, const struct vm *vm, const struct publish *p, size_t n,
	struct rpc_error *err);

/* A VM's state changed (vm.state): apply or remove its publishes. */
void publish_follow(struct daemon *d, const char *vm_id);
/* At start-up, after re-adoption began: apply for every VM that runs, remove for the others
 * that publish (a table a previous daemon left for a guest that died meanwhile). */
void publish_sync_all(struct daemon *d);

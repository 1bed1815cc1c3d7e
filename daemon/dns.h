/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The guests' resolver (bangerd-root's dns.ensure: dnsmasq on the gateway address), kept in step
 * with the VMs: the names of the running VMs are sent whenever a vm.state event changes them,
 * and dns.ensure is asked again every DNS_WATCH_USEC while a VM runs, which restarts a dnsmasq
 * that died. */
#pragma once

#include <jansson.h>

#define DNS_WATCH_USEC (5u * 1000u * 1000u)

struct daemon;

int dns_start(struct daemon *d);
void dns_stop(struct daemon *d);
/* A VM's state changed or a VM went. */
void dns_changed(struct daemon *d);
/* For system.status: {bridge, gateway, subnet, state: "idle" (no VM has run yet) | "running" |
 * "failing", pid (dnsmasq's), resolved? (the host's side as bangerd-root last said: "set",
 * "kept", "not running", "no bridge" or why it failed), error? (why dns.ensure failed)}. */
json_t *dns_status_json(struct daemon *d);

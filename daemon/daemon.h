/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's state shared by every part: loop, layout, owner, store, event bus, server. */
#pragma once

#include <jansson.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "common/install.h"
#include "common/layout.h"
#include "daemon/config.h"
#include "daemon/events.h"
#include "daemon/store.h"

#define DAEMON_HEARTBEAT_DEFAULT_SEC 5
#define DAEMON_MAX_CLIENTS 1024

struct server;
struct import_job;
struct lifecycle;
struct update_watch;
struct helper_probe;
struct save_retry;
struct space_watch;
struct ssh_config_writer;
struct dns_watch;
struct vm_waiter;

struct daemon {
	sd_event *event;
	struct banger_layout layout;
	struct install_meta owner;
	bool owner_from_install; /* false: taken from the running process */
	struct store store;
	struct event_bus bus;
	struct server *server;
	sd_event_source *heartbeat;
	unsigned heartbeat_sec;
	size_t event_queue_size;
	uint64_t started_usec; /* CLOCK_MONOTONIC */
	char started_at[32];
	struct import_job *imports;  /* running image.import jobs */
	struct banger_config config; /* banger.conf */
	struct lifecycle *lifecycle; /* starts, stops and watches VMs */
	struct vm_waiter
		*vm_waiters; /* calls awaiting a start, stop or delete (rpc-vm-lifecycle.c) */
	struct update_watch *update_watch; /* the root updater's steps, as events */
	struct helper_probe
		*helper_probe;           /* system.status's hello to bangerd-root, made on demand */
	struct save_retry *save_retry;   /* records and files whose save has not landed yet */
	struct space_watch *space_watch; /* the state directory's free space */
	struct ssh_config_writer *ssh_config; /* ~/.config/banger/ssh/config (ssh-config.h) */
	struct dns_watch *dns;                /* the guests' resolver (dns.h) */
};

/* Numbers params (stolen) as the next event and hands it to every subscriber. Publishing fails
 * only for lack of memory, which is logged; the state change it reports has happened anyway.
 * The VM events (vm.created, vm.deleted, vm.state, vm.updated) are also where what the daemon
 * derives from the records learns of a change: the SSH config (ssh-config.h) and, from
 * vm.state, the published ports (publish.h). */
void daemon_publish(struct daemon *d, const char *method, json_t *params);

/* {"vms": [...], "images": [...]}, the shape of vm.list, image.list and events.snapshot. */
json_t *daemon_vms_json(struct daemon *d);
json_t *daemon_images_json(struct daemon *d);

/* Logs with the journal fields VM_NAME= and OP= so `journalctl VM_NAME=x` finds a VM's story;
 * log_vm_errno() takes the error (-errno) %m names, and returns it. */
#define log_vm_errno(level, r, vm_name, op, ...)                                                   \
	({                                                                                         \
		char _f_vm[64], _f_op[64];                                                         \
		snprintf(_f_vm, sizeof(_f_vm), "VM_NAME=%s", (vm_name));                           \
		snprintf(_f_op, sizeof(_f_op), "OP=%s", (op));                                     \
		const char *const _fields[] = {_f_vm, _f_op, NULL};                                \
		log_internal((level), (r), _fields, __VA_ARGS__);                                  \
	})
#define log_vm(level, vm_name, op, ...)                                                            \
	((void)log_vm_errno((level), 0, (vm_name), (op), __VA_ARGS__))

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The VM lifecycle: start (address → bridge/NAT → tap → disk → jail → jailer → Firecracker API →
 * InstanceStart → host key → SSH → boot id), stop (Ctrl-Alt-Del, bounded wait, signals) and
 * release, each step undone in reverse when a later one fails. Console capture and VMM exit
 * detection run here too. Everything is asynchronous on the daemon's sd-event loop. */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "daemon/config.h"
#include "daemon/helper-port.h"
#include "protocol/error.h"

struct daemon;
struct vm;
struct lifecycle;
struct rpc_call;
struct helper_client;

/* Step timings of the last start of a VM, for the benchmark ("vm.get" shows them too). */
#define LIFECYCLE_MAX_STEPS 16

int lifecycle_new(struct daemon *d, const struct banger_config *cfg, struct lifecycle **ret);
/* Leaves running VMs running (their VMMs are nobody's children); forgets in-flight work. */
struct lifecycle *lifecycle_free(struct lifecycle *lc);

/* Starts vm; the call is answered when it is running (with its record) or has failed. */
int lifecycle_start(struct lifecycle *lc, struct vm *vm, struct rpc_call *call,
		struct rpc_error *err);
/* Stops vm; the call is answered when it is stopped and its resources are released. */
int lifecycle_stop(struct lifecycle *lc, struct vm *vm, struct rpc_call *call,
		struct rpc_error *err);
/* stop, then start, answered once both are done. */
int lifecycle_restart(struct lifecycle *lc, struct vm *vm, struct rpc_call *call,
		struct rpc_error *err);
/* Stops vm and then deletes its record (daemon_vm_remove), answering call with {"id", "name"}.
 * Returns 0 when nothing runs (the caller deletes at once), RPC_REPLY_LATER, or -errno. */
int lifecycle_delete(struct lifecycle *lc, struct vm *vm, struct rpc_call *call,
		struct rpc_error *err);
/* True while a start or stop of vm is in flight. */
bool lifecycle_busy(struct lifecycle *lc, const struct vm *vm);
/* Releases the IP allocation and known_hosts entry of a VM about to be deleted. */
void lifecycle_forget(struct lifecycle *lc, struct vm *vm);

/* Re-adopts VMs whose records say starting/running/stopping and that no run follows (after a
 * daemon restart, or a record that lies): a live VMM (helper proc.find) of a running record keeps
 * running with console capture resumed; one of a starting record whose guest booted (the VMM's
 * API says "Running") has its start finished; anything else is released and marked stopped with
 * the reason. A VMM is never killed because a record did not reach the disk. */
void lifecycle_readopt(struct lifecycle *lc);
/* The same for a VM whose record says it is not running but whose jail exists (reconcile found
 * it): a booted guest is finished and kept; else its VMM and jail are released and the record
 * keeps its state and reason. -EBUSY when a run already handles it. */
int lifecycle_readopt_orphan(struct lifecycle *lc, struct vm *vm);

/* True when the lifecycle follows vm as running (started or re-adopted by this daemon). */
bool lifecycle_follows(struct lifecycle *lc, const struct vm *vm);

/* Calls to bangerd-root on the lifecycle's connection (helper-port.h's typed stubs take it), for
 * reconcile and update.apply; refused (-ESHUTDOWN) once the lifecycle is being freed. */
struct helper_port lifecycle_helper_port(struct lifecycle *lc);

/* The line number the next console line of vm will carry (vm.log's numbering). */
uint64_t lifecycle_next_line(struct lifecycle *lc, const struct vm *vm);

/* Per-step durations (µs) of the VM's last start, as {"step": usec, ...}; NULL if none. */
json_t *lifecycle_timings(struct lifecycle *lc, const struct vm *vm);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The VM lifecycle, a machine per VM: start (address → bridge/NAT → tap → disk → jail → jailer →
 * Firecracker API → InstanceStart → host key → SSH → boot id), stop (Ctrl-Alt-Del, a bounded
 * wait, signals) and release, each step undone in reverse when a later one fails, and
 * re-adoption of VMMs an earlier daemon left running. Everything is asynchronous on the daemon's
 * sd-event loop and goes out through the ports of lifecycle-ports.h. It answers no client: what
 * a start, stop or delete came to is reported to the one notify callback (bangerd's is
 * rpc-vm-lifecycle.c, which answers the callers). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "daemon/config.h"
#include "daemon/helper-port.h"
#include "daemon/lifecycle-ports.h"
#include "protocol/error.h"

struct daemon;
struct vm;
struct lifecycle;

/* Step timings of the last start of a VM, for the benchmark ("vm.get" shows them too). */
#define LIFECYCLE_MAX_STEPS 16

enum lifecycle_event {
	LIFECYCLE_STARTED,     /* a start (or a restart's start) finished: the VM runs */
	LIFECYCLE_START_ENDED, /* a start will not finish (failed, cancelled, refused): err */
	LIFECYCLE_RELEASED,    /* a run ended and released everything: the VM is stopped or error */
	LIFECYCLE_DELETE,      /* the same, for a VM whose delete waited for it: remove it now */
	LIFECYCLE_SHUTDOWN,    /* the lifecycle is freed: nothing in flight will finish */
	LIFECYCLE_PAUSE_ENDED, /* a pause or resume was answered by the VMM (err: it failed) */
	LIFECYCLE_SUSPEND_FAILED, /* a suspend could not take its snapshot (err): the VM runs on */
	LIFECYCLE_SNAPSHOT_ENDED, /* a live snapshot is complete, or failed (err); the VM runs on */
	_LIFECYCLE_EVENT_MAX,
	_LIFECYCLE_EVENT_INVALID = -EINVAL,
};

/* vm: the record (NULL once it is gone); err: why, for START_ENDED and SHUTDOWN. For
 * LIFECYCLE_DELETE the callee removes the record, which ends the VM's run: the lifecycle touches
 * neither afterwards. */
typedef void (*lifecycle_notify_t)(struct lifecycle *lc, const char *vm_id, struct vm *vm,
	enum lifecycle_event ev, const struct rpc_error *err, void *userdata);

/* Timings a test may shorten; lifecycle_new() fills them from the defaults and banger.conf. */
struct lifecycle_timing {
	uint64_t console_tick_usec; /* console read and vm.log publish */
	uint64_t api_poll_usec;     /* waiting for the VMM's API socket */
	uint64_t api_budget_usec;   /* the VMM's API must answer within this of the launch */
	uint64_t api_timeout_usec;  /* one configuration request */
	uint64_t guest_budget_usec; /* InstanceStart → host key and SSH */
	uint64_t ssh_retry_usec;
	uint64_t stop_timeout_usec; /* Ctrl-Alt-Del → SIGTERM */
	uint64_t kill_grace_usec;   /* SIGTERM → SIGKILL → giving up */
	uint64_t signal_retry_usec; /* a signal bangerd-root could not be asked to send */
	uint64_t undo_retry_min_usec, undo_retry_max_usec;
	uint64_t launch_settle_usec; /* an unanswered jail.launch is looked for after this */
	uint64_t readopt_retry_usec;
};

/* ports: NULL for the real ones. notify: see above. */
int lifecycle_new(struct daemon *d, const struct banger_config *cfg,
	const struct lifecycle_ports *ports, lifecycle_notify_t notify, void *userdata,
	struct lifecycle **ret);
/* Leaves running VMs running (their VMMs are nobody's children); forgets in-flight work after
 * notifying LIFECYCLE_SHUTDOWN for each VM it follows. */
struct lifecycle *lifecycle_free(struct lifecycle *lc);
struct lifecycle_timing *lifecycle_timing(struct lifecycle *lc);

/* Each returns 0 when accepted, with the outcome notified later — or before it returns, when a
 * step fails at once: a caller registers what waits for the outcome first — or -errno with err
 * filled and nothing notified. */

/* Starts vm (or joins the start in flight): STARTED or START_ENDED follows. */
int lifecycle_start(struct lifecycle *lc, struct vm *vm, struct rpc_error *err);
/* Stops vm (or joins the stop in flight): RELEASED follows; a start it cancels ends with
 * START_ENDED. */
int lifecycle_stop(struct lifecycle *lc, struct vm *vm, struct rpc_error *err);
/* The same without Ctrl-Alt-Del or grace: SIGKILL to the VMM at once (also to one a graceful
 * stop is waiting for). vm.stop with force. */
int lifecycle_kill(struct lifecycle *lc, struct vm *vm, struct rpc_error *err);
/* Pauses (paused: true) or resumes a running VM through PATCH /vm: PAUSE_ENDED follows, the
 * record then paused or running. Refused when the VM does not run, is starting or stopping, a
 * pause or resume is in flight, or it is already in the state asked for. */
int lifecycle_set_paused(struct lifecycle *lc, struct vm *vm, bool paused, struct rpc_error *err);
/* vm.stop with snapshot: pause, a Full snapshot next to the disk, the VMM ended and everything
 * released: RELEASED follows (the VM suspended), or SUSPEND_FAILED (the VM as it was). */
int lifecycle_suspend(struct lifecycle *lc, struct vm *vm, struct rpc_error *err);
/* vm.snapshot: pause, a Full snapshot and a copy of the disk into snapshots/<name>/ (name NULL:
 * a timestamp), resume unless it was paused before: SNAPSHOT_ENDED follows, after which
 * lifecycle_snapshot_take_result() hands over the new snapshot's record. A failed one leaves no
 * snapshot directory and the VM as it was. */
int lifecycle_snapshot(
	struct lifecycle *lc, struct vm *vm, const char *name, struct rpc_error *err);
json_t *lifecycle_snapshot_take_result(struct lifecycle *lc, const char *vm_id);
/* vm.snapshot_restore: a stopped or suspended VM gets the snapshot's disk, memory and state
 * (copies, made off the loop: the snapshot stays) and becomes suspended, so vm.start restores
 * it. SNAPSHOT_ENDED follows, after which lifecycle_snapshot_take_result() hands over the
 * snapshot's record; a start is refused meanwhile, a stop or delete cancels it. */
int lifecycle_snapshot_restore(
	struct lifecycle *lc, struct vm *vm, const char *name, struct rpc_error *err);
/* Whether snapshot is being copied into vm now: it may not be deleted meanwhile. */
bool lifecycle_restoring_from(struct lifecycle *lc, const struct vm *vm, const char *snapshot);
/* vm.start with cold: a suspended VM's snapshot is discarded first, so it boots. */
int lifecycle_start_cold(struct lifecycle *lc, struct vm *vm, struct rpc_error *err);
/* Stop, then start: RELEASED then STARTED or START_ENDED; a plain start when nothing runs. */
int lifecycle_restart(struct lifecycle *lc, struct vm *vm, struct rpc_error *err);
/* Stops vm for a delete: 0 when nothing runs (the caller removes the record at once), 1 when
 * DELETE follows once the run is released, or -errno. */
int lifecycle_delete(struct lifecycle *lc, struct vm *vm, struct rpc_error *err);

/* True while a start or stop of vm is in flight. */
bool lifecycle_busy(struct lifecycle *lc, const struct vm *vm);
/* True when the lifecycle follows vm as running (started or re-adopted by this daemon). */
bool lifecycle_follows(struct lifecycle *lc, const struct vm *vm);
/* vm is about to be deleted: forgets its known_hosts entry and its (idle) run. */
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

/* Calls to bangerd-root on the lifecycle's connection (helper-port.h's typed stubs take it), for
 * reconcile and update.apply; refused (-ESHUTDOWN) once the lifecycle is being freed. */
struct helper_port lifecycle_helper_port(struct lifecycle *lc);

/* The line number the next console line of vm will carry (vm.log's numbering). */
uint64_t lifecycle_next_line(struct lifecycle *lc, const struct vm *vm);

/* Per-step durations (µs) of the VM's last start, as {"step": usec, ...}; NULL if none. */
json_t *lifecycle_timings(struct lifecycle *lc, const struct vm *vm);

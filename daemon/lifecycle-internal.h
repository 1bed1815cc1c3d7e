/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The lifecycle's insides, shared by its files and no one else: a run (one VM's start, life and
 * stop), the steps table, and what the machine (lifecycle.c) offers the steps
 * (lifecycle-steps.c), console capture (lifecycle-console.c) and re-adoption
 * (reconcile-readopt.c).
 *
 * The step contract. A step's run() and an undo report exactly once: step_done() or step_fail()
 * (an undo: undo_done() or undo_retry()), either before run() returns or later, from the loop.
 * There is no return value to get wrong. A step that fails before run() returns has sent nothing
 * (nothing of it is undone); one that returns without reporting has work in flight that may
 * acquire its resource, so from then on a failure undoes it. run_mark_acquired() is the one
 * place that records a resource, and the machine is its only caller besides re-adoption (which
 * takes over everything a start acquires). What a step reads that another step set is a field
 * of struct run documented as machine state (guest_deadline), never a step's private timer. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/handles.h"
#include "daemon/console-log.h"
#include "daemon/daemon.h"
#include "daemon/lifecycle.h"
#include "daemon/vm.h"

/* sd-event coalesces timers by 250 ms unless told otherwise: too coarse for polling steps */
#define TIMER_ACCURACY_USEC 1000

enum step {
	STEP_ADDRESS,
	STEP_BRIDGE,
	STEP_NAT,
	STEP_TAP,
	STEP_DISK,
	STEP_JAIL,
	STEP_LAUNCH,
	STEP_SOCKET,
	STEP_CONFIGURE,
	STEP_BOOT,
	STEP_HOSTKEY,
	STEP_SSH,
	STEP_FILE_SYNC,
	_STEP_MAX,
	_STEP_INVALID = -EINVAL,
};

enum run_mode {
	RUN_IDLE,
	RUN_STARTING,
	RUN_RUNNING,
	RUN_STOPPING,
	RUN_UNWINDING,
	_RUN_MODE_MAX,
	_RUN_MODE_INVALID = -EINVAL,
};

/* The one kill escalation, for a stop (from Ctrl-Alt-Del, or SIGTERM for a halted guest) and for
 * the launch step's undo (from SIGKILL): each stage waits for the VMM to exit, then the next. */
enum kill_stage {
	KILL_CTRL_ALT_DEL,
	KILL_TERM,
	KILL_KILL,
	_KILL_STAGE_MAX,
	_KILL_STAGE_INVALID = -EINVAL,
};

/* What an in-flight run() or undo reported before returning. */
enum report {
	REPORT_NONE,
	REPORT_DONE,
	REPORT_FAILED,
	REPORT_RETRY,
	_REPORT_MAX,
	_REPORT_INVALID = -EINVAL,
};

struct run;

/* What a step does with bangerd-root's answer: reports, like the step itself. */
typedef void (*step_result_t)(struct run *r, json_t *result);

struct step_def {
	const char *name;
	void (*run)(struct run *r);
	void (*undo)(struct run *r); /* NULL: the step holds nothing */
};

extern const struct step_def lifecycle_steps[_STEP_MAX];

struct run {
	struct run *next;
	struct lifecycle *lc;
	char vm_id[VM_ID_LEN + 1];
	enum run_mode mode;
	enum step step;

	/* the machine */
	bool in_call;       /* a step's run() or an undo is executing */
	enum report report; /* what it reported before returning */
	char fail_msg[400]; /* step_fail()'s text, while in_call */
	int fail_err;
	uint32_t acquired;     /* bit per step whose resource must be undone */
	int unwind_at;         /* next step to undo, counting down */
	int undoing;           /* the step whose undo is in flight */
	uint64_t undo_backoff; /* the wait before the next retry of an undo; 0: none failed yet */
	sd_event_source *undo_timer;
	enum vm_state final_state;
	char final_reason[512];
	enum rpc_error_code fail_code; /* what a failed start tells those who wait for it */
	bool restart_after;            /* a restart: start again once stopped */
	bool delete_after;             /* a forced delete: remove the record once released */
	/* a stop came while a step's helper call or resize (or a re-adoption) was in flight */
	bool abort_requested;
	bool keep_record_state; /* releasing an orphan: its record keeps its state and reason */
	/* Machine state the hostkey and ssh steps read: the instant by which the guest must answer
	 * SSH. Set when the run enters the boot step (or resumes after it), by the machine. */
	uint64_t guest_deadline;

	/* resources and what the VMM is told */
	char tap[16];
	char disk_path[PATH_MAX];
	char disk_kind[16];
	char device[64];
	char drive_path[64];
	char kernel_in_jail[64];
	char initrd_in_jail[64];
	char jail_root[PATH_MAX];
	char api_sock[PATH_MAX];
	char link[PATH_MAX];
	int vmm_pid;
	struct pid_watch *vmm; /* the VMM's exit, while it is followed */
	bool vmm_exited;
	uint64_t launch_sent; /* when jail.launch went out */
	bool launch_answered; /* bangerd-root answered it, success or not */

	/* the kill escalation */
	bool kill_active;
	bool kill_for_undo; /* the launch step's undo, not a stop */
	bool kill_pending;  /* a proc.signal is in flight */
	bool kill_gave_up;  /* SIGKILL did not end it: undo_launch does not try again */
	enum kill_stage kill_stage;
	sd_event_source *kill_timer;

	/* a step's in-flight work (dropped by run_clear_pending) */
	int64_t fc_req;
	struct child *child;
	sd_event_source *timer;
	uint64_t step_deadline; /* the socket step's own budget for the VMM's API */
	uint64_t api_poll_wait; /* the next wait before asking the API again: 1 ms, doubling */
	struct fc_request boot_config[FC_BOOT_CONFIG_MAX]; /* the configure step's requests */
	size_t n_boot_config;
	unsigned configure_idx;
	struct file_sync *sync;
	step_result_t on_result; /* for the answer to the step's helper call */

	/* console */
	struct console_log console;
	bool console_open;
	char hostkey[600];
	bool hostkey_seen;
	uint64_t lines_this_tick;
	json_t *batch;
	uint64_t batch_first;
	uint64_t dropped, dropped_first;
	bool halt_seen; /* the console said the guest halted; acted on after the read */

	/* pause and resume (lifecycle-pause.c) */
	bool paused;       /* the VMM answered PATCH /vm "Paused" (or the record said so) */
	int64_t pause_req; /* a PATCH /vm of vm.pause or vm.resume in flight */
	bool pause_target; /* what it asks for */
	bool pause_probe;  /* pause_req is re-adoption's GET /, which nobody waits for */

	/* suspend and restore (lifecycle-suspend.c) */
	bool suspending;     /* vm.stop snapshot: pause, snapshot/create, then the VMM is ended */
	bool snapshot_taken; /* the snapshot's files are complete */
	bool was_paused;     /* paused before the suspend: a failed one leaves it so */
	bool restoring;      /* this start loads the VM's snapshot instead of booting */
	char expect_boot_id[64];

	/* a live snapshot in flight (lifecycle-snapshot.c): its own requests, which a stop's
	 * run_clear_pending() leaves alone; run_snapshot_cancel() ends it */
	struct live_snapshot *snap;
	json_t *snap_result; /* the last one's record, for its caller's answer */

	/* timings of the last start */
	uint64_t step_started;
	uint64_t timings[_STEP_MAX];
	bool have_timings;
};

struct lifecycle {
	struct daemon *d;
	struct banger_config cfg;
	struct lifecycle_timing timing;
	struct lifecycle_ports ports;
	struct lifecycle_real_ports *real; /* NULL when a test passed its own ports */
	lifecycle_notify_t notify;
	void *userdata;
	char ssh_dir[PATH_MAX];
	char *pubkey;
	struct run *runs;
	sd_event_source *tick;
	sd_event_source *readopt_retry;
	bool freeing; /* lifecycle_free() is failing the helper calls: their runs must not react */
	struct snap_restore *restores; /* vm.snapshot_restore copies in flight (no run: the VM
					* is stopped or suspended) */
};

uint64_t now_usec(void);

/* ---- lifecycle.c: the machine ---- */
struct vm *run_vm(struct run *r);
const char *run_name(struct run *r); /* the VM's name, or its id once the record is gone */
struct run *run_find(struct lifecycle *lc, const char *vm_id);
struct run *run_get(struct lifecycle *lc, const char *vm_id);
void run_free(struct run *r);
void run_mark_acquired(struct run *r, enum step s);

void step_done(struct run *r);
void step_fail(struct run *r, int err, const char *fmt, ...) _printf_(3, 4);
void undo_done(struct run *r);
void undo_retry(struct run *r, const char *why);

/* Runs the start from step s (a fresh start: STEP_ADDRESS; a re-adopted one: STEP_HOSTKEY). */
void run_start_at(struct run *r, enum step s);
/* Stops whatever is in flight and undoes every acquired step, top down, ending in final_state
 * with final_reason (which the caller set). */
void run_release(struct run *r);
/* Takes over what a finished start holds (re-adoption). */
void run_adopt(struct run *r);
void run_notify(struct run *r, enum lifecycle_event ev, const struct rpc_error *err);
/* A record that says its VM runs while no run follows it: asks for its re-adoption and refuses
 * the call (unavailable) until that is done. */
int readopt_first(struct lifecycle *lc, struct vm *vm, struct rpc_error *err);

/* The record changes; a failed save stands in memory and is retried (save-retry.c). */
void run_set_state(struct run *r, enum vm_state st, const char *reason);
void run_record_updated(struct run *r);
int64_t run_fc_send(
	struct run *r, struct fc_request *req, uint64_t timeout_usec, fc_api_done_t done);
void run_clear_pending(struct run *r);

/* ---- lifecycle-stop.c ---- */
/* The one pidfd watch: follows r->vmm_pid; -ESRCH when it is gone already. */
int run_watch_vmm(struct run *r);
void run_unwatch_vmm(struct run *r);
/* Kills the VMM for the launch step's undo (SIGKILL, then a bounded wait): undo_done() follows. */
void run_kill_for_undo(struct run *r);
/* Ends the escalation, if one runs, without deciding anything. */
void run_kill_cancel(struct run *r);
/* SIGKILL to the VMM at once (a suspend whose snapshot is taken); the release follows its exit. */
void run_kill_now(struct run *r);
/* A running VM: the escalation, then the release, ending stopped with reason. */
void run_stop_begin(struct run *r, const char *reason);

/* ---- lifecycle-pause.c ---- */
/* A stop or the VMM's end overtakes a pause or resume in flight: its callers are told err. */
void run_pause_cancel(struct run *r, const char *why);
/* Re-adoption: asks the VMM (GET /) whether it is paused and corrects the record if it says
 * otherwise. */
void run_probe_paused(struct run *r);

/* ---- lifecycle-suspend.c ---- */
/* In the VM's directory, next to its disk; the memory file is bound into every jail as a drive
 * (the VMM writes it in place), the state file only into a restore's. */
#define SNAPSHOT_META "snapshot.json"
#define SNAPSHOT_STATE "snapshot.state"
#define SNAPSHOT_MEM "snapshot.mem"
/* Where a running VMM writes a snapshot's memory: never the file it was restored from, which
 * Firecracker maps (MAP_PRIVATE) for the guest's memory and its snapshot/create truncates — the
 * guest would fault on every page it had not yet written. A suspend renames it over
 * snapshot.mem once the VMM is gone; a live snapshot copies it out and empties it. */
#define SNAPSHOT_MEM_NEXT "snapshot.mem.next"
#define SNAPSHOT_MEM_DRIVE "snapmem"
#define SNAPSHOT_MEM_NEXT_DRIVE "snapnext"
#define SNAPSHOT_STATE_DRIVE "snapstate"
#define SNAPSHOT_MEM_IN_JAIL "/drives/" SNAPSHOT_MEM_DRIVE
#define SNAPSHOT_MEM_NEXT_IN_JAIL "/drives/" SNAPSHOT_MEM_NEXT_DRIVE
#define SNAPSHOT_STATE_IN_JAIL "/drives/" SNAPSHOT_STATE_DRIVE
int snapshot_path(struct lifecycle *lc, const char *vm_id, const char *file, char *buf, size_t n);
/* Removes the snapshot's record and state, empties its memory file. */
void snapshot_discard(struct lifecycle *lc, const struct vm *vm);
/* Copies the state file the VMM wrote into its jail's /run (reached through its root, as the
 * API socket is) to dst. */
int snapshot_state_copy_out(struct run *r, const char *dst);
/* Writes the VM's snapshot.json for the disk as it is now, with boot_id: what restore_check()
 * will accept. */
int suspend_record_write(struct lifecycle *lc, const struct vm *vm, const char *boot_id);
/* A suspend's run is released: records the disk it left (or ends stopped without a snapshot). */
void suspend_finish(struct run *r);
/* A start of a suspended VM: refuses (err) unless its disk, image and files are the snapshot's;
 * sets r->expect_boot_id. */
int restore_check(struct lifecycle *lc, struct vm *vm, struct run *r, struct rpc_error *err);

/* ---- lifecycle-snapshot.c ---- */
struct live_snapshot;
/* A stop, a release or the VMM's end overtakes a live snapshot: its partial directory is
 * removed, the guest resumed if the snapshot paused it and the VMM still runs, its caller told
 * why. */
void run_snapshot_cancel(struct run *r, const char *why);
/* The mark a live snapshot or a suspend leaves in the VM's directory while the guest is paused
 * for it: a bangerd that ends (or dies) before the resume or the suspend's end leaves it, and
 * the next one, finding the VMM paused with the mark there, resumes the guest rather than keep
 * a pause nobody asked for. */
#define SNAPSHOT_PAUSE_MARK "snapshot.paused"
/* The reason a suspending VM's record has (state stopping): a bangerd that finds it over a
 * running VMM undoes the suspend rather than release the guest (reconcile-readopt.c). */
#define SUSPENDING_REASON "suspending"
bool snapshot_pause_marked(struct lifecycle *lc, const char *vm_id);
/* Sets (an empty file; no fsync: what loses the page cache ends the VMM too) or clears the
 * mark; setting fails with -errno. */
int snapshot_pause_mark(struct lifecycle *lc, const char *vm_id, bool set);

/* ---- lifecycle-restore.c ---- */
bool restore_running(struct lifecycle *lc, const char *vm_id);
/* The restored snapshot's record, for SNAPSHOT_ENDED's caller. */
json_t *restore_take_result(struct lifecycle *lc, const char *vm_id);
/* -EBUSY (err) while the VM's restore runs: nothing else may touch its files. */
int restore_refuse(struct lifecycle *lc, const struct vm *vm, struct rpc_error *err);
/* A stop or a delete: the copy is killed, its .restore files removed, its caller told why (the
 * VM is unchanged); 1 when a restore was cancelled. */
int restore_cancel(struct lifecycle *lc, const char *vm_id, const char *why);
void restore_cancel_all(struct lifecycle *lc, const char *why);

/* ---- lifecycle-steps.c ---- */
/* A step's helper call: k is what helper_call_<op>(…, on_helper_step, r) returned; on_result
 * (NULL: the step is done) runs on the answer. */
void helper_step(struct run *r, const char *op, int k, step_result_t on_result);
void on_helper_step(struct helper_client *h, int k, json_t *result, const struct rpc_error *err,
	void *userdata);
/* The console showed the guest's host key (r->hostkey): the hostkey step finishes if it waits. */
void step_hostkey_seen(struct run *r);
/* k from a helper call: bangerd-root answered (anything but a connection or deadline failure). */
bool helper_answered(int k);

/* ---- lifecycle-steps-vmm.c ---- */
void step_launch(struct run *r);
void undo_launch(struct run *r);
void step_socket(struct run *r);
void undo_socket(struct run *r);
void step_configure(struct run *r);
void step_boot(struct run *r);
void step_hostkey(struct run *r);
void step_ssh(struct run *r);
void step_file_sync(struct run *r);

/* ---- lifecycle-console.c ---- */
int lifecycle_console_start(struct lifecycle *lc);
void run_console_open(struct run *r, uint64_t next_line);
void run_console_close(struct run *r);
uint64_t console_count_lines(const char *path);

/* ---- reconcile-readopt.c ---- */
/* Writes handles.json from the runs. A write that fails is retried until it lands
 * (save-retry.c: logged, published, listed in system.status): nothing waits for it. */
void lifecycle_handles_save(struct lifecycle *lc);
int readopt_one(struct lifecycle *lc, struct vm *vm, const struct vm_handles *h);

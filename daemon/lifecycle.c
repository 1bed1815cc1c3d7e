/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The VM lifecycle: start (address → bridge/NAT → tap → disk → jail → jailer → Firecracker API →
 * InstanceStart → host key → SSH → boot id), stop (Ctrl-Alt-Del, bounded wait, signals) and
 * release, each step undone in reverse when a later one fails. Console capture and VMM exit
 * detection run here too. Everything is asynchronous on the daemon's sd-event loop. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/handles.h"
#include "common/log.h"
#include "common/macro.h"
#include "common/sshcmd.h"
#include "daemon/child.h"
#include "daemon/console-log.h"
#include "daemon/daemon.h"
#include "daemon/fc-api.h"
#include "daemon/fc-requests.h"
#include "daemon/file-sync.h"
#include "daemon/helper-client.h"
#include "daemon/helper-port.h"
#include "daemon/lifecycle.h"
#include "daemon/netalloc.h"
#include "daemon/rpc.h"
#include "daemon/save-retry.h"
#include "daemon/ssh-keys.h"
#include "daemon/vm-params.h"
#include "daemon/vm-state.h"
#include "protocol/jsonrpc.h"

#define CONSOLE_TICK_USEC (200 * 1000)
#define CONSOLE_LINES_PER_TICK 400 /* per VM: 2,000 lines/s published, the rest counted as dropped */
#define SSH_RETRY_USEC (500 * 1000)
#define API_POLL_USEC (20 * 1000)
#define KILL_GRACE_USEC (3 * 1000 * 1000)
/* An undo that could not reach bangerd-root is tried again after this, doubling up to the max. */
#define UNDO_RETRY_MIN_USEC (500 * 1000)
#define UNDO_RETRY_MAX_USEC (5 * 1000 * 1000)
/* bangerd-root gives the jailer 10 s to become the VMM (op-jail-launch.c) and kills it after
 * that; a launch whose answer never came is looked for only once that time has passed. */
#define LAUNCH_SETTLE_USEC (11 * 1000 * 1000)
/* What the guest kernel prints when it halts (kernel/reboot.c) without powering off. */
#define GUEST_HALTED_MARKER "reboot: System halted"
#define MAX_WAITERS 16
/* sd-event coalesces timers by 250 ms unless told otherwise: too coarse for polling steps */
#define TIMER_ACCURACY_USEC 1000
/* what a completed start holds: a re-adopted VM is assumed to hold all of it */
#define ACQUIRED_BY_START ((1u << STEP_TAP) | (1u << STEP_DISK) | (1u << STEP_JAIL) | \
			   (1u << STEP_LAUNCH) | (1u << STEP_SOCKET))

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

struct run;

/* A step's action returns 0 when it completed at once (the machine moves on), 1 when it issued
 * asynchronous work that will call step_done()/step_fail(), or -errno after step_fail(). An undo
 * returns 1 when it issued work that will call undo_done(), else 0. */
struct step_def {
	const char *name;
	int (*run)(struct run *r);
	int (*undo)(struct run *r);
};

struct run {
	struct run *next;
	struct lifecycle *lc;
	char vm_id[VM_ID_LEN + 1];
	enum run_mode mode;
	enum step step;
	uint32_t acquired; /* bit per step whose resource must be undone */
	int unwind_at;     /* next step to undo, counting down */
	int undoing;       /* the step whose undo is in flight */
	uint64_t undo_backoff; /* the wait before the next retry of an undo; 0: none failed yet */
	sd_event_source *undo_timer;
	enum vm_state final_state;
	char final_reason[512];
	enum rpc_error_code fail_code; /* what a failed start answers its callers */
	bool restart_after; /* a restart: start again once stopped */

	struct rpc_call *start_waiters[MAX_WAITERS];
	size_t n_start_waiters;
	struct rpc_call *stop_waiters[MAX_WAITERS];
	size_t n_stop_waiters;
	struct rpc_call *delete_waiters[MAX_WAITERS];
	size_t n_delete_waiters;
	bool delete_after;

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
	int pidfd;
	sd_event_source *exit_src;
	bool vmm_exited;
	uint64_t launch_sent;  /* when jail.launch went out */
	bool launch_answered;  /* bangerd-root answered it, success or not */

	/* in-flight work */
	int64_t fc_req;
	struct child *child;
	sd_event_source *timer;
	uint64_t deadline;
	struct fc_request boot_config[FC_BOOT_CONFIG_MAX]; /* the configure step's requests */
	size_t n_boot_config;
	unsigned configure_idx;
	unsigned signal_stage;

	/* console */
	struct console_log console;
	bool console_open;
	char hostkey[600];
	bool hostkey_seen;
	uint64_t lines_this_tick;
	json_t *batch;
	uint64_t batch_first;
	uint64_t dropped, dropped_first;

	/* timings of the last start */
	uint64_t step_started;
	uint64_t timings[_STEP_MAX];
	bool have_timings;

	struct file_sync *sync;
	int (*on_result)(struct run *r, json_t *result);
	bool waiting_exit, kill_answered;
	bool abort_requested; /* a stop came while a step's helper call or resize was in flight */
	bool halt_seen;       /* the console said the guest halted; acted on after the read */
	bool keep_record_state; /* releasing an orphan: its record keeps its state and reason */
};

struct lifecycle {
	struct daemon *d;
	struct banger_config cfg;
	struct fc_api *api;
	struct helper_client *helper;
	struct helper_port hp; /* typed calls on helper */
	char ssh_dir[PATH_MAX];
	char *pubkey;
	struct run *runs;
	sd_event_source *tick;
	sd_event_source *readopt_retry;
	bool freeing; /* lifecycle_free() is failing the helper calls: their runs must not react */
};

static const struct step_def steps[_STEP_MAX];
static void run_advance(struct run *r);
static void run_unwind(struct run *r);
static void step_fail(struct run *r, int err, const char *fmt, ...) _printf_(3, 4);
static void run_abort_now(struct run *r);
static void run_release(struct run *r);
static int handles_save(struct lifecycle *lc);
static int handles_retry(void *userdata);
static int readopt_one(struct lifecycle *lc, struct vm *vm, const struct vm_handles *h);

static uint64_t now_usec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static struct vm *run_vm(struct run *r)
{
	return store_vm_by_id(&r->lc->d->store, r->vm_id);
}

static struct run *run_find(struct lifecycle *lc, const char *vm_id)
{
	for (struct run *r = lc->runs; r; r = r->next)
		if (streq(r->vm_id, vm_id))
			return r;
	return NULL;
}

static struct run *run_get(struct lifecycle *lc, const char *vm_id)
{
	struct run *r = run_find(lc, vm_id);

	if (r)
		return r;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->lc = lc;
	r->pidfd = -1;
	r->console.fd = -1;
	snprintf(r->vm_id, sizeof(r->vm_id), "%s", vm_id);
	r->next = lc->runs;
	lc->runs = r;
	return r;
}

static void run_clear_pending(struct run *r)
{
	if (r->fc_req > 0)
		fc_api_cancel(r->lc->api, r->fc_req);
	r->fc_req = 0;
	if (r->child)
		child_cancel(r->child);
	r->child = NULL;
	r->timer = sd_event_source_disable_unref(r->timer);
	r->undo_timer = sd_event_source_disable_unref(r->undo_timer);
	for (size_t i = 0; i < r->n_boot_config; i++)
		fc_request_done(&r->boot_config[i]);
	r->n_boot_config = 0;
}

/* Sends req (freed) to the VM's VMM. */
static int64_t fc_send(struct run *r, struct fc_request *req, uint64_t timeout_usec,
		fc_api_done_t done)
{
	int64_t id = fc_api_request(r->lc->api, r->link, req->method, req->path, req->body,
			timeout_usec, done, r);

	fc_request_done(req);
	return id;
}

static void run_close_console(struct run *r)
{
	if (r->console_open)
		console_log_close(&r->console);
	r->console_open = false;
	json_decref(r->batch);
	r->batch = NULL;
}

static void run_free(struct run *r)
{
	struct lifecycle *lc = r->lc;

	for (struct run **p = &lc->runs; *p; p = &(*p)->next)
		if (*p == r) {
			*p = r->next;
			break;
		}
	run_clear_pending(r);
	run_close_console(r);
	r->exit_src = sd_event_source_disable_unref(r->exit_src);
	safe_close(r->pidfd);
	file_sync_free(r->sync);
	free(r);
}

/* The state change every client sees: saved, then published as vm.state (daemon/vm-state.c). */
static void set_state(struct lifecycle *lc, struct vm *vm, enum vm_state st, const char *reason)
{
	(void)daemon_vm_set_state(lc->d, vm, st, reason && *reason ? reason : NULL);
}

/* Fields other than the state changed: saved, then published as vm.updated. */
static void publish_updated(struct lifecycle *lc, struct vm *vm)
{
	(void)daemon_vm_update(lc->d, vm);
}

static void answer_waiters(struct rpc_call **w, size_t *n, struct vm *vm, const struct rpc_error *err)
{
	for (size_t i = 0; i < *n; i++) {
		if (err)
			rpc_call_fail(w[i], err);
		else
			rpc_call_reply(w[i], vm ? vm_to_json(vm) : json_object());
	}
	*n = 0;
}

static int add_waiter(struct rpc_call **w, size_t *n, struct rpc_call *call, struct rpc_error *err)
{
	struct rpc_call *c;

	if (!call)
		return 0;
	if (*n >= MAX_WAITERS)
		return rpc_error_set(err, -EBUSY, RPC_ERROR_CONFLICT,
				"Too many clients are already waiting for this VM");
	c = rpc_call_defer(call);
	if (!c)
		return rpc_error_set(err, -ENOMEM, RPC_ERROR_INTERNAL, "Out of memory");
	w[(*n)++] = c;
	return 0;
}

/* ---- helper calls ------------------------------------------------------------------------ */

/* Helper answers for the start steps: move on or fail the step with the helper's own words. */
static void on_helper_step(struct helper_client *h, int k, json_t *result, const struct rpc_error *err,
		void *userdata);

typedef int (*result_fn)(struct run *r, json_t *result);

/* k: what helper_call_<op>(…, on_helper_step, r) returned; on_result runs on its answer */
static int helper_step(struct run *r, const char *op, int k, result_fn on_result)
{
	r->on_result = on_result;
	if (k < 0) {
		step_fail(r, k, "%s: %s", op, strerror(-k));
		return k;
	}
	return 1;
}

/* k from a helper call: bangerd-root answered (anything but a connection or deadline failure). */
static bool helper_answered(int k)
{
	return k == 0 || k == -EREMOTEIO;
}

static void on_helper_step(struct helper_client *h, int k, json_t *result, const struct rpc_error *err,
		void *userdata)
{
	struct run *r = userdata;
	result_fn fn = r->on_result;

	if (r->lc->freeing)
		return;
	if (r->step == STEP_LAUNCH)
		r->launch_answered = helper_answered(k);
	if (k < 0) {
		if (err)
			r->fail_code = err->code;
		step_fail(r, k, "%s", err ? err->message : strerror(-k));
		return;
	}
	if (fn) {
		k = fn(r, result);
		if (k < 0)
			return; /* fn failed the step */
	}
	run_advance(r);
}

static int on_undo_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct run *r = userdata;

	r->undo_timer = sd_event_source_disable_unref(r->undo_timer);
	run_unwind(r);
	return 0;
}

/* An undo could not reach bangerd-root, so what it releases is still there: the unwind waits and
 * tries the same undo again (0.5 s, doubling to 5 s, for as long as it takes) rather than leave
 * a tap, a disk or a VMM behind for a manual reconcile. */
static void undo_retry(struct run *r, const char *why)
{
	struct vm *vm = run_vm(r);
	const char *name = vm ? vm->name : r->vm_id;
	int k;

	r->acquired |= 1u << r->undoing;
	r->unwind_at = r->undoing;
	if (r->undo_backoff == 0) {
		log_vm(LOG_WARNING, name, "release",
				"VM %s: releasing its %s must wait for bangerd-root (%s); trying again until "
				"it answers", name, steps[r->undoing].name, why);
		r->undo_backoff = UNDO_RETRY_MIN_USEC;
	} else
		r->undo_backoff = MIN(r->undo_backoff * 2, (uint64_t)UNDO_RETRY_MAX_USEC);
	r->undo_timer = sd_event_source_disable_unref(r->undo_timer);
	k = sd_event_add_time_relative(r->lc->d->event, &r->undo_timer, CLOCK_MONOTONIC,
			r->undo_backoff, TIMER_ACCURACY_USEC, on_undo_retry, r);
	if (k < 0) {
		log_vm(LOG_ERR, name, "release", "VM %s: cannot wait to release its %s: %s", name,
				steps[r->undoing].name, strerror(-k));
		run_unwind(r); /* reconcile's sweep is what is left */
	}
}

/* Undo work: the helper's answer, success or not, continues the unwind (a resource that is
 * already gone is what we wanted; anything else is logged, and the rest is still released). No
 * answer at all — bangerd-root is down or stuck — means nothing was released: try again. */
static void on_helper_undo(struct helper_client *h, int k, json_t *result, const struct rpc_error *err,
		void *userdata)
{
	struct run *r = userdata;
	struct vm *vm = run_vm(r);

	if (r->lc->freeing)
		return;
	if (!helper_answered(k)) {
		undo_retry(r, err ? err->message : strerror(-k));
		return;
	}
	if (k < 0 && !(err && err->code == RPC_ERROR_NOT_FOUND))
		log_vm(LOG_WARNING, vm ? vm->name : r->vm_id, "release", "Releasing the %s of VM %s: %s",
				steps[r->undoing].name, vm ? vm->name : r->vm_id,
				err ? err->message : strerror(-k));
	run_unwind(r);
}

/* k: what helper_call_<op>(…, on_helper_undo, r) returned */
static int helper_undo(int k)
{
	return k < 0 ? 0 : 1;
}

/* ---- steps --------------------------------------------------------------------------------- */

static int step_address(struct run *r)
{
	struct lifecycle *lc = r->lc;
	struct vm *vm = run_vm(r);
	struct in_addr a, *used;
	struct vm before = *vm;
	size_t n = 0;
	int k;

	net_mac_from_id(vm->id, vm->mac);
	k = net_tap_name(vm->id, r->tap);
	if (k < 0) {
		step_fail(r, k, "VM id \"%s\" cannot name a tap", vm->id);
		return k;
	}
	if (vm->ip[0] && inet_pton(AF_INET, vm->ip, &a) == 1 && net_ip_in_subnet(&lc->cfg.subnet, a)) {
		if (!streq(before.mac, vm->mac))
			publish_updated(lc, vm);
		return 0; /* allocations persist until delete */
	}

	used = calloc(lc->d->store.n_vms + 1, sizeof(*used));
	if (!used) {
		step_fail(r, -ENOMEM, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < lc->d->store.n_vms; i++) {
		const struct vm *o = lc->d->store.vms[i];
		if (o != vm && o->ip[0] && inet_pton(AF_INET, o->ip, &used[n]) == 1)
			n++;
	}
	k = net_ip_allocate(&lc->cfg.subnet, used, n, &a);
	free(used);
	if (k < 0) {
		step_fail(r, k, "no free address left in %s", lc->cfg.subnet_text);
		return k;
	}
	inet_ntop(AF_INET, &a, vm->ip, sizeof(vm->ip));
	publish_updated(lc, vm);
	return 0;
}

static int step_bridge(struct run *r)
{
	struct lifecycle *lc = r->lc;
	char gw[16], addr[32];

	inet_ntop(AF_INET, &lc->cfg.subnet.gateway, gw, sizeof(gw));
	snprintf(addr, sizeof(addr), "%s/%u", gw, lc->cfg.subnet.prefix);
	return helper_step(r, "net.bridge_ensure",
			helper_call_bridge_ensure(&lc->hp,
					&(struct helper_req_bridge_ensure){ .bridge = lc->cfg.bridge,
							.address = addr },
					on_helper_step, r),
			NULL);
}

static int step_nat(struct run *r)
{
	struct lifecycle *lc = r->lc;
	return helper_step(r, "nat.ensure",
			helper_call_nat_ensure(&lc->hp,
					&(struct helper_req_nat_ensure){ .subnet = lc->cfg.subnet_text,
							.bridge = lc->cfg.bridge },
					on_helper_step, r),
			NULL);
}

static int step_tap(struct run *r)
{
	return helper_step(r, "net.tap_create",
			helper_call_tap_create(&r->lc->hp,
					&(struct helper_req_tap_create){ .tap = r->tap,
							.bridge = r->lc->cfg.bridge, .vm_id = r->vm_id },
					on_helper_step, r),
			NULL);
}

static int undo_tap(struct run *r)
{
	return helper_undo(helper_call_tap_delete(&r->lc->hp,
			&(struct helper_req_tap_delete){ .tap = r->tap, .vm_id = r->vm_id }, on_helper_undo,
			r));
}

static void on_resize(struct child *c, const struct child_result *res, void *userdata)
{
	struct run *r = userdata;
	struct vm *vm = run_vm(r);

	r->child = NULL;
	if (res->r < 0 || res->status != 0)
		/* The guest still boots on the image's own size; say so rather than fail the start. */
		log_vm(LOG_WARNING, vm->name, "disk", "Could not grow the root filesystem of %s to %u GiB: %s",
				vm->name, vm->disk_gib, res->err[0] ? res->err : "resize2fs failed");
	run_advance(r);
}

/* A fresh file disk gets the VM's size: sparse growth plus resize2fs on the (unmounted) file. */
static int grow_file_disk(struct run *r)
{
	struct vm *vm = run_vm(r);
	uint64_t want = (uint64_t)vm->disk_gib << 30;
	const char *argv[] = { "resize2fs", "-f", r->disk_path, NULL };
	struct stat st;
	int k;

	if (stat(r->disk_path, &st) < 0 || (uint64_t)st.st_size >= want)
		return 0;
	if (truncate(r->disk_path, (off_t)want) < 0) {
		log_vm(LOG_WARNING, vm->name, "disk", "Could not grow the disk of %s: %m", vm->name);
		return 0;
	}
	k = child_run(r->lc->d->event, argv, -1, 120ull * 1000 * 1000, on_resize, r, &r->child);
	if (k < 0) {
		log_vm(LOG_WARNING, vm->name, "disk", "Could not run resize2fs for %s: %s", vm->name,
				strerror(-k));
		return 0;
	}
	return 1;
}

static int disk_result(struct run *r, json_t *result)
{
	struct vm *vm = run_vm(r);
	const char *strategy = json_string_value(json_object_get(result, "strategy"));
	const char *kind = json_string_value(json_object_get(result, "kind"));
	const char *device = json_string_value(json_object_get(result, "device"));

	if (!strategy || !kind || (!streq(kind, "file") && !streq(kind, "block")) ||
			(streq(kind, "block") && !device)) {
		step_fail(r, -EBADMSG, "disk.prepare answered without a strategy, kind or device");
		return -EBADMSG;
	}
	snprintf(vm->disk_strategy, sizeof(vm->disk_strategy), "%s", strategy);
	snprintf(r->disk_kind, sizeof(r->disk_kind), "%s", kind);
	snprintf(r->device, sizeof(r->device), "%s", device ? device : "");
	publish_updated(r->lc, vm);
	if (streq(kind, "file") && grow_file_disk(r) > 0)
		return -EINPROGRESS; /* on_resize advances */
	return 0;
}

static void on_disk_prepared(struct helper_client *h, int k, json_t *result, const struct rpc_error *err,
		void *userdata)
{
	struct run *r = userdata;

	if (r->lc->freeing)
		return;
	if (k < 0) {
		step_fail(r, k, "%s", err ? err->message : strerror(-k));
		return;
	}
	k = disk_result(r, result);
	if (k == -EINPROGRESS || k < 0)
		return;
	run_advance(r);
}

static int step_disk(struct run *r)
{
	struct lifecycle *lc = r->lc;
	struct vm *vm = run_vm(r);
	struct image *img = store_image_by_name(&lc->d->store, vm->image);
	_cleanup_close_ int base = -1, disk = -1;
	struct stat st;
	bool reattach;
	int k;

	if (!img) {
		step_fail(r, -ENOENT, "image \"%s\" no longer exists", vm->image);
		return -ENOENT;
	}
	k = layout_vm_file(&lc->d->layout, vm->id, "disk", r->disk_path, sizeof(r->disk_path));
	if (k < 0) {
		step_fail(r, k, "no disk path for VM %s", vm->id);
		return k;
	}
	/* A file disk from an earlier start keeps the guest's changes: reuse it. */
	if (stat(r->disk_path, &st) == 0 && st.st_size > 0 &&
			(streq(vm->disk_strategy, "reflink") || streq(vm->disk_strategy, "sparse-copy"))) {
		snprintf(r->disk_kind, sizeof(r->disk_kind), "file");
		return 0;
	}
	/* A dm-snapshot's COW from an earlier start is set up again over the same base. */
	reattach = stat(r->disk_path, &st) == 0 && st.st_size > 0 &&
		   streq(vm->disk_strategy, "dm-snapshot");
	base = open(img->part[IMAGE_PART_ROOTFS].path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (base < 0) {
		k = negative_errno();
		step_fail(r, k, "cannot open the image's root filesystem %s: %m",
				img->part[IMAGE_PART_ROOTFS].path);
		return k;
	}
	disk = open(r->disk_path, O_RDWR | O_CREAT | (reattach ? 0 : O_TRUNC) | O_CLOEXEC | O_NOFOLLOW,
			0600);
	if (disk < 0) {
		k = negative_errno();
		step_fail(r, k, "cannot create %s: %m", r->disk_path);
		return k;
	}
	k = helper_call_disk_prepare(&lc->hp,
			&(struct helper_req_disk_prepare){ .vm_id = vm->id,
					.fds = { { "base", "disk" }, { base, disk }, 2 },
					.strategy = reattach ? "dm-snapshot" : NULL,
					.has_reattach = reattach,
					.reattach = reattach },
			on_disk_prepared, r);
	if (k < 0) {
		step_fail(r, k, "disk.prepare: %s", strerror(-k));
		return k;
	}
	return 1;
}

static int undo_disk(struct run *r)
{
	return helper_undo(helper_call_disk_release(&r->lc->hp,
			&(struct helper_req_disk_release){ .vm_id = r->vm_id }, on_helper_undo, r));
}

static int jail_result(struct run *r, json_t *result)
{
	const char *root = json_string_value(json_object_get(result, "root"));
	const char *kernel = json_string_value(json_object_get(result, "kernel"));
	const char *initrd = json_string_value(json_object_get(result, "initrd"));
	const char *drive = json_string_value(json_object_get(json_object_get(result, "drives"), "rootfs"));

	if (!root || !kernel || !drive) {
		step_fail(r, -EBADMSG, "jail.stage answered without root, kernel or rootfs drive");
		return -EBADMSG;
	}
	snprintf(r->jail_root, sizeof(r->jail_root), "%s", root);
	snprintf(r->kernel_in_jail, sizeof(r->kernel_in_jail), "%s", kernel);
	snprintf(r->initrd_in_jail, sizeof(r->initrd_in_jail), "%s", initrd ? initrd : "");
	snprintf(r->drive_path, sizeof(r->drive_path), "%s", drive);
	return 0;
}

static int step_jail(struct run *r)
{
	struct lifecycle *lc = r->lc;
	struct vm *vm = run_vm(r);
	struct image *img = store_image_by_name(&lc->d->store, vm->image);
	struct helper_req_jail_stage req = { .vm_id = vm->id };
	struct helper_block_drive drive = { "rootfs", r->device };
	int opened[3] = { -1, -1, -1 };
	int k;

	if (!img) {
		step_fail(r, -ENOENT, "image \"%s\" no longer exists", vm->image);
		return -ENOENT;
	}
	opened[0] = open(img->part[IMAGE_PART_KERNEL].path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (opened[0] < 0) {
		k = negative_errno();
		step_fail(r, k, "cannot open the kernel %s: %m", img->part[IMAGE_PART_KERNEL].path);
		return k;
	}
	req.fds.names[req.fds.n] = "kernel";
	req.fds.fds[req.fds.n++] = opened[0];
	if (img->part[IMAGE_PART_INITRD].path[0]) {
		opened[1] = open(img->part[IMAGE_PART_INITRD].path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (opened[1] < 0) {
			k = negative_errno();
			safe_close(opened[0]);
			step_fail(r, k, "cannot open the initrd %s: %m", img->part[IMAGE_PART_INITRD].path);
			return k;
		}
		req.fds.names[req.fds.n] = "initrd";
		req.fds.fds[req.fds.n++] = opened[1];
	}
	if (streq(r->disk_kind, "block")) {
		req.block_drives = &drive;
		req.n_block_drives = 1;
	} else {
		opened[2] = open(r->disk_path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
		if (opened[2] < 0) {
			k = negative_errno();
			for (int i = 0; i < 3; i++)
				safe_close(opened[i]);
			step_fail(r, k, "cannot open the disk %s: %m", r->disk_path);
			return k;
		}
		req.fds.names[req.fds.n] = "drive:rootfs";
		req.fds.fds[req.fds.n++] = opened[2];
	}
	k = helper_step(r, "jail.stage", helper_call_jail_stage(&lc->hp, &req, on_helper_step, r),
			jail_result);
	for (int i = 0; i < 3; i++)
		safe_close(opened[i]);
	return k;
}

static int undo_jail(struct run *r)
{
	return helper_undo(helper_call_jail_cleanup(&r->lc->hp,
			&(struct helper_req_jail_cleanup){ .vm_id = r->vm_id }, on_helper_undo, r));
}

static int on_vmm_exit(sd_event_source *s, int fd, uint32_t revents, void *userdata);

static uint64_t count_lines(const char *path)
{
	_cleanup_free_ char *data = NULL;
	uint64_t n = 0;
	size_t len;

	if (read_file_full(path, 1024u * 1024u * 1024u, &data, &len) < 0)
		return 0;
	for (size_t i = 0; i < len; i++)
		n += data[i] == '\n';
	return n;
}

static int launch_result(struct run *r, json_t *result)
{
	struct vm *vm = run_vm(r);
	json_t *pid = json_object_get(result, "pid");
	const char *sock = json_string_value(json_object_get(result, "api_sock"));
	int k;

	if (!json_is_integer(pid) || json_integer_value(pid) <= 1 || !sock) {
		step_fail(r, -EBADMSG, "jail.launch answered without a pid or API socket");
		return -EBADMSG;
	}
	r->vmm_pid = (int)json_integer_value(pid);
	snprintf(r->api_sock, sizeof(r->api_sock), "%s", sock);
	r->vmm_exited = false;
	r->acquired |= 1u << STEP_LAUNCH; /* from here a failure must make sure it is gone */
	r->pidfd = (int)syscall(SYS_pidfd_open, r->vmm_pid, 0);
	if (r->pidfd < 0) {
		k = negative_errno();
		/* Gone already: the VMM exited at once. The undo of this step still cleans up. */
		r->vmm_exited = true;
		step_fail(r, k, "the VMM (pid %d) exited right after it was launched", r->vmm_pid);
		return k;
	}
	k = sd_event_add_io(r->lc->d->event, &r->exit_src, r->pidfd, EPOLLIN, on_vmm_exit, r);
	if (k < 0) {
		step_fail(r, k, "cannot watch the VMM: %s", strerror(-k));
		return k;
	}
	vm->pid = r->vmm_pid;
	publish_updated(r->lc, vm);
	return 0;
}

static int step_launch(struct run *r)
{
	struct lifecycle *lc = r->lc;
	struct vm *vm = run_vm(r);
	char path[PATH_MAX];
	int fd, k;

	/* The VMM's stdout is the serial console: it goes straight into the log file through this
	 * O_APPEND descriptor, never a pipe a daemon restart would break. */
	k = layout_vm_file(&lc->d->layout, vm->id, "console.log", path, sizeof(path));
	if (k < 0) {
		step_fail(r, k, "no console log path");
		return k;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		k = negative_errno();
		step_fail(r, k, "cannot open %s: %m", path);
		return k;
	}
	if (!r->console_open) {
		/* Follow from the current end; lines keep numbering on from what the file holds. */
		k = console_log_open(&r->console, path, 0, count_lines(path) + 1);
		if (k >= 0)
			r->console_open = true;
	}
	r->hostkey_seen = false;
	r->launch_sent = now_usec();
	r->launch_answered = false;
	k = helper_step(r, "jail.launch",
			helper_call_jail_launch(&lc->hp,
					&(struct helper_req_jail_launch){ .vm_id = vm->id,
							.fds = { { "console" }, { fd }, 1 } },
					on_helper_step, r),
			launch_result);
	safe_close(fd);
	return k;
}

/* undo_launch continues once the kill was answered and the VMM is seen gone (or given up on). */
static void kill_continue(struct run *r)
{
	if (!r->waiting_exit || !r->kill_answered || !r->vmm_exited)
		return;
	r->waiting_exit = false;
	r->timer = sd_event_source_disable_unref(r->timer);
	r->exit_src = sd_event_source_disable_unref(r->exit_src);
	r->pidfd = safe_close(r->pidfd);
	run_unwind(r);
}

static void on_kill_sent(struct helper_client *h, int k, json_t *result, const struct rpc_error *err,
		void *userdata)
{
	struct run *r = userdata;
	struct vm *vm = run_vm(r);

	if (r->lc->freeing)
		return;
	if (!helper_answered(k)) {
		/* not signalled: it still runs, and the rest of the unwind must wait for it */
		r->waiting_exit = false;
		r->timer = sd_event_source_disable_unref(r->timer);
		undo_retry(r, err ? err->message : strerror(-k));
		return;
	}
	if (k < 0 && !(err && err->code == RPC_ERROR_NOT_FOUND))
		log_vm(LOG_WARNING, vm ? vm->name : r->vm_id, "release", "Failed to kill the VMM of %s: %s",
				vm ? vm->name : r->vm_id, err ? err->message : strerror(-k));
	r->kill_answered = true;
	if (k < 0)
		r->vmm_exited = true; /* no such VMM (any more): nothing to wait for */
	kill_continue(r);
}

static int on_kill_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct run *r = userdata;
	struct vm *vm = run_vm(r);

	log_vm(LOG_WARNING, vm ? vm->name : r->vm_id, "release",
			"The VMM of %s (pid %d) did not exit after SIGKILL; releasing the rest",
			vm ? vm->name : r->vm_id, r->vmm_pid);
	r->kill_answered = r->vmm_exited = true;
	kill_continue(r);
	return 0;
}

static int launch_kill(struct run *r)
{
	r->waiting_exit = true;
	r->kill_answered = false;
	if (helper_call_proc_signal(&r->lc->hp,
			    &(struct helper_req_proc_signal){ .vm_id = r->vm_id, .signal = "KILL",
					    .has_pid = true, .pid = r->vmm_pid },
			    on_kill_sent, r) < 0) {
		r->waiting_exit = false;
		return 0;
	}
	sd_event_add_time_relative(r->lc->d->event, &r->timer, CLOCK_MONOTONIC, 2 * KILL_GRACE_USEC, 0,
			on_kill_timeout, r);
	return 1;
}

static void on_launch_found(struct helper_client *h, int k, json_t *result, const struct rpc_error *err,
		void *userdata)
{
	struct run *r = userdata;
	struct vm *vm = run_vm(r);
	json_t *pid = k == 0 ? json_object_get(result, "pid") : NULL;

	if (r->lc->freeing)
		return;
	if (!helper_answered(k)) {
		undo_retry(r, err ? err->message : strerror(-k));
		return;
	}
	if (!json_is_integer(pid)) {
		/* none runs (or the helper cannot tell: jail.cleanup refuses while one does) */
		if (k < 0)
			log_vm(LOG_WARNING, vm ? vm->name : r->vm_id, "release",
					"Cannot look for the VMM of %s: %s", vm ? vm->name : r->vm_id,
					err ? err->message : strerror(-k));
		r->vmm_exited = true;
		run_unwind(r);
		return;
	}
	r->vmm_pid = (int)json_integer_value(pid);
	log_vm(LOG_INFO, vm ? vm->name : r->vm_id, "release",
			"VM %s: its launch was not answered, but its VMM runs (pid %d); killing it",
			vm ? vm->name : r->vm_id, r->vmm_pid);
	r->pidfd = (int)syscall(SYS_pidfd_open, r->vmm_pid, 0);
	if (r->pidfd < 0 ||
			sd_event_add_io(r->lc->d->event, &r->exit_src, r->pidfd, EPOLLIN, on_vmm_exit, r) < 0) {
		/* gone already, or not watchable: the kill's answer says which */
		r->pidfd = safe_close(r->pidfd);
		r->vmm_exited = true;
	} else
		r->vmm_exited = false;
	if (launch_kill(r) == 0)
		run_unwind(r);
}

static int launch_find(struct run *r);

static int on_launch_settled(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct run *r = userdata;

	r->undo_timer = sd_event_source_disable_unref(r->undo_timer);
	if (launch_find(r) == 0)
		run_unwind(r);
	return 0;
}

/* jail.launch went out but its answer never came (bangerd-root died or stalled during it): the
 * jailer it spawned may have become the VMM, or may still be about to. Once the helper's own
 * launch deadline has passed, whatever runs is found by the VM's id and killed. */
static int launch_find(struct run *r)
{
	struct vm *vm = run_vm(r);
	uint64_t now = now_usec();

	if (!r->launch_answered && r->launch_sent && now < r->launch_sent + LAUNCH_SETTLE_USEC) {
		log_vm(LOG_INFO, vm ? vm->name : r->vm_id, "release",
				"VM %s: bangerd-root did not answer its launch; looking for a VMM in %llu ms",
				vm ? vm->name : r->vm_id,
				(unsigned long long)(r->launch_sent + LAUNCH_SETTLE_USEC - now) / 1000);
		if (sd_event_add_time(r->lc->d->event, &r->undo_timer, CLOCK_MONOTONIC,
				    r->launch_sent + LAUNCH_SETTLE_USEC, TIMER_ACCURACY_USEC,
				    on_launch_settled, r) >= 0)
			return 1;
	}
	r->launch_sent = 0; /* settled: a retry asks at once */
	return helper_call_proc_find(&r->lc->hp, &(struct helper_req_proc_find){ .vm_id = r->vm_id },
			       on_launch_found, r) < 0
		       ? 0
		       : 1;
}

static int undo_launch(struct run *r)
{
	if (r->vmm_pid <= 0 && !r->vmm_exited)
		return launch_find(r); /* sent, but no pid came back */
	if (r->vmm_exited || r->pidfd < 0) {
		r->exit_src = sd_event_source_disable_unref(r->exit_src);
		r->pidfd = safe_close(r->pidfd);
		return 0;
	}
	return launch_kill(r);
}

static int on_api_poll(sd_event_source *s, uint64_t usec, void *userdata);

static void on_api_ready(struct fc_api *api, const struct fc_api_result *res, void *userdata)
{
	struct run *r = userdata;

	r->fc_req = 0;
	if (res->r == 0 && res->status == 200) {
		run_advance(r);
		return;
	}
	if (now_usec() > r->deadline) {
		step_fail(r, res->r < 0 ? res->r : -EIO, "the VMM's API did not answer within %u s: %s",
				r->lc->cfg.vmm_api_timeout_sec, res->err.message);
		return;
	}
	if (r->vmm_exited) {
		step_fail(r, -ESRCH, "the VMM exited before its API answered");
		return;
	}
	sd_event_add_time_relative(r->lc->d->event, &r->timer, CLOCK_MONOTONIC, API_POLL_USEC, TIMER_ACCURACY_USEC,
			on_api_poll, r);
}

static int on_api_poll(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct run *r = userdata;
	int64_t id;

	struct fc_request req;

	r->timer = sd_event_source_disable_unref(r->timer);
	id = fc_request_instance_info(&req);
	if (id >= 0)
		id = fc_send(r, &req, 1000 * 1000, on_api_ready);
	if (id < 0)
		step_fail(r, (int)id, "cannot query the VMM: %s", strerror((int)-id));
	else
		r->fc_req = id;
	return 0;
}

static int step_socket(struct run *r)
{
	struct lifecycle *lc = r->lc;
	int k;

	k = layout_vm_sock_link(&lc->d->layout, r->vm_id, r->link, sizeof(r->link));
	if (k >= 0)
		k = mkdir_parents(lc->d->layout.vm_sock_dir, 0700);
	if (k < 0) {
		step_fail(r, k, "no socket link path: %s", strerror(-k));
		return k;
	}
	(void)unlink(r->link);
	/* AF_UNIX paths are 108 bytes; the chroot's socket path is longer, the link is short. */
	if (symlink(r->api_sock, r->link) < 0) {
		k = negative_errno();
		step_fail(r, k, "cannot link %s to %s: %m", r->link, r->api_sock);
		return k;
	}
	r->acquired |= 1u << STEP_SOCKET;
	r->deadline = now_usec() + (uint64_t)lc->cfg.vmm_api_timeout_sec * 1000000u;
	on_api_poll(NULL, 0, r);
	return 1;
}

static int undo_socket(struct run *r)
{
	if (r->link[0])
		(void)unlink(r->link);
	return 0;
}

static void on_configured(struct fc_api *api, const struct fc_api_result *res, void *userdata);

/* The boot configuration, one request after the other, as a Firecracker client sends it. */
static int configure_next(struct run *r)
{
	struct lifecycle *lc = r->lc;
	struct fc_request *req;
	char path[sizeof(req->path)];
	int64_t id;

	if (r->configure_idx >= r->n_boot_config)
		return 0;
	req = &r->boot_config[r->configure_idx];
	snprintf(path, sizeof(path), "%s", req->path);
	id = fc_send(r, req, (uint64_t)lc->cfg.vmm_api_timeout_sec * 1000000u, on_configured);
	if (id < 0) {
		step_fail(r, (int)id, "PUT %s: %s", path, strerror((int)-id));
		return (int)id;
	}
	r->fc_req = id;
	return 1;
}

static void on_configured(struct fc_api *api, const struct fc_api_result *res, void *userdata)
{
	struct run *r = userdata;
	int k;

	r->fc_req = 0;
	if (res->r < 0 || res->status >= 300) {
		step_fail(r, res->r < 0 ? res->r : -EINVAL, "%s", res->err.message);
		return;
	}
	r->configure_idx++;
	k = configure_next(r);
	if (k == 0)
		run_advance(r);
}

static int step_configure(struct run *r)
{
	struct lifecycle *lc = r->lc;
	struct vm *vm = run_vm(r);
	struct in_addr ip;
	char args[1024];
	int k;

	inet_pton(AF_INET, vm->ip, &ip);
	k = net_boot_args(&lc->cfg.subnet, ip, vm->name, lc->pubkey, args, sizeof(args));
	if (k < 0) {
		step_fail(r, k, "cannot build the kernel command line: %s", strerror(-k));
		return k;
	}
	k = fc_boot_config_requests(
			&(struct fc_boot_config){ .vcpus = vm->vcpus, .mem_size_mib = vm->memory_mib,
					.kernel = r->kernel_in_jail, .initrd = r->initrd_in_jail,
					.boot_args = args, .rootfs = r->drive_path, .tap = r->tap,
					.guest_mac = vm->mac },
			r->boot_config, &r->n_boot_config);
	if (k < 0) {
		step_fail(r, k, "cannot build the boot configuration: %s", strerror(-k));
		return k;
	}
	r->configure_idx = 0;
	return configure_next(r);
}

static void on_booted(struct fc_api *api, const struct fc_api_result *res, void *userdata)
{
	struct run *r = userdata;

	r->fc_req = 0;
	if (res->r < 0 || res->status >= 300) {
		step_fail(r, res->r < 0 ? res->r : -EINVAL, "%s", res->err.message);
		return;
	}
	run_advance(r);
}

static int step_boot(struct run *r)
{
	struct lifecycle *lc = r->lc;
	struct fc_request req;
	int64_t id;

	id = fc_request_action(FC_ACTION_INSTANCE_START, &req);
	if (id >= 0)
		id = fc_send(r, &req, (uint64_t)lc->cfg.vmm_api_timeout_sec * 1000000u, on_booted);
	if (id < 0) {
		step_fail(r, (int)id, "InstanceStart: %s", strerror((int)-id));
		return (int)id;
	}
	r->fc_req = id;
	/* From here the guest has ssh_timeout_sec to become reachable. */
	r->deadline = now_usec() + (uint64_t)lc->cfg.ssh_timeout_sec * 1000000u;
	return 1;
}

static int on_hostkey_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct run *r = userdata;

	r->timer = sd_event_source_disable_unref(r->timer);
	step_fail(r, -ETIMEDOUT,
			"the guest printed no \"%s\" line on its console within %u s (see banger vm logs)",
			SSH_HOSTKEY_MARKER, r->lc->cfg.ssh_timeout_sec);
	return 0;
}

static int pin_hostkey(struct run *r)
{
	struct vm *vm = run_vm(r);
	int k = ssh_known_hosts_pin(r->lc->ssh_dir, vm->ip, r->hostkey);

	if (k < 0) {
		step_fail(r, k, "cannot pin the guest's host key in known_hosts: %s", strerror(-k));
		return k;
	}
	return 0;
}

static int step_hostkey(struct run *r)
{
	uint64_t now = now_usec();

	if (r->hostkey_seen)
		return pin_hostkey(r);
	/* The console tick calls run_advance() when the line shows up. */
	sd_event_add_time_relative(r->lc->d->event, &r->timer, CLOCK_MONOTONIC,
			r->deadline > now ? r->deadline - now : 1, 0, on_hostkey_timeout, r);
	return 1;
}

static int ssh_try(struct run *r);

static int on_ssh_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct run *r = userdata;

	r->timer = sd_event_source_disable_unref(r->timer);
	ssh_try(r);
	return 0;
}

static void on_ssh(struct child *c, const struct child_result *res, void *userdata)
{
	struct run *r = userdata;
	struct vm *vm = run_vm(r);
	char boot_id[64] = "";
	size_t n;

	r->child = NULL;
	if (res->r == 0 && res->status == 0) {
		n = strspn(res->out, "0123456789abcdef-");
		if (n == 36) {
			memcpy(boot_id, res->out, 36);
			boot_id[36] = '\0';
		}
	}
	if (boot_id[0]) {
		snprintf(vm->boot_id, sizeof(vm->boot_id), "%s", boot_id);
		run_advance(r);
		return;
	}
	if (r->vmm_exited) {
		step_fail(r, -ESRCH, "the VMM exited while waiting for SSH");
		return;
	}
	if (now_usec() >= r->deadline) {
		step_fail(r, -ETIMEDOUT, "the guest did not answer SSH at %s within %u s (last: %s)",
				vm->ip, r->lc->cfg.ssh_timeout_sec,
				res->err[0] ? res->err : res->r < 0 ? strerror(-res->r) : "no boot id");
		return;
	}
	sd_event_add_time_relative(r->lc->d->event, &r->timer, CLOCK_MONOTONIC, SSH_RETRY_USEC, TIMER_ACCURACY_USEC,
			on_ssh_retry, r);
}

static int ssh_try(struct run *r)
{
	struct vm *vm = run_vm(r);
	const char *cmd[] = { "cat", "/proc/sys/kernel/random/boot_id", NULL };
	struct sshcmd sc;
	uint64_t now = now_usec(), left = r->deadline > now ? r->deadline - now : 0;
	int k;

	k = sshcmd_build(&sc, r->lc->ssh_dir, vm->ip, 1, 3, (char *const *)cmd);
	if (k >= 0)
		k = child_run(r->lc->d->event, sc.argv, -1, MIN(left + 1000000u, 15ull * 1000000u), on_ssh,
				r, &r->child);
	if (k < 0) {
		step_fail(r, k, "cannot run ssh: %s", strerror(-k));
		return k;
	}
	return 1;
}

static int step_ssh(struct run *r)
{
	return ssh_try(r);
}

static void on_synced(struct file_sync *s, void *userdata)
{
	struct run *r = userdata;
	run_advance(r);
}

static int step_file_sync(struct run *r)
{
	struct lifecycle *lc = r->lc;
	struct vm *vm = run_vm(r);
	int k;

	if (lc->cfg.n_sync == 0)
		return 0;
	file_sync_free(r->sync);
	r->sync = NULL;
	/* Refusals and copy failures are reported per path; the VM runs either way. */
	k = file_sync_start(lc->d->event, lc->d->owner.owner_home, lc->d->layout.root, lc->ssh_dir,
			vm->ip, (const char *const *)lc->cfg.sync, lc->cfg.n_sync, vm->name, on_synced, r,
			&r->sync);
	if (k < 0) {
		log_vm(LOG_WARNING, vm->name, "file_sync", "file_sync for %s did not run: %s", vm->name,
				strerror(-k));
		return 0;
	}
	return 1;
}

static const struct step_def steps[_STEP_MAX] = {
	[STEP_ADDRESS] = { "address", step_address, NULL },
	[STEP_BRIDGE] = { "bridge", step_bridge, NULL },
	[STEP_NAT] = { "nat", step_nat, NULL },
	[STEP_TAP] = { "tap", step_tap, undo_tap },
	[STEP_DISK] = { "disk", step_disk, undo_disk },
	[STEP_JAIL] = { "jail", step_jail, undo_jail },
	[STEP_LAUNCH] = { "launch", step_launch, undo_launch },
	[STEP_SOCKET] = { "api", step_socket, undo_socket },
	[STEP_CONFIGURE] = { "configure", step_configure, NULL },
	[STEP_BOOT] = { "boot", step_boot, NULL },
	[STEP_HOSTKEY] = { "hostkey", step_hostkey, NULL },
	[STEP_SSH] = { "ssh", step_ssh, NULL },
	[STEP_FILE_SYNC] = { "file_sync", step_file_sync, NULL },
};

/* ---- the machine --------------------------------------------------------------------------- */

static void run_running(struct run *r)
{
	struct lifecycle *lc = r->lc;
	struct vm *vm = run_vm(r);

	r->mode = RUN_RUNNING;
	r->have_timings = true;
	set_state(lc, vm, VM_STATE_RUNNING, "");
	rfc3339_now(vm->started_at, sizeof(vm->started_at));
	publish_updated(lc, vm); /* boot_id (set by the ssh step), started_at */
	daemon_publish(lc->d, "vm.boot_id",
			json_pack("{s:s, s:s, s:s}", "id", vm->id, "name", vm->name, "boot_id", vm->boot_id));
	handles_save(lc);
	/* the answer carries where the start's time went, step by step (µs) */
	for (size_t i = 0; i < r->n_start_waiters; i++) {
		json_t *o = vm_to_json(vm);
		if (o)
			json_object_set_new(o, "start_timings_us", lifecycle_timings(lc, vm));
		rpc_call_reply(r->start_waiters[i], o ? o : json_object());
	}
	r->n_start_waiters = 0;
}

/* Stops whatever is in flight and undoes every acquired step, top down; run_finish_unwind()
 * then records final_state and final_reason, which the caller has set. */
static void run_release(struct run *r)
{
	run_clear_pending(r);
	r->mode = RUN_UNWINDING;
	r->unwind_at = _STEP_MAX - 1;
	run_unwind(r);
}

/* A stop during a start: undo what the start acquired and end up stopped. */
static void run_abort_now(struct run *r)
{
	r->abort_requested = false;
	snprintf(r->final_reason, sizeof(r->final_reason), "stopped during start");
	r->final_state = VM_STATE_STOPPED;
	run_release(r);
}

static void run_advance(struct run *r)
{
	uint64_t now = now_usec();

	if (r->mode != RUN_STARTING)
		return;
	/* the step that just finished */
	r->timings[r->step] = now - r->step_started;
	if (steps[r->step].undo)
		r->acquired |= 1u << r->step;
	if (r->abort_requested) {
		run_abort_now(r);
		return;
	}
	for (;;) {
		int k;

		if (r->step + 1 >= _STEP_MAX) {
			run_running(r);
			return;
		}
		r->step++;
		r->step_started = now_usec();
		k = steps[r->step].run(r);
		/* A request that went out may have done its work even if its answer never comes
		 * back (bangerd-root killed mid-way): from now on a failure undoes it. */
		if (k > 0 && steps[r->step].undo)
			r->acquired |= 1u << r->step;
		if (k != 0)
			return; /* in flight (1) or failed (<0, already unwinding) */
		r->timings[r->step] = now_usec() - r->step_started;
		if (steps[r->step].undo)
			r->acquired |= 1u << r->step;
	}
}

static void step_fail(struct run *r, int err, const char *fmt, ...)
{
	struct vm *vm = run_vm(r);
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	run_clear_pending(r);
	if (r->fail_code == RPC_ERROR_INTERNAL || r->fail_code < 0)
		r->fail_code = rpc_error_code_from_errno(err);
	if (r->abort_requested) {
		/* a stop was waiting for this step anyway: stopped, not error */
		log_vm(LOG_INFO, vm ? vm->name : r->vm_id, steps[r->step].name,
				"VM %s: step \"%s\" failed while stopping: %s", vm ? vm->name : r->vm_id,
				steps[r->step].name, msg);
		run_abort_now(r);
		return;
	}
	snprintf(r->final_reason, sizeof(r->final_reason), "start failed at step \"%s\": %s",
			steps[r->step].name, msg);
	r->final_state = VM_STATE_ERROR;
	log_vm(LOG_ERR, vm ? vm->name : r->vm_id, steps[r->step].name, "VM %s: %s",
			vm ? vm->name : r->vm_id, r->final_reason);
	run_release(r);
}

static void run_finish_unwind(struct run *r)
{
	struct lifecycle *lc = r->lc;
	struct vm *vm = run_vm(r);
	struct rpc_error e;
	bool restart = r->restart_after && r->final_state == VM_STATE_STOPPED;

	r->mode = RUN_IDLE;
	r->acquired = 0;
	r->undo_backoff = 0;
	run_clear_pending(r);
	r->exit_src = sd_event_source_disable_unref(r->exit_src);
	r->pidfd = safe_close(r->pidfd);
	r->vmm_pid = 0;
	r->launch_sent = 0;
	if (!vm) {
		run_free(r);
		return;
	}
	{
		struct vm before = *vm;
		vm->pid = 0;
		vm->started_at[0] = '\0';
		vm->halted = false;
		if (!streq(before.started_at, "") || before.pid != 0 || before.halted)
			publish_updated(lc, vm);
	}
	if (r->keep_record_state) {
		/* an orphan's VMM and jail are gone: the record said the truth about the rest */
		r->keep_record_state = false;
		r->final_state = vm->state;
		snprintf(r->final_reason, sizeof(r->final_reason), "%s", vm->reason);
	}
	if (vm->state != r->final_state || !streq(vm->reason, r->final_reason))
		set_state(lc, vm, r->final_state, r->final_reason);
	handles_save(lc);
	rpc_error_set(&e, 0, r->final_state == VM_STATE_ERROR ? r->fail_code : RPC_ERROR_CONFLICT,
			"VM %s: %s", vm->name, r->final_reason);
	answer_waiters(r->stop_waiters, &r->n_stop_waiters, vm, NULL);
	if (r->delete_after) {
		struct rpc_call *waiters[MAX_WAITERS];
		size_t n = r->n_delete_waiters;
		struct rpc_error derr = {};
		json_t *res = NULL;
		int k;

		r->delete_after = false;
		answer_waiters(r->start_waiters, &r->n_start_waiters, NULL, &e);
		memcpy(waiters, r->delete_waiters, n * sizeof(*waiters));
		r->n_delete_waiters = 0;
		/* frees vm and, through lifecycle_forget(), r: touch neither afterwards */
		k = daemon_vm_remove(lc->d, vm, &res, &derr);
		for (size_t i = 0; i < n; i++) {
			if (k < 0)
				rpc_call_fail(waiters[i], &derr);
			else
				rpc_call_reply(waiters[i], json_incref(res));
		}
		json_decref(res);
		return;
	}
	r->restart_after = false;
	if (restart) {
		/* the restart's callers wait on in start_waiters for the new start */
		struct rpc_error serr;
		if (lifecycle_start(lc, vm, NULL, &serr) < 0)
			answer_waiters(r->start_waiters, &r->n_start_waiters, NULL, &serr);
		return;
	}
	answer_waiters(r->start_waiters, &r->n_start_waiters, NULL, &e);
}

/* Undoes acquired steps from the top down; each undo may be asynchronous. */
static void run_unwind(struct run *r)
{
	while (r->unwind_at >= 0) {
		int s = r->unwind_at--;
		if (!(r->acquired & (1u << s)) || !steps[s].undo)
			continue;
		r->acquired &= ~(1u << s);
		r->undoing = s;
		if (steps[s].undo(r) > 0)
			return; /* continues from the undo's callback */
	}
	run_finish_unwind(r);
}

/* ---- VMM exit, stop ------------------------------------------------------------------------- */

static int on_vmm_exit(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct run *r = userdata;
	struct vm *vm = run_vm(r);

	r->vmm_exited = true;
	r->exit_src = sd_event_source_disable_unref(r->exit_src);
	r->pidfd = safe_close(r->pidfd);
	switch (r->mode) {
	case RUN_RUNNING:
		/* The guest powered off or rebooted (reboot=k: the VMM exits), or the VMM died. */
		snprintf(r->final_reason, sizeof(r->final_reason),
				"the VMM (pid %d) exited: the guest powered off or rebooted", r->vmm_pid);
		r->final_state = VM_STATE_STOPPED;
		if (vm)
			log_vm(LOG_INFO, vm->name, "exit", "VM %s: %s", vm->name, r->final_reason);
		run_release(r);
		break;
	case RUN_STARTING:
		step_fail(r, -ESRCH, "the VMM (pid %d) exited during start", r->vmm_pid);
		break;
	case RUN_STOPPING:
		run_release(r);
		break;
	case RUN_UNWINDING:
		kill_continue(r); /* undo_launch's kill landed */
		break;
	case RUN_IDLE:
	case _RUN_MODE_MAX:
	case _RUN_MODE_INVALID:
		break;
	}
	return 0;
}

static void send_signal(struct run *r, const char *sig);

static int on_stop_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct run *r = userdata;

	r->timer = sd_event_source_disable_unref(r->timer);
	send_signal(r, r->signal_stage == 0 ? "TERM" : "KILL");
	return 0;
}

static void on_signal_sent(struct helper_client *h, int k, json_t *result, const struct rpc_error *err,
		void *userdata)
{
	struct run *r = userdata;
	struct vm *vm = run_vm(r);

	if (r->lc->freeing || r->mode != RUN_STOPPING)
		return;
	if (!helper_answered(k)) {
		/* nothing was sent: send the same signal again once bangerd-root answers, rather
		 * than escalate, or give up on a VMM that was never told */
		log_vm(LOG_WARNING, vm->name, "stop", "Cannot signal the VMM of %s yet: %s", vm->name,
				err ? err->message : strerror(-k));
		r->timer = sd_event_source_disable_unref(r->timer);
		sd_event_add_time_relative(r->lc->d->event, &r->timer, CLOCK_MONOTONIC,
				UNDO_RETRY_MAX_USEC / 5, 0, on_stop_timeout, r);
		return;
	}
	if (k < 0 && err && err->code == RPC_ERROR_NOT_FOUND) {
		/* no such VMM any more: the exit source may not have fired yet, but nothing runs */
		r->vmm_exited = true;
		on_vmm_exit(NULL, -1, 0, r);
		return;
	}
	if (k < 0)
		log_vm(LOG_WARNING, vm->name, "stop", "Signalling the VMM of %s failed: %s", vm->name,
				err ? err->message : strerror(-k));
	r->signal_stage++;
	if (r->signal_stage <= 2)
		sd_event_add_time_relative(r->lc->d->event, &r->timer, CLOCK_MONOTONIC, KILL_GRACE_USEC,
				0, on_stop_timeout, r);
	else {
		/* Even SIGKILL through the helper did not end it: release what we can. */
		snprintf(r->final_reason, sizeof(r->final_reason),
				"the VMM (pid %d) did not exit after SIGKILL", r->vmm_pid);
		r->final_state = VM_STATE_ERROR;
		run_release(r);
	}
}

static void send_signal(struct run *r, const char *sig)
{
	struct vm *vm = run_vm(r);

	log_vm(LOG_INFO, vm->name, "stop", "VM %s: sending SIG%s to the VMM (pid %d)", vm->name, sig,
			r->vmm_pid);
	if (helper_call_proc_signal(&r->lc->hp,
			    &(struct helper_req_proc_signal){ .vm_id = r->vm_id, .signal = sig,
					    .has_pid = true, .pid = r->vmm_pid },
			    on_signal_sent, r) < 0)
		on_signal_sent(r->lc->helper, -ENOMEM, NULL, NULL, r);
}

static void on_ctrl_alt_del(struct fc_api *api, const struct fc_api_result *res, void *userdata)
{
	struct run *r = userdata;
	struct vm *vm = run_vm(r);

	r->fc_req = 0;
	if (r->mode != RUN_STOPPING)
		return;
	if (res->r < 0 || res->status >= 300) {
		log_vm(LOG_WARNING, vm->name, "stop", "VM %s: SendCtrlAltDel failed (%s); signalling",
				vm->name, res->err.message);
		r->timer = sd_event_source_disable_unref(r->timer);
		send_signal(r, "TERM");
	}
}

static void stop_begin(struct run *r, const char *reason)
{
	struct lifecycle *lc = r->lc;
	struct vm *vm = run_vm(r);
	struct fc_request req;

	r->mode = RUN_STOPPING;
	r->signal_stage = 0;
	r->final_state = VM_STATE_STOPPED;
	snprintf(r->final_reason, sizeof(r->final_reason), "%s", reason);
	set_state(lc, vm, VM_STATE_STOPPING, "");
	if (r->vmm_exited || r->pidfd < 0) {
		run_release(r);
		return;
	}
	if (vm->halted) {
		/* a halted guest hears no Ctrl-Alt-Del: do not make the user wait for it */
		send_signal(r, "TERM");
		return;
	}
	r->fc_req = fc_request_action(FC_ACTION_SEND_CTRL_ALT_DEL, &req);
	if (r->fc_req >= 0)
		r->fc_req = fc_send(r, &req, 5 * 1000 * 1000, on_ctrl_alt_del);
	sd_event_add_time_relative(lc->d->event, &r->timer, CLOCK_MONOTONIC,
			(uint64_t)lc->cfg.stop_timeout_sec * 1000000u, 0, on_stop_timeout, r);
}

/* ---- console ------------------------------------------------------------------------------- */

/* Console bytes as a JSON string: invalid UTF-8 and NULs become U+FFFD, so a guest that prints
 * garbage cannot make the daemon send invalid JSON. */
static json_t *console_json_string(const char *line, size_t len)
{
	json_t *j = memchr(line, '\0', len) ? NULL : json_stringn(line, len);
	char *buf;
	size_t o = 0;

	if (j)
		return j;
	buf = malloc(len * 3 + 1);
	if (!buf)
		return NULL;
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)line[i];
		size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
		bool ok = n > 0 && c != 0 && i + n <= len;
		for (size_t k = 1; ok && k < n; k++)
			ok = ((unsigned char)line[i + k] >> 6) == 2;
		if (ok && n > 1 && json_stringn(line + i, n) == NULL)
			ok = false; /* overlong or surrogate: let jansson's validator decide */
		if (ok) {
			memcpy(buf + o, line + i, n);
			o += n;
			i += n;
		} else {
			memcpy(buf + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	j = json_stringn(buf, o);
	free(buf);
	return j;
}

static void on_console_line(const char *line, size_t len, uint64_t no, void *userdata)
{
	struct run *r = userdata;
	int k;

	/* The guest's kernel says so on its serial console, whichever VMM runs it: the Firecracker
	 * API has no "halted" state, and QEMU's own status stays "running" with halted vCPUs. */
	if (strstr(line, GUEST_HALTED_MARKER))
		r->halt_seen = true;
	if (!r->hostkey_seen && strstr(line, SSH_HOSTKEY_MARKER)) {
		k = ssh_hostkey_from_console_line(line, r->hostkey, sizeof(r->hostkey));
		if (k > 0) {
			r->hostkey_seen = true;
			if (r->mode == RUN_STARTING && r->step == STEP_HOSTKEY) {
				r->timer = sd_event_source_disable_unref(r->timer);
				if (pin_hostkey(r) >= 0)
					run_advance(r);
			}
		}
	}
	if (r->lines_this_tick >= CONSOLE_LINES_PER_TICK) {
		if (r->dropped == 0)
			r->dropped_first = no;
		r->dropped++;
		return;
	}
	r->lines_this_tick++;
	if (!r->batch) {
		r->batch = json_array();
		r->batch_first = no;
	}
	if (r->batch)
		json_array_append_new(r->batch, console_json_string(line, len));
}

static void console_flush(struct run *r)
{
	struct vm *vm = run_vm(r);

	if (!vm)
		return;
	if (r->dropped) {
		/* dropped lines come after the published ones of this tick */
		if (r->batch)
			daemon_publish(r->lc->d, "vm.log",
					json_pack("{s:s, s:s, s:I, s:o}", "id", vm->id, "name", vm->name,
							"first_line", (json_int_t)r->batch_first, "lines",
							TAKE_PTR(r->batch)));
		daemon_publish(r->lc->d, "vm.log_dropped",
				json_pack("{s:s, s:s, s:I, s:I}", "id", vm->id, "name", vm->name, "first_line",
						(json_int_t)r->dropped_first, "count", (json_int_t)r->dropped));
		r->dropped = 0;
	} else if (r->batch)
		daemon_publish(r->lc->d, "vm.log",
				json_pack("{s:s, s:s, s:I, s:o}", "id", vm->id, "name", vm->name, "first_line",
						(json_int_t)r->batch_first, "lines", TAKE_PTR(r->batch)));
	r->lines_this_tick = 0;
}

/* The guest halted (`halt`, or a kernel that stops without powering off): its VMM keeps running a
 * machine that will never do anything again. It is not stopped behind the user's back — the
 * record says so (halted, with the reason) and a stop goes straight to SIGTERM. During a start
 * there is nothing to wait for: the start fails at once. */
static void guest_halted(struct run *r)
{
	struct vm *vm = run_vm(r);

	if (!vm)
		return;
	if (r->mode == RUN_STARTING && r->step >= STEP_BOOT) {
		step_fail(r, -EHOSTDOWN, "the guest halted during boot (its console says \"%s\")",
				GUEST_HALTED_MARKER);
		return;
	}
	if (r->mode != RUN_RUNNING || vm->halted)
		return;
	vm->halted = true;
	snprintf(vm->reason, sizeof(vm->reason),
			"the guest halted (its console says \"%s\"); its VMM still holds its memory, "
			"tap and disk: stop it to release them", GUEST_HALTED_MARKER);
	log_vm(LOG_WARNING, vm->name, "halt", "VM %s: %s", vm->name, vm->reason);
	publish_updated(r->lc, vm);
}

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct lifecycle *lc = userdata;
	char path[PATH_MAX];

	for (struct run *r = lc->runs, *next; r; r = next) {
		next = r->next;
		if (!r->console_open)
			continue;
		/* A line that does not fit utf-8 still goes out: jansson needs valid strings. */
		(void)console_log_read(&r->console, on_console_line, r);
		if (layout_vm_file(&lc->d->layout, r->vm_id, "console.log", path, sizeof(path)) >= 0)
			(void)console_log_rotate(&r->console, path, (off_t)lc->cfg.console_max_bytes,
					on_console_line, r);
		console_flush(r);
		if (r->halt_seen) {
			r->halt_seen = false;
			guest_halted(r);
		}
		if (r->mode == RUN_IDLE) {
			/* stopped: the last lines are out, stop following */
			run_close_console(r);
		}
	}
	sd_event_source_set_time_relative(s, CONSOLE_TICK_USEC);
	return 0;
}

/* ---- handles.json: what reconcile needs to find again ------------------------------------------ */

static int handles_save(struct lifecycle *lc)
{
	struct handles_file h = {};
	int k = 0;

	for (struct run *r = lc->runs; r && k >= 0; r = r->next) {
		struct vm_handles v = { .pid = r->vmm_pid, .next_line = r->console.next_line };

		if (r->mode == RUN_IDLE)
			continue;
		snprintf(v.vm_id, sizeof(v.vm_id), "%s", r->vm_id);
		snprintf(v.tap, sizeof(v.tap), "%s", r->tap);
		snprintf(v.chroot, sizeof(v.chroot), "%s", r->jail_root);
		snprintf(v.api_sock, sizeof(v.api_sock), "%s", r->api_sock);
		snprintf(v.link, sizeof(v.link), "%s", r->link);
		snprintf(v.disk_kind, sizeof(v.disk_kind), "%s", r->disk_kind);
		snprintf(v.device, sizeof(v.device), "%s", r->device);
		k = handles_file_add(&h, &v);
	}
	if (k >= 0)
		k = handles_file_save(lc->d->layout.handles_json, &h);
	handles_file_done(&h);
	/* retried until it lands (the pids in it are what a later daemon looks for) */
	if (k < 0)
		save_retry_file(lc->d, "handles.json", handles_retry, lc, k);
	else
		save_retry_forget_file(lc->d, lc);
	return k;
}

static int handles_retry(void *userdata)
{
	return handles_save(userdata);
}

/* ---- public ----------------------------------------------------------------------------------- */

int lifecycle_new(struct daemon *d, const struct banger_config *cfg, struct lifecycle **ret)
{
	struct lifecycle *lc = calloc(1, sizeof(*lc));
	int k;

	if (!lc)
		return -ENOMEM;
	lc->d = d;
	lc->cfg = *cfg;
	lc->cfg.n_sync = 0; /* the copy below owns its strings */
	for (size_t i = 0; i < cfg->n_sync; i++) {
		lc->cfg.sync[i] = strdup(cfg->sync[i]);
		if (!lc->cfg.sync[i]) {
			k = -ENOMEM;
			goto fail;
		}
		lc->cfg.n_sync++;
	}
	k = child_init();
	if (k < 0)
		goto fail;
	k = fc_api_new(d->event, &lc->api);
	if (k < 0)
		goto fail;
	k = helper_client_new(d->event, d->layout.root_sock, &lc->helper);
	if (k < 0)
		goto fail;
	lc->hp = helper_client_port(lc->helper);
	k = layout_ssh_dir(&d->layout, d->owner.owner_home, lc->ssh_dir, sizeof(lc->ssh_dir));
	if (k < 0)
		goto fail;
	k = ssh_key_ensure(lc->ssh_dir, &lc->pubkey);
	if (k < 0) {
		log_error_errno(k, "Failed to create the owner's SSH key in %s: %s", lc->ssh_dir,
				strerror(-k));
		goto fail;
	}
	k = sd_event_add_time_relative(d->event, &lc->tick, CLOCK_MONOTONIC, CONSOLE_TICK_USEC,
			10 * TIMER_ACCURACY_USEC, on_tick, lc);
	if (k < 0)
		goto fail;
	sd_event_source_set_enabled(lc->tick, SD_EVENT_ON);
	*ret = lc;
	return 0;
fail:
	lifecycle_free(lc);
	return k;
}

struct lifecycle *lifecycle_free(struct lifecycle *lc)
{
	if (!lc)
		return NULL;
	save_retry_forget_file(lc->d, lc);
	/* pending helper calls fail now, while their runs exist, and find them ignoring it */
	lc->freeing = true;
	lc->helper = helper_client_free(lc->helper);
	while (lc->runs) {
		struct run *r = lc->runs;
		struct rpc_error e;
		rpc_error_set(&e, 0, RPC_ERROR_UNAVAILABLE, "bangerd is shutting down");
		answer_waiters(r->start_waiters, &r->n_start_waiters, NULL, &e);
		answer_waiters(r->stop_waiters, &r->n_stop_waiters, NULL, &e);
		run_free(r);
	}
	sd_event_source_disable_unref(lc->tick);
	sd_event_source_disable_unref(lc->readopt_retry);
	fc_api_free(lc->api);
	free(lc->pubkey);
	config_done(&lc->cfg);
	free(lc);
	return NULL;
}

bool lifecycle_follows(struct lifecycle *lc, const struct vm *vm)
{
	struct run *r = run_find(lc, vm->id);
	return r && r->mode == RUN_RUNNING;
}

static int port_call(void *data, const char *op, json_t *params, const struct helper_fds *fds,
		helper_done_t done, void *userdata)
{
	struct lifecycle *lc = data;

	if (lc->freeing) {
		json_decref(params);
		return -ESHUTDOWN;
	}
	return lc->hp.call(lc->hp.data, op, params, fds, done, userdata);
}

struct helper_port lifecycle_helper_port(struct lifecycle *lc)
{
	return (struct helper_port){ .call = port_call, .data = lc };
}

bool lifecycle_busy(struct lifecycle *lc, const struct vm *vm)
{
	struct run *r = run_find(lc, vm->id);
	return r && (r->mode == RUN_STARTING || r->mode == RUN_STOPPING || r->mode == RUN_UNWINDING);
}

int lifecycle_start(struct lifecycle *lc, struct vm *vm, struct rpc_call *call, struct rpc_error *err)
{
	struct run *r;
	int k;

	r = run_get(lc, vm->id);
	if (!r)
		return rpc_error_set(err, -ENOMEM, RPC_ERROR_INTERNAL, "Out of memory");
	switch (r->mode) {
	case RUN_STARTING:
		/* a second client asking for the same start waits for the same outcome */
		return add_waiter(r->start_waiters, &r->n_start_waiters, call, err) < 0 ? -EBUSY
											 : RPC_REPLY_LATER;
	case RUN_RUNNING:
		return rpc_error_set(err, -EALREADY, RPC_ERROR_CONFLICT, "VM \"%s\" is already running",
				vm->name);
	case RUN_STOPPING:
	case RUN_UNWINDING:
		return rpc_error_set(err, -EBUSY, RPC_ERROR_CONFLICT,
				"VM \"%s\" is stopping; start it again once it is stopped", vm->name);
	case RUN_IDLE:
	case _RUN_MODE_MAX:
	case _RUN_MODE_INVALID:
		break;
	}
	if (vm->state == VM_STATE_RUNNING || vm->state == VM_STATE_STARTING ||
			vm->state == VM_STATE_STOPPING) {
		/* its re-adoption waits for bangerd-root: a second VMM must not be started beside
		 * one that may run */
		(void)readopt_one(lc, vm, NULL);
		return rpc_error_set(err, -EAGAIN, RPC_ERROR_UNAVAILABLE,
				"VM \"%s\" is being re-adopted: bangerd-root has to say whether its VMM "
				"runs first; try again once it answers", vm->name);
	}
	if (!store_image_by_name(&lc->d->store, vm->image))
		return rpc_error_set(err, -ENOENT, RPC_ERROR_NOT_FOUND,
				"VM \"%s\" uses image \"%s\", which does not exist (banger image list)",
				vm->name, vm->image);
	k = add_waiter(r->start_waiters, &r->n_start_waiters, call, err);
	if (k < 0)
		return k;
	memset(r->timings, 0, sizeof(r->timings));
	r->acquired = 0;
	r->undo_backoff = 0;
	r->vmm_pid = 0;
	r->vmm_exited = false;
	r->launch_sent = 0;
	r->launch_answered = false;
	r->keep_record_state = false;
	r->fail_code = RPC_ERROR_INTERNAL;
	r->abort_requested = false;
	r->mode = RUN_STARTING;
	r->step = STEP_ADDRESS;
	r->final_reason[0] = '\0';
	vm->boot_id[0] = '\0';
	vm->halted = false;
	set_state(lc, vm, VM_STATE_STARTING, "");
	/* Step 0 runs from here; run_advance() picks up the rest. */
	r->step_started = now_usec();
	k = steps[STEP_ADDRESS].run(r);
	if (k == 0)
		run_advance(r);
	return RPC_REPLY_LATER;
}

int lifecycle_stop(struct lifecycle *lc, struct vm *vm, struct rpc_call *call, struct rpc_error *err)
{
	struct run *r = run_find(lc, vm->id);
	int k;

	if (!r || r->mode == RUN_IDLE) {
		if (vm->state == VM_STATE_RUNNING || vm->state == VM_STATE_STARTING ||
				vm->state == VM_STATE_STOPPING) {
			/* Nothing follows a record that says it runs only while its re-adoption waits
			 * for bangerd-root. Calling it stopped now would be a guess — and a VMM that
			 * does run would be re-adopted later, undoing the stop — so ask again. */
			(void)readopt_one(lc, vm, NULL);
			return rpc_error_set(err, -EAGAIN, RPC_ERROR_UNAVAILABLE,
					"VM \"%s\" is being re-adopted: bangerd-root has to say whether its VMM "
					"runs first; try again once it answers", vm->name);
		}
		return rpc_error_set(err, -EALREADY, RPC_ERROR_CONFLICT, "VM \"%s\" is not running (%s)",
				vm->name, vm_state_to_string(vm->state));
	}
	k = add_waiter(r->stop_waiters, &r->n_stop_waiters, call, err);
	if (k < 0)
		return k;
	switch (r->mode) {
	case RUN_STARTING:
		/* Abort the start. Waiting on the VMM's API, its console or SSH holds nothing that
		 * cannot be dropped at once; a helper call (or a resize of the disk) in flight is
		 * let finish, so what it creates is known and undone. */
		answer_waiters(r->start_waiters, &r->n_start_waiters, NULL,
				&(struct rpc_error){ RPC_ERROR_CONFLICT, "The start was cancelled by a stop" });
		set_state(lc, vm, VM_STATE_STOPPING, "");
		if (r->step >= STEP_SOCKET)
			run_abort_now(r);
		else
			r->abort_requested = true;
		break;
	case RUN_RUNNING:
		stop_begin(r, "");
		break;
	case RUN_STOPPING:
	case RUN_UNWINDING:
		if (r->restart_after) {
			/* the stop half of a restart: the user now wants it stopped, so it stays so */
			r->restart_after = false;
			snprintf(r->final_reason, sizeof(r->final_reason), "%s", "");
			answer_waiters(r->start_waiters, &r->n_start_waiters, NULL,
					&(struct rpc_error){ RPC_ERROR_CONFLICT,
							"The restart was cancelled by a stop" });
		}
		break; /* already on its way: this caller waits for the same end */
	case RUN_IDLE:
	case _RUN_MODE_MAX:
	case _RUN_MODE_INVALID:
		break;
	}
	return RPC_REPLY_LATER;
}

int lifecycle_delete(struct lifecycle *lc, struct vm *vm, struct rpc_call *call, struct rpc_error *err)
{
	struct run *r = run_find(lc, vm->id);
	int k;

	if (!r || r->mode == RUN_IDLE) {
		if (vm->state == VM_STATE_RUNNING || vm->state == VM_STATE_STARTING ||
				vm->state == VM_STATE_STOPPING)
			set_state(lc, vm, VM_STATE_STOPPED, "no VMM was running");
		return 0;
	}
	k = add_waiter(r->delete_waiters, &r->n_delete_waiters, call, err);
	if (k < 0)
		return k;
	r->delete_after = true;
	r->restart_after = false;
	if (r->mode == RUN_RUNNING || r->mode == RUN_STARTING) {
		k = lifecycle_stop(lc, vm, NULL, err);
		if (k < 0 && k != RPC_REPLY_LATER)
			return k;
	}
	return RPC_REPLY_LATER;
}

int lifecycle_restart(struct lifecycle *lc, struct vm *vm, struct rpc_call *call,
		struct rpc_error *err)
{
	struct run *r = run_find(lc, vm->id);

	if (!r || r->mode == RUN_IDLE)
		return lifecycle_start(lc, vm, call, err);
	if (r->mode != RUN_RUNNING)
		return rpc_error_set(err, -EBUSY, RPC_ERROR_CONFLICT,
				"VM \"%s\" is %s; restart it once that is done", vm->name,
				vm_state_to_string(vm->state));
	/* The caller hears back when the new start finishes. */
	if (add_waiter(r->start_waiters, &r->n_start_waiters, call, err) < 0)
		return -EBUSY;
	r->restart_after = true;
	stop_begin(r, "restarting");
	return RPC_REPLY_LATER;
}

void lifecycle_forget(struct lifecycle *lc, struct vm *vm)
{
	struct run *r = run_find(lc, vm->id);

	if (vm->ip[0])
		(void)ssh_known_hosts_forget(lc->ssh_dir, vm->ip);
	if (r && r->mode == RUN_IDLE)
		run_free(r);
}

uint64_t lifecycle_next_line(struct lifecycle *lc, const struct vm *vm)
{
	struct run *r = run_find(lc, vm->id);
	char path[PATH_MAX];

	if (r && r->console_open) {
		/* catch up first, so the file's complete lines and the numbering agree (the lines
		 * read here go out as vm.log at the next tick, numbered from here on) */
		(void)console_log_read(&r->console, on_console_line, r);
		return r->console.next_line;
	}
	if (layout_vm_file(&lc->d->layout, vm->id, "console.log", path, sizeof(path)) < 0)
		return 1;
	return count_lines(path) + 1;
}

json_t *lifecycle_timings(struct lifecycle *lc, const struct vm *vm)
{
	struct run *r = run_find(lc, vm->id);
	json_t *o;

	if (!r || !r->have_timings)
		return NULL;
	o = json_object();
	for (int s = 0; o && s < _STEP_MAX; s++)
		json_object_set_new(o, steps[s].name, json_integer((json_int_t)r->timings[s]));
	return o;
}

/* ---- re-adoption after a daemon restart ------------------------------------------------------ */

/* What the processes say wins over what the record says: a record is only a daemon's last word,
 * and that word may not have reached the disk (a full state directory), or may be from a daemon
 * killed half-way through a start. A live VMM whose guest has booted is never killed for it. */

static int on_readopt_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct lifecycle *lc = userdata;

	lc->readopt_retry = sd_event_source_disable_unref(lc->readopt_retry);
	lifecycle_readopt(lc);
	return 0;
}

static void readopt_console(struct run *r)
{
	char path[PATH_MAX];

	if (r->console_open)
		return;
	if (layout_vm_file(&r->lc->d->layout, r->vm_id, "console.log", path, sizeof(path)) >= 0 &&
			console_log_open(&r->console, path, 0,
					r->console.next_line ? r->console.next_line : count_lines(path) + 1) >= 0)
		r->console_open = true;
}

/* A running VM's VMM still runs: follow it again. */
static void readopt_running(struct run *r)
{
	struct vm *vm = run_vm(r);

	r->mode = RUN_RUNNING;
	r->vmm_exited = false;
	/* what a start acquires, so a later stop releases it all */
	r->acquired = ACQUIRED_BY_START;
	readopt_console(r);
	if (vm->pid != r->vmm_pid) {
		vm->pid = r->vmm_pid;
		publish_updated(r->lc, vm);
	}
	log_vm(LOG_INFO, vm->name, "reconcile", "Re-adopted VM %s (VMM pid %d)", vm->name, r->vmm_pid);
}

/* The host key of the guest's current boot, if its console printed it already: the first
 * "banger-hostkey:" line after the last kernel banner in the console log. */
static void readopt_hostkey(struct run *r)
{
	char path[PATH_MAX], **lines = NULL;
	size_t n = 0, boot = 0;

	r->hostkey_seen = false;
	if (layout_vm_file(&r->lc->d->layout, r->vm_id, "console.log", path, sizeof(path)) < 0 ||
			console_log_tail(path, 5000, &lines, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++)
		if (strstr(lines[i], "Linux version "))
			boot = i;
	for (size_t i = boot; i < n && !r->hostkey_seen; i++)
		if (strstr(lines[i], SSH_HOSTKEY_MARKER) &&
				ssh_hostkey_from_console_line(lines[i], r->hostkey, sizeof(r->hostkey)) > 0)
			r->hostkey_seen = true;
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
}

/* A start an earlier daemon did not finish (or whose "running" never reached the disk), with a
 * guest that booted: take the start over from the host key, so it ends running with its boot
 * id read, or fails (and is released) the way a start does. */
static void readopt_resume(struct run *r)
{
	struct lifecycle *lc = r->lc;
	struct vm *vm = run_vm(r);
	uint64_t now = now_usec();
	int k;

	r->mode = RUN_STARTING;
	r->vmm_exited = false;
	r->acquired = ACQUIRED_BY_START;
	r->fail_code = RPC_ERROR_INTERNAL;
	r->abort_requested = false;
	r->keep_record_state = false;
	memset(r->timings, 0, sizeof(r->timings));
	readopt_console(r);
	readopt_hostkey(r);
	vm->boot_id[0] = '\0';
	vm->pid = r->vmm_pid;
	log_vm(LOG_INFO, vm->name, "reconcile",
			"VM %s: its VMM (pid %d) runs a booted guest although the record says %s; "
			"finishing its start", vm->name, r->vmm_pid, vm_state_to_string(vm->state));
	if (vm->state != VM_STATE_STARTING)
		set_state(lc, vm, VM_STATE_STARTING, "its VMM was found running a booted guest");
	else
		publish_updated(lc, vm);
	r->step = STEP_HOSTKEY;
	r->step_started = now;
	r->deadline = now + (uint64_t)lc->cfg.ssh_timeout_sec * 1000000u;
	k = steps[STEP_HOSTKEY].run(r);
	if (k == 0)
		run_advance(r);
}

/* Nothing to keep: release what the VM holds (killing a VMM that runs) and mark it stopped, or,
 * for an orphan whose record already said it was not running, leave the record as it was. */
static void readopt_release(struct run *r, const char *reason)
{
	snprintf(r->final_reason, sizeof(r->final_reason), "%s", reason);
	r->final_state = VM_STATE_STOPPED;
	r->acquired = ACQUIRED_BY_START;
	run_release(r);
}

static void on_readopt_api(struct fc_api *api, const struct fc_api_result *res, void *userdata)
{
	struct run *r = userdata;
	const char *st = res->r == 0 && res->status == 200
				 ? json_string_value(json_object_get(res->body, "state"))
				 : NULL;

	r->fc_req = 0;
	if (st && streq(st, "Running") && r->n_stop_waiters == 0 && !r->delete_after &&
			!r->vmm_exited) {
		readopt_resume(r);
		return;
	}
	readopt_release(r, st ? "the daemon restarted while the VM was starting, before its guest booted"
			      : "the daemon restarted while the VM was starting, and its VMM does not answer");
}

static void on_found(struct helper_client *h, int k, json_t *result, const struct rpc_error *err,
		void *userdata)
{
	struct run *r = userdata;
	struct lifecycle *lc = r->lc;
	struct vm *vm = run_vm(r);
	json_t *pid = k == 0 ? json_object_get(result, "pid") : NULL;
	bool alive;

	if (lc->freeing)
		return;
	if (!vm) {
		run_free(r);
		return;
	}
	if (!helper_answered(k) || (err && err->code == RPC_ERROR_UNAVAILABLE)) {
		/* Without the helper nothing can be known about the VMM: leave the record as it is
		 * and ask again shortly. */
		log_vm(LOG_WARNING, vm->name, "reconcile",
				"Cannot re-adopt VM %s yet: %s; retrying every 5 s", vm->name,
				err ? err->message : strerror(-k));
		r->mode = RUN_IDLE;
		r->keep_record_state = false;
		if (!lc->readopt_retry)
			(void)sd_event_add_time_relative(lc->d->event, &lc->readopt_retry, CLOCK_MONOTONIC,
					5 * 1000 * 1000, 0, on_readopt_retry, lc);
		return;
	}
	alive = json_is_integer(pid);
	r->vmm_exited = !alive;
	if (alive) {
		r->vmm_pid = (int)json_integer_value(pid);
		r->pidfd = (int)syscall(SYS_pidfd_open, r->vmm_pid, 0);
		if (r->pidfd < 0 ||
				sd_event_add_io(lc->d->event, &r->exit_src, r->pidfd, EPOLLIN, on_vmm_exit, r) < 0) {
			r->pidfd = safe_close(r->pidfd);
			alive = false;
		}
	}
	if (alive && vm->state == VM_STATE_RUNNING) {
		readopt_running(r);
		return;
	}
	if (alive && vm->state != VM_STATE_STOPPING && r->n_stop_waiters == 0 && !r->delete_after) {
		/* Caught half-way through a start, or a record that never heard it ran: a booted
		 * guest is kept, one whose start had not reached InstanceStart is not. */
		struct fc_request req;
		int64_t id = fc_request_instance_info(&req);

		if (id >= 0)
			id = fc_send(r, &req, 2 * 1000 * 1000, on_readopt_api);
		if (id > 0) {
			r->fc_req = id;
			return;
		}
	}
	readopt_release(r, !alive ? "its VMM was no longer running when the daemon started"
			   : vm->state == VM_STATE_STOPPING ? "the daemon restarted while the VM was stopping"
							    : "a stop was asked for while it was re-adopted");
}

/* Asks the helper about vm's VMM and re-adopts, finishes or releases it. */
static int readopt_one(struct lifecycle *lc, struct vm *vm, const struct vm_handles *h)
{
	struct run *r = run_find(lc, vm->id);

	if (r && r->mode != RUN_IDLE)
		return -EBUSY; /* being handled (a retry racing a start, or a live run) */
	r = run_get(lc, vm->id);
	if (!r)
		return -ENOMEM;
	(void)net_tap_name(vm->id, r->tap);
	if (h) {
		snprintf(r->jail_root, sizeof(r->jail_root), "%s", h->chroot);
		snprintf(r->api_sock, sizeof(r->api_sock), "%s", h->api_sock);
		snprintf(r->disk_kind, sizeof(r->disk_kind), "%s", h->disk_kind);
		snprintf(r->device, sizeof(r->device), "%s", h->device);
		r->console.next_line = h->next_line;
	}
	(void)layout_vm_sock_link(&lc->d->layout, vm->id, r->link, sizeof(r->link));
	r->keep_record_state = vm_state_is_inactive(vm->state);
	r->mode = RUN_UNWINDING; /* busy until proc.find answers */
	if (helper_call_proc_find(&lc->hp, &(struct helper_req_proc_find){ .vm_id = vm->id }, on_found,
			    r) < 0) {
		r->mode = RUN_IDLE;
		return -ENOMEM;
	}
	return 0;
}

void lifecycle_readopt(struct lifecycle *lc)
{
	struct handles_file handles = {};

	/* without the file (or with a damaged one) the helper still finds the VMMs */
	(void)handles_file_load(lc->d->layout.handles_json, &handles);
	for (size_t i = 0; i < lc->d->store.n_vms; i++) {
		struct vm *vm = lc->d->store.vms[i];

		if (vm->state != VM_STATE_RUNNING && vm->state != VM_STATE_STARTING &&
				vm->state != VM_STATE_STOPPING)
			continue;
		(void)readopt_one(lc, vm, handles_file_find(&handles, vm->id));
	}
	handles_file_done(&handles);
}

int lifecycle_readopt_orphan(struct lifecycle *lc, struct vm *vm)
{
	return readopt_one(lc, vm, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The steps table (address → bridge → NAT → tap → disk → jail → launch → API socket → configure →
 * InstanceStart → host key → SSH (boot id) → file_sync), the host-side steps up to the jail with
 * their undos, and how a step calls bangerd-root. Each step reports through step_done() or
 * step_fail() (an undo: undo_done() or undo_retry()) as lifecycle-internal.h says, and reaches
 * the world only through the lifecycle's ports; the VMM's steps are in lifecycle-steps-vmm.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/log.h"
#include "common/macro.h"
#include "common/sshcmd.h"
#include "daemon/lifecycle-internal.h"
#include "daemon/netalloc.h"
#include "daemon/ssh-keys.h"

/* ---- helper calls ------------------------------------------------------------------------ */

bool helper_answered(int k)
{
	return k == 0 || k == -EREMOTEIO;
}

/* The answer to a step's helper call: the step's result function (which reports), or done, or
 * the step fails with the helper's own words. */
void on_helper_step(_unused_ struct helper_client *h, int k, json_t *result,
	const struct rpc_error *err, void *userdata)
{
	struct run *r = userdata;
	step_result_t on_result = r->on_result;

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
	if (on_result)
		on_result(r, result);
	else
		step_done(r);
}

/* k: what helper_call_<op>(…, on_helper_step, r) returned (its answer never comes before it
 * returns); on_result runs on the answer. A refusal fails the step: nothing went out. */
void helper_step(struct run *r, const char *op, int k, step_result_t on_result)
{
	r->on_result = on_result;
	if (k < 0)
		step_fail(r, k, "%s: %s", op, strerror(-k));
}

/* Undo work: the helper's answer, success or not, continues the unwind (a resource that is
 * already gone is what we wanted; anything else is logged, and the rest is still released). No
 * answer at all — bangerd-root is down or stuck — means nothing was released: try again. */
static void on_helper_undo(_unused_ struct helper_client *h, int k, _unused_ json_t *result,
	const struct rpc_error *err, void *userdata)
{
	struct run *r = userdata;

	if (r->lc->freeing)
		return;
	if (!helper_answered(k)) {
		undo_retry(r, err ? err->message : strerror(-k));
		return;
	}
	if (k < 0 && !(err && err->code == RPC_ERROR_NOT_FOUND))
		log_vm(LOG_WARNING, run_name(r), "release", "Releasing the %s of VM %s: %s",
			lifecycle_steps[r->undoing].name, run_name(r),
			err ? err->message : strerror(-k));
	undo_done(r);
}

/* k: what helper_call_<op>(…, on_helper_undo, r) returned */
static void helper_undo(struct run *r, int k)
{
	if (k < 0)
		undo_retry(r, strerror(-k));
}

/* ---- address, bridge, NAT, tap ------------------------------------------------------------- */

static void step_address(struct run *r)
{
	struct lifecycle *lc = r->lc;
	struct vm *vm = run_vm(r);
	struct in_addr a, *used;
	char mac_before[sizeof(vm->mac)];
	size_t n = 0;
	int k;

	snprintf(mac_before, sizeof(mac_before), "%s", vm->mac);
	net_mac_from_id(vm->id, vm->mac);
	k = net_tap_name(vm->id, r->tap);
	if (k < 0) {
		step_fail(r, k, "VM id \"%s\" cannot name a tap", vm->id);
		return;
	}
	if (vm->ip[0] && inet_pton(AF_INET, vm->ip, &a) == 1 &&
		net_ip_in_subnet(&lc->cfg.subnet, a)) {
		if (!streq(mac_before, vm->mac))
			run_record_updated(r);
		{
			step_done(r);
			return;
		} /* allocations persist until delete */
	}
	used = calloc(lc->d->store.n_vms + 1, sizeof(*used));
	if (!used) {
		step_fail(r, -ENOMEM, "out of memory");
		return;
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
		return;
	}
	inet_ntop(AF_INET, &a, vm->ip, sizeof(vm->ip));
	run_record_updated(r);
	step_done(r);
}

static void step_bridge(struct run *r)
{
	struct lifecycle *lc = r->lc;
	char gw[16], addr[32];

	inet_ntop(AF_INET, &lc->cfg.subnet.gateway, gw, sizeof(gw));
	snprintf(addr, sizeof(addr), "%s/%u", gw, lc->cfg.subnet.prefix);
	helper_step(r, "net.bridge_ensure",
		helper_call_bridge_ensure(&r->lc->ports.helper,
			(&(struct helper_req_bridge_ensure){
				.bridge = lc->cfg.bridge, .address = addr}),
			on_helper_step, r),
		NULL);
}

static void step_nat(struct run *r)
{
	struct lifecycle *lc = r->lc;

	helper_step(r, "nat.ensure",
		helper_call_nat_ensure(&r->lc->ports.helper,
			(&(struct helper_req_nat_ensure){
				.subnet = lc->cfg.subnet_text, .bridge = lc->cfg.bridge}),
			on_helper_step, r),
		NULL);
}

static void step_tap(struct run *r)
{
	helper_step(r, "net.tap_create",
		helper_call_tap_create(&r->lc->ports.helper,
			(&(struct helper_req_tap_create){
				.tap = r->tap, .bridge = r->lc->cfg.bridge, .vm_id = r->vm_id}),
			on_helper_step, r),
		NULL);
}

static void undo_tap(struct run *r)
{
	helper_undo(r, helper_call_tap_delete(&r->lc->ports.helper,
			       &(struct helper_req_tap_delete){.tap = r->tap, .vm_id = r->vm_id},
			       on_helper_undo, r));
}

/* ---- disk ---------------------------------------------------------------------------------- */

static void on_resize(_unused_ struct child *c, const struct child_result *res, void *userdata)
{
	struct run *r = userdata;
	struct vm *vm = run_vm(r);

	r->child = NULL;
	if (res->r < 0 || res->status != 0)
		/* The guest still boots on the image's own size; say so rather than fail the start.
		 */
		log_vm(LOG_WARNING, vm->name, "disk",
			"Could not grow the root filesystem of %s to %u GiB: %s", vm->name,
			vm->disk_gib, res->err[0] ? res->err : "resize2fs failed");
	step_done(r);
}

/* A fresh file disk gets the VM's size: sparse growth plus resize2fs on the (unmounted) file;
 * the step is done once resize2fs is (or at once when there is nothing to grow). */
static void grow_file_disk(struct run *r)
{
	struct lifecycle_ports *p = &r->lc->ports;
	struct vm *vm = run_vm(r);
	uint64_t want = (uint64_t)vm->disk_gib << 30;
	const char *argv[] = {"resize2fs", "-f", r->disk_path, NULL};
	struct stat st;
	int k;

	if (stat(r->disk_path, &st) < 0 || (uint64_t)st.st_size >= want) {
		step_done(r);
		return;
	}
	if (truncate(r->disk_path, (off_t)want) < 0) {
		log_vm(LOG_WARNING, vm->name, "disk", "Could not grow the disk of %s: %m",
			vm->name);
		{
			step_done(r);
			return;
		}
	}
	k = p->spawn(p->data, argv, 120ull * 1000 * 1000, on_resize, r, &r->child);
	if (k < 0) {
		log_vm_errno(LOG_WARNING, k, vm->name, "disk", "Could not run resize2fs for %s: %m",
			vm->name);
		step_done(r);
	}
}

static void disk_result(struct run *r, json_t *result)
{
	struct vm *vm = run_vm(r);
	const char *strategy = json_string_value(json_object_get(result, "strategy"));
	const char *kind = json_string_value(json_object_get(result, "kind"));
	const char *device = json_string_value(json_object_get(result, "device"));

	if (!strategy || !kind || (!streq(kind, "file") && !streq(kind, "block")) ||
		(streq(kind, "block") && !device)) {
		step_fail(r, -EBADMSG, "disk.prepare answered without a strategy, kind or device");
		return;
	}
	snprintf(vm->disk_strategy, sizeof(vm->disk_strategy), "%s", strategy);
	snprintf(r->disk_kind, sizeof(r->disk_kind), "%s", kind);
	snprintf(r->device, sizeof(r->device), "%s", device ? device : "");
	run_record_updated(r);
	if (streq(kind, "file")) {
		grow_file_disk(r);
		return;
	}
	step_done(r);
}

static void step_disk(struct run *r)
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
		return;
	}
	k = layout_vm_file(&lc->d->layout, vm->id, "disk", r->disk_path, sizeof(r->disk_path));
	if (k < 0) {
		step_fail(r, k, "no disk path for VM %s", vm->id);
		return;
	}
	/* A file disk from an earlier start keeps the guest's changes: reuse it. */
	if (stat(r->disk_path, &st) == 0 && st.st_size > 0 &&
		(streq(vm->disk_strategy, "reflink") || streq(vm->disk_strategy, "sparse-copy"))) {
		snprintf(r->disk_kind, sizeof(r->disk_kind), "file");
		{
			step_done(r);
			return;
		}
	}
	/* A dm-snapshot's COW from an earlier start is set up again over the same base. */
	reattach = stat(r->disk_path, &st) == 0 && st.st_size > 0 &&
		   streq(vm->disk_strategy, "dm-snapshot");
	base = open(img->part[IMAGE_PART_ROOTFS].path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (base < 0) {
		step_fail(r, negative_errno(), "cannot open the image's root filesystem %s: %m",
			img->part[IMAGE_PART_ROOTFS].path);
		return;
	}
	disk = open(r->disk_path,
		O_RDWR | O_CREAT | (reattach ? 0 : O_TRUNC) | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (disk < 0) {
		step_fail(r, negative_errno(), "cannot create %s: %m", r->disk_path);
		return;
	}
	helper_step(r, "disk.prepare",
		helper_call_disk_prepare(&r->lc->ports.helper,
			(&(struct helper_req_disk_prepare){.vm_id = vm->id,
				.fds = {{"base", "disk"}, {base, disk}, 2},
				.strategy = reattach ? "dm-snapshot" : NULL,
				.has_reattach = reattach,
				.reattach = reattach}),
			on_helper_step, r),
		disk_result);
}

static void undo_disk(struct run *r)
{
	helper_undo(r,
		helper_call_disk_release(&r->lc->ports.helper,
			&(struct helper_req_disk_release){.vm_id = r->vm_id}, on_helper_undo, r));
}

/* ---- jail ---------------------------------------------------------------------------------- */

static void jail_result(struct run *r, json_t *result)
{
	const char *root = json_string_value(json_object_get(result, "root"));
	const char *kernel = json_string_value(json_object_get(result, "kernel"));
	const char *initrd = json_string_value(json_object_get(result, "initrd"));
	const char *drive =
		json_string_value(json_object_get(json_object_get(result, "drives"), "rootfs"));

	if (!root || !kernel || !drive) {
		step_fail(r, -EBADMSG, "jail.stage answered without root, kernel or rootfs drive");
		return;
	}
	snprintf(r->jail_root, sizeof(r->jail_root), "%s", root);
	snprintf(r->kernel_in_jail, sizeof(r->kernel_in_jail), "%s", kernel);
	snprintf(r->initrd_in_jail, sizeof(r->initrd_in_jail), "%s", initrd ? initrd : "");
	snprintf(r->drive_path, sizeof(r->drive_path), "%s", drive);
	step_done(r);
}

static void step_jail(struct run *r)
{
	struct lifecycle *lc = r->lc;
	struct vm *vm = run_vm(r);
	struct image *img = store_image_by_name(&lc->d->store, vm->image);
	struct helper_req_jail_stage req = {.vm_id = vm->id};
	struct helper_block_drive drive = {"rootfs", r->device};
	_cleanup_close_ int kernel = -1, initrd = -1, disk = -1, mem = -1, mem_next = -1,
			    state = -1;
	char path[PATH_MAX] = "";

	if (!img) {
		step_fail(r, -ENOENT, "image \"%s\" no longer exists", vm->image);
		return;
	}
	kernel = open(img->part[IMAGE_PART_KERNEL].path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (kernel < 0) {
		step_fail(r, negative_errno(), "cannot open the kernel %s: %m",
			img->part[IMAGE_PART_KERNEL].path);
		return;
	}
	req.fds.names[req.fds.n] = "kernel";
	req.fds.fds[req.fds.n++] = kernel;
	if (img->part[IMAGE_PART_INITRD].path[0]) {
		initrd = open(img->part[IMAGE_PART_INITRD].path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (initrd < 0) {
			step_fail(r, negative_errno(), "cannot open the initrd %s: %m",
				img->part[IMAGE_PART_INITRD].path);
			return;
		}
		req.fds.names[req.fds.n] = "initrd";
		req.fds.fds[req.fds.n++] = initrd;
	}
	if (streq(r->disk_kind, "block")) {
		req.block_drives = &drive;
		req.n_block_drives = 1;
	} else {
		disk = open(r->disk_path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
		if (disk < 0) {
			step_fail(r, negative_errno(), "cannot open the disk %s: %m", r->disk_path);
			return;
		}
		req.fds.names[req.fds.n] = "drive:rootfs";
		req.fds.fds[req.fds.n++] = disk;
	}
	/* The snapshot's memory file, for a restore to read (a cold start empties it), and an empty
	 * one for a suspend or a live snapshot to write (lifecycle-internal.h says why two); a
	 * restore's state file too. */
	if (snapshot_path(lc, vm->id, SNAPSHOT_MEM, path, sizeof(path)) >= 0)
		mem = open(path,
			O_RDWR | O_CREAT | (r->restoring ? 0 : O_TRUNC) | O_CLOEXEC | O_NOFOLLOW,
			0600);
	if (mem < 0) {
		step_fail(r, negative_errno(), "cannot open the snapshot memory file %s: %m", path);
		return;
	}
	req.fds.names[req.fds.n] = "drive:" SNAPSHOT_MEM_DRIVE;
	req.fds.fds[req.fds.n++] = mem;
	if (snapshot_path(lc, vm->id, SNAPSHOT_MEM_NEXT, path, sizeof(path)) >= 0)
		mem_next = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (mem_next < 0) {
		step_fail(r, negative_errno(), "cannot open the snapshot memory file %s: %m", path);
		return;
	}
	req.fds.names[req.fds.n] = "drive:" SNAPSHOT_MEM_NEXT_DRIVE;
	req.fds.fds[req.fds.n++] = mem_next;
	if (r->restoring) {
		if (snapshot_path(lc, vm->id, SNAPSHOT_STATE, path, sizeof(path)) >= 0)
			state = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
		if (state < 0) {
			step_fail(r, negative_errno(), "cannot open the snapshot state file %s: %m",
				path);
			return;
		}
		req.fds.names[req.fds.n] = "drive:" SNAPSHOT_STATE_DRIVE;
		req.fds.fds[req.fds.n++] = state;
	}
	helper_step(r, "jail.stage",
		helper_call_jail_stage(&r->lc->ports.helper, &req, on_helper_step, r), jail_result);
}

static void undo_jail(struct run *r)
{
	helper_undo(r,
		helper_call_jail_cleanup(&r->lc->ports.helper,
			&(struct helper_req_jail_cleanup){.vm_id = r->vm_id}, on_helper_undo, r));
}

const struct step_def lifecycle_steps[_STEP_MAX] = {
	[STEP_ADDRESS] = {"address", step_address, NULL},
	[STEP_BRIDGE] = {"bridge", step_bridge, NULL},
	[STEP_NAT] = {"nat", step_nat, NULL},
	[STEP_TAP] = {"tap", step_tap, undo_tap},
	[STEP_DISK] = {"disk", step_disk, undo_disk},
	[STEP_JAIL] = {"jail", step_jail, undo_jail},
	[STEP_LAUNCH] = {"launch", step_launch, undo_launch},
	[STEP_SOCKET] = {"api", step_socket, undo_socket},
	[STEP_CONFIGURE] = {"configure", step_configure, NULL},
	[STEP_BOOT] = {"boot", step_boot, NULL},
	[STEP_HOSTKEY] = {"hostkey", step_hostkey, NULL},
	[STEP_SSH] = {"ssh", step_ssh, NULL},
	[STEP_FILE_SYNC] = {"file_sync", step_file_sync, NULL},
};

/* ---- the steps' helper port (refused once the lifecycle is being freed) and timings ---- */

static int port_call(void *data, const char *op, json_t *params, const struct helper_fds *fds,
	helper_done_t done, void *userdata)
{
	struct lifecycle *lc = data;

	if (lc->freeing) {
		json_decref(params);
		return -ESHUTDOWN;
	}
	return lc->ports.helper.call(lc->ports.helper.data, op, params, fds, done, userdata);
}

struct helper_port lifecycle_helper_port(struct lifecycle *lc)
{
	return (struct helper_port){.call = port_call, .data = lc};
}

json_t *lifecycle_timings(struct lifecycle *lc, const struct vm *vm)
{
	struct run *r = run_find(lc, vm->id);
	json_t *o;

	if (!r || !r->have_timings)
		return NULL;
	o = json_object();
	for (int s = 0; o && s < _STEP_MAX; s++)
		json_object_set_new(
			o, lifecycle_steps[s].name, json_integer((json_int_t)r->timings[s]));
	return o;
}

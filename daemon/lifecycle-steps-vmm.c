/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The start's steps that involve the VMM and its guest: launch (through the jailer), the API
 * socket, the boot configuration, InstanceStart, the guest's host key, SSH (its boot id) and
 * file_sync; each reports as lifecycle-internal.h says. The steps before it are in
 * lifecycle-steps.c, with the table. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/log.h"
#include "common/macro.h"
#include "common/sshcmd.h"
#include "daemon/lifecycle-internal.h"
#include "daemon/netalloc.h"
#include "daemon/ssh-keys.h"

/* ---- launch -------------------------------------------------------------------------------- */

static void launch_result(struct run *r, json_t *result)
{
	struct vm *vm = run_vm(r);
	json_t *pid = json_object_get(result, "pid");
	const char *sock = json_string_value(json_object_get(result, "api_sock"));
	int k;

	if (!json_is_integer(pid) || json_integer_value(pid) <= 1 || !sock) {
		step_fail(r, -EBADMSG, "jail.launch answered without a pid or API socket");
		return;
	}
	r->vmm_pid = (int)json_integer_value(pid);
	snprintf(r->api_sock, sizeof(r->api_sock), "%s", sock);
	k = run_watch_vmm(r);
	if (k == -ESRCH)
	/* The VMM exited at once. The undo of this step still cleans up. */
	{
		step_fail(r, k, "the VMM (pid %d) exited right after it was launched", r->vmm_pid);
		return;
	}
	if (k < 0) {
		step_fail(r, k, "cannot watch the VMM: %s", strerror(-k));
		return;
	}
	vm->pid = r->vmm_pid;
	run_record_updated(r);
	step_done(r);
}

void step_launch(struct run *r)
{
	struct lifecycle *lc = r->lc;
	struct vm *vm = run_vm(r);
	char path[PATH_MAX];
	_cleanup_close_ int fd = -1;
	int k;

	/* The VMM's stdout is the serial console: it goes straight into the log file through this
	 * O_APPEND descriptor, never a pipe a daemon restart would break. */
	k = layout_vm_file(&lc->d->layout, vm->id, "console.log", path, sizeof(path));
	if (k < 0) {
		step_fail(r, k, "no console log path");
		return;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		step_fail(r, negative_errno(), "cannot open %s: %m", path);
		return;
	}
	/* Follow from the current end; lines keep numbering on from what the file holds. */
	run_console_open(r, console_count_lines(path) + 1);
	r->hostkey_seen = false;
	r->vmm_pid = 0;
	r->launch_sent = now_usec();
	r->launch_answered = false;
	helper_step(r, "jail.launch",
		helper_call_jail_launch(&r->lc->ports.helper,
			(&(struct helper_req_jail_launch){
				.vm_id = vm->id, .fds = {{"console"}, {fd}, 1}}),
			on_helper_step, r),
		launch_result);
}

static void on_launch_found(_unused_ struct helper_client *h, int k, json_t *result,
	const struct rpc_error *err, void *userdata)
{
	struct run *r = userdata;
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
			log_vm(LOG_WARNING, run_name(r), "release",
				"Cannot look for the VMM of %s: %s", run_name(r),
				err ? err->message : strerror(-k));
		r->vmm_exited = true;
		{
			undo_done(r);
			return;
		}
	}
	r->vmm_pid = (int)json_integer_value(pid);
	log_vm(LOG_INFO, run_name(r), "release",
		"VM %s: its launch was not answered, but its VMM runs (pid %d); killing it",
		run_name(r), r->vmm_pid);
	if (run_watch_vmm(r) == -ESRCH) {
		undo_done(r);
		return;
	}
	run_kill_for_undo(r); /* not watchable: the kill's answer or its bounded wait ends it */
}

static void launch_find(struct run *r);

static int on_launch_settled(_unused_ sd_event_source *s, _unused_ uint64_t usec, void *userdata)
{
	struct run *r = userdata;

	r->undo_timer = sd_event_source_disable_unref(r->undo_timer);
	launch_find(r);
	return 0;
}

/* jail.launch went out but its answer never came (bangerd-root died or stalled during it): the
 * jailer it spawned may have become the VMM, or may still be about to. Once the helper's own
 * launch deadline has passed, whatever runs is found by the VM's id and killed. */
static void launch_find(struct run *r)
{
	struct lifecycle *lc = r->lc;
	uint64_t now = now_usec(), settled = r->launch_sent + lc->timing.launch_settle_usec;
	int k;

	if (!r->launch_answered && r->launch_sent && now < settled) {
		log_vm(LOG_INFO, run_name(r), "release",
			"VM %s: bangerd-root did not answer its launch; looking for a VMM in %llu "
			"ms",
			run_name(r), (unsigned long long)(settled - now) / 1000);
		if (sd_event_add_time(lc->d->event, &r->undo_timer, CLOCK_MONOTONIC, settled,
			    TIMER_ACCURACY_USEC, on_launch_settled, r) >= 0)
			return;
	}
	r->launch_sent = 0; /* settled: a retry asks at once */
	k = helper_call_proc_find(&lc->ports.helper,
		&(struct helper_req_proc_find){.vm_id = r->vm_id}, on_launch_found, r);
	if (k < 0)
		undo_retry(r, strerror(-k));
}

void undo_launch(struct run *r)
{
	if (r->kill_gave_up) {
		undo_done(r);
		return;
	} /* a stop's SIGKILL did not end it: reconcile's sweep is left */
	if (r->vmm_pid <= 0 && !r->vmm_exited) {
		launch_find(r);
		return;
	} /* sent, but no pid came back */
	if (r->vmm_exited || !r->vmm) {
		undo_done(r);
		return;
	}
	run_kill_for_undo(r);
}

/* ---- the VMM's API: socket, configure, boot ------------------------------------------------- */

#define API_POLL_FAST_USEC (50 * 1000)
#define API_POLL_ACCURACY_USEC 100

static int on_api_poll(sd_event_source *s, uint64_t usec, void *userdata);

static void on_api_ready(
	_unused_ struct fc_api *api, const struct fc_api_result *res, void *userdata)
{
	struct run *r = userdata;
	int k;

	r->fc_req = 0;
	if (res->r == 0 && res->status == 200) {
		step_done(r);
		return;
	}
	if (now_usec() > r->step_deadline) {
		step_fail(r, res->r < 0 ? res->r : -EIO,
			"the VMM's API did not answer within %u s: %s",
			r->lc->cfg.vmm_api_timeout_sec, res->err.message);
		return;
	}
	if (r->vmm_exited) {
		step_fail(r, -ESRCH, "the VMM exited before its API answered");
		return;
	}
	/* The VMM makes its socket within milliseconds of its exec: ask every millisecond for the
	 * first API_POLL_FAST_USEC (a refused connect costs microseconds; doubling from 1 ms
	 * answered up to 7 ms after the socket came), then back off to the configured poll. */
	if (now_usec() + r->lc->timing.api_budget_usec - r->step_deadline < API_POLL_FAST_USEC)
		r->api_poll_wait = 1000;
	else
		r->api_poll_wait =
			MIN(MAX(r->api_poll_wait * 2, 1000u), r->lc->timing.api_poll_usec);
	k = sd_event_add_time_relative(r->lc->d->event, &r->timer, CLOCK_MONOTONIC,
		r->api_poll_wait, API_POLL_ACCURACY_USEC, on_api_poll, r);
	if (k < 0)
		step_fail(r, k, "cannot wait for the VMM's API: %s", strerror(-k));
}

static int on_api_poll(_unused_ sd_event_source *s, _unused_ uint64_t usec, void *userdata)
{
	struct run *r = userdata;
	struct fc_request req;
	int64_t id;

	r->timer = sd_event_source_disable_unref(r->timer);
	id = fc_request_instance_info(&req);
	if (id >= 0)
		id = run_fc_send(r, &req, 1000 * 1000, on_api_ready);
	if (id < 0)
		step_fail(r, (int)id, "cannot query the VMM: %s", strerror((int)-id));
	else
		r->fc_req = id;
	return 0;
}

void step_socket(struct run *r)
{
	struct lifecycle *lc = r->lc;
	int k;

	k = layout_vm_sock_link(&lc->d->layout, r->vm_id, r->link, sizeof(r->link));
	if (k >= 0)
		k = mkdir_parents(lc->d->layout.vm_sock_dir, 0700);
	if (k < 0) {
		step_fail(r, k, "no socket link path: %s", strerror(-k));
		return;
	}
	(void)unlink(r->link); /* a stale link of an earlier run, if any */
	/* AF_UNIX paths are 108 bytes; the chroot's socket path is longer, the link is short. */
	if (symlink(r->api_sock, r->link) < 0) {
		step_fail(r, negative_errno(), "cannot link %s to %s: %m", r->link, r->api_sock);
		return;
	}
	r->step_deadline = now_usec() + lc->timing.api_budget_usec;
	r->api_poll_wait = 0;
	on_api_poll(NULL, 0, r);
}

void undo_socket(struct run *r)
{
	if (r->link[0])
		(void)unlink(r->link); /* gone already is what we want */
	undo_done(r);
}

static void on_configured(struct fc_api *api, const struct fc_api_result *res, void *userdata);

/* The boot configuration, one request after the other, as a Firecracker client sends it. */
static void configure_next(struct run *r)
{
	struct fc_request *req;
	char path[sizeof(req->path)];
	int64_t id;

	if (r->configure_idx >= r->n_boot_config) {
		step_done(r);
		return;
	}
	req = &r->boot_config[r->configure_idx];
	snprintf(path, sizeof(path), "%s", req->path);
	id = run_fc_send(r, req, r->lc->timing.api_timeout_usec, on_configured);
	if (id < 0) {
		step_fail(r, (int)id, "PUT %s: %s", path, strerror((int)-id));
		return;
	}
	r->fc_req = id;
}

static void on_configured(
	_unused_ struct fc_api *api, const struct fc_api_result *res, void *userdata)
{
	struct run *r = userdata;

	r->fc_req = 0;
	if (res->r < 0 || res->status >= 300) {
		step_fail(r, res->r < 0 ? res->r : -EINVAL, "%s", res->err.message);
		return;
	}
	r->configure_idx++;
	configure_next(r);
}

void step_configure(struct run *r)
{
	struct lifecycle *lc = r->lc;
	struct vm *vm = run_vm(r);
	struct in_addr ip;
	char args[1024];
	int k;

	if (r->restoring) {
		/* no configuration: the snapshot has it, but for the tap this start got */
		k = fc_request_snapshot_load(SNAPSHOT_STATE_IN_JAIL, SNAPSHOT_MEM_IN_JAIL, "eth0",
			r->tap, &r->boot_config[0]);
		if (k < 0) {
			step_fail(r, k, "cannot build the snapshot load: %s", strerror(-k));
			return;
		}
		r->n_boot_config = 1;
		r->configure_idx = 0;
		configure_next(r);
		return;
	}
	inet_pton(AF_INET, vm->ip, &ip);
	k = net_boot_args(&lc->cfg.subnet, ip, vm->name, lc->pubkey, args, sizeof(args));
	if (k >= 0) {
		/* how long a stop waits for the poweroff: a pulled image's init gives its service
		 * that, less its own shutdown, to act on the image's stop signal */
		size_t len = strlen(args);
		unsigned long sec = (unsigned long)(lc->timing.stop_timeout_usec / 1000000u);

		if ((size_t)snprintf(args + len, sizeof(args) - len, " banger.stop_timeout=%lu",
			    sec) >= sizeof(args) - len)
			k = -ENAMETOOLONG;
	}
	if (k < 0) {
		step_fail(r, k, "cannot build the kernel command line: %s", strerror(-k));
		return;
	}
	k = fc_boot_config_requests(&(struct fc_boot_config){.vcpus = vm->vcpus,
					    .mem_size_mib = vm->memory_mib,
					    .kernel = r->kernel_in_jail,
					    .initrd = r->initrd_in_jail,
					    .boot_args = args,
					    .rootfs = r->drive_path,
					    .tap = r->tap,
					    .guest_mac = vm->mac},
		r->boot_config, &r->n_boot_config);
	if (k < 0) {
		step_fail(r, k, "cannot build the boot configuration: %s", strerror(-k));
		return;
	}
	r->configure_idx = 0;
	configure_next(r);
}

static void on_booted(_unused_ struct fc_api *api, const struct fc_api_result *res, void *userdata)
{
	struct run *r = userdata;

	r->fc_req = 0;
	if (res->r < 0 || res->status >= 300) {
		step_fail(r, res->r < 0 ? res->r : -EINVAL, "%s", res->err.message);
		return;
	}
	step_done(r);
}

/* InstanceStart. The machine starts the guest's budget (guest_deadline) as this step begins. */
void step_boot(struct run *r)
{
	struct fc_request req;
	int64_t id;

	if (r->restoring) {
		step_done(r); /* snapshot/load resumed it */
		return;
	}
	id = fc_request_action(FC_ACTION_INSTANCE_START, &req);
	if (id >= 0)
		id = run_fc_send(r, &req, r->lc->timing.api_timeout_usec, on_booted);
	if (id < 0) {
		step_fail(r, (int)id, "InstanceStart: %s", strerror((int)-id));
		return;
	}
	r->fc_req = id;
}

/* ---- the guest: host key, SSH, file_sync ------------------------------------------------------
 */

static int on_hostkey_timeout(_unused_ sd_event_source *s, _unused_ uint64_t usec, void *userdata)
{
	struct run *r = userdata;

	r->timer = sd_event_source_disable_unref(r->timer);
	step_fail(r, -ETIMEDOUT,
		"the guest printed no \"%s\" line on its console within %u s (see banger vm logs)",
		SSH_HOSTKEY_MARKER, r->lc->cfg.ssh_timeout_sec);
	return 0;
}

static void hostkey_pin(struct run *r)
{
	struct vm *vm = run_vm(r);
	int k = ssh_known_hosts_pin(r->lc->ssh_dir, vm->ip, r->hostkey);

	if (k < 0) {
		step_fail(r, k, "cannot pin the guest's host key in known_hosts: %s", strerror(-k));
		return;
	}
	step_done(r);
}

/* Waits for the console to show the host key (lifecycle-console.c calls step_hostkey_seen()),
 * until guest_deadline. */
void step_hostkey(struct run *r)
{
	uint64_t now = now_usec();
	int k;

	if (r->restoring) {
		step_done(r); /* the same boot: its host key is pinned already */
		return;
	}
	if (r->hostkey_seen) {
		hostkey_pin(r);
		return;
	}
	k = sd_event_add_time_relative(r->lc->d->event, &r->timer, CLOCK_MONOTONIC,
		r->guest_deadline > now ? r->guest_deadline - now : 1, 0, on_hostkey_timeout, r);
	if (k < 0)
		step_fail(r, k, "cannot wait for the host key: %s", strerror(-k));
}

void step_hostkey_seen(struct run *r)
{
	if (r->mode != RUN_STARTING || r->step != STEP_HOSTKEY)
		return; /* the step reads r->hostkey_seen when it begins */
	r->timer = sd_event_source_disable_unref(r->timer);
	hostkey_pin(r);
}

static void ssh_try(struct run *r);

static int on_ssh_retry(_unused_ sd_event_source *s, _unused_ uint64_t usec, void *userdata)
{
	struct run *r = userdata;

	r->timer = sd_event_source_disable_unref(r->timer);
	ssh_try(r);
	return 0;
}

static void on_ssh(_unused_ struct child *c, const struct child_result *res, void *userdata)
{
	struct run *r = userdata;
	struct vm *vm = run_vm(r);
	char boot_id[64] = "";
	int k;

	r->child = NULL;
	if (res->r == 0 && res->status == 0 && strspn(res->out, "0123456789abcdef-") == 36) {
		memcpy(boot_id, res->out, 36);
		boot_id[36] = '\0';
	}
	if (boot_id[0] && r->restoring && r->expect_boot_id[0] &&
		!streq(boot_id, r->expect_boot_id)) {
		step_fail(r, -ESTALE,
			"the restored guest's boot id is %s, not the suspended guest's %s", boot_id,
			r->expect_boot_id);
		return;
	}
	if (boot_id[0]) {
		snprintf(vm->boot_id, sizeof(vm->boot_id), "%s", boot_id);
		{
			step_done(r);
			return;
		}
	}
	if (r->vmm_exited) {
		step_fail(r, -ESRCH, "the VMM exited while waiting for SSH");
		return;
	}
	if (now_usec() >= r->guest_deadline) {
		step_fail(r, -ETIMEDOUT,
			"the guest did not answer SSH at %s within %u s (last: %s)", vm->ip,
			r->lc->cfg.ssh_timeout_sec,
			res->err[0]  ? res->err
			: res->r < 0 ? strerror(-res->r)
				     : "no boot id");
		return;
	}
	k = sd_event_add_time_relative(r->lc->d->event, &r->timer, CLOCK_MONOTONIC,
		r->lc->timing.ssh_retry_usec, TIMER_ACCURACY_USEC, on_ssh_retry, r);
	if (k < 0)
		step_fail(r, k, "cannot wait to try SSH again: %s", strerror(-k));
}

static void ssh_try(struct run *r)
{
	struct lifecycle_ports *p = &r->lc->ports;
	struct vm *vm = run_vm(r);
	const char *cmd[] = {"cat", "/proc/sys/kernel/random/boot_id", NULL};
	struct sshcmd sc;
	uint64_t now = now_usec(), left = r->guest_deadline > now ? r->guest_deadline - now : 0;
	int k;

	k = sshcmd_build(&sc, r->lc->ssh_dir, vm->ip, 1, 3, (char *const *)cmd);
	if (k >= 0)
		k = p->spawn(p->data, (const char *const *)sc.argv,
			MIN(left + 1000000u, 15ull * 1000000u), on_ssh, r, &r->child);
	if (k < 0)
		step_fail(r, k, "cannot run ssh: %s", strerror(-k));
}

void step_ssh(struct run *r)
{
	ssh_try(r);
}

static void on_synced(_unused_ struct file_sync *s, void *userdata)
{
	struct run *r = userdata;

	step_done(r);
}

void step_file_sync(struct run *r)
{
	struct lifecycle *lc = r->lc;
	struct lifecycle_ports *p = &lc->ports;
	struct vm *vm = run_vm(r);
	int k;

	if (lc->cfg.n_sync == 0) {
		step_done(r);
		return;
	}
	/* Refusals and copy failures are reported per path; the VM runs either way. */
	k = p->sync_start(p->data, lc->ssh_dir, vm->ip, (const char *const *)lc->cfg.sync,
		lc->cfg.n_sync, vm->name, on_synced, r, &r->sync);
	if (k < 0) {
		log_vm_errno(LOG_WARNING, k, vm->name, "file_sync",
			"file_sync for %s did not run: %m", vm->name);
		step_done(r);
	}
}

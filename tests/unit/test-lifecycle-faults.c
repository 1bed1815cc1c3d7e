/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The lifecycle's machine against fake ports, step by step: for every start step in turn it is
 * failed, stopped during, deleted during and has its VMM die during; then stop at each stage of
 * the kill escalation, and re-adoption. Each time, every resource a request was sent for (tap,
 * disk, jail, VMM, socket link) is released exactly once and the VM ends in a stated state with
 * its reason. The fakes answer from the test's loop, never inside a call, as the ports promise. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/fileclone.h"
#include "common/fileio.h"
#include "common/log.h"
#include "daemon/file-copy.h"
#include "daemon/lifecycle-internal.h"
#include "daemon/rpc-vm.h"
#include "daemon/save-retry.h"

#define VM_ID "0123456789abcdef0123456789abcdef"
#define VMM_PID 4242
#define BOOT_ID "0e1d2c3b-4a59-4687-a5b4-c3d2e1f00112"

enum pending_kind { P_HELPER, P_FC, P_SPAWN, P_COPY, P_SYNC, P_EXIT };

struct pending {
	struct pending *next;
	enum pending_kind kind;
	char what[96]; /* op, "PUT /path", "action:Type", argv[0], "copy:FILE", "file_sync", "exit"
			*/
	bool held;
	void *userdata;
	/* helper */
	helper_done_t hdone;
	json_t *params;
	/* fc */
	fc_api_done_t fdone;
	int64_t id;
	/* spawn, copy */
	child_done_t cdone;
	char src[PATH_MAX], dst[PATH_MAX];
	/* sync */
	file_sync_done_t sdone;
	/* exit */
	pid_exit_t exited;
};

enum vmm_obeys { OBEY_CAD, OBEY_TERM, OBEY_KILL, OBEY_NOTHING };

struct fake {
	struct pending *q;
	int64_t next_id;
	/* what to do */
	char fail_at[64];
	char hold_at[64];
	bool no_hostkey;
	bool launch_dies; /* the VMM exits before jail.launch is answered */
	enum vmm_obeys obeys;
	bool helper_down; /* calls are refused as if root.sock were gone */
	const char *instance_state;
	bool vmm_paused;    /* PATCH /vm said Paused: the guest hears no Ctrl-Alt-Del */
	char jail_run[256]; /* the jail's /run as the daemon reaches it (api_sock's dir) */
	char api_sock[PATH_MAX];
	char mem_file[PATH_MAX]; /* the VM's snapshot.mem, which the real jail binds as a drive */
	char mem_next_file[PATH_MAX]; /* its snapshot.mem.next, bound as a drive too */
	/* the jail paths of the last snapshot/create's and snapshot/load's memory files */
	char created_mem[64], loaded_mem[64];
	const char *boot_id; /* what the guest says over SSH */
	unsigned snap_creates, snap_loads, instance_starts, copies;
	/* what happened */
	unsigned tap_create, tap_delete, disk_prepare, disk_release, jail_stage, jail_cleanup;
	unsigned jail_launch, proc_find, sig_term, sig_kill, cad, vmm_exits;
	bool vmm_alive;
	bool watching;
	pid_exit_t exited;
	void *exited_userdata;
	char console[PATH_MAX];
	const char *pubkey;
};

struct fixture {
	char root[64];
	struct daemon d;
	struct fake fake;
	struct lifecycle *lc;
	struct vm *vm;
	bool started, start_ended, released, deleted;
	char start_err[1100];
	unsigned pause_ended, suspend_failed, snapshot_ended;
	bool snapshot_result; /* the last SNAPSHOT_ENDED handed over a record */
	char pause_err[1100];
};

static char home[64];
/* What a failure message names: the scenario and the step. */
static char scenario[96];

/* ---- fakes ---------------------------------------------------------------------------------- */

static bool matches(const struct fake *f, const char *pat, const char *what)
{
	(void)f;
	return pat[0] && streq(pat, what);
}

static struct pending *enqueue(struct fake *f, enum pending_kind kind, const char *what)
{
	struct pending *p = calloc(1, sizeof(*p)), **t;

	assert_non_null(p);
	p->kind = kind;
	snprintf(p->what, sizeof(p->what), "%s", what);
	p->held = matches(f, f->hold_at, what);
	for (t = &f->q; *t; t = &(*t)->next)
		;
	*t = p;
	return p;
}

static void vmm_exit(struct fake *f)
{
	if (!f->vmm_alive)
		return;
	f->vmm_alive = false;
	f->vmm_exits++;
	if (f->watching) {
		struct pending *p = enqueue(f, P_EXIT, "exit");
		p->exited = f->exited;
		p->userdata = f->exited_userdata;
	}
}

static int fake_helper_call(void *data, const char *op, json_t *params,
	const struct helper_fds *fds, helper_done_t done, void *userdata)
{
	struct fake *f = data;
	struct pending *p;

	(void)fds;
	p = enqueue(f, P_HELPER, op);
	p->hdone = done;
	p->userdata = userdata;
	p->params = params;
	if (streq(op, "net.tap_create"))
		f->tap_create++;
	else if (streq(op, "net.tap_delete"))
		f->tap_delete++;
	else if (streq(op, "disk.prepare"))
		f->disk_prepare++;
	else if (streq(op, "disk.release"))
		f->disk_release++;
	else if (streq(op, "jail.stage"))
		f->jail_stage++;
	else if (streq(op, "jail.cleanup"))
		f->jail_cleanup++;
	else if (streq(op, "jail.launch"))
		f->jail_launch++;
	else if (streq(op, "proc.find"))
		f->proc_find++;
	return 0;
}

static void console_append(struct fake *f, const char *line)
{
	FILE *c = fopen(f->console, "ae");

	assert_non_null(c);
	fprintf(c, "%s\n", line);
	fclose(c);
}

static void deliver_helper(struct fake *f, struct pending *p)
{
	json_t *res = NULL;
	struct rpc_error err = {RPC_ERROR_INTERNAL, "injected failure"};
	int k = 0;

	if (f->helper_down) {
		/* the connection to root.sock is lost: nothing was done */
		err = (struct rpc_error){RPC_ERROR_UNAVAILABLE, "connection to bangerd-root lost"};
		p->hdone(NULL, -ECONNRESET, NULL, &err, p->userdata);
		json_decref(p->params);
		return;
	}
	if (matches(f, f->fail_at, p->what))
		k = -EREMOTEIO;
	else if (streq(p->what, "disk.prepare"))
		res = json_pack("{s:s, s:s}", "strategy", "reflink", "kind", "file");
	else if (streq(p->what, "jail.stage"))
		res = json_pack("{s:s, s:s, s:{s:s}}", "root", "/jail/root", "kernel", "vmlinux",
			"drives", "rootfs", "rootfs");
	else if (streq(p->what, "jail.launch")) {
		res = json_pack("{s:i, s:s}", "pid", VMM_PID, "api_sock", f->api_sock);
		f->vmm_alive = !f->launch_dies;
	} else if (streq(p->what, "proc.find"))
		res = f->vmm_alive ? json_pack("{s:i}", "pid", VMM_PID) : json_object();
	else if (streq(p->what, "proc.signal")) {
		const char *sig = json_string_value(json_object_get(p->params, "signal"));

		if (!f->vmm_alive) {
			k = -EREMOTEIO;
			err = (struct rpc_error){RPC_ERROR_NOT_FOUND, "no such VMM"};
		} else if (streq(sig, "TERM")) {
			f->sig_term++;
			if (f->obeys <= OBEY_TERM)
				vmm_exit(f);
		} else if (streq(sig, "KILL")) {
			f->sig_kill++;
			if (f->obeys <= OBEY_KILL)
				vmm_exit(f);
		}
	}
	if (!res && k == 0)
		res = json_object();
	p->hdone(NULL, k, res, k < 0 ? &err : NULL, p->userdata);
	json_decref(res);
	json_decref(p->params);
}

static int64_t fake_fc_send(void *data, const char *sock, const struct fc_request *req,
	uint64_t timeout_usec, fc_api_done_t done, void *userdata)
{
	struct fake *f = data;
	char what[96];
	struct pending *p;

	(void)sock;
	(void)timeout_usec;
	if (streq(req->path, "/snapshot/create"))
		snprintf(f->created_mem, sizeof(f->created_mem), "%s",
			json_string_value(json_object_get(req->body, "mem_file_path")) ?: "");
	if (streq(req->path, "/snapshot/load"))
		snprintf(f->loaded_mem, sizeof(f->loaded_mem), "%s",
			json_string_value(json_object_get(
				json_object_get(req->body, "mem_backend"), "backend_path"))
				?: "");
	if (streq(req->path, "/vm"))
		snprintf(what, sizeof(what), "vm:%s",
			json_string_value(json_object_get(req->body, "state")));
	else if (streq(req->path, "/actions"))
		snprintf(what, sizeof(what), "action:%s",
			json_string_value(json_object_get(req->body, "action_type")));
	else
		snprintf(what, sizeof(what), "%s %s", req->method, req->path);
	p = enqueue(f, P_FC, what);
	p->fdone = done;
	p->userdata = userdata;
	p->id = ++f->next_id;
	return p->id;
}

static void fake_fc_cancel(void *data, int64_t id)
{
	struct fake *f = data;

	for (struct pending **t = &f->q; *t; t = &(*t)->next)
		if ((*t)->kind == P_FC && (*t)->id == id) {
			struct pending *p = *t;
			*t = p->next;
			free(p);
			return;
		}
}

static void write_file(const char *path, const char *text);

static void deliver_fc(struct fake *f, struct pending *p)
{
	struct fc_api_result res = {.status = 204};

	if (!f->vmm_alive) {
		res.r = -ECONNREFUSED;
		res.status = 0;
		snprintf(res.err.message, sizeof(res.err.message), "connection refused");
	} else if (matches(f, f->fail_at, p->what)) {
		res.status = 400;
		snprintf(res.err.message, sizeof(res.err.message), "injected failure");
	} else if (streq(p->what, "GET /")) {
		res.status = 200;
		res.body =
			json_pack("{s:s}", "state", f->vmm_paused ? "Paused" : f->instance_state);
	} else if (streq(p->what, "action:InstanceStart")) {
		f->instance_starts++;
		if (!f->no_hostkey) {
			char line[1024];
			snprintf(line, sizeof(line), "banger-hostkey: %s", f->pubkey);
			console_append(f, line);
		}
	} else if (streq(p->what, "PUT /snapshot/create")) {
		char path[PATH_MAX + 32];

		f->snap_creates++;
		if (!f->vmm_paused) {
			res.status = 400;
			snprintf(res.err.message, sizeof(res.err.message), "not paused");
		} else {
			snprintf(path, sizeof(path), "%s/snapshot.state", f->jail_run);
			write_file(path, "{\"state\": 1}");
			/* never into the file a restored VMM maps for the guest's memory */
			assert_string_not_equal(f->created_mem, f->loaded_mem);
			assert_string_equal(f->created_mem, "/drives/snapnext");
			write_file(f->mem_next_file, "memory");
		}
	} else if (streq(p->what, "PUT /snapshot/load")) {
		f->snap_loads++;
	} else if (streq(p->what, "vm:Paused") || streq(p->what, "vm:Resumed")) {
		f->vmm_paused = streq(p->what, "vm:Paused");
	} else if (streq(p->what, "action:SendCtrlAltDel")) {
		f->cad++;
		if (f->obeys == OBEY_CAD && !f->vmm_paused)
			vmm_exit(f);
	}
	p->fdone(NULL, &res, p->userdata);
	json_decref(res.body);
}

static int fake_spawn(void *data, const char *const *argv, uint64_t timeout_usec, child_done_t done,
	void *userdata, struct child **ret)
{
	struct fake *f = data;
	struct pending *p = enqueue(f, P_SPAWN, argv[0]);

	(void)timeout_usec;
	p->cdone = done;
	p->userdata = userdata;
	*ret = (struct child *)p;
	return 0;
}

static void fake_spawn_cancel(void *data, struct child *c)
{
	struct fake *f = data;

	for (struct pending **t = &f->q; *t; t = &(*t)->next)
		if (*t == (struct pending *)c) {
			*t = (*t)->next;
			free(c);
			return;
		}
	fail_msg("spawn_cancel of a child that is not running");
}

static void deliver_spawn(struct fake *f, struct pending *p)
{
	char out[64] = "", err[64] = "";
	struct child_result res = {.out = out, .err = err};

	if (matches(f, f->fail_at, p->what) || (streq(p->what, "ssh") && !f->vmm_alive)) {
		res.status = 255;
		snprintf(err, sizeof(err), "injected failure");
	} else if (streq(p->what, "ssh"))
		snprintf(out, sizeof(out), "%s\n", f->boot_id);
	p->cdone((struct child *)p, &res, p->userdata);
}

/* A copy is made for real when its answer is delivered (as the child would), so a test can hold
 * it, fail it ("copy:disk") or stop the VM while it runs. */
static int fake_copy(void *data, const char *src, const char *dst, uint64_t timeout_usec,
	child_done_t done, void *userdata, struct child **ret)
{
	struct fake *f = data;
	const char *base = strrchr(dst, '/');
	char what[64];
	struct pending *p;

	(void)timeout_usec;
	snprintf(what, sizeof(what), "copy:%s", base ? base + 1 : dst);
	p = enqueue(f, P_COPY, what);
	p->cdone = done;
	p->userdata = userdata;
	snprintf(p->src, sizeof(p->src), "%s", src);
	snprintf(p->dst, sizeof(p->dst), "%s", dst);
	f->copies++;
	*ret = (struct child *)p;
	return 0;
}

static void deliver_copy(struct fake *f, struct pending *p)
{
	char out[64] = "", err[64] = "";
	struct child_result res = {.out = out, .err = err};
	bool reflinked = false;
	int k = matches(f, f->fail_at, p->what) ? -EIO
						: file_clone_path(p->src, p->dst, &reflinked);

	assert_int_equal(file_copy_format(k, reflinked, out, sizeof(out)), 0);
	res.out_len = strlen(out);
	res.status = k < 0 ? 1 : 0;
	p->cdone((struct child *)p, &res, p->userdata);
}

static int fake_sync_start(void *data, const char *ssh_dir, const char *ip,
	const char *const *paths, size_t n_paths, const char *vm_name, file_sync_done_t done,
	void *userdata, struct file_sync **ret)
{
	struct fake *f = data;
	struct pending *p = enqueue(f, P_SYNC, "file_sync");

	(void)ssh_dir, (void)ip, (void)paths, (void)n_paths, (void)vm_name;
	p->sdone = done;
	p->userdata = userdata;
	*ret = (struct file_sync *)p;
	return 0;
}

static void fake_sync_free(void *data, struct file_sync *s)
{
	struct fake *f = data;

	for (struct pending **t = &f->q; *t; t = &(*t)->next)
		if (*t == (struct pending *)s) {
			*t = (*t)->next;
			free(s);
			return;
		}
	/* delivered already: nothing left of it */
}

static int fake_watch_pid(
	void *data, int pid, pid_exit_t exited, void *userdata, struct pid_watch **ret)
{
	struct fake *f = data;

	assert_int_equal(pid, VMM_PID);
	assert_false(f->watching);
	if (!f->vmm_alive)
		return -ESRCH;
	f->watching = true;
	f->exited = exited;
	f->exited_userdata = userdata;
	*ret = (struct pid_watch *)f;
	return 0;
}

static void fake_unwatch_pid(void *data, struct pid_watch *w)
{
	struct fake *f = data;

	assert_ptr_equal(w, f);
	f->watching = false;
	for (struct pending **t = &f->q; *t;)
		if ((*t)->kind == P_EXIT) {
			struct pending *p = *t;
			*t = p->next;
			free(p);
		} else
			t = &(*t)->next;
}

/* Delivers the first answer that is not held; false when there is none. */
static bool deliver_one(struct fake *f)
{
	for (struct pending **t = &f->q; *t; t = &(*t)->next) {
		struct pending *p = *t;

		if (p->held)
			continue;
		*t = p->next;
		switch (p->kind) {
		case P_HELPER:
			deliver_helper(f, p);
			break;
		case P_FC:
			deliver_fc(f, p);
			break;
		case P_SPAWN:
			deliver_spawn(f, p);
			break;
		case P_COPY:
			deliver_copy(f, p);
			break;
		case P_SYNC:
			p->sdone((struct file_sync *)p, p->userdata);
			break;
		case P_EXIT:
			f->watching = false;
			p->exited(p->userdata);
			break;
		}
		free(p);
		return true;
	}
	return false;
}

static bool held(struct fake *f, const char *what)
{
	for (struct pending *p = f->q; p; p = p->next)
		if (p->held && streq(p->what, what))
			return true;
	return false;
}

static void release_held(struct fake *f)
{
	f->hold_at[0] = '\0';
	for (struct pending *p = f->q; p; p = p->next)
		p->held = false;
}

/* ---- fixture -------------------------------------------------------------------------------- */

static void on_notify(struct lifecycle *lc, const char *vm_id, struct vm *vm,
	enum lifecycle_event ev, const struct rpc_error *err, void *userdata)
{
	struct fixture *fx = userdata;
	json_t *res = NULL;
	struct rpc_error derr;

	assert_string_equal(vm_id, VM_ID);
	switch (ev) {
	case LIFECYCLE_STARTED:
		fx->started = true;
		break;
	case LIFECYCLE_START_ENDED:
		fx->start_ended = true;
		snprintf(fx->start_err, sizeof(fx->start_err), "%s", err->message);
		break;
	case LIFECYCLE_RELEASED:
		fx->released = true;
		break;
	case LIFECYCLE_DELETE:
		assert_non_null(vm);
		assert_int_equal(daemon_vm_remove(&fx->d, vm, &res, &derr), 0);
		json_decref(res);
		/* the run is gone with the record; the id stays good for answering its callers */
		assert_string_equal(vm_id, VM_ID);
		fx->vm = NULL;
		fx->deleted = true;
		break;
	case LIFECYCLE_SUSPEND_FAILED:
		fx->suspend_failed++;
		snprintf(fx->pause_err, sizeof(fx->pause_err), "%s", err->message);
		break;
	case LIFECYCLE_SNAPSHOT_ENDED:
		fx->snapshot_ended++;
		/* as the daemon does: taken while it is told (a restore's is gone afterwards) */
		res = err ? NULL : lifecycle_snapshot_take_result(lc, vm_id);
		fx->snapshot_result = res != NULL;
		json_decref(res);
		res = NULL;
		snprintf(fx->pause_err, sizeof(fx->pause_err), "%s", err ? err->message : "");
		break;
	case LIFECYCLE_PAUSE_ENDED:
		fx->pause_ended++;
		snprintf(fx->pause_err, sizeof(fx->pause_err), "%s", err ? err->message : "");
		break;
	case LIFECYCLE_SHUTDOWN:
	case _LIFECYCLE_EVENT_MAX:
	case _LIFECYCLE_EVENT_INVALID:
		break;
	}
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "we");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

/* A lifecycle as bangerd makes one at its start (again after lifecycle_free: a restart). */
static void new_lifecycle(struct fixture *fx)
{
	struct banger_config cfg;
	struct lifecycle_ports ports;
	struct lifecycle_timing *t;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/banger.conf", fx->root);
	assert_int_equal(config_load(&cfg, path), 0);
	ports = (struct lifecycle_ports){
		.helper = {.call = fake_helper_call, .data = &fx->fake},
		.data = &fx->fake,
		.fc_send = fake_fc_send,
		.fc_cancel = fake_fc_cancel,
		.spawn = fake_spawn,
		.spawn_cancel = fake_spawn_cancel,
		.copy = fake_copy,
		.sync_start = fake_sync_start,
		.sync_free = fake_sync_free,
		.watch_pid = fake_watch_pid,
		.unwatch_pid = fake_unwatch_pid,
	};
	assert_int_equal(lifecycle_new(&fx->d, &cfg, &ports, on_notify, fx, &fx->lc), 0);
	config_done(&cfg);
	fx->d.lifecycle = fx->lc;
	fx->fake.pubkey = fx->lc->pubkey;
	t = lifecycle_timing(fx->lc);
	t->console_tick_usec = 2000;
	t->api_poll_usec = 1000;
	t->api_budget_usec = 50000;
	t->guest_budget_usec = 300000;
	t->ssh_retry_usec = 5000;
	t->stop_timeout_usec = 20000;
	t->kill_grace_usec = 20000;
	t->signal_retry_usec = 5000;
	t->undo_retry_min_usec = 2000;
	t->undo_retry_max_usec = 10000;
	t->launch_settle_usec = 20000;
	t->readopt_retry_usec = 10000;
}

static int setup(void **state)
{
	snprintf(scenario, sizeof(scenario), "%s", "");
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct image *img;
	char path[PATH_MAX], conf[PATH_MAX + 64];

	assert_non_null(fx);
	strcpy(fx->root, "/tmp/test-lifecycle.XXXXXX");
	assert_non_null(mkdtemp(fx->root));
	assert_int_equal(sd_event_new(&fx->d.event), 0);
	assert_int_equal(layout_init(&fx->d.layout, fx->root), 0);
	snprintf(fx->d.owner.owner_home, sizeof(fx->d.owner.owner_home), "%s", home);
	assert_int_equal(mkdir_parents(fx->d.layout.state_dir, 0700) >= 0, 1);
	store_init(&fx->d.store, &fx->d.layout);
	assert_int_equal(store_load(&fx->d.store), 0);
	assert_int_equal(event_bus_init(&fx->d.bus, 64, 1000), 0);

	img = calloc(1, sizeof(*img));
	assert_non_null(img);
	strcpy(img->name, "minimal");
	snprintf(img->part[IMAGE_PART_KERNEL].path, PATH_MAX, "%s/vmlinuz", fx->root);
	snprintf(img->part[IMAGE_PART_ROOTFS].path, PATH_MAX, "%s/rootfs.ext4", fx->root);
	write_file(img->part[IMAGE_PART_KERNEL].path, "kernel");
	write_file(img->part[IMAGE_PART_ROOTFS].path, "rootfs");
	strcpy(img->imported_at, "2026-01-01T00:00:00Z");
	/* what a snapshot's record names, and its restore checks */
	snprintf(img->part[IMAGE_PART_ROOTFS].sha256, sizeof(img->part[IMAGE_PART_ROOTFS].sha256),
		"%064d", 7);
	assert_int_equal(store_image_save(&fx->d.store, img), 0);

	fx->vm = calloc(1, sizeof(*fx->vm));
	assert_non_null(fx->vm);
	*fx->vm = (struct vm){.id = VM_ID,
		.name = "web",
		.state = VM_STATE_CREATED,
		.image = "minimal",
		.vcpus = 1,
		.memory_mib = 256,
		.disk_gib = 1,
		.created_at = "2026-01-01T00:00:00Z"};
	assert_int_equal(store_vm_save(&fx->d.store, fx->vm), 0);
	assert_int_equal(layout_vm_file(&fx->d.layout, VM_ID, "console.log", fx->fake.console,
				 sizeof(fx->fake.console)),
		0);

	/* one file_sync path, so that step has work in flight to stop, delete or fail */
	snprintf(path, sizeof(path), "%s/banger.conf", fx->root);
	snprintf(conf, sizeof(conf), "[file_sync]\npath = .gitconfig\n");
	write_file(path, conf);

	fx->fake.instance_state = "Running";
	fx->fake.boot_id = BOOT_ID;
	snprintf(fx->fake.jail_run, sizeof(fx->fake.jail_run), "%s/jail-run", fx->root);
	assert_int_equal(mkdir(fx->fake.jail_run, 0700), 0);
	snprintf(fx->fake.api_sock, sizeof(fx->fake.api_sock), "%s/firecracker.socket",
		fx->fake.jail_run);
	assert_int_equal(layout_vm_file(&fx->d.layout, VM_ID, "snapshot.mem", fx->fake.mem_file,
				 sizeof(fx->fake.mem_file)),
		0);
	assert_int_equal(layout_vm_file(&fx->d.layout, VM_ID, "snapshot.mem.next",
				 fx->fake.mem_next_file, sizeof(fx->fake.mem_next_file)),
		0);
	new_lifecycle(fx);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[128];

	fx->lc = lifecycle_free(fx->lc);
	while (fx->fake.q) {
		struct pending *p = fx->fake.q;
		fx->fake.q = p->next;
		json_decref(p->params);
		free(p);
	}
	save_retry_done(&fx->d);
	event_bus_done(&fx->d.bus);
	store_done(&fx->d.store);
	sd_event_unref(fx->d.event);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->root);
	assert_int_equal(system(cmd), 0);
	free(fx);
	return 0;
}

static uint64_t mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static struct run *the_run(struct fixture *fx)
{
	return run_find(fx->lc, VM_ID);
}

static bool run_quiet(struct fixture *fx)
{
	struct run *r = the_run(fx);

	return !r || r->mode == RUN_IDLE || r->mode == RUN_RUNNING;
}

/* Runs the loop and the fakes until cond holds (false after 5 s). */
static bool run_until(struct fixture *fx, bool (*cond)(struct fixture *fx))
{
	uint64_t end = mono_usec() + 5 * 1000 * 1000;

	while (mono_usec() < end) {
		if (cond(fx))
			return true;
		if (deliver_one(&fx->fake))
			continue;
		assert_true(sd_event_run(fx->d.event, 2000) >= 0);
	}
	return cond(fx);
}

static bool is_held(struct fixture *fx)
{
	return fx->fake.hold_at[0] && held(&fx->fake, fx->fake.hold_at);
}

static bool never(struct fixture *fx)
{
	(void)fx;
	return false;
}

/* Runs the loop and the fakes for a while, with nothing to wait for. */
static void run_a_while(struct fixture *fx)
{
	uint64_t end = mono_usec() + 100 * 1000;

	while (mono_usec() < end && !never(fx))
		if (!deliver_one(&fx->fake))
			assert_true(sd_event_run(fx->d.event, 2000) >= 0);
}

static bool is_stopped(struct fixture *fx)
{
	return run_quiet(fx) && fx->vm && vm_state_is_inactive(fx->vm->state);
}

static enum step waiting_step;
static bool at_step(struct fixture *fx)
{
	struct run *r = the_run(fx);

	return r && r->mode == RUN_STARTING && r->step == waiting_step;
}

/* Everything a request was sent for was released, once. */
static void assert_released(struct fixture *fx)
{
	struct fake *f = &fx->fake;
	char link[PATH_MAX];

	if (f->tap_delete != f->tap_create || f->disk_release != f->disk_prepare ||
		f->jail_cleanup != f->jail_stage || f->tap_delete > 1 || f->disk_release > 1 ||
		f->jail_cleanup > 1 || f->vmm_alive || f->watching)
		fail_msg("%s: released/acquired tap %u/%u, disk %u/%u, jail %u/%u; VMM %s%s",
			scenario, f->tap_delete, f->tap_create, f->disk_release, f->disk_prepare,
			f->jail_cleanup, f->jail_stage, f->vmm_alive ? "still runs" : "gone",
			f->watching ? ", still watched" : "");
	assert_int_equal(layout_vm_sock_link(&fx->d.layout, VM_ID, link, sizeof(link)) >= 0, 1);
	if (access(link, F_OK) == 0)
		fail_msg("%s: the API socket link is left", scenario);
	for (struct pending *p = f->q; p; p = p->next)
		fail_msg("%s: left in flight: %s", scenario, p->what);
}

static void assert_ends(struct fixture *fx, enum vm_state st, const char *reason_part)
{
	assert_true(run_until(fx, run_quiet));
	assert_non_null(fx->vm);
	if (fx->vm->state != st || !strstr(fx->vm->reason, reason_part))
		fail_msg("%s: ended %s (%s), expected %s (… %s …)", scenario,
			vm_state_to_string(fx->vm->state), fx->vm->reason, vm_state_to_string(st),
			reason_part);
	assert_released(fx);
}

/* ---- the start, step by step ------------------------------------------------------------------
 */

/* How each step is made to fail, or held in flight, through the fakes. */
static const char *const step_port[_STEP_MAX] = {
	[STEP_ADDRESS] = NULL, /* no port: fails on a full subnet, finishes at once */
	[STEP_BRIDGE] = "net.bridge_ensure",
	[STEP_NAT] = "nat.ensure",
	[STEP_TAP] = "net.tap_create",
	[STEP_DISK] = "disk.prepare",
	[STEP_JAIL] = "jail.stage",
	[STEP_LAUNCH] = "jail.launch",
	[STEP_SOCKET] = "GET /",
	[STEP_CONFIGURE] = "PUT /machine-config",
	[STEP_BOOT] = "action:InstanceStart",
	[STEP_HOSTKEY] = NULL, /* waits for a console line */
	[STEP_SSH] = "ssh",
	[STEP_FILE_SYNC] = "file_sync",
};

static void start(struct fixture *fx)
{
	struct rpc_error err;

	assert_int_equal(lifecycle_start(fx->lc, fx->vm, &err), 0);
}

static void test_start_runs(void **state)
{
	struct fixture *fx = *state;

	start(fx);
	assert_true(run_until(fx, run_quiet));
	assert_true(fx->started);
	assert_int_equal(fx->vm->state, VM_STATE_RUNNING);
	assert_string_equal(fx->vm->boot_id, BOOT_ID);
	assert_int_equal(fx->fake.tap_create, 1);
	assert_int_equal(fx->fake.tap_delete, 0);
	assert_true(lifecycle_follows(fx->lc, fx->vm));
}

static void fail_step(struct fixture *fx, enum step s)
{
	char path[PATH_MAX];

	switch (s) {
	case STEP_ADDRESS:
		/* a /30 holds one guest: another VM has it */
		snprintf(path, sizeof(path), "%s/full.conf", fx->root);
		write_file(path, "[network]\nsubnet = 172.31.0.0/30\n");
		{
			struct banger_config small;
			assert_int_equal(config_load(&small, path), 0);
			fx->lc->cfg.subnet = small.subnet;
			memcpy(fx->lc->cfg.subnet_text, small.subnet_text,
				sizeof(small.subnet_text));
			config_done(&small);
		}
		{
			struct vm *o = calloc(1, sizeof(*o));
			assert_non_null(o);
			*o = *fx->vm;
			strcpy(o->id, "fedcba9876543210fedcba9876543210");
			strcpy(o->name, "other");
			strcpy(o->ip, "172.31.0.2");
			assert_int_equal(store_vm_save(&fx->d.store, o), 0);
		}
		break;
	case STEP_HOSTKEY:
		fx->fake.no_hostkey = true;
		break;
	default:
		snprintf(fx->fake.fail_at, sizeof(fx->fake.fail_at), "%s", step_port[s]);
		break;
	}
}

static void test_fail_each_step(void **state)
{
	struct fixture *fx = *state;

	for (enum step s = 0; s < _STEP_MAX; s++) {
		char reason[64];

		teardown(state);
		setup(state);
		fx = *state;
		snprintf(scenario, sizeof(scenario), "fail step \"%s\"", lifecycle_steps[s].name);
		fail_step(fx, s);
		start(fx);
		if (s == STEP_FILE_SYNC) {
			/* a file_sync failure is reported per path; the VM runs either way */
			assert_true(run_until(fx, run_quiet));
			assert_int_equal(fx->vm->state, VM_STATE_RUNNING);
			continue;
		}
		snprintf(reason, sizeof(reason), "start failed at step \"%s\"",
			lifecycle_steps[s].name);
		assert_ends(fx, VM_STATE_ERROR, reason);
		assert_true(fx->start_ended);
		assert_false(fx->started);
		assert_non_null(strstr(fx->start_err, reason));
	}
}

/* Holds step s in flight (true), or false for a step that never is (it finishes at once). */
static bool hold_step(struct fixture *fx, enum step s)
{
	waiting_step = s;
	if (s == STEP_HOSTKEY) {
		fx->fake.no_hostkey = true;
		start(fx);
		return run_until(fx, at_step);
	}
	if (!step_port[s])
		return false;
	snprintf(fx->fake.hold_at, sizeof(fx->fake.hold_at), "%s", step_port[s]);
	start(fx);
	assert_true(run_until(fx, is_held));
	assert_true(at_step(fx));
	return true;
}

static void test_stop_during_each_step(void **state)
{
	struct fixture *fx = *state;

	for (enum step s = 0; s < _STEP_MAX; s++) {
		struct rpc_error err;

		teardown(state);
		setup(state);
		fx = *state;
		snprintf(scenario, sizeof(scenario), "stop during step \"%s\"",
			lifecycle_steps[s].name);
		if (!hold_step(fx, s))
			continue;
		assert_int_equal(lifecycle_stop(fx->lc, fx->vm, &err), 0);
		assert_true(fx->start_ended);
		assert_string_equal(fx->start_err, "The start was cancelled by a stop");
		release_held(&fx->fake);
		assert_ends(fx, VM_STATE_STOPPED, "stopped during start");
		assert_true(fx->released);
	}
}

static bool is_deleted(struct fixture *fx)
{
	return fx->deleted && !the_run(fx);
}

static void test_delete_during_each_step(void **state)
{
	struct fixture *fx = *state;

	for (enum step s = 0; s < _STEP_MAX; s++) {
		struct rpc_error err;

		teardown(state);
		setup(state);
		fx = *state;
		snprintf(scenario, sizeof(scenario), "delete during step \"%s\"",
			lifecycle_steps[s].name);
		if (!hold_step(fx, s))
			continue;
		assert_int_equal(lifecycle_delete(fx->lc, fx->vm, &err), 1);
		release_held(&fx->fake);
		assert_true(run_until(fx, is_deleted));
		assert_null(store_vm_by_id(&fx->d.store, VM_ID));
		assert_true(fx->start_ended);
		assert_released(fx);
	}
}

static void test_vmm_dies_during_each_step(void **state)
{
	struct fixture *fx = *state;

	for (enum step s = STEP_LAUNCH; s < _STEP_MAX; s++) {
		char reason[64];

		teardown(state);
		setup(state);
		fx = *state;
		snprintf(scenario, sizeof(scenario), "VMM dies during step \"%s\"",
			lifecycle_steps[s].name);
		assert_true(hold_step(fx, s));
		if (s == STEP_LAUNCH) {
			/* it dies before bangerd-root's answer arrives */
			fx->fake.launch_dies = true;
			release_held(&fx->fake);
		} else
			vmm_exit(&fx->fake);
		snprintf(reason, sizeof(reason), "start failed at step \"%s\"",
			lifecycle_steps[s].name);
		assert_ends(fx, VM_STATE_ERROR, reason);
		assert_non_null(strstr(fx->vm->reason, "exited"));
		assert_int_equal(fx->fake.sig_kill, 0); /* nothing left to kill */
		release_held(&fx->fake);
	}
}

/* ---- stop, stage by stage ----------------------------------------------------------------------
 */

static void run_then_stop(struct fixture *fx, enum vmm_obeys obeys)
{
	struct rpc_error err;

	start(fx);
	assert_true(run_until(fx, run_quiet));
	assert_int_equal(fx->vm->state, VM_STATE_RUNNING);
	fx->fake.obeys = obeys;
	assert_int_equal(lifecycle_stop(fx->lc, fx->vm, &err), 0);
	assert_int_equal(fx->vm->state, VM_STATE_STOPPING);
}

static void test_stop_ctrl_alt_del(void **state)
{
	struct fixture *fx = *state;

	run_then_stop(fx, OBEY_CAD);
	assert_ends(fx, VM_STATE_STOPPED, "");
	assert_true(fx->released);
	assert_int_equal(fx->fake.cad, 1);
	assert_int_equal(fx->fake.sig_term + fx->fake.sig_kill, 0);
}

static void test_stop_term(void **state)
{
	struct fixture *fx = *state;

	run_then_stop(fx, OBEY_TERM);
	assert_ends(fx, VM_STATE_STOPPED, "");
	assert_int_equal(fx->fake.sig_term, 1);
	assert_int_equal(fx->fake.sig_kill, 0);
}

static void test_stop_kill(void **state)
{
	struct fixture *fx = *state;

	run_then_stop(fx, OBEY_KILL);
	assert_ends(fx, VM_STATE_STOPPED, "");
	assert_int_equal(fx->fake.sig_term, 1);
	assert_int_equal(fx->fake.sig_kill, 1);
}

static void test_stop_gives_up(void **state)
{
	struct fixture *fx = *state;

	run_then_stop(fx, OBEY_NOTHING);
	assert_true(run_until(fx, run_quiet));
	assert_int_equal(fx->vm->state, VM_STATE_ERROR);
	assert_non_null(strstr(fx->vm->reason, "did not exit after SIGKILL"));
	/* the rest is released once; the VMM is not signalled again by the launch's undo */
	assert_int_equal(fx->fake.sig_kill, 1);
	assert_int_equal(fx->fake.tap_delete, 1);
	assert_int_equal(fx->fake.disk_release, 1);
	assert_int_equal(fx->fake.jail_cleanup, 1);
	fx->fake.vmm_alive = false; /* what is left is reconcile's */
	fx->fake.watching = false;
}

static void test_stop_halted_skips_ctrl_alt_del(void **state)
{
	struct fixture *fx = *state;
	struct rpc_error err;

	start(fx);
	assert_true(run_until(fx, run_quiet));
	fx->vm->halted = true;
	fx->fake.obeys = OBEY_TERM;
	assert_int_equal(lifecycle_stop(fx->lc, fx->vm, &err), 0);
	assert_ends(fx, VM_STATE_STOPPED, "");
	assert_int_equal(fx->fake.cad, 0);
	assert_int_equal(fx->fake.sig_term, 1);
}

static void test_stop_signal_waits_for_helper(void **state)
{
	struct fixture *fx = *state;

	run_then_stop(fx, OBEY_TERM);
	fx->fake.helper_down = true; /* TERM cannot be asked for: asked again, not escalated */
	run_a_while(fx);
	fx->fake.helper_down = false;
	assert_ends(fx, VM_STATE_STOPPED, "");
	assert_int_equal(fx->fake.sig_kill, 0);
}

static void test_vmm_exits_while_running(void **state)
{
	struct fixture *fx = *state;

	start(fx);
	assert_true(run_until(fx, run_quiet));
	vmm_exit(&fx->fake);
	assert_true(run_until(fx, is_stopped));
	assert_ends(fx, VM_STATE_STOPPED, "exited");
}

/* ---- pause and resume ---------------------------------------------------------------------- */

static bool pause_answered(struct fixture *fx)
{
	struct run *r = the_run(fx);

	return r && r->pause_req == 0;
}

static void set_paused(struct fixture *fx, bool paused)
{
	struct rpc_error err;
	unsigned before = fx->pause_ended;

	assert_int_equal(lifecycle_set_paused(fx->lc, fx->vm, paused, &err), 0);
	assert_true(run_until(fx, pause_answered));
	assert_int_equal(fx->pause_ended, before + 1);
}

static void test_pause_resume(void **state)
{
	struct fixture *fx = *state;
	struct rpc_error err;

	/* not running: refused, nothing sent */
	assert_int_equal(lifecycle_set_paused(fx->lc, fx->vm, true, &err), -ENOTCONN);
	assert_non_null(strstr(err.message, "not running"));
	start(fx);
	assert_true(run_until(fx, run_quiet));
	set_paused(fx, true);
	assert_string_equal(fx->pause_err, "");
	assert_int_equal(fx->vm->state, VM_STATE_PAUSED);
	assert_true(fx->fake.vmm_paused);
	assert_true(lifecycle_follows(fx->lc, fx->vm));
	assert_int_equal(lifecycle_set_paused(fx->lc, fx->vm, true, &err), -EALREADY);
	assert_non_null(strstr(err.message, "already paused"));
	/* a start of a paused VM is refused: it runs */
	assert_int_equal(lifecycle_start(fx->lc, fx->vm, &err), -EALREADY);
	set_paused(fx, false);
	assert_int_equal(fx->vm->state, VM_STATE_RUNNING);
	assert_false(fx->fake.vmm_paused);
	assert_int_equal(lifecycle_set_paused(fx->lc, fx->vm, false, &err), -EALREADY);
	assert_non_null(strstr(err.message, "not paused"));
}

static void test_pause_refused_by_vmm(void **state)
{
	struct fixture *fx = *state;

	start(fx);
	assert_true(run_until(fx, run_quiet));
	snprintf(fx->fake.fail_at, sizeof(fx->fake.fail_at), "vm:Paused");
	set_paused(fx, true);
	assert_non_null(strstr(fx->pause_err, "Failed to pause"));
	assert_non_null(strstr(fx->pause_err, "injected failure"));
	assert_int_equal(fx->vm->state, VM_STATE_RUNNING); /* only what the VMM said */
}

/* A paused guest hears no Ctrl-Alt-Del: the stop resumes it first, so it shuts down itself. */
static void test_stop_paused_resumes_first(void **state)
{
	struct fixture *fx = *state;
	struct rpc_error err;

	start(fx);
	assert_true(run_until(fx, run_quiet));
	set_paused(fx, true);
	fx->fake.obeys = OBEY_CAD;
	assert_int_equal(lifecycle_stop(fx->lc, fx->vm, &err), 0);
	assert_ends(fx, VM_STATE_STOPPED, "");
	assert_false(fx->fake.vmm_paused);
	assert_int_equal(fx->fake.cad, 1);
	assert_int_equal(fx->fake.sig_term + fx->fake.sig_kill, 0);
}

/* The resume is refused: Ctrl-Alt-Del goes unheard and the escalation signals the VMM. */
static void test_stop_paused_resume_refused(void **state)
{
	struct fixture *fx = *state;
	struct rpc_error err;

	start(fx);
	assert_true(run_until(fx, run_quiet));
	set_paused(fx, true);
	snprintf(fx->fake.fail_at, sizeof(fx->fake.fail_at), "vm:Resumed");
	fx->fake.obeys = OBEY_CAD;
	assert_int_equal(lifecycle_stop(fx->lc, fx->vm, &err), 0);
	fx->fake.obeys = OBEY_TERM;
	assert_ends(fx, VM_STATE_STOPPED, "");
	assert_int_equal(fx->fake.sig_term, 1);
}

/* A stop overtakes a pause in flight: the pause's callers are told, the stop releases all. */
static void test_stop_during_pause(void **state)
{
	struct fixture *fx = *state;
	struct rpc_error err;

	start(fx);
	assert_true(run_until(fx, run_quiet));
	snprintf(fx->fake.hold_at, sizeof(fx->fake.hold_at), "vm:Paused");
	assert_int_equal(lifecycle_set_paused(fx->lc, fx->vm, true, &err), 0);
	assert_true(run_until(fx, is_held));
	assert_int_equal(lifecycle_set_paused(fx->lc, fx->vm, false, &err), -EBUSY);
	fx->fake.obeys = OBEY_CAD;
	assert_int_equal(lifecycle_stop(fx->lc, fx->vm, &err), 0);
	assert_int_equal(fx->pause_ended, 1);
	assert_non_null(strstr(fx->pause_err, "cancelled"));
	release_held(&fx->fake);
	assert_ends(fx, VM_STATE_STOPPED, "");
	assert_int_equal(fx->fake.sig_term + fx->fake.sig_kill, 0);
}

static void test_vmm_exits_while_paused(void **state)
{
	struct fixture *fx = *state;

	start(fx);
	assert_true(run_until(fx, run_quiet));
	set_paused(fx, true);
	vmm_exit(&fx->fake);
	assert_true(run_until(fx, is_stopped));
	assert_ends(fx, VM_STATE_STOPPED, "exited");
}

/* ---- re-adoption ------------------------------------------------------------------------------
 */

static void as_left_by_earlier_daemon(struct fixture *fx, enum vm_state st)
{
	fx->vm->state = st;
	strcpy(fx->vm->ip, "172.30.0.2");
	fx->vm->pid = VMM_PID;
	assert_int_equal(store_vm_save(&fx->d.store, fx->vm), 0);
}

static bool follows(struct fixture *fx)
{
	return lifecycle_follows(fx->lc, fx->vm);
}

/* A new bangerd: a fresh lifecycle re-adopts what runs and has asked each VMM whether it is
 * paused. */
static void daemon_readopt(struct fixture *fx)
{
	new_lifecycle(fx);
	lifecycle_readopt(fx->lc);
	assert_true(run_until(fx, follows));
	assert_true(run_until(fx, pause_answered));
}

/* bangerd ends and a new one starts. */
static void daemon_restart(struct fixture *fx)
{
	fx->lc = lifecycle_free(fx->lc);
	daemon_readopt(fx);
}

static void test_readopt_running_then_stop(void **state)
{
	struct fixture *fx = *state;
	struct rpc_error err;

	as_left_by_earlier_daemon(fx, VM_STATE_RUNNING);
	fx->fake.vmm_alive = true;
	lifecycle_readopt(fx->lc);
	assert_true(run_until(fx, follows));
	assert_int_equal(fx->fake.tap_delete + fx->fake.sig_kill, 0);
	fx->fake.obeys = OBEY_CAD;
	assert_int_equal(lifecycle_stop(fx->lc, fx->vm, &err), 0);
	assert_true(run_until(fx, is_stopped));
	/* adopted, so each is released once without having been created here */
	assert_int_equal(fx->fake.tap_delete, 1);
	assert_int_equal(fx->fake.disk_release, 1);
	assert_int_equal(fx->fake.jail_cleanup, 1);
	assert_false(fx->fake.vmm_alive);
}

/* ---- suspend and restore ---------------------------------------------------------------------
 */

static void vm_file(struct fixture *fx, const char *name, char path[static PATH_MAX])
{
	assert_int_equal(layout_vm_file(&fx->d.layout, VM_ID, name, path, PATH_MAX), 0);
}

static bool vm_file_exists(struct fixture *fx, const char *name)
{
	char path[PATH_MAX];

	vm_file(fx, name, path);
	return access(path, F_OK) == 0;
}

static void run_then_suspend(struct fixture *fx)
{
	struct rpc_error err;

	start(fx);
	assert_true(run_until(fx, run_quiet));
	assert_int_equal(lifecycle_suspend(fx->lc, fx->vm, &err), 0);
	assert_int_equal(fx->vm->state, VM_STATE_STOPPING);
	assert_int_equal(lifecycle_suspend(fx->lc, fx->vm, &err), -EBUSY);
}

static void test_suspend_then_restore(void **state)
{
	struct fixture *fx = *state;
	struct rpc_error err;

	run_then_suspend(fx);
	assert_ends(fx, VM_STATE_SUSPENDED, "suspended");
	assert_int_equal(fx->fake.snap_creates, 1);
	assert_int_equal(fx->fake.cad, 0); /* the snapshot is taken: the VMM is simply ended */
	assert_int_equal(fx->fake.sig_kill, 1);
	assert_true(vm_file_exists(fx, "snapshot.json"));
	assert_true(vm_file_exists(fx, "snapshot.state"));
	assert_int_equal(lifecycle_suspend(fx->lc, fx->vm, &err), -EALREADY);
	assert_non_null(strstr(err.message, "not running (suspended)"));

	fx->started = false;
	start(fx);
	assert_true(run_until(fx, run_quiet));
	assert_true(fx->started);
	assert_int_equal(fx->vm->state, VM_STATE_RUNNING);
	assert_int_equal(fx->fake.snap_loads, 1);
	assert_int_equal(fx->fake.instance_starts, 1); /* only the first, cold, start booted */
	assert_string_equal(fx->vm->boot_id, BOOT_ID);
}

/* The VMM refuses the snapshot: the guest runs on (resumed), the caller hears why. */
static void test_suspend_create_refused(void **state)
{
	struct fixture *fx = *state;
	struct rpc_error err;

	snprintf(fx->fake.fail_at, sizeof(fx->fake.fail_at), "PUT /snapshot/create");
	run_then_suspend(fx);
	assert_true(run_until(fx, run_quiet));
	assert_int_equal(fx->suspend_failed, 1);
	assert_non_null(strstr(fx->pause_err, "Failed to suspend VM \"web\""));
	assert_non_null(strstr(fx->pause_err, "running again"));
	assert_int_equal(fx->vm->state, VM_STATE_RUNNING);
	assert_false(fx->fake.vmm_paused);
	assert_true(lifecycle_follows(fx->lc, fx->vm));
	assert_false(vm_file_exists(fx, "snapshot.json"));
	fx->fake.obeys = OBEY_CAD;
	assert_int_equal(lifecycle_stop(fx->lc, fx->vm, &err), 0);
	assert_ends(fx, VM_STATE_STOPPED, "");
}

/* ---- live snapshots ------------------------------------------------------------------------ */

static bool snap_path_exists(struct fixture *fx, const char *rel)
{
	char dir[PATH_MAX], path[PATH_MAX + 64];

	assert_int_equal(layout_vm_dir(&fx->d.layout, VM_ID, dir, sizeof(dir)), 0);
	snprintf(path, sizeof(path), "%s/snapshots/%s", dir, rel);
	return access(path, F_OK) == 0;
}

static bool snapshot_done(struct fixture *fx)
{
	return fx->snapshot_ended > 0;
}

static void test_snapshot_live(void **state)
{
	struct fixture *fx = *state;
	struct rpc_error err;

	start(fx);
	assert_true(run_until(fx, run_quiet));
	assert_int_equal(lifecycle_snapshot(fx->lc, fx->vm, "s1", &err), 0);
	/* while it is taken: no pause, suspend or second snapshot */
	assert_int_equal(lifecycle_set_paused(fx->lc, fx->vm, true, &err), -EBUSY);
	assert_int_equal(lifecycle_suspend(fx->lc, fx->vm, &err), -EBUSY);
	assert_int_equal(lifecycle_snapshot(fx->lc, fx->vm, "s2", &err), -EBUSY);
	assert_true(run_until(fx, snapshot_done));
	assert_int_equal(fx->snapshot_ended, 1);
	assert_string_equal(fx->pause_err, "");
	assert_int_equal(fx->fake.snap_creates, 1);
	assert_false(fx->fake.vmm_paused); /* resumed */
	assert_int_equal(fx->vm->state, VM_STATE_RUNNING);
	assert_true(snap_path_exists(fx, "s1/disk"));
	assert_true(snap_path_exists(fx, "s1/snapshot.mem"));
	assert_true(snap_path_exists(fx, "s1/snapshot.state"));
	assert_true(snap_path_exists(fx, "s1/snapshot.json"));
	assert_false(snap_path_exists(fx, ".new-s1"));
	assert_true(fx->snapshot_result);
	assert_int_equal(lifecycle_snapshot(fx->lc, fx->vm, "s1", &err), -EEXIST);
	assert_non_null(strstr(err.message, "already has a snapshot named \"s1\""));
	assert_int_equal(lifecycle_snapshot(fx->lc, fx->vm, "Bad", &err), -EINVAL);
	fx->fake.obeys = OBEY_CAD;
	assert_int_equal(lifecycle_stop(fx->lc, fx->vm, &err), 0);
	assert_ends(fx, VM_STATE_STOPPED, "");
	assert_int_equal(lifecycle_snapshot(fx->lc, fx->vm, "s3", &err), -ENOTCONN);
	assert_non_null(strstr(err.message, "it is not running (stopped)"));
}

/* The VMM refuses the snapshot: the guest is resumed, no snapshot directory is left. */
static void test_snapshot_create_refused(void **state)
{
	struct fixture *fx = *state;
	struct rpc_error err;

	start(fx);
	assert_true(run_until(fx, run_quiet));
	snprintf(fx->fake.fail_at, sizeof(fx->fake.fail_at), "PUT /snapshot/create");
	assert_int_equal(lifecycle_snapshot(fx->lc, fx->vm, "s1", &err), 0);
	assert_true(run_until(fx, snapshot_done));
	assert_int_equal(fx->snapshot_ended, 1);
	assert_non_null(strstr(fx->pause_err, "Failed to snapshot VM \"web\""));
	assert_non_null(strstr(fx->pause_err, "running again"));
	assert_false(fx->fake.vmm_paused);
	assert_int_equal(fx->vm->state, VM_STATE_RUNNING);
	assert_false(snap_path_exists(fx, "s1"));
	assert_false(snap_path_exists(fx, ".new-s1"));
	fx->fake.obeys = OBEY_CAD;
	assert_int_equal(lifecycle_stop(fx->lc, fx->vm, &err), 0);
	assert_ends(fx, VM_STATE_STOPPED, "");
}

/* A stop overtakes the snapshot: it is cancelled, nothing is kept, the guest still stops by
 * itself (resumed first). */
static void test_snapshot_cancelled_by_stop(void **state)
{
	struct fixture *fx = *state;
	struct rpc_error err;

	start(fx);
	assert_true(run_until(fx, run_quiet));
	snprintf(fx->fake.hold_at, sizeof(fx->fake.hold_at), "PUT /snapshot/create");
	assert_int_equal(lifecycle_snapshot(fx->lc, fx->vm, "s1", &err), 0);
	assert_true(run_until(fx, is_held));
	assert_true(snap_path_exists(fx, ".new-s1"));
	fx->fake.obeys = OBEY_CAD;
	assert_int_equal(lifecycle_stop(fx->lc, fx->vm, &err), 0);
	assert_int_equal(fx->snapshot_ended, 1);
	assert_non_null(strstr(fx->pause_err, "cancelled"));
	assert_ends(fx, VM_STATE_STOPPED, "");
	assert_false(snap_path_exists(fx, "s1"));
	assert_false(snap_path_exists(fx, ".new-s1"));
}

/* A stop while the disk is copied (the guest paused for it): the copy is killed, its partial
 * directory removed, the guest resumed first, so it still stops by itself. */
static void test_snapshot_cancelled_during_copy(void **state)
{
	struct fixture *fx = *state;
	struct rpc_error err;

	start(fx);
	assert_true(run_until(fx, run_quiet));
	snprintf(fx->fake.hold_at, sizeof(fx->fake.hold_at), "copy:disk");
	assert_int_equal(lifecycle_snapshot(fx->lc, fx->vm, "s1", &err), 0);
	assert_true(run_until(fx, is_held));
	assert_true(fx->fake.vmm_paused); /* the disk is copied while the guest stands */
	assert_true(snap_path_exists(fx, ".new-s1/snapshot.state"));
	assert_int_equal(lifecycle_set_paused(fx->lc, fx->vm, false, &err), -EBUSY);
	fx->fake.obeys = OBEY_CAD;
	assert_int_equal(lifecycle_stop(fx->lc, fx->vm, &err), 0);
	assert_int_equal(fx->snapshot_ended, 1);
	assert_non_null(strstr(fx->pause_err, "cancelled"));
	assert_false(held(&fx->fake, "copy:disk")); /* killed */
	assert_ends(fx, VM_STATE_STOPPED, "");
	assert_false(snap_path_exists(fx, "s1"));
	assert_false(snap_path_exists(fx, ".new-s1"));
}

/* The daemon ends during the copy: the copy child is killed (no longer queued), the partial
 * directory removed; the VMM, nobody's child, runs on (the next daemon re-adopts it). */
static void test_snapshot_copy_at_shutdown(void **state)
{
	struct fixture *fx = *state;
	struct rpc_error err;

	start(fx);
	assert_true(run_until(fx, run_quiet));
	snprintf(fx->fake.hold_at, sizeof(fx->fake.hold_at), "copy:disk");
	assert_int_equal(lifecycle_snapshot(fx->lc, fx->vm, "s1", &err), 0);
	assert_true(run_until(fx, is_held));
	assert_true(snap_path_exists(fx, ".new-s1"));
	fx->lc = lifecycle_free(fx->lc);
	assert_false(held(&fx->fake, "copy:disk"));
	assert_false(snap_path_exists(fx, ".new-s1"));
	assert_false(snap_path_exists(fx, "s1"));
}

/* bangerd ends while a snapshot has the guest paused: the VMM runs on, paused, and the mark
 * stays; the next bangerd re-adopts it, finds the mark and resumes the guest (no pause its owner
 * never asked for), then removes the mark. */
static void test_snapshot_pause_outlives_daemon(void **state)
{
	struct fixture *fx = *state;
	struct rpc_error err;

	start(fx);
	assert_true(run_until(fx, run_quiet));
	assert_false(vm_file_exists(fx, SNAPSHOT_PAUSE_MARK));
	snprintf(fx->fake.hold_at, sizeof(fx->fake.hold_at), "copy:disk");
	assert_int_equal(lifecycle_snapshot(fx->lc, fx->vm, "s1", &err), 0);
	assert_true(run_until(fx, is_held));
	assert_true(fx->fake.vmm_paused);
	assert_true(vm_file_exists(fx, SNAPSHOT_PAUSE_MARK));
	fx->lc = lifecycle_free(fx->lc);
	assert_true(fx->fake.vmm_paused); /* nobody resumed it */
	assert_true(vm_file_exists(fx, SNAPSHOT_PAUSE_MARK));
	assert_false(snap_path_exists(fx, ".new-s1"));

	fx->fake.hold_at[0] = '\0';
	daemon_readopt(fx);
	assert_false(fx->fake.vmm_paused);
	assert_int_equal(fx->vm->state, VM_STATE_RUNNING);
	assert_false(vm_file_exists(fx, SNAPSHOT_PAUSE_MARK));
	assert_int_equal(lifecycle_set_paused(fx->lc, fx->vm, false, &err), -EALREADY);
	fx->fake.obeys = OBEY_CAD;
	assert_int_equal(lifecycle_stop(fx->lc, fx->vm, &err), 0);
	assert_true(run_until(fx, is_stopped));
}

/* The mark is only ever a snapshot's: gone after one that ended, either way; a pause of the
 * owner's own, found at re-adoption without a mark, stays; a mark over a VMM found running is
 * dropped; a start clears a stale one. */
static void test_snapshot_pause_mark_cleared(void **state)
{
	struct fixture *fx = *state;
	char mark[PATH_MAX];
	struct rpc_error err;

	start(fx);
	assert_true(run_until(fx, run_quiet));
	assert_int_equal(lifecycle_snapshot(fx->lc, fx->vm, "s1", &err), 0);
	assert_true(run_until(fx, snapshot_done));
	assert_false(vm_file_exists(fx, SNAPSHOT_PAUSE_MARK));
	snprintf(fx->fake.fail_at, sizeof(fx->fake.fail_at), "PUT /snapshot/create");
	fx->snapshot_ended = 0;
	assert_int_equal(lifecycle_snapshot(fx->lc, fx->vm, "s2", &err), 0);
	assert_true(run_until(fx, snapshot_done));
	assert_non_null(strstr(fx->pause_err, "Failed to snapshot VM"));
	assert_false(vm_file_exists(fx, SNAPSHOT_PAUSE_MARK));
	fx->fake.fail_at[0] = '\0';

	/* the owner's pause outlives bangerd as a pause */
	set_paused(fx, true);
	daemon_restart(fx);
	assert_true(fx->fake.vmm_paused);
	assert_int_equal(fx->vm->state, VM_STATE_PAUSED);
	set_paused(fx, false);

	/* a mark over a running VMM: dropped, the record untouched */
	vm_file(fx, SNAPSHOT_PAUSE_MARK, mark);
	write_file(mark, "");
	daemon_restart(fx);
	assert_false(fx->fake.vmm_paused);
	assert_int_equal(fx->vm->state, VM_STATE_RUNNING);
	assert_false(vm_file_exists(fx, SNAPSHOT_PAUSE_MARK));

	/* a stale mark is gone once the VM starts again */
	fx->fake.obeys = OBEY_CAD;
	assert_int_equal(lifecycle_stop(fx->lc, fx->vm, &err), 0);
	assert_true(run_until(fx, is_stopped));
	write_file(mark, "");
	start(fx);
	assert_true(run_until(fx, run_quiet));
	assert_false(vm_file_exists(fx, SNAPSHOT_PAUSE_MARK));
}

/* A suspend of the running VM held at its snapshot when bangerd ends; then the record a
 * SIGKILLed bangerd would have left (stopping, suspending) over the VMM that still runs, and
 * the next bangerd. */
static void suspend_then_daemon_dies(struct fixture *fx, bool mark_expected)
{
	struct rpc_error err;

	snprintf(fx->fake.hold_at, sizeof(fx->fake.hold_at), "PUT /snapshot/create");
	assert_int_equal(lifecycle_suspend(fx->lc, fx->vm, &err), 0);
	assert_true(run_until(fx, is_held));
	assert_true(fx->fake.vmm_paused);
	assert_int_equal(vm_file_exists(fx, SNAPSHOT_PAUSE_MARK), mark_expected);
	fx->lc = lifecycle_free(fx->lc);
	assert_true(fx->fake.vmm_alive);
	assert_true(fx->fake.vmm_paused); /* nobody resumed it */
	assert_int_equal(vm_file_exists(fx, SNAPSHOT_PAUSE_MARK), mark_expected);
	fx->vm->state = VM_STATE_STOPPING;
	snprintf(fx->vm->reason, sizeof(fx->vm->reason), "%s", SUSPENDING_REASON);
	fx->fake.hold_at[0] = '\0';
	daemon_readopt(fx);
}

/* The next bangerd undoes a suspend the last one did not finish, rather than release the
 * guest and lose its memory: the VMM and the tap are kept, the guest the suspend paused runs
 * again, nothing is recorded as suspended; a suspend then goes to the end. */
static void test_suspend_interrupted_by_daemon_end(void **state)
{
	struct fixture *fx = *state;
	struct rpc_error err;

	start(fx);
	assert_true(run_until(fx, run_quiet));
	suspend_then_daemon_dies(fx, true);
	assert_true(fx->fake.vmm_alive);
	assert_false(fx->fake.vmm_paused);
	assert_int_equal(fx->fake.tap_delete, 0);
	assert_int_equal(fx->vm->state, VM_STATE_RUNNING);
	assert_false(vm_file_exists(fx, SNAPSHOT_PAUSE_MARK));
	assert_false(vm_file_exists(fx, "snapshot.json"));

	assert_int_equal(lifecycle_suspend(fx->lc, fx->vm, &err), 0);
	assert_true(run_until(fx, is_stopped));
	assert_int_equal(fx->vm->state, VM_STATE_SUSPENDED);
	assert_true(vm_file_exists(fx, "snapshot.json"));
	assert_false(vm_file_exists(fx, SNAPSHOT_PAUSE_MARK));
}

/* A guest the owner had paused before the suspend stays paused when the next bangerd undoes
 * it: the suspend left no mark, the pause is the owner's. */
static void test_suspend_of_paused_interrupted(void **state)
{
	struct fixture *fx = *state;

	start(fx);
	assert_true(run_until(fx, run_quiet));
	set_paused(fx, true);
	suspend_then_daemon_dies(fx, false);
	assert_true(fx->fake.vmm_alive);
	assert_true(fx->fake.vmm_paused);
	assert_int_equal(fx->vm->state, VM_STATE_PAUSED);
	assert_false(vm_file_exists(fx, "snapshot.json"));
	set_paused(fx, false);
	assert_false(fx->fake.vmm_paused);
}

/* Either copy fails: the guest runs again, the caller hears which copy, nothing is kept. */
static void snapshot_copy_fails(struct fixture *fx, const char *at, const char *says)
{
	struct rpc_error err;

	start(fx);
	assert_true(run_until(fx, run_quiet));
	snprintf(fx->fake.fail_at, sizeof(fx->fake.fail_at), "%s", at);
	assert_int_equal(lifecycle_snapshot(fx->lc, fx->vm, "s1", &err), 0);
	assert_true(run_until(fx, snapshot_done));
	assert_non_null(strstr(fx->pause_err, says));
	assert_non_null(strstr(fx->pause_err, "Input/output error"));
	assert_false(fx->fake.vmm_paused);
	assert_int_equal(fx->vm->state, VM_STATE_RUNNING);
	assert_false(snap_path_exists(fx, "s1"));
	assert_false(snap_path_exists(fx, ".new-s1"));
	fx->fake.obeys = OBEY_CAD;
	assert_int_equal(lifecycle_stop(fx->lc, fx->vm, &err), 0);
	assert_ends(fx, VM_STATE_STOPPED, "");
}

static void test_snapshot_disk_copy_fails(void **state)
{
	snapshot_copy_fails(*state, "copy:disk", "cannot copy its disk");
	assert_non_null(strstr(((struct fixture *)*state)->pause_err, "running again"));
}

static void test_snapshot_mem_copy_fails(void **state)
{
	snapshot_copy_fails(*state, "copy:snapshot.mem", "cannot copy its memory file");
}

/* ---- restoring one ----------------------------------------------------------------------------
 */

/* Snapshot s1 of the running VM, which is then stopped. */
static void snapshot_then_stop(struct fixture *fx)
{
	struct rpc_error err;

	start(fx);
	assert_true(run_until(fx, run_quiet));
	assert_int_equal(lifecycle_snapshot(fx->lc, fx->vm, "s1", &err), 0);
	assert_true(run_until(fx, snapshot_done));
	assert_string_equal(fx->pause_err, "");
	fx->fake.obeys = OBEY_CAD;
	assert_int_equal(lifecycle_stop(fx->lc, fx->vm, &err), 0);
	assert_ends(fx, VM_STATE_STOPPED, "");
	fx->snapshot_ended = 0;
	fx->snapshot_result = false;
	fx->released = false;
}

static bool no_restore_files(struct fixture *fx)
{
	return !vm_file_exists(fx, "disk.restore") && !vm_file_exists(fx, "snapshot.mem.restore") &&
	       !vm_file_exists(fx, "snapshot.state.restore");
}

/* The copies are made off the loop, one by one; a start waits for none of them: it is refused
 * until the VM is suspended with the snapshot's files, which the next start restores. */
static void test_snapshot_restore(void **state)
{
	struct fixture *fx = *state;
	struct rpc_error err;
	unsigned copies;

	snapshot_then_stop(fx);
	copies = fx->fake.copies;
	snprintf(fx->fake.hold_at, sizeof(fx->fake.hold_at), "copy:snapshot.mem.restore");
	assert_int_equal(lifecycle_snapshot_restore(fx->lc, fx->vm, "s1", &err), 0);
	assert_true(run_until(fx, is_held));
	assert_int_equal(fx->snapshot_ended, 0);
	assert_true(vm_file_exists(fx, "disk.restore")); /* the first copy is made */
	assert_int_equal(fx->vm->state, VM_STATE_STOPPED);
	assert_int_equal(lifecycle_start(fx->lc, fx->vm, &err), -EBUSY);
	assert_non_null(strstr(err.message, "is being restored from its snapshot \"s1\""));
	assert_int_equal(lifecycle_start_cold(fx->lc, fx->vm, &err), -EBUSY);
	assert_int_equal(lifecycle_snapshot_restore(fx->lc, fx->vm, "s1", &err), -EBUSY);
	release_held(&fx->fake);
	assert_true(run_until(fx, snapshot_done));
	assert_string_equal(fx->pause_err, "");
	assert_true(fx->snapshot_result);
	assert_int_equal(fx->fake.copies - copies, 3);
	assert_int_equal(fx->vm->state, VM_STATE_SUSPENDED);
	assert_non_null(strstr(fx->vm->reason, "restored from snapshot s1"));
	assert_true(vm_file_exists(fx, "snapshot.json"));
	assert_true(no_restore_files(fx));
	start(fx);
	assert_true(run_until(fx, run_quiet));
	assert_int_equal(fx->vm->state, VM_STATE_RUNNING);
	assert_int_equal(fx->fake.snap_loads, 1);
}

/* A stop cancels the restore (answered as stopped), a delete too: the copy killed, no .restore
 * file left, the VM as it was. */
static void restore_cancelled(struct fixture *fx, bool by_delete)
{
	struct rpc_error err;

	snapshot_then_stop(fx);
	snprintf(fx->fake.hold_at, sizeof(fx->fake.hold_at), "copy:snapshot.mem.restore");
	assert_int_equal(lifecycle_snapshot_restore(fx->lc, fx->vm, "s1", &err), 0);
	assert_true(run_until(fx, is_held));
	if (by_delete)
		lifecycle_forget(fx->lc, fx->vm);
	else {
		assert_int_equal(lifecycle_stop(fx->lc, fx->vm, &err), 0);
		assert_true(fx->released);
	}
	assert_int_equal(fx->snapshot_ended, 1);
	assert_non_null(strstr(fx->pause_err, "was cancelled"));
	assert_non_null(strstr(fx->pause_err, by_delete ? "deleted" : "by a stop"));
	assert_false(held(&fx->fake, "copy:snapshot.mem.restore")); /* killed */
	assert_true(no_restore_files(fx));
	assert_int_equal(fx->vm->state, VM_STATE_STOPPED);
	/* and it may be restored again */
	release_held(&fx->fake);
	fx->snapshot_ended = 0;
	assert_int_equal(lifecycle_snapshot_restore(fx->lc, fx->vm, "s1", &err), 0);
	assert_true(run_until(fx, snapshot_done));
	assert_string_equal(fx->pause_err, "");
	assert_int_equal(fx->vm->state, VM_STATE_SUSPENDED);
}

static void test_snapshot_restore_cancelled_by_stop(void **state)
{
	restore_cancelled(*state, false);
}

static void test_snapshot_restore_cancelled_by_delete(void **state)
{
	restore_cancelled(*state, true);
}

/* A copy fails: what was copied is removed, the VM is unchanged. */
static void test_snapshot_restore_copy_fails(void **state)
{
	struct fixture *fx = *state;
	struct rpc_error err;

	snapshot_then_stop(fx);
	snprintf(fx->fake.fail_at, sizeof(fx->fake.fail_at), "copy:snapshot.state.restore");
	assert_int_equal(lifecycle_snapshot_restore(fx->lc, fx->vm, "s1", &err), 0);
	assert_true(run_until(fx, snapshot_done));
	assert_non_null(strstr(fx->pause_err,
		"copying its snapshot.state: Input/output error; the VM is unchanged"));
	assert_false(fx->snapshot_result);
	assert_true(no_restore_files(fx));
	assert_int_equal(fx->vm->state, VM_STATE_STOPPED);
	assert_false(vm_file_exists(fx, "snapshot.json"));
}

static void test_suspend_refused_leaves_paused(void **state)
{
	struct fixture *fx = *state;
	struct rpc_error err;

	start(fx);
	assert_true(run_until(fx, run_quiet));
	set_paused(fx, true);
	snprintf(fx->fake.fail_at, sizeof(fx->fake.fail_at), "PUT /snapshot/create");
	assert_int_equal(lifecycle_suspend(fx->lc, fx->vm, &err), 0);
	assert_true(run_until(fx, run_quiet));
	assert_int_equal(fx->suspend_failed, 1);
	assert_non_null(strstr(fx->pause_err, "still paused"));
	assert_int_equal(fx->vm->state, VM_STATE_PAUSED);
	assert_true(fx->fake.vmm_paused);
}

static void test_vmm_dies_during_suspend(void **state)
{
	struct fixture *fx = *state;

	snprintf(fx->fake.hold_at, sizeof(fx->fake.hold_at), "PUT /snapshot/create");
	run_then_suspend(fx);
	assert_true(run_until(fx, is_held));
	vmm_exit(&fx->fake);
	release_held(&fx->fake);
	assert_ends(fx, VM_STATE_STOPPED, "nothing was saved");
	assert_false(vm_file_exists(fx, "snapshot.json"));
}

static void suspended(struct fixture *fx)
{
	run_then_suspend(fx);
	assert_ends(fx, VM_STATE_SUSPENDED, "suspended");
	/* the next start reuses the file disk, without disk.prepare, and still releases it: count
	 * it as prepared, so that assert_released() checks the rest */
	fx->fake.disk_prepare++;
}

/* assert_ends() for a second start: every resource released as often as it was acquired. */
static void assert_ends_again(struct fixture *fx, enum vm_state st, const char *reason_part)
{
	struct fake *f = &fx->fake;

	assert_true(run_until(fx, run_quiet));
	if (fx->vm->state != st || !strstr(fx->vm->reason, reason_part))
		fail_msg("ended %s (%s), expected %s (… %s …)", vm_state_to_string(fx->vm->state),
			fx->vm->reason, vm_state_to_string(st), reason_part);
	if (f->tap_delete != f->tap_create || f->disk_release != f->disk_prepare ||
		f->jail_cleanup != f->jail_stage || f->vmm_alive || f->watching || f->q)
		fail_msg("released/acquired tap %u/%u, disk %u/%u, jail %u/%u; VMM %s%s",
			f->tap_delete, f->tap_create, f->disk_release, f->disk_prepare,
			f->jail_cleanup, f->jail_stage, f->vmm_alive ? "still runs" : "gone",
			f->q ? ", work left in flight" : "");
}

/* A disk that changed since the snapshot is refused, with the way out; a cold start boots. */
static void test_restore_refused_disk_changed(void **state)
{
	struct fixture *fx = *state;
	struct rpc_error err;
	char path[PATH_MAX];

	suspended(fx);
	vm_file(fx, "disk", path);
	write_file(path, "written since");
	assert_int_equal(lifecycle_start(fx->lc, fx->vm, &err), -ESTALE);
	assert_non_null(strstr(err.message, "its disk changed since the snapshot"));
	assert_non_null(strstr(err.message, "banger vm start --cold web"));
	assert_int_equal(fx->vm->state, VM_STATE_SUSPENDED);
	assert_int_equal(fx->fake.jail_stage, 1); /* nothing was started */

	assert_int_equal(lifecycle_start_cold(fx->lc, fx->vm, &err), 0);
	assert_true(run_until(fx, run_quiet));
	assert_int_equal(fx->vm->state, VM_STATE_RUNNING);
	assert_int_equal(fx->fake.snap_loads, 0);
	assert_int_equal(fx->fake.instance_starts, 2);
	assert_false(vm_file_exists(fx, "snapshot.json"));
}

static void test_restore_refused_damaged_record(void **state)
{
	struct fixture *fx = *state;
	struct rpc_error err;
	char path[PATH_MAX];

	suspended(fx);
	vm_file(fx, "snapshot.json", path);
	write_file(path, "{\"schema\": ");
	assert_int_equal(lifecycle_start(fx->lc, fx->vm, &err), -ESTALE);
	assert_non_null(strstr(err.message, "damaged"));
	assert_int_equal(fx->vm->state, VM_STATE_SUSPENDED);
}

/* The VMM refuses the load (a corrupt state file): the VM stays suspended, snapshot kept. */
static void test_restore_load_refused(void **state)
{
	struct fixture *fx = *state;

	suspended(fx);
	snprintf(fx->fake.fail_at, sizeof(fx->fake.fail_at), "PUT /snapshot/load");
	start(fx);
	assert_ends_again(fx, VM_STATE_SUSPENDED, "restore failed at step \"configure\"");
	assert_true(fx->start_ended);
	assert_non_null(strstr(fx->start_err, "injected failure"));
	assert_true(vm_file_exists(fx, "snapshot.json"));
	fx->fake.fail_at[0] = '\0';
	start(fx);
	assert_true(run_until(fx, run_quiet));
	assert_int_equal(fx->vm->state, VM_STATE_RUNNING);
	assert_int_equal(fx->fake.snap_loads, 1); /* the refused one is not counted */
}

/* A guest that comes back with another boot id was not restored: refused, still suspended. */
static void test_restore_boot_id_differs(void **state)
{
	struct fixture *fx = *state;

	suspended(fx);
	fx->fake.boot_id = "ffffffff-4a59-4687-a5b4-c3d2e1f00112";
	start(fx);
	assert_ends_again(fx, VM_STATE_SUSPENDED, "boot id");
}

/* A restarted daemon re-adopts a paused VM as paused: resume works, and so does a stop. */
static void test_readopt_paused(void **state)
{
	struct fixture *fx = *state;
	struct rpc_error err;

	as_left_by_earlier_daemon(fx, VM_STATE_PAUSED);
	fx->fake.vmm_alive = true;
	fx->fake.vmm_paused = true;
	fx->fake.instance_state = "Paused";
	lifecycle_readopt(fx->lc);
	assert_true(run_until(fx, follows));
	assert_true(run_until(fx, pause_answered));
	assert_int_equal(fx->vm->state, VM_STATE_PAUSED);
	assert_int_equal(lifecycle_set_paused(fx->lc, fx->vm, true, &err), -EALREADY);
	set_paused(fx, false);
	assert_int_equal(fx->vm->state, VM_STATE_RUNNING);
	fx->fake.obeys = OBEY_CAD;
	assert_int_equal(lifecycle_stop(fx->lc, fx->vm, &err), 0);
	assert_true(run_until(fx, is_stopped));
	assert_int_equal(fx->fake.sig_term + fx->fake.sig_kill, 0);
	assert_int_equal(fx->fake.jail_cleanup, 1);
}

/* The VMM wins over the record: a pause whose record never reached the disk is found paused, and
 * a record that says paused over a running guest is corrected. */
static void test_readopt_record_lies_about_pause(void **state)
{
	struct fixture *fx = *state;
	struct rpc_error err;

	as_left_by_earlier_daemon(fx, VM_STATE_RUNNING);
	fx->fake.vmm_alive = true;
	fx->fake.vmm_paused = true;
	fx->fake.instance_state = "Paused";
	lifecycle_readopt(fx->lc);
	assert_true(run_until(fx, follows));
	assert_true(run_until(fx, pause_answered));
	assert_int_equal(fx->vm->state, VM_STATE_PAUSED);
	set_paused(fx, false);
	assert_int_equal(fx->vm->state, VM_STATE_RUNNING);
	fx->fake.instance_state = "Running";
	fx->vm->state = VM_STATE_PAUSED;
	assert_int_equal(store_vm_save(&fx->d.store, fx->vm), 0);
	lifecycle_forget(fx->lc, fx->vm); /* a run the fresh daemon does not have (idle: kept) */
	the_run(fx)->mode = RUN_IDLE;
	the_run(fx)->paused = true;
	lifecycle_readopt(fx->lc);
	assert_true(run_until(fx, follows));
	assert_true(run_until(fx, pause_answered));
	assert_int_equal(fx->vm->state, VM_STATE_RUNNING);
	assert_int_equal(lifecycle_set_paused(fx->lc, fx->vm, false, &err), -EALREADY);
	fx->fake.obeys = OBEY_CAD;
	assert_int_equal(lifecycle_stop(fx->lc, fx->vm, &err), 0);
	assert_true(run_until(fx, is_stopped));
}

static void test_readopt_gone(void **state)
{
	struct fixture *fx = *state;

	as_left_by_earlier_daemon(fx, VM_STATE_RUNNING);
	fx->fake.vmm_alive = false;
	lifecycle_readopt(fx->lc);
	assert_true(run_until(fx, is_stopped));
	assert_non_null(strstr(fx->vm->reason, "no longer running"));
	assert_int_equal(fx->fake.tap_delete, 1);
	assert_int_equal(fx->fake.disk_release, 1);
	assert_int_equal(fx->fake.jail_cleanup, 1);
	assert_int_equal(fx->fake.sig_kill + fx->fake.sig_term, 0);
}

static void test_readopt_starting_booted_is_finished(void **state)
{
	struct fixture *fx = *state;
	char line[1024];

	as_left_by_earlier_daemon(fx, VM_STATE_STARTING);
	fx->fake.vmm_alive = true;
	snprintf(line, sizeof(line), "Linux version 6.1\nbanger-hostkey: %s", fx->fake.pubkey);
	console_append(&fx->fake, line);
	lifecycle_readopt(fx->lc);
	assert_true(run_until(fx, follows));
	assert_int_equal(fx->vm->state, VM_STATE_RUNNING);
	assert_string_equal(fx->vm->boot_id, BOOT_ID);
	assert_int_equal(fx->fake.sig_kill, 0);
}

static void test_readopt_starting_not_booted_is_released(void **state)
{
	struct fixture *fx = *state;

	as_left_by_earlier_daemon(fx, VM_STATE_STARTING);
	fx->fake.vmm_alive = true;
	fx->fake.instance_state = "Not started";
	fx->fake.obeys = OBEY_KILL;
	lifecycle_readopt(fx->lc);
	assert_true(run_until(fx, is_stopped));
	assert_non_null(strstr(fx->vm->reason, "before its guest booted"));
	assert_int_equal(fx->fake.sig_kill, 1);
	assert_int_equal(fx->fake.tap_delete, 1);
	assert_false(fx->fake.vmm_alive);
}

static void test_readopt_waits_for_helper(void **state)
{
	struct fixture *fx = *state;

	as_left_by_earlier_daemon(fx, VM_STATE_RUNNING);
	fx->fake.vmm_alive = true;
	fx->fake.helper_down = true;
	lifecycle_readopt(fx->lc);
	run_a_while(fx);
	assert_int_equal(fx->vm->state, VM_STATE_RUNNING); /* no guess */
	fx->fake.helper_down = false;
	assert_true(run_until(fx, follows));
	fx->fake.obeys = OBEY_CAD;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_start_runs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fail_each_step, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_during_each_step, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_during_each_step, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vmm_dies_during_each_step, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_ctrl_alt_del, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_term, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_kill, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_gives_up, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_stop_halted_skips_ctrl_alt_del, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_signal_waits_for_helper, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vmm_exits_while_running, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readopt_running_then_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pause_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pause_refused_by_vmm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_paused_resumes_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_paused_resume_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_during_pause, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vmm_exits_while_paused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readopt_paused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_suspend_then_restore, setup, teardown),
		cmocka_unit_test_setup_teardown(test_suspend_create_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_live, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_create_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_cancelled_by_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_snapshot_cancelled_during_copy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_copy_at_shutdown, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_snapshot_pause_outlives_daemon, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_pause_mark_cleared, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_disk_copy_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_mem_copy_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_restore, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_snapshot_restore_cancelled_by_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_snapshot_restore_cancelled_by_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_restore_copy_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_suspend_refused_leaves_paused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vmm_dies_during_suspend, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_suspend_interrupted_by_daemon_end, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_suspend_of_paused_interrupted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore_refused_disk_changed, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_restore_refused_damaged_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore_load_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore_boot_id_differs, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_readopt_record_lies_about_pause, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readopt_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_readopt_starting_booted_is_finished, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_readopt_starting_not_booted_is_released, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readopt_waits_for_helper, setup, teardown),
	};
	char cmd[128];
	int r;

	log_set_max_level(getenv("TEST_LIFECYCLE_VERBOSE") ? LOG_DEBUG : LOG_CRIT);
	strcpy(home, "/tmp/test-lifecycle-home.XXXXXX");
	if (!mkdtemp(home))
		return 1;
	if (child_init() < 0)
		return 1;
	r = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", home);
	if (system(cmd) != 0)
		r = r ?: 1;
	return r;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* reconcile: at start-up and on demand, make the kernel and the records agree. VMs whose records
 * say they run but that no lifecycle follows are re-adopted (or released and marked stopped); a
 * VM whose record says it does not run but whose jail exists is handed to the lifecycle too (a
 * booted guest is kept, anything else released); and everything with banger's names that no
 * VM owns — VMMs in jails, jails, dm and loop devices, taps — is swept through the helper, a
 * VMM killed before its jail is cleaned. {"dry_run": true} answers the plan without changing
 * anything. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/macro.h"
#include "daemon/daemon.h"
#include "daemon/helper-port.h"
#include "daemon/lifecycle.h"
#include "daemon/netalloc.h"
#include "daemon/reconcile.h"
#include "daemon/rpc.h"
#include "protocol/jsonrpc.h"

#define VMM_GONE_POLL_USEC (100 * 1000)
#define VMM_GONE_MAX_USEC (6 * 1000 * 1000)
#define RETRY_USEC (5 * 1000 * 1000)

enum jail_stage {
	JAIL_KILL,    /* proc.signal KILL, by the VM id */
	JAIL_WAIT,    /* proc.find until none runs */
	JAIL_CLEANUP, /* jail.cleanup */
};

struct sweep_item {
	char op[24];   /* helper op */
	char arg[64];  /* tap name or VM id */
	char what[96]; /* "tap bgt-…", for the plan and the answer */
	enum jail_stage stage;
	uint64_t waited;
};

struct reconcile_job {
	struct daemon *d;
	struct rpc_call *call; /* NULL: the daemon's own, at start-up */
	bool dry_run;
	json_t *readopt; /* names */
	json_t *orphans; /* ids of VMs handed to the lifecycle by plan_orphans() */
	struct sweep_item *items;
	size_t n_items, next;
	json_t *swept, *failed;
	sd_event_source *timer;
	bool said_waiting; /* the daemon's own job logged that it waits for the helper */
};

static void job_free(struct reconcile_job *j)
{
	sd_event_source_disable_unref(j->timer);
	json_decref(j->readopt);
	json_decref(j->orphans);
	json_decref(j->swept);
	json_decref(j->failed);
	free(j->items);
	free(j);
}

/* A VM id is "owned" while its record exists and the lifecycle is starting, running or stopping
 * it — or its record still says it runs (re-adoption decides about those). */
static bool vm_id_owned(struct daemon *d, const char *id)
{
	struct vm *vm = store_vm_by_id(&d->store, id);

	if (!vm)
		return false;
	return lifecycle_busy(d->lifecycle, vm) || !vm_state_is_inactive(vm->state);
}

static bool is_orphan(struct reconcile_job *j, const char *id);

static bool tap_owned(struct reconcile_job *j, const char *tap)
{
	struct daemon *d = j->d;

	for (size_t i = 0; i < d->store.n_vms; i++) {
		char t[16];
		if (net_tap_name(d->store.vms[i]->id, t) >= 0 && streq(t, tap))
			return vm_id_owned(d, d->store.vms[i]->id) ||
			       is_orphan(j, d->store.vms[i]->id);
	}
	return false;
}

static int add_item(struct reconcile_job *j, const char *op, const char *arg, const char *kind)
{
	struct sweep_item *n;

	for (size_t i = 0; i < j->n_items; i++)
		if (streq(j->items[i].op, op) && streq(j->items[i].arg, arg))
			return 0;
	n = realloc(j->items, (j->n_items + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	j->items = n;
	n = &j->items[j->n_items++];
	*n = (struct sweep_item){.stage = JAIL_KILL};
	snprintf(n->op, sizeof(n->op), "%s", op);
	snprintf(n->arg, sizeof(n->arg), "%s", arg);
	snprintf(n->what, sizeof(n->what), "%s %s", kind, arg);
	return 0;
}

/* The VM id in a state-dir path ".../state/vms/<id>/...", or NULL. */
static const char *vm_id_in_path(const char *vms_dir, const char *path, char *buf, size_t size)
{
	size_t n = strlen(vms_dir), k;

	if (!strneq(path, vms_dir, n) || path[n] != '/')
		return NULL;
	path += n + 1;
	k = strcspn(path, "/");
	if (k == 0 || k >= size)
		return NULL;
	memcpy(buf, path, k);
	buf[k] = '\0';
	return buf;
}

/* A jail whose VM has a record that says it is not running: the record may lie (a start whose
 * saves never landed), so the lifecycle decides — a booted guest is kept, else it is released.
 * Done first, so the sweep below sees those VMs as owned and leaves their taps and disks to it. */
static int plan_orphans(struct reconcile_job *j, json_t *res)
{
	struct daemon *d = j->d;
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(res, "chroots"), i, v)
	{
		const char *id = json_string_value(json_object_get(v, "vm_id"));
		struct vm *vm = id ? store_vm_by_id(&d->store, id) : NULL;

		if (!vm || vm_id_owned(d, id))
			continue;
		if (json_array_append_new(j->readopt, json_string(vm->name)) < 0 ||
			json_array_append_new(j->orphans, json_string(id)) < 0)
			return -ENOMEM;
		if (!j->dry_run)
			(void)lifecycle_readopt_orphan(d->lifecycle, vm);
	}
	return 0;
}

static bool is_orphan(struct reconcile_job *j, const char *id)
{
	json_t *v;
	size_t i;

	json_array_foreach(j->orphans, i, v) if (streq(json_string_value(v), id)) return true;
	return false;
}

/* VMMs and their jails first (a VMM holds the disk's devices), then disks, then publish tables,
 * then taps. */
static int plan_sweep(struct reconcile_job *j, json_t *res)
{
	struct daemon *d = j->d;
	json_t *v;
	size_t i;
	int r = 0;

	json_array_foreach(json_object_get(res, "chroots"), i, v)
	{
		const char *id = json_string_value(json_object_get(v, "vm_id"));
		if (id && !vm_id_owned(d, id) && !is_orphan(j, id))
			r = r ?: add_item(j, helper_op_name_jail_cleanup, id, "jail");
	}
	json_array_foreach(json_object_get(res, "dm_devices"), i, v)
	{
		const char *name = json_string_value(v);
		if (name && strneq(name, "banger-", 7) && !vm_id_owned(d, name + 7) &&
			!is_orphan(j, name + 7))
			r = r ?: add_item(j, helper_op_name_disk_release, name + 7, "disk");
	}
	json_array_foreach(json_object_get(res, "loop_devices"), i, v)
	{
		char buf[80];
		const char *id = vm_id_in_path(d->layout.vms_dir,
			json_string_value(json_object_get(v, "backing_file")) ?: "", buf,
			sizeof(buf));
		if (id && !vm_id_owned(d, id) && !is_orphan(j, id))
			r = r ?: add_item(j, helper_op_name_disk_release, id, "disk");
	}
	/* a VM deleted or stopped while the daemon was down leaves its DNAT behind */
	json_array_foreach(json_object_get(res, "publish_tables"), i, v)
	{
		const char *id = json_string_value(v);
		if (id && !vm_id_owned(d, id) && !is_orphan(j, id))
			r = r ?: add_item(j, helper_op_name_publish_remove, id, "publish");
	}
	json_array_foreach(json_object_get(res, "taps"), i, v)
	{
		const char *tap = json_string_value(v);
		if (tap && strneq(tap, NET_TAP_PREFIX, strlen(NET_TAP_PREFIX)) &&
			!tap_owned(j, tap))
			r = r ?: add_item(j, helper_op_name_tap_delete, tap, "tap");
	}
	return r;
}

static json_t *plan_json(struct reconcile_job *j)
{
	json_t *sweep = json_array();

	for (size_t i = 0; sweep && i < j->n_items; i++)
		json_array_append_new(sweep, json_string(j->items[i].what));
	return json_pack("{s:O, s:o}", "readopt", j->readopt, "sweep", sweep ?: json_array());
}

static void sweep_next(struct reconcile_job *j);
static void sweep_send(struct reconcile_job *j);

static struct sweep_item *current(struct reconcile_job *j)
{
	return &j->items[j->next - 1];
}

static void item_done(struct reconcile_job *j, int k, const struct rpc_error *err)
{
	struct sweep_item *it = current(j);

	if (k < 0 && !(err && err->code == RPC_ERROR_NOT_FOUND)) {
		json_array_append_new(j->failed, json_pack("{s:s, s:s}", "what", it->what, "error",
							 err ? err->message : strerror(-k)));
		log_warning(
			"reconcile: %s failed: %s", it->what, err ? err->message : strerror(-k));
	} else {
		json_array_append_new(j->swept, json_string(it->what));
		log_info("reconcile: released %s", it->what);
	}
	sweep_next(j);
}

static int on_poll(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct reconcile_job *j = userdata;

	j->timer = sd_event_source_disable_unref(j->timer);
	sweep_send(j);
	return 0;
}

/* A jail no record owns: whatever VMM runs in it is killed, and the jail cleaned once the VMM is
 * gone (jail.cleanup refuses while it runs). */
static void on_jail_step(
	struct helper_client *h, int k, json_t *result, const struct rpc_error *err, void *userdata)
{
	struct reconcile_job *j = userdata;
	struct sweep_item *it = current(j);
	struct rpc_error e;

	switch (it->stage) {
	case JAIL_KILL:
		if (k == 0) {
			log_info(
				"reconcile: killed the VMM (pid %lld) of jail %s, which no VM owns",
				(long long)json_integer_value(json_object_get(result, "pid")),
				it->arg);
			it->stage = JAIL_WAIT;
			break;
		}
		if (err && err->code == RPC_ERROR_NOT_FOUND) {
			it->stage = JAIL_CLEANUP; /* none runs */
			break;
		}
		item_done(j, k, err);
		return;
	case JAIL_WAIT:
		if (k < 0) {
			item_done(j, k, err);
			return;
		}
		if (json_is_integer(json_object_get(result, "pid"))) {
			it->waited += VMM_GONE_POLL_USEC;
			if (it->waited > VMM_GONE_MAX_USEC) {
				rpc_error_set(&e, -ETIMEDOUT, RPC_ERROR_TIMEOUT,
					"its VMM (pid %lld) did not exit after SIGKILL",
					(long long)json_integer_value(
						json_object_get(result, "pid")));
				item_done(j, -ETIMEDOUT, &e);
				return;
			}
			if (sd_event_add_time_relative(j->d->event, &j->timer, CLOCK_MONOTONIC,
				    VMM_GONE_POLL_USEC, 0, on_poll, j) >= 0)
				return;
		}
		it->stage = JAIL_CLEANUP;
		break;
	case JAIL_CLEANUP:
		item_done(j, k, err);
		return;
	}
	sweep_send(j);
}

static void on_swept(
	struct helper_client *h, int k, json_t *result, const struct rpc_error *err, void *userdata)
{
	item_done(userdata, k, err);
}

/* Sends the current item's (next) request; one at a time: the helper serves them in order. */
static void sweep_send(struct reconcile_job *j)
{
	struct sweep_item *it = current(j);
	struct helper_port hp = lifecycle_helper_port(j->d->lifecycle);
	int r = -EINVAL;

	if (streq(it->op, helper_op_name_jail_cleanup)) {
		switch (it->stage) {
		case JAIL_KILL:
			r = helper_call_proc_signal(&hp,
				&(struct helper_req_proc_signal){
					.vm_id = it->arg, .signal = "KILL"},
				on_jail_step, j);
			break;
		case JAIL_WAIT:
			r = helper_call_proc_find(&hp,
				&(struct helper_req_proc_find){.vm_id = it->arg}, on_jail_step, j);
			break;
		case JAIL_CLEANUP:
			r = helper_call_jail_cleanup(&hp,
				&(struct helper_req_jail_cleanup){.vm_id = it->arg}, on_jail_step,
				j);
			break;
		}
	} else if (streq(it->op, helper_op_name_publish_remove))
		r = helper_call_publish_remove(
			&hp, &(struct helper_req_publish_remove){.vm_id = it->arg}, on_swept, j);
	else if (streq(it->op, helper_op_name_tap_delete))
		r = helper_call_tap_delete(
			&hp, &(struct helper_req_tap_delete){.tap = it->arg}, on_swept, j);
	else
		r = helper_call_disk_release(
			&hp, &(struct helper_req_disk_release){.vm_id = it->arg}, on_swept, j);
	if (r < 0)
		item_done(j, r,
			&(struct rpc_error){
				RPC_ERROR_UNAVAILABLE, "could not be sent to bangerd-root"});
}

static struct reconcile_job *start_job; /* the daemon's own, while it waits for the helper */

static void sweep_next(struct reconcile_job *j)
{
	struct daemon *d = j->d;
	json_t *res;

	if (j->next < j->n_items) {
		j->next++;
		sweep_send(j);
		return;
	}
	res = json_pack(
		"{s:O, s:O, s:O}", "readopted", j->readopt, "swept", j->swept, "failed", j->failed);
	daemon_publish(d, "reconcile.done", json_incref(res));
	if (j->call)
		rpc_call_reply(j->call, res);
	else {
		json_decref(res);
		if (json_array_size(j->readopt) || json_array_size(j->swept) ||
			json_array_size(j->failed))
			log_info("reconcile at start-up: %zu VM(s) re-adopted or released, %zu "
				 "leftover(s) "
				 "swept, %zu failed",
				json_array_size(j->readopt), json_array_size(j->swept),
				json_array_size(j->failed));
	}
	if (start_job == j)
		start_job = NULL;
	job_free(j);
}

static int on_start_retry(sd_event_source *s, uint64_t usec, void *userdata);

static void on_resources(
	struct helper_client *h, int k, json_t *result, const struct rpc_error *err, void *userdata)
{
	struct reconcile_job *j = userdata;
	struct rpc_error e;

	if (k < 0) {
		rpc_error_set(&e, 0, err ? err->code : RPC_ERROR_UNAVAILABLE,
			"reconcile needs bangerd-root's resource list: %s",
			err ? err->message : strerror(-k));
		if (!j->call && k != -ECANCELED &&
			sd_event_add_time_relative(j->d->event, &j->timer, CLOCK_MONOTONIC,
				RETRY_USEC, 0, on_start_retry, j) >= 0) {
			/* the daemon's own: once the helper answers, it is done after all */
			if (!j->said_waiting)
				log_warning("reconcile at start-up waits for bangerd-root: %s; "
					    "asking every 5 s",
					e.message);
			j->said_waiting = true;
			return;
		}
		if (j->call)
			rpc_call_fail(j->call, &e);
		if (start_job == j)
			start_job = NULL;
		job_free(j);
		return;
	}
	if (plan_orphans(j, result) < 0 || plan_sweep(j, result) < 0) {
		rpc_error_set(&e, 0, RPC_ERROR_INTERNAL, "Out of memory");
		if (j->call)
			rpc_call_fail(j->call, &e);
		if (start_job == j)
			start_job = NULL;
		job_free(j);
		return;
	}
	if (j->dry_run) {
		rpc_call_reply(j->call, plan_json(j));
		job_free(j);
		return;
	}
	daemon_publish(j->d, "reconcile.started", plan_json(j));
	/* re-adoption runs on its own (its answers arrive later); the sweep only touches ids no
	 * record claims, so the two never act on the same VM */
	lifecycle_readopt(j->d->lifecycle);
	sweep_next(j);
}

static int ask_resources(struct reconcile_job *j)
{
	struct helper_port hp = lifecycle_helper_port(j->d->lifecycle);

	return helper_call_resources_list(
		&hp, &(struct helper_req_resources_list){}, on_resources, j);
}

static int on_start_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct reconcile_job *j = userdata;

	j->timer = sd_event_source_disable_unref(j->timer);
	if (ask_resources(j) < 0) {
		start_job = NULL;
		job_free(j);
	}
	return 0;
}

static struct reconcile_job *job_new(struct daemon *d, bool dry_run)
{
	struct reconcile_job *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->d = d;
	j->dry_run = dry_run;
	j->readopt = json_array();
	j->orphans = json_array();
	j->swept = json_array();
	j->failed = json_array();
	for (size_t i = 0; j->readopt && i < d->store.n_vms; i++) {
		struct vm *vm = d->store.vms[i];
		if (!lifecycle_busy(d->lifecycle, vm) && !lifecycle_follows(d->lifecycle, vm) &&
			!vm_state_is_inactive(vm->state))
			json_array_append_new(j->readopt, json_string(vm->name));
	}
	if (!j->readopt || !j->orphans || !j->swept || !j->failed) {
		job_free(j);
		return NULL;
	}
	return j;
}

int rpc_reconcile(struct rpc_call *call, json_t *params, json_t **ret_result, struct rpc_error *err)
{
	static const char *const keys[] = {"dry_run", NULL};
	struct daemon *d = call->d;
	struct reconcile_job *j;
	bool dry_run = false;
	int r;

	r = rpc_params_check_keys(params, keys, err);
	r = r ?: rpc_param_bool(params, "dry_run", false, &dry_run, err);
	if (r < 0)
		return r;
	j = job_new(d, dry_run);
	if (!j)
		return rpc_error_set(err, -ENOMEM, RPC_ERROR_INTERNAL, "Out of memory");
	j->call = rpc_call_defer(call);
	if (!j->call) {
		job_free(j);
		return rpc_error_set(err, -ENOMEM, RPC_ERROR_INTERNAL, "Out of memory");
	}
	r = ask_resources(j);
	if (r < 0) {
		rpc_call_fail(j->call, &(struct rpc_error){RPC_ERROR_INTERNAL, "Out of memory"});
		job_free(j);
	}
	return RPC_REPLY_LATER;
}

void reconcile_at_start(struct daemon *d)
{
	struct reconcile_job *j;

	if (start_job)
		return;
	j = job_new(d, false);
	if (!j || ask_resources(j) < 0) {
		log_oom();
		if (j)
			job_free(j);
		return;
	}
	start_job = j;
}

void reconcile_at_start_cancel(void)
{
	if (start_job)
		job_free(TAKE_PTR(start_job));
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* reconcile: on demand, make the kernel and the records agree. VMs whose records say they run but
 * that no lifecycle follows are re-adopted (or released and marked stopped), and everything with
 * banger's names that no running VM owns — taps, jails, dm and loop devices — is swept through the
 * helper. {"dry_run": true} answers the plan without changing anything. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/macro.h"
#include "daemon/daemon.h"
#include "daemon/helper-client.h"
#include "daemon/lifecycle.h"
#include "daemon/netalloc.h"
#include "daemon/rpc.h"
#include "protocol/jsonrpc.h"

struct sweep_item {
	char op[24];     /* helper op */
	char arg[64];    /* tap name or VM id */
	char what[96];   /* "tap bgt-…", for the plan and the answer */
};

struct reconcile_job {
	struct daemon *d;
	struct rpc_call *call;
	bool dry_run;
	json_t *readopt;  /* names */
	struct sweep_item *items;
	size_t n_items, next;
	json_t *swept, *failed;
};

static void job_free(struct reconcile_job *j)
{
	json_decref(j->readopt);
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
	return lifecycle_busy(d->lifecycle, vm) || vm->state == VM_STATE_RUNNING ||
	       vm->state == VM_STATE_STARTING || vm->state == VM_STATE_STOPPING;
}

static bool tap_owned(struct daemon *d, const char *tap)
{
	for (size_t i = 0; i < d->store.n_vms; i++) {
		char t[16];
		if (net_tap_name(d->store.vms[i]->id, t) >= 0 && streq(t, tap))
			return vm_id_owned(d, d->store.vms[i]->id);
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

static int plan_sweep(struct reconcile_job *j, json_t *res)
{
	struct daemon *d = j->d;
	json_t *v;
	size_t i;
	int r = 0;

	json_array_foreach(json_object_get(res, "taps"), i, v) {
		const char *tap = json_string_value(v);
		if (tap && strneq(tap, NET_TAP_PREFIX, strlen(NET_TAP_PREFIX)) && !tap_owned(d, tap))
			r = r ?: add_item(j, "net.tap_delete", tap, "tap");
	}
	json_array_foreach(json_object_get(res, "chroots"), i, v) {
		const char *id = json_string_value(json_object_get(v, "vm_id"));
		if (id && !vm_id_owned(d, id))
			r = r ?: add_item(j, "jail.cleanup", id, "jail");
	}
	json_array_foreach(json_object_get(res, "dm_devices"), i, v) {
		const char *name = json_string_value(v);
		if (name && strneq(name, "banger-", 7) && !vm_id_owned(d, name + 7))
			r = r ?: add_item(j, "disk.release", name + 7, "disk");
	}
	json_array_foreach(json_object_get(res, "loop_devices"), i, v) {
		char buf[80];
		const char *id = vm_id_in_path(d->layout.vms_dir,
				json_string_value(json_object_get(v, "backing_file")) ?: "", buf, sizeof(buf));
		if (id && !vm_id_owned(d, id))
			r = r ?: add_item(j, "disk.release", id, "disk");
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

static void on_swept(struct helper_client *h, int k, json_t *result, const struct rpc_error *err,
		void *userdata)
{
	struct reconcile_job *j = userdata;
	struct sweep_item *it = &j->items[j->next - 1];

	if (k < 0 && !(err && err->code == RPC_ERROR_NOT_FOUND)) {
		json_array_append_new(j->failed, json_pack("{s:s, s:s}", "what", it->what, "error",
				err ? err->message : strerror(-k)));
		log_warning("reconcile: %s failed: %s", it->what, err ? err->message : strerror(-k));
	} else {
		json_array_append_new(j->swept, json_string(it->what));
		log_info("reconcile: released %s", it->what);
	}
	sweep_next(j);
}

static void sweep_next(struct reconcile_job *j)
{
	struct daemon *d = j->d;

	while (j->next < j->n_items) {
		struct sweep_item *it = &j->items[j->next++];
		json_t *params = streq(it->op, "net.tap_delete") ? json_pack("{s:s}", "tap", it->arg)
								 : json_pack("{s:s}", "vm_id", it->arg);
		/* one at a time: the helper serves requests in order anyway */
		if (lifecycle_helper_call(d->lifecycle, it->op, params, on_swept, j) >= 0)
			return;
		json_array_append_new(j->failed, json_pack("{s:s, s:s}", "what", it->what, "error",
				"could not be sent to bangerd-root"));
	}
	daemon_publish(d, "reconcile.done",
			json_pack("{s:O, s:O, s:O}", "readopted", j->readopt, "swept", j->swept, "failed",
					j->failed));
	rpc_call_reply(j->call, json_pack("{s:O, s:O, s:O}", "readopted", j->readopt, "swept",
					j->swept, "failed", j->failed));
	job_free(j);
}

static void on_resources(struct helper_client *h, int k, json_t *result, const struct rpc_error *err,
		void *userdata)
{
	struct reconcile_job *j = userdata;
	struct rpc_error e;

	if (k < 0) {
		rpc_error_set(&e, 0, err ? err->code : RPC_ERROR_UNAVAILABLE,
				"reconcile needs bangerd-root's resource list: %s",
				err ? err->message : strerror(-k));
		rpc_call_fail(j->call, &e);
		job_free(j);
		return;
	}
	if (plan_sweep(j, result) < 0) {
		rpc_error_set(&e, 0, RPC_ERROR_INTERNAL, "Out of memory");
		rpc_call_fail(j->call, &e);
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

int rpc_reconcile(struct rpc_call *call, json_t *params, json_t **ret_result, struct rpc_error *err)
{
	static const char *const keys[] = { "dry_run", NULL };
	struct daemon *d = call->d;
	struct reconcile_job *j;
	bool dry_run = false;
	int r;

	r = rpc_params_check_keys(params, keys, err);
	r = r ?: rpc_param_bool(params, "dry_run", false, &dry_run, err);
	if (r < 0)
		return r;
	j = calloc(1, sizeof(*j));
	if (!j)
		return rpc_error_set(err, -ENOMEM, RPC_ERROR_INTERNAL, "Out of memory");
	j->d = d;
	j->dry_run = dry_run;
	j->readopt = json_array();
	j->swept = json_array();
	j->failed = json_array();
	for (size_t i = 0; j->readopt && i < d->store.n_vms; i++) {
		struct vm *vm = d->store.vms[i];
		if (!lifecycle_busy(d->lifecycle, vm) && !lifecycle_follows(d->lifecycle, vm) &&
				(vm->state == VM_STATE_RUNNING || vm->state == VM_STATE_STARTING ||
						vm->state == VM_STATE_STOPPING))
			json_array_append_new(j->readopt, json_string(vm->name));
	}
	if (!j->readopt || !j->swept || !j->failed) {
		job_free(j);
		return rpc_error_set(err, -ENOMEM, RPC_ERROR_INTERNAL, "Out of memory");
	}
	j->call = rpc_call_defer(call);
	if (!j->call) {
		job_free(j);
		return rpc_error_set(err, -ENOMEM, RPC_ERROR_INTERNAL, "Out of memory");
	}
	r = lifecycle_helper_call(d->lifecycle, "resources.list", json_object(), on_resources, j);
	if (r < 0) {
		rpc_call_fail(j->call, &(struct rpc_error){ RPC_ERROR_INTERNAL, "Out of memory" });
		job_free(j);
	}
	return RPC_REPLY_LATER;
}

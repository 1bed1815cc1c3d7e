/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* system.status: versions, uptime, counts, store health and helper reachability. The helper's
 * part comes from an asynchronous hello (helper-probe.c): a stopped helper delays this answer
 * by at most half a second and nobody else's. */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

#include "daemon/daemon.h"
#include "daemon/dns.h"
#include "daemon/helper-probe.h"
#include "daemon/rpc.h"
#include "daemon/save-retry.h"
#include "daemon/server.h"
#include "daemon/space-watch.h"
#include "protocol/jsonrpc.h"

static json_t *methods_json(void)
{
	json_t *avail = json_array(), *unavail = json_object();

	for (int m = 0; avail && unavail && m < _RPC_METHOD_MAX; m++) {
		const struct rpc_method_info *info = rpc_method_info(m);
		if (rpc_method_available(m))
			json_array_append_new(avail, json_string(info->name));
		else
			json_object_set_new(unavail, info->name,
				json_string(info->unavailable ?: "not in this version"));
	}
	return json_pack("{s:o?, s:o?}", "available", avail, "unavailable", unavail);
}

struct status_job {
	struct rpc_call *call;
	json_t *result;
};

static void on_helper(json_t *helper, void *userdata)
{
	struct status_job *j = userdata;

	json_object_set(j->result, "helper", helper);
	rpc_call_reply(j->call, j->result);
	free(j);
}

int rpc_system_status(struct rpc_call *call, const struct rpc_system_status_args *args,
	json_t **ret_result, struct rpc_error *err)
{
	struct daemon *d = call->d;
	struct status_job *j;
	struct timespec now;
	json_t *states, *helper;
	int r;

	clock_gettime(CLOCK_MONOTONIC, &now);
	states = json_object();
	for (int s = 0; states && s < _VM_STATE_MAX; s++)
		json_object_set_new(states, vm_state_to_string(s), json_integer(0));
	for (size_t i = 0; states && i < d->store.n_vms; i++) {
		const char *k = vm_state_to_string(d->store.vms[i]->state);
		json_object_set_new(states, k,
			json_integer(json_integer_value(json_object_get(states, k)) + 1));
	}
	*ret_result = json_pack("{s:s, s:i, s:i, s:s, s:I,"
				" s:{s:i, s:s, s:s, s:b},"
				" s:{s:s, s:s, s:s},"
				" s:{s:I, s:o?, s:I, s:I, s:I},"
				" s:{s:I, s:i},"
				" s:{s:i, s:i, s:i, s:i},"
				" s:o?, s:o?}",
		"version", PACKAGE_VERSION, "protocol", RPC_PROTOCOL_VERSION, "pid", (int)getpid(),
		"started_at", d->started_at, "uptime_sec",
		(json_int_t)(((uint64_t)now.tv_sec * 1000000 + (uint64_t)now.tv_nsec / 1000 -
				     d->started_usec) /
			     1000000),
		"owner", "uid", (int)d->owner.owner_uid, "name", d->owner.owner_name, "home",
		d->owner.owner_home, "from_install", d->owner_from_install, "paths", "root",
		d->layout.root, "socket", d->layout.daemon_sock, "state_dir", d->layout.state_dir,
		"counts", "vms", (json_int_t)d->store.n_vms, "vms_by_state", states, "images",
		(json_int_t)d->store.n_images, "clients", (json_int_t)server_n_clients(d->server),
		"subscribers", (json_int_t)server_n_subscribers(d->server), "events", "seq",
		(json_int_t)d->bus.seq, "heartbeat_sec", (int)d->heartbeat_sec, "store",
		"quarantined", (int)d->store.n_quarantined, "refused", (int)d->store.n_refused,
		"migrated", (int)d->store.n_migrated, "stale_tmp_removed",
		(int)d->store.n_stale_tmp, "limits", server_limits_json(d->server), "methods",
		methods_json());
	if (!*ret_result)
		return -ENOMEM;
	json_object_set_new(json_object_get(*ret_result, "store"), "unsaved", save_retry_json(d));
	json_object_update_new(json_object_get(*ret_result, "store"), space_watch_json(d));
	json_object_set_new(*ret_result, "names", dns_status_json(d));
	/* vm.create's defaults as banger.conf sets them, for clients' create forms */
	json_object_set_new(*ret_result, "vm_defaults",
		json_pack("{s:s, s:i, s:i, s:i}", "image", d->config.vm_defaults.image, "vcpus",
			(int)d->config.vm_defaults.vcpus, "memory_mib",
			(int)d->config.vm_defaults.memory_mib, "disk_gib",
			(int)d->config.vm_defaults.disk_gib));
	if (!d->helper_probe) {
		r = helper_probe_new(d->event, d->layout.root_sock, &d->helper_probe);
		if (r < 0)
			goto fail;
	}
	helper = helper_probe_fresh(d->helper_probe);
	if (helper) {
		json_object_set_new(*ret_result, "helper", helper);
		return 0;
	}
	r = -ENOMEM;
	j = calloc(1, sizeof(*j));
	if (!j)
		goto fail;
	j->call = rpc_call_defer(call);
	if (!j->call) {
		free(j);
		goto fail;
	}
	j->result = TAKE_PTR(*ret_result);
	r = helper_probe_ask(d->helper_probe, on_helper, j);
	if (r < 0) {
		_cleanup_json_ json_t *h = json_pack("{s:s, s:n, s:n, s:n, s:s}", "socket",
			d->layout.root_sock, "reachable", "program", "version", "error",
			"could not ask (out of memory)");
		on_helper(h, j);
	}
	return RPC_REPLY_LATER;
fail:
	json_decref(*ret_result);
	*ret_result = NULL;
	return r;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's state shared by every part: loop, layout, owner, store, event bus, server. */
#include "common/log.h"
#include "daemon/daemon.h"
#include "daemon/dns.h"
#include "daemon/publish.h"
#include "daemon/server.h"
#include "daemon/ssh-config.h"

/* The events that say a VM record changed. */
static bool is_vm_change(const char *method)
{
	return streq(method, "vm.created") || streq(method, "vm.deleted") ||
	       streq(method, "vm.state") || streq(method, "vm.updated");
}

void daemon_publish(struct daemon *d, const char *method, json_t *params)
{
	_cleanup_(event_unrefp) struct event *e = NULL;
	int r;

	if (is_vm_change(method))
		ssh_config_changed(d);
	if (streq(method, "vm.state") && json_is_string(json_object_get(params, "id"))) {
		char id[VM_ID_LEN + 1];
		snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(params, "id")));
		publish_follow(d, id);
	}
	if (streq(method, "vm.state") || streq(method, "vm.deleted"))
		dns_changed(d);
	r = event_bus_publish(&d->bus, method, params, &e);
	if (r < 0) {
		log_error_errno(r, "Failed to publish %s: %m", method);
		return;
	}
	log_debug("Event %llu: %s", (unsigned long long)e->seq, method);
	if (d->server)
		server_broadcast(d->server, e);
}

json_t *daemon_vms_json(struct daemon *d)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < d->store.n_vms; i++)
		if (json_array_append_new(a, vm_to_json(d->store.vms[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

json_t *daemon_images_json(struct daemon *d)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < d->store.n_images; i++)
		if (json_array_append_new(a, image_to_json(d->store.images[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

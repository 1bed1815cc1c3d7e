/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Published ports: the daemon's checks and bangerd-root's DNAT kept in step (publish.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "common/macro.h"
#include "daemon/daemon.h"
#include "daemon/helper-port.h"
#include "daemon/lifecycle.h"
#include "daemon/publish.h"

int publish_check(struct daemon *d, const struct vm *vm, const struct publish *p, size_t n,
	struct rpc_error *err)
{
	char why[200], a[PUBLISH_TEXT_MAX], b[PUBLISH_TEXT_MAX];

	for (size_t i = 0; i < n; i++)
		if (p[i].host_port < d->config.publish_min_port) {
			publish_format(&p[i], a);
			return rpc_error_set(err, -EPERM, RPC_ERROR_PERMISSION_DENIED,
				"Cannot publish %s: host port %u is privileged; banger.conf's "
				"[network] publish_min_port (%u) allows it",
				a, p[i].host_port, d->config.publish_min_port);
		}
	if (publish_check_list(p, n, d->config.publish_min_port, why, sizeof(why)) < 0)
		return rpc_error_set(
			err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT, "Cannot publish: %s", why);
	for (size_t k = 0; k < d->store.n_vms; k++) {
		const struct vm *o = d->store.vms[k];
		if (o == vm || (vm && streq(o->id, vm->id)))
			continue;
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < o->n_publish; j++)
				if (publish_overlaps(&p[i], &o->publish[j])) {
					publish_format(&p[i], a);
					publish_format(&o->publish[j], b);
					return rpc_error_set(err, -EEXIST, RPC_ERROR_CONFLICT,
						"Cannot publish %s: VM \"%s\" publishes %s", a,
						o->name, b);
				}
	}
	for (size_t i = 0; i < n; i++) {
		struct sockaddr_in sa = {.sin_family = AF_INET,
			.sin_port = htons(p[i].host_port),
			.sin_addr = p[i].host};
		_cleanup_close_ int fd = socket(AF_INET,
			(p[i].proto == PUBLISH_UDP ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue; /* bangerd-root checks again, as root */
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno == EACCES)
			continue;
		publish_format(&p[i], a);
		if (errno == EADDRINUSE)
			return rpc_error_set(err, -EEXIST, RPC_ERROR_CONFLICT,
				"Cannot publish %s: the host port is taken by another program", a);
		if (errno == EADDRNOTAVAIL)
			return rpc_error_set(err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT,
				"Cannot publish %s: this host has no such address", a);
	}
	return 0;
}

struct publish_call {
	struct daemon *d;
	char vm_id[VM_ID_LEN + 1];
	bool apply;
};

static void on_answer(_unused_ struct helper_client *h, int k, _unused_ json_t *result,
	const struct rpc_error *err, void *userdata)
{
	struct publish_call *c = userdata;
	struct vm *vm = store_vm_by_id(&c->d->store, c->vm_id);
	const char *name = vm ? vm->name : c->vm_id;

	if (k < 0) {
		log_vm(LOG_WARNING, name, "publish", "%s the published ports of VM %s failed: %s",
			c->apply ? "Applying" : "Removing", name,
			err ? err->message : strerror(-k));
		if (vm && c->apply)
			daemon_publish(c->d, "vm.publish_failed",
				json_pack("{s:s, s:s, s:s}", "id", vm->id, "name", vm->name,
					"error", err ? err->message : strerror(-k)));
	}
	free(c);
}

static void publish_send(struct daemon *d, const struct vm *vm, bool apply)
{
	struct helper_port hp;
	struct publish_call *c;
	const char *specs[PUBLISH_MAX];
	char text[PUBLISH_MAX][PUBLISH_TEXT_MAX];
	int r;

	if (!d->lifecycle)
		return;
	c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->d = d;
	c->apply = apply;
	snprintf(c->vm_id, sizeof(c->vm_id), "%s", vm->id);
	hp = lifecycle_helper_port(d->lifecycle);
	if (apply) {
		for (size_t i = 0; i < vm->n_publish; i++) {
			publish_format(&vm->publish[i], text[i]);
			specs[i] = text[i];
		}
		r = helper_call_publish_apply(&hp,
			&(struct helper_req_publish_apply){.vm_id = vm->id,
				.address = vm->ip,
				.publish = specs,
				.n_publish = vm->n_publish},
			on_answer, c);
	} else
		r = helper_call_publish_remove(
			&hp, &(struct helper_req_publish_remove){.vm_id = vm->id}, on_answer, c);
	if (r < 0) {
		log_vm_errno(LOG_WARNING, r, vm->name, "publish",
			"Cannot ask bangerd-root about VM %s's published ports: %m", vm->name);
		free(c);
	}
}

/* A VM with no publishes has no table: vm.update changes them only while it is not running,
 * when its table is already gone. */
static void publish_one(struct daemon *d, const struct vm *vm)
{
	if (vm->n_publish == 0)
		return;
	if (vm->state == VM_STATE_RUNNING && vm->ip[0])
		publish_send(d, vm, true);
	else if (vm->state != VM_STATE_STARTING)
		publish_send(d, vm, false);
}

void publish_follow(struct daemon *d, const char *vm_id)
{
	struct vm *vm = store_vm_by_id(&d->store, vm_id);

	if (vm)
		publish_one(d, vm);
}

void publish_sync_all(struct daemon *d)
{
	for (size_t i = 0; i < d->store.n_vms; i++)
		publish_one(d, d->store.vms[i]);
}

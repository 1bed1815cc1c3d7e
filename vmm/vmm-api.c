/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Firecracker HTTP API: the route table, phase rules and error shapes (vmm_api_dispatch),
 * served over HTTP/1.1 on a unix socket with libmicrohttpd. */
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "common/macro.h"
#include "vmm/vmm-api.h"
#include "vmm/vmm-body.h"
#include "vmm/vmm-config.h"
#include "vmm/vmm-log.h"
#include "vmm/vmm-qemu.h"
#include "vmm/vmm-snapshot.h"

enum phase {
	PHASE_PRE = 1 << 0,
	PHASE_POST = 1 << 1,
	PHASE_ANY = PHASE_PRE | PHASE_POST,
};

typedef int (*put_fn)(struct vmm *v, const char *path_id, json_t *body, struct vmm_fault *f);
typedef int (*handler_fn)(
	struct vmm *v, const char *path_id, json_t *body, struct vmm_reply *r, struct vmm_fault *f);

static int reply_json(struct vmm_reply *r, json_t *body)
{
	if (!body)
		return -ENOMEM;
	r->status = 200;
	r->body = body;
	return 0;
}

static int get_instance_info(struct vmm *v, _unused_ const char *id, _unused_ json_t *body,
	struct vmm_reply *r, _unused_ struct vmm_fault *f)
{
	return reply_json(r, json_pack("{s:s, s:s, s:s, s:s}", "id", v->id, "state",
				     vmm_state_to_string(v->state), "vmm_version",
				     VMM_FIRECRACKER_VERSION, "app_name", "Firecracker"));
}

static int get_version(_unused_ struct vmm *v, _unused_ const char *id, _unused_ json_t *body,
	struct vmm_reply *r, _unused_ struct vmm_fault *f)
{
	return reply_json(r, json_pack("{s:s}", "firecracker_version", VMM_FIRECRACKER_VERSION));
}

static int get_machine_config(struct vmm *v, _unused_ const char *id, _unused_ json_t *body,
	struct vmm_reply *r, _unused_ struct vmm_fault *f)
{
	return reply_json(r, json_deep_copy(v->machine_config));
}

static int get_vm_config(struct vmm *v, _unused_ const char *id, _unused_ json_t *body,
	struct vmm_reply *r, _unused_ struct vmm_fault *f)
{
	return reply_json(r, vmm_config_to_json(v));
}

/* PUT on a device after boot is Firecracker's PCI hot-plug (1.16, --enable-pci only). */
static int refuse_hotplug(struct vmm *v, const char *what, struct vmm_fault *f)
{
	if (v->state == VMM_NOT_STARTED)
		return 0;
	return vmm_fault_set(f, "Hot-plugging %s after boot is not supported by banger-vmm.", what);
}

static int put_drive(
	struct vmm *v, const char *id, json_t *body, struct vmm_reply *r, struct vmm_fault *f)
{
	int k = refuse_hotplug(v, "drives", f);

	if (k < 0)
		return k;
	r->status = 204;
	return vmm_config_put_drive(v, id, body, f);
}

static int put_network(
	struct vmm *v, const char *id, json_t *body, struct vmm_reply *r, struct vmm_fault *f)
{
	int k = refuse_hotplug(v, "network interfaces", f);

	if (k < 0)
		return k;
	r->status = 204;
	return vmm_config_put_network(v, id, body, f);
}

static int patch_device(_unused_ struct vmm *v, _unused_ const char *id, _unused_ json_t *body,
	_unused_ struct vmm_reply *r, struct vmm_fault *f)
{
	return vmm_fault_set(f, "Updating drives or network interfaces after boot (rate limiters, "
				"backing files) is not supported by banger-vmm.");
}

static const char *const action_types[] = {"FlushMetrics", "InstanceStart", "SendCtrlAltDel", NULL};
static const struct vmm_field action_fields[] = {
	{"action_type", VMM_FIELD_STRING, true, action_types},
};

static int put_actions(struct vmm *v, _unused_ const char *id, json_t *body, struct vmm_reply *r,
	struct vmm_fault *f)
{
	const char *type;
	int k;

	k = vmm_body_check(body, "ActionBody", action_fields, ELEMENTSOF(action_fields), f);
	if (k < 0)
		return k;
	type = json_string_value(json_object_get(body, "action_type"));
	r->status = 204;
	if (streq(type, "InstanceStart")) {
		if (v->state != VMM_NOT_STARTED)
			return vmm_fault_set(f, "The requested operation is not supported after "
						"starting the microVM.");
		if (!v->boot_source)
			return vmm_fault_set(
				f, "Cannot start microvm without kernel configuration.");
		if (!v->no_boot) {
			k = vmm_qemu_start(v, f);
			if (k < 0)
				return k;
		}
		v->state = VMM_RUNNING;
		vmm_log_info("Successfully started microvm.");
		return 0;
	}
	if (v->state == VMM_NOT_STARTED)
		return vmm_fault_set(f,
			"The requested operation is not supported before starting the "
			"microVM.");
	if (streq(type, "FlushMetrics")) {
		k = vmm_config_flush_metrics(v);
		if (k == -EBADF)
			return vmm_fault_set(f, "Cannot flush metrics: the metrics system is not "
						"initialized (PUT /metrics first).");
		if (k < 0)
			return vmm_fault_set(f, "Cannot flush metrics: %s", strerror(-k));
		return 0;
	}
	/* SendCtrlAltDel */
	if (v->no_boot)
		return 0;
	return vmm_qemu_ctrl_alt_del(v, f);
}

static const char *const vm_states[] = {"Paused", "Resumed", NULL};
static const struct vmm_field vm_fields[] = {
	{"state", VMM_FIELD_STRING, true, vm_states},
};

static int patch_vm(struct vmm *v, _unused_ const char *id, json_t *body, struct vmm_reply *r,
	struct vmm_fault *f)
{
	bool pause;
	int k;

	k = vmm_body_check(body, "VmState", vm_fields, ELEMENTSOF(vm_fields), f);
	if (k < 0)
		return k;
	pause = streq(json_string_value(json_object_get(body, "state")), "Paused");
	r->status = 204;
	if (!v->no_boot) {
		k = vmm_qemu_set_paused(v, pause, f);
		if (k < 0)
			return k;
	}
	v->state = pause ? VMM_PAUSED : VMM_RUNNING;
	return 0;
}

static int put_snapshot_create(struct vmm *v, _unused_ const char *id, json_t *body,
	struct vmm_reply *r, struct vmm_fault *f)
{
	r->status = 204;
	return vmm_snapshot_create(v, body, f);
}

static int put_snapshot_load(struct vmm *v, _unused_ const char *id, json_t *body,
	struct vmm_reply *r, struct vmm_fault *f)
{
	r->status = 204;
	return vmm_snapshot_load(v, body, f);
}

struct route {
	const char *method;
	const char *path;
	bool has_id;
	bool has_body;
	unsigned phases;
	put_fn put;
	handler_fn handle;
};

static const struct route routes[] = {
	{"GET", "/", false, false, PHASE_ANY, NULL, get_instance_info},
	{"GET", "/version", false, false, PHASE_ANY, NULL, get_version},
	{"GET", "/machine-config", false, false, PHASE_ANY, NULL, get_machine_config},
	{"GET", "/vm/config", false, false, PHASE_ANY, NULL, get_vm_config},
	{"PUT", "/machine-config", false, true, PHASE_PRE, vmm_config_put_machine, NULL},
	{"PATCH", "/machine-config", false, true, PHASE_PRE, vmm_config_patch_machine, NULL},
	{"PUT", "/boot-source", false, true, PHASE_PRE, vmm_config_put_boot_source, NULL},
	{"PUT", "/drives", true, true, PHASE_ANY, NULL, put_drive},
	{"PATCH", "/drives", true, true, PHASE_POST, NULL, patch_device},
	{"PUT", "/network-interfaces", true, true, PHASE_ANY, NULL, put_network},
	{"PATCH", "/network-interfaces", true, true, PHASE_POST, NULL, patch_device},
	{"PUT", "/logger", false, true, PHASE_PRE, vmm_config_put_logger, NULL},
	{"PUT", "/metrics", false, true, PHASE_PRE, vmm_config_put_metrics, NULL},
	{"PUT", "/serial", false, true, PHASE_PRE, vmm_config_put_serial, NULL},
	{"PUT", "/actions", false, true, PHASE_ANY, NULL, put_actions},
	{"PATCH", "/vm", false, true, PHASE_POST, NULL, patch_vm},
	{"PUT", "/snapshot/create", false, true, PHASE_POST, NULL, put_snapshot_create},
	{"PUT", "/snapshot/load", false, true, PHASE_PRE, NULL, put_snapshot_load},
};

/* Firecracker resources banger-vmm does not implement: refused by name, not as bad paths. */
static const char *const unsupported_prefixes[] = {
	"/balloon", "/cpu-config", "/entropy", "/hotplug", "/mmds", "/pmem", "/vsock"};

static bool path_matches(const struct route *rt, const char *url, const char **ret_id)
{
	size_t n = strlen(rt->path);

	if (!rt->has_id)
		return streq(rt->path, url) ||
		       (!streq(rt->path, "/") && strneq(rt->path, url, n) && streq(url + n, "/"));
	if (!strneq(rt->path, url, n) || url[n] != '/')
		return false;
	*ret_id = url + n + 1;
	return true;
}

/* Every refusal is logged once, here, with the request it answers. */
static int fault_reply(struct vmm_reply *r, const char *method, const char *url, unsigned status,
	const char *message)
{
	vmm_log_error("%s %s: %s", method, url, message);
	json_decref(r->body);
	r->status = status;
	r->body = json_pack("{s:s}", "fault_message", message);
	return r->body ? 0 : -ENOMEM;
}

int vmm_api_dispatch(struct vmm *v, const char *method, const char *url, const char *data,
	size_t size, struct vmm_reply *ret)
{
	_cleanup_json_ json_t *body = NULL;
	struct vmm_fault f = {.status = 400};
	struct vmm_reply r = {.status = 204};
	const struct route *rt = NULL;
	const char *id = NULL;
	unsigned phase;
	int k;

	for (size_t i = 0; i < ELEMENTSOF(routes) && !rt; i++)
		if (streq(routes[i].method, method) && path_matches(&routes[i], url, &id))
			rt = &routes[i];
	if (!rt) {
		for (size_t i = 0; i < ELEMENTSOF(unsupported_prefixes); i++)
			if (strneq(url, unsupported_prefixes[i], strlen(unsupported_prefixes[i]))) {
				char msg[512];

				snprintf(msg, sizeof(msg), "%s %s is not supported by banger-vmm.",
					method, url);
				return fault_reply(ret, method, url, 400, msg);
			}
		/* Firecracker prints the path without its leading slash. */
		vmm_fault_set(&f, "Invalid request method and/or path: %s %s.", method,
			url[0] == '/' ? url + 1 : url);
		return fault_reply(ret, method, url, 400, f.message);
	}
	if (rt->has_id && strchr(id, '/')) {
		vmm_fault_set(&f, "Invalid request method and/or path: %s %s.", method, url + 1);
		return fault_reply(ret, method, url, 400, f.message);
	}
	if (rt->has_id && !*id)
		return fault_reply(ret, method, url, 400, "The ID cannot be empty.");
	if (rt->has_id && !vmm_resource_id_valid(id))
		return fault_reply(ret, method, url, 400,
			"API Resource IDs can only contain alphanumeric "
			"characters and underscores.");
	if (rt->has_body) {
		k = vmm_body_parse(method, data, size, &body, &f);
		if (k < 0)
			return fault_reply(ret, method, url, f.status, f.message);
	} else if (size > 0)
		return fault_reply(ret, method, url, 400, "GET request cannot have a body.");

	phase = v->state == VMM_NOT_STARTED ? PHASE_PRE : PHASE_POST;
	if (!(rt->phases & phase))
		return fault_reply(ret, method, url, 400,
			phase == PHASE_PRE ? "The requested operation is not supported "
					     "before starting the microVM."
					   : "The requested operation is not supported "
					     "after starting the microVM.");
	k = rt->handle ? rt->handle(v, id, body, &r, &f) : rt->put(v, id, body, &f);
	if (k == -ENOMEM)
		return k;
	if (k < 0) {
		json_decref(r.body);
		return fault_reply(ret, method, url, f.status, f.message);
	}
	*ret = r;
	return 0;
}

int vmm_api_listen(const char *path, int *ret_fd)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = -1;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return negative_errno();
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return negative_errno();
	if (listen(fd, 64) < 0)
		return negative_errno();
	*ret_fd = TAKE_FD(fd);
	return 0;
}

struct request {
	char *data;
	size_t size;
	bool too_large;
};

static void request_completed(_unused_ void *cls, _unused_ struct MHD_Connection *c, void **con_cls,
	_unused_ enum MHD_RequestTerminationCode toe)
{
	struct request *rq = *con_cls;

	if (rq) {
		free(rq->data);
		free(rq);
		*con_cls = NULL;
	}
}

static enum MHD_Result queue_json(struct MHD_Connection *c, unsigned status, json_t *body)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char *text = NULL;

	if (body) {
		text = json_dumps(body, JSON_COMPACT);
		if (!text)
			return MHD_NO;
		resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	} else
		resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Server", "Firecracker API");
	if (body)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
	const char *method, _unused_ const char *version, const char *upload_data,
	size_t *upload_data_size, void **con_cls)
{
	struct vmm *v = cls;
	struct request *rq = *con_cls;
	struct vmm_reply r = {};
	enum MHD_Result ret;

	if (!rq) {
		rq = calloc(1, sizeof(*rq));
		if (!rq)
			return MHD_NO;
		*con_cls = rq;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;

		if (rq->size + n > v->max_payload)
			rq->too_large = true;
		else {
			char *p = realloc(rq->data, rq->size + n);

			if (!p)
				return MHD_NO;
			memcpy(p + rq->size, upload_data, n);
			rq->data = p;
			rq->size += n;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (rq->too_large) {
		/* micro_http's transport-level error shape is {"error": ...}, not fault_message. */
		_cleanup_json_ json_t *e = json_pack("{s:s}", "error",
			"Request payload is larger than the limit allowed by the server.");
		return queue_json(c, 400, e);
	}
	if (vmm_api_dispatch(v, method, url, rq->data, rq->size, &r) < 0)
		return MHD_NO;
	vmm_log_debug("%s %s -> %u", method, url, r.status);
	ret = queue_json(c, r.status, r.body);
	json_decref(r.body);
	return ret;
}

int vmm_api_start(struct vmm *v, int listen_fd, struct MHD_Daemon **ret)
{
	struct MHD_Daemon *d;

	d = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, v,
		MHD_OPTION_LISTEN_SOCKET, listen_fd, MHD_OPTION_NOTIFY_COMPLETED, request_completed,
		NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)0, MHD_OPTION_END);
	if (!d) {
		close(listen_fd);
		return -EIO;
	}
	*ret = d;
	return 0;
}

int vmm_api_fd(struct MHD_Daemon *d)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_EPOLL_FD);

	return info ? info->epoll_fd : -EINVAL;
}

int vmm_api_timeout_ms(struct MHD_Daemon *d)
{
	MHD_UNSIGNED_LONG_LONG t;

	if (MHD_get_timeout(d, &t) != MHD_YES)
		return -1;
	return t > 60000 ? 60000 : (int)t;
}

void vmm_api_run(struct MHD_Daemon *d)
{
	MHD_run(d);
}

void vmm_api_stop(struct MHD_Daemon *d)
{
	if (d)
		MHD_stop_daemon(d);
}

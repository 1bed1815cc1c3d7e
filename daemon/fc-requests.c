/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Firecracker API requests bangerd sends, one function per endpoint. */
#include <stdio.h>
#include <string.h>

#include "common/macro.h"
#include "daemon/fc-requests.h"

void fc_request_done(struct fc_request *req)
{
	json_decref(req->body);
	req->body = NULL;
}

static int request(
	const char *method, const char *path, const char *id, json_t *body, struct fc_request *ret)
{
	struct fc_request req = {.method = method, .body = body};
	int n;

	if (!body && !streq(method, "GET"))
		return -ENOMEM;
	n = id ? snprintf(req.path, sizeof(req.path), "%s/%s", path, id)
	       : snprintf(req.path, sizeof(req.path), "%s", path);
	if (n < 0 || (size_t)n >= sizeof(req.path) || (id && (!*id || strchr(id, '/')))) {
		json_decref(body);
		return -EINVAL;
	}
	*ret = req;
	return 0;
}

int fc_request_instance_info(struct fc_request *ret)
{
	return request("GET", "/", NULL, NULL, ret);
}

int fc_request_machine_config(unsigned vcpus, unsigned mem_size_mib, struct fc_request *ret)
{
	return request("PUT", "/machine-config", NULL,
		json_pack("{s:i, s:i, s:b}", "vcpu_count", (int)vcpus, "mem_size_mib",
			(int)mem_size_mib, "smt", false),
		ret);
}

int fc_request_boot_source(
	const char *kernel, const char *initrd, const char *boot_args, struct fc_request *ret)
{
	json_t *body = json_pack("{s:s, s:s}", "kernel_image_path", kernel, "boot_args", boot_args);

	if (body && initrd && *initrd &&
		json_object_set_new(body, "initrd_path", json_string(initrd)) < 0)
		body = (json_decref(body), NULL);
	return request("PUT", "/boot-source", NULL, body, ret);
}

int fc_request_drive(const char *drive_id, const char *path_on_host, bool is_root_device,
	bool is_read_only, struct fc_request *ret)
{
	return request("PUT", "/drives", drive_id,
		json_pack("{s:s, s:s, s:b, s:b}", "drive_id", drive_id, "path_on_host",
			path_on_host, "is_root_device", is_root_device, "is_read_only",
			is_read_only),
		ret);
}

int fc_request_network_interface(const char *iface_id, const char *host_dev_name,
	const char *guest_mac, struct fc_request *ret)
{
	return request("PUT", "/network-interfaces", iface_id,
		json_pack("{s:s, s:s, s:s}", "iface_id", iface_id, "host_dev_name", host_dev_name,
			"guest_mac", guest_mac),
		ret);
}

int fc_request_vm_state(bool paused, struct fc_request *ret)
{
	return request("PATCH", "/vm", NULL,
		json_pack("{s:s}", "state", paused ? "Paused" : "Resumed"), ret);
}

int fc_request_snapshot_create(const char *state_path, const char *mem_path, struct fc_request *ret)
{
	return request("PUT", "/snapshot/create", NULL,
		json_pack("{s:s, s:s, s:s}", "snapshot_type", "Full", "snapshot_path", state_path,
			"mem_file_path", mem_path),
		ret);
}

int fc_request_snapshot_load(const char *state_path, const char *mem_path, const char *iface_id,
	const char *tap, struct fc_request *ret)
{
	return request("PUT", "/snapshot/load", NULL,
		json_pack("{s:s, s:{s:s, s:s}, s:b, s:[{s:s, s:s}]}", "snapshot_path", state_path,
			"mem_backend", "backend_type", "File", "backend_path", mem_path,
			"resume_vm", true, "network_overrides", "iface_id", iface_id,
			"host_dev_name", tap),
		ret);
}

int fc_request_action(enum fc_action action, struct fc_request *ret)
{
	static const char *const names[_FC_ACTION_MAX] = {
		[FC_ACTION_INSTANCE_START] = "InstanceStart",
		[FC_ACTION_SEND_CTRL_ALT_DEL] = "SendCtrlAltDel",
	};

	if (action < 0 || action >= _FC_ACTION_MAX)
		return -EINVAL;
	return request(
		"PUT", "/actions", NULL, json_pack("{s:s}", "action_type", names[action]), ret);
}

int fc_boot_config_requests(
	const struct fc_boot_config *c, struct fc_request ret[FC_BOOT_CONFIG_MAX], size_t *ret_n)
{
	size_t n = 0;
	int r;

	r = fc_request_machine_config(c->vcpus, c->mem_size_mib, &ret[n]);
	if (r >= 0 && ++n)
		r = fc_request_boot_source(c->kernel, c->initrd, c->boot_args, &ret[n]);
	if (r >= 0 && ++n)
		r = fc_request_drive("rootfs", c->rootfs, true, false, &ret[n]);
	if (r >= 0 && ++n)
		r = fc_request_network_interface("eth0", c->tap, c->guest_mac, &ret[n]);
	if (r < 0) {
		while (n > 0)
			fc_request_done(&ret[--n]);
		return r;
	}
	*ret_n = n + 1;
	return 0;
}

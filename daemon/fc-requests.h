/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Firecracker API requests bangerd sends a VMM, one function per endpoint: each fills in the
 * method, the path and the body as Firecracker's own API description
 * (tests/data/firecracker/firecracker.yaml) defines them. Nothing else in the daemon builds a
 * body; vmm-schema.sh validates what these build (tests/unit/fc-requests-print). */
#pragma once

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct fc_request {
	const char *method; /* "GET", "PUT", "PATCH" */
	char path[64];
	json_t *body; /* owned; NULL: none */
};

void fc_request_done(struct fc_request *req);

enum fc_action {
	FC_ACTION_INSTANCE_START,
	FC_ACTION_SEND_CTRL_ALT_DEL,
	_FC_ACTION_MAX,
	_FC_ACTION_INVALID = -EINVAL,
};

/* Each returns 0, -ENOMEM, or -EINVAL for an id that does not fit the path. */

/* GET /: InstanceInfo, whose "state" says whether the guest was started ("Running"). */
int fc_request_instance_info(struct fc_request *ret);
/* PUT /machine-config (MachineConfiguration), SMT off. */
int fc_request_machine_config(unsigned vcpus, unsigned mem_size_mib, struct fc_request *ret);
/* PUT /boot-source (BootSource): paths as the VMM sees them; initrd "" or NULL: none. */
int fc_request_boot_source(
	const char *kernel, const char *initrd, const char *boot_args, struct fc_request *ret);
/* PUT /drives/{drive_id} (Drive). */
int fc_request_drive(const char *drive_id, const char *path_on_host, bool is_root_device,
	bool is_read_only, struct fc_request *ret);
/* PUT /network-interfaces/{iface_id} (NetworkInterface). */
int fc_request_network_interface(const char *iface_id, const char *host_dev_name,
	const char *guest_mac, struct fc_request *ret);
/* PATCH /vm (Vm): "Paused" or "Resumed"; the guest's vCPUs stop or continue. */
int fc_request_vm_state(bool paused, struct fc_request *ret);
/* PUT /snapshot/create (SnapshotCreateParams): a Full snapshot of a paused guest, paths in the
 * VMM's jail. */
int fc_request_snapshot_create(
	const char *state_path, const char *mem_path, struct fc_request *ret);
/* PUT /snapshot/load (SnapshotLoadParams): into a fresh VMM, resumed at once, its eth0 on tap. */
int fc_request_snapshot_load(const char *state_path, const char *mem_path, const char *iface_id,
	const char *tap, struct fc_request *ret);
/* PUT /actions (InstanceActionInfo). */
int fc_request_action(enum fc_action action, struct fc_request *ret);

/* What a VM is configured with before InstanceStart. */
struct fc_boot_config {
	unsigned vcpus, mem_size_mib;
	const char *kernel, *initrd; /* in the jail ("/kernel", "/initrd" or "") */
	const char *boot_args;
	const char *rootfs; /* the root drive in the jail ("/drives/rootfs") */
	const char *tap, *guest_mac;
};

#define FC_BOOT_CONFIG_MAX 4

/* The boot configuration in the order the lifecycle sends it, as a Firecracker client does:
 * machine-config, boot-source, the root drive, eth0. *ret_n requests in ret (all freed on
 * failure). */
int fc_boot_config_requests(
	const struct fc_boot_config *c, struct fc_request ret[FC_BOOT_CONFIG_MAX], size_t *ret_n);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* banger-vmm's instance: creation with Firecracker's defaults, names of states, id rules. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "common/macro.h"
#include "vmm/vmm.h"

int vmm_fault_set(struct vmm_fault *f, const char *fmt, ...)
{
	va_list ap;

	f->status = 400;
	va_start(ap, fmt);
	vsnprintf(f->message, sizeof(f->message), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int vmm_new(struct vmm **ret)
{
	struct vmm *v = calloc(1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	v->id = strdup("anonymous-instance");
	v->qemu_binary = strdup("/usr/bin/qemu-system-x86_64");
	/* Firecracker's defaults: 1 vCPU, 128 MiB (src/vmm/src/vmm_config/machine_config.rs). */
	v->machine_config = json_pack("{s:i, s:i, s:b, s:b, s:s}", "vcpu_count", 1, "mem_size_mib",
		128, "smt", 0, "track_dirty_pages", 0, "huge_pages", "None");
	v->drives = json_array();
	v->network_interfaces = json_array();
	v->max_payload = VMM_DEFAULT_MAX_PAYLOAD;
	v->metrics_fd = -1;
	v->qemu.pid = 0;
	v->qemu.pidfd = v->qemu.qmp_fd = v->qemu.stderr_fd = -1;
	v->incoming_fd = -1;
	if (!v->id || !v->qemu_binary || !v->machine_config || !v->drives ||
		!v->network_interfaces) {
		vmm_free(v);
		return -ENOMEM;
	}
	*ret = v;
	return 0;
}

struct vmm *vmm_free(struct vmm *v)
{
	if (!v)
		return NULL;
	free(v->id);
	free(v->qemu_binary);
	free(v->api_sock);
	json_decref(v->machine_config);
	json_decref(v->boot_source);
	json_decref(v->drives);
	json_decref(v->network_interfaces);
	json_decref(v->logger);
	json_decref(v->metrics);
	json_decref(v->serial);
	safe_close(v->metrics_fd);
	safe_close(v->qemu.pidfd);
	safe_close(v->qemu.qmp_fd);
	safe_close(v->incoming_fd);
	safe_close(v->qemu.stderr_fd);
	free(v);
	return NULL;
}

static const char *const state_names[_VMM_STATE_MAX] = {
	[VMM_NOT_STARTED] = "Not started",
	[VMM_RUNNING] = "Running",
	[VMM_PAUSED] = "Paused",
};

const char *vmm_state_to_string(enum vmm_state s)
{
	return s >= 0 && s < _VMM_STATE_MAX ? state_names[s] : NULL;
}

static const char *const accel_names[_VMM_ACCEL_MAX] = {
	[VMM_ACCEL_AUTO] = "auto",
	[VMM_ACCEL_KVM] = "kvm",
	[VMM_ACCEL_TCG] = "tcg",
};

const char *vmm_accel_to_string(enum vmm_accel a)
{
	return a >= 0 && a < _VMM_ACCEL_MAX ? accel_names[a] : NULL;
}

enum vmm_accel vmm_accel_from_string(const char *s)
{
	for (size_t i = 0; s && i < ELEMENTSOF(accel_names); i++)
		if (streq(accel_names[i], s))
			return (enum vmm_accel)i;
	return _VMM_ACCEL_INVALID;
}

bool vmm_instance_id_valid(const char *id)
{
	size_t n = strlen(id);

	if (n < 1 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)id[i]) && id[i] != '-')
			return false;
	return true;
}

bool vmm_resource_id_valid(const char *id)
{
	if (!*id)
		return false;
	for (const char *p = id; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			return false;
	return true;
}

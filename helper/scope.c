/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Under systemd, each VMM leaves bangerd-root.service's cgroup for a scope unit of its own
 * (banger-vm-<vm id>.scope in machine.slice, as libvirt and machined place VMs): `systemctl
 * kill bangerd-root`, which signals every process of the unit's cgroup whatever KillMode= says,
 * and the unit's device policy then never reach a guest. Without systemd there is nothing to do. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "common/bus.h"
#include "common/macro.h"
#include "helper/scope.h"

#define SCOPE_WAIT_MS 2000

void vmm_scope_name(const char *vm_id, char ret[SCOPE_NAME_MAX])
{
	snprintf(ret, SCOPE_NAME_MAX, "banger-vm-%s.scope", vm_id);
}

/* True once /proc/PID/cgroup names the scope (systemd moves the pid when the start job runs). */
static bool in_scope(pid_t pid, const char *scope)
{
	_cleanup_fclose_ FILE *f = NULL;
	char path[64], line[1024];

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, scope))
			return true;
	return false;
}

int vmm_scope_attach(
	const char *vm_id, pid_t pid, char ret_scope[SCOPE_NAME_MAX], char *why, size_t why_size)
{
	_cleanup_bus_ sd_bus *bus = NULL;
	sd_bus_message *m = NULL, *reply = NULL;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	char name[SCOPE_NAME_MAX], desc[128];
	struct timespec ts = {.tv_nsec = 10 * 1000 * 1000};
	int r;

	ret_scope[0] = '\0';
	if (sd_booted() <= 0)
		return 0;
	vmm_scope_name(vm_id, name);
	snprintf(desc, sizeof(desc), "banger VM %s", vm_id);
	r = bus_open_systemd(&bus);
	if (r < 0) {
		snprintf(why, why_size, "cannot reach systemd: %s", strerror(-r));
		return r;
	}
	r = sd_bus_message_new_method_call(bus, &m, "org.freedesktop.systemd1",
		"/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
		"StartTransientUnit");
	if (r >= 0)
		r = sd_bus_message_append(m, "ss", name, "fail");
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'a', "(sv)");
	if (r >= 0)
		r = sd_bus_message_append(m, "(sv)(sv)(sv)(sv)", "Description", "s", desc, "PIDs",
			"au", 1, (uint32_t)pid, "Slice", "s", "machine.slice", "CollectMode", "s",
			"inactive-or-failed");
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r >= 0)
		r = sd_bus_message_append(m, "a(sa(sv))", 0);
	if (r >= 0)
		r = sd_bus_call(bus, m, 5 * 1000 * 1000, &e, &reply);
	sd_bus_message_unref(m);
	sd_bus_message_unref(reply);
	if (r < 0) {
		snprintf(why, why_size, "systemd refused the scope %s: %s", name,
			e.message ? e.message : strerror(-r));
		sd_bus_error_free(&e);
		return r;
	}
	for (int i = 0; i < SCOPE_WAIT_MS / 10 && !in_scope(pid, name); i++)
		nanosleep(&ts, NULL);
	if (!in_scope(pid, name)) {
		snprintf(why, why_size, "pid %d did not move into %s", (int)pid, name);
		return -ETIMEDOUT;
	}
	memcpy(ret_scope, name, sizeof(name));
	return 1;
}

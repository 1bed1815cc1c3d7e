/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* banger's units as systemd itself sees them, read over sd-bus (org.freedesktop.systemd1): what
 * `banger system status` reports instead of trusting pid files. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "cli/sysunits.h"
#include "common/bus.h"
#include "common/macro.h"

const char *const sysunits_names[SYSUNITS_N] = {
	"bangerd-root.service",
	"bangerd.socket",
	"bangerd.service",
};

static void get_string(
	sd_bus *b, const char *path, const char *iface, const char *prop, char *buf, size_t size)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	char *s = NULL;

	if (sd_bus_get_property_string(b, "org.freedesktop.systemd1", path, iface, prop, &e, &s) >=
		0)
		snprintf(buf, size, "%s", s);
	free(s);
	sd_bus_error_free(&e);
}

static uint32_t get_u32(sd_bus *b, const char *path, const char *prop)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	uint32_t v = 0;

	if (sd_bus_get_property_trivial(b, "org.freedesktop.systemd1", path,
		    "org.freedesktop.systemd1.Service", prop, &e, 'u', &v) < 0)
		v = 0;
	sd_bus_error_free(&e);
	return v;
}

bool sysunits_systemd_running(void)
{
	return access("/run/systemd/system", F_OK) == 0;
}

int sysunits_query(struct sysunit ret[SYSUNITS_N], char *why, size_t why_size)
{
	_cleanup_bus_ sd_bus *b = NULL;
	int r;

	r = bus_open_systemd(&b);
	if (r < 0) {
		snprintf(why, why_size, "cannot reach systemd over D-Bus: %s", strerror(-r));
		return r;
	}
	for (size_t i = 0; i < SYSUNITS_N; i++) {
		_cleanup_free_ char *path = NULL;
		struct sysunit *u = &ret[i];

		*u = (struct sysunit){};
		snprintf(u->name, sizeof(u->name), "%s", sysunits_names[i]);
		/* Reading the unit's object loads it on demand: no GetUnit/LoadUnit round trip. */
		r = sd_bus_path_encode("/org/freedesktop/systemd1/unit", u->name, &path);
		if (r < 0) {
			snprintf(why, why_size, "cannot name %s on the bus: %s", u->name,
				strerror(-r));
			return r;
		}
		get_string(b, path, "org.freedesktop.systemd1.Unit", "LoadState", u->load,
			sizeof(u->load));
		get_string(b, path, "org.freedesktop.systemd1.Unit", "ActiveState", u->active,
			sizeof(u->active));
		get_string(b, path, "org.freedesktop.systemd1.Unit", "SubState", u->sub,
			sizeof(u->sub));
		get_string(b, path, "org.freedesktop.systemd1.Unit", "UnitFileState", u->file_state,
			sizeof(u->file_state));
		if (!u->load[0]) {
			snprintf(why, why_size, "systemd did not answer for %s", u->name);
			return -EIO;
		}
		if (strstr(u->name, ".service")) {
			u->main_pid = get_u32(b, path, "MainPID");
			u->n_restarts = get_u32(b, path, "NRestarts");
		}
	}
	return 0;
}

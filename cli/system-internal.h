/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What cmd-system.c (restart, status, probes, running the daemons) and cmd-system-install.c
 * (install, uninstall) share. Private to banger system. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>
#include <jansson.h>

#include "common/install.h"
#include "common/layout.h"
#include "common/macro.h"

#define CALL_TIMEOUT_MS 60000
#define PROBE_TIMEOUT_MS 3000
#define READY_TIMEOUT_SEC 20
#define STOP_TIMEOUT_SEC 15
#define SYSTEMD_UNIT_DIR "/etc/systemd/system"

/* One daemon as this command runs it without systemd. */
struct daemon_spec {
	const char *name; /* program, /proc/PID/comm and the log/pid file stem */
	bool as_owner;
	const char *fallback_dir;
};

extern const struct daemon_spec helper_spec, daemon_spec;

struct sys {
	struct banger_layout l;
	struct install_meta m;
	char self_dir[PATH_MAX];
	bool systemd;
	unsigned changes;
};

/* Root only (-EPERM after saying so); the layout, where this banger runs, whether systemd
 * manages the daemons. */
int sys_init(struct sys *s, const char *what);
/* Prints one change (and counts it). */
void sys_change(struct sys *s, const char *fmt, ...) _printf_(2, 3);
void sys_join(char *buf, size_t size, const char *a, const char *b, const char *suffix);
/* Where NAME is: next to this banger, in ../sbin, or in fallback_dir. */
void sys_program_path(
	const struct sys *s, const char *name, const char *fallback_dir, char *buf, size_t size);
/* system.status from the daemon, NULL when it does not answer. */
json_t *sys_daemon_status(const struct sys *s);
bool sys_daemon_ready(const struct sys *s);
bool sys_helper_ready(const struct sys *s);
void sys_sleep_ms(long ms);
/* Runs argv and waits: 0 when it exits 0, else -EIO (said on stderr) or -errno. */
int sys_run_wait(const char *const argv[]);
/* systemctl VERB [EXTRA] on banger's three units, as sys_run_wait(). */
int sys_systemctl(const char *verb, const char *extra);
/* Starts one daemon detached, records its pid and waits until ready() says it answers. */
int sys_spawn(struct sys *s, const struct daemon_spec *d, bool (*ready)(const struct sys *));
/* Stops the daemon recorded for d; the daemon without a pid file by the pid it reports. */
int sys_stop_recorded(struct sys *s, const struct daemon_spec *d);

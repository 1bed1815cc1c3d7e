/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* banger's units as systemd sees them (sd-bus). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SYSUNITS_N 3

/* bangerd-root.service, bangerd.socket, bangerd.service, in that order. */
extern const char *const sysunits_names[SYSUNITS_N];

struct sysunit {
	char name[64];
	char load[32];       /* loaded, not-found, masked... */
	char active[32];     /* active, inactive, failed, activating... */
	char sub[32];        /* running, listening, dead, auto-restart... */
	char file_state[32]; /* enabled, disabled, static... ("" when unknown) */
	uint32_t main_pid;   /* services only; 0 when none */
	uint32_t n_restarts; /* services only: restarts systemd made after failures */
};

/* True when systemd is PID 1 (sd_booted()'s test). */
bool sysunits_systemd_running(void);

/* Reads the three units' states from systemd; on failure why says what went wrong. */
int sysunits_query(struct sysunit ret[SYSUNITS_N], char *why, size_t why_size);

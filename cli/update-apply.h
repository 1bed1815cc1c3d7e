/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* banger update, run as root: from a signed release to a verified, re-adopted fleet, or back. */
#pragma once

#include <stdbool.h>

struct update_opts {
	const char *from;     /* manifest URL; NULL: banger.conf's [update] url */
	bool check_only;      /* say what is available, change nothing */
	bool allow_downgrade; /* root's choice only: never with unattended */
	bool rollback;        /* put the previous set back */
	bool insecure;        /* plain http to any host */
	bool unattended;      /* started for the owner: configured URL, newer releases only */
	bool progress;        /* a terminal: a download progress line */
};

/* Runs the whole update (or rollback); prints each step; returns 0, or -errno after saying what
 * happened (and, past the swap, after rolling back). */
int update_run(const struct update_opts *o);

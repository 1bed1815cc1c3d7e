/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* reconcile: make the kernel and the records agree (the "reconcile" method is in methods.def). */
#pragma once

struct daemon;

/* The daemon's own reconcile at start-up, after lifecycle_readopt(): what an earlier daemon left
 * behind (orphaned VMMs, jails, disks, taps) is released, and records whose processes say
 * otherwise are corrected. While bangerd-root cannot answer it asks again every 5 s. */
void reconcile_at_start(struct daemon *d);
/* Forgets a start-up reconcile still waiting for the helper (the daemon is exiting). */
void reconcile_at_start_cancel(void);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The owner's OpenSSH config for the VMs (~/.config/banger/ssh/config, common/sshconfig.h),
 * rewritten atomically from the records when a VM change is published: every VM that has an
 * address has a Host block (addresses stay with a VM until it is deleted), whatever its state. */
#pragma once

struct daemon;

/* Writes the file now and keeps it up to date from then on. A file that cannot be written is
 * logged and tried again (5 s), never a reason not to start. */
int ssh_config_start(struct daemon *d);
void ssh_config_stop(struct daemon *d);

/* A VM was created, deleted or changed: rewrites the file now when its text changed, which is
 * only when a VM gains an address or goes (a state change leaves the text as it was, so most
 * events cost a formatting in memory and no write). */
void ssh_config_changed(struct daemon *d);

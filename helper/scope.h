/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A systemd scope unit of its own for each VMM. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#define SCOPE_NAME_MAX 96

/* "banger-vm-<vm id>.scope" */
void vmm_scope_name(const char *vm_id, char ret[SCOPE_NAME_MAX]);

/* Moves pid into a new transient scope of its own when systemd is PID 1 (1, the name in
 * ret_scope); 0 (ret_scope "") without systemd; -errno with the reason in why. */
int vmm_scope_attach(
	const char *vm_id, pid_t pid, char ret_scope[SCOPE_NAME_MAX], char *why, size_t why_size);

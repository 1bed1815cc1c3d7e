/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Firecracker's full snapshots (PUT /snapshot/create, PUT /snapshot/load) on QEMU. */
#pragma once

#include <jansson.h>

#include "vmm/vmm.h"

/* PUT /snapshot/create: the guest must be paused; writes the memory file (QEMU's migration
 * stream) and then the state file. */
int vmm_snapshot_create(struct vmm *v, json_t *body, struct vmm_fault *f);
/* PUT /snapshot/load, into a banger-vmm with nothing but a logger or metrics configured: the
 * guest ends paused, or running with resume_vm. Past its argument checks a failure sets
 * v->exit_requested, as Firecracker ends the process. */
int vmm_snapshot_load(struct vmm *v, json_t *body, struct vmm_fault *f);

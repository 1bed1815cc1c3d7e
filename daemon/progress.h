/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Live start progress: vm.start_step when a step of a VM's start begins, vm.start_done when the
 * start ends, with the time each step took, so clients show where a start is while it runs. */
#pragma once

#include <stdint.h>

struct daemon;
struct vm;

/* Step n of of (counting from 1) begins. The first step seen for a VM starts its clock. */
void progress_step_begin(
	struct daemon *d, const struct vm *vm, const char *step, unsigned n, unsigned of);

/* The start ended: running when failure is NULL, else failed for that reason. Forgets the VM;
 * nothing is published for a VM whose start was not followed (a plain stop ending). */
void progress_done(struct daemon *d, const struct vm *vm, const char *failure);

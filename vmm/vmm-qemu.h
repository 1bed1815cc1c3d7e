/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The guest as a QEMU microvm child: its command line from the configuration, start-up over QMP,
 * Ctrl-Alt-Del, pause/resume, QMP calls for snapshots, and reaping it into Firecracker's exit code.
 */
#pragma once

#include <stdbool.h>

#include "vmm/vmm.h"

/* The QEMU command line for v's configuration, NULL-terminated; free with vmm_qemu_argv_free.
 * Under TCG, when v->tsc_khz is known and the boot args do not set it, tsc_early_khz= is
 * appended to the kernel command line. qmp_fd >= 0: QEMU's monitor is that (already connected)
 * socket descriptor, which the child must inherit. */
int vmm_qemu_build_argv(const struct vmm *v, enum vmm_accel accel, int qmp_fd, char ***ret);
void vmm_qemu_argv_free(char **argv);

/* The kernel command line Firecracker would give: boot_args (or its default), then root= and
 * ro/rw for the root drive. */
int vmm_qemu_kernel_cmdline(const struct vmm *v, char **ret);

/* One TSC reading bracketed by CLOCK_MONOTONIC (the tightest of a few). */
void vmm_qemu_tsc_sample(struct vmm_tsc_sample *ret);
/* The host TSC's rate in kHz, measured against CLOCK_MONOTONIC (works without /proc, in a jail)
 * from mark (a sample taken earlier; NULL or empty: now) to now, waiting until at least 10 ms
 * separate the two; 0 when it cannot be measured. */
unsigned long vmm_qemu_measure_tsc_khz(const struct vmm_tsc_sample *mark);

/* Resolves --accel auto with the KVM probe (once). */
enum vmm_accel vmm_qemu_resolve_accel(struct vmm *v);

/* InstanceStart: spawns QEMU and waits until its QMP monitor answers. On failure the fault holds
 * QEMU's own error output and no child is left running. */
int vmm_qemu_start(struct vmm *v, struct vmm_fault *f);
int vmm_qemu_ctrl_alt_del(struct vmm *v, struct vmm_fault *f);
int vmm_qemu_set_paused(struct vmm *v, bool paused, struct vmm_fault *f);
/* One QMP command (a JSON object as text), with fd passed alongside it (SCM_RIGHTS, for getfd)
 * when fd >= 0; *ret takes its "return" value when ret is not NULL. */
int vmm_qemu_call(struct vmm *v, const char *cmd, int fd, json_t **ret, struct vmm_fault *f);

/* Called when the QMP socket or QEMU's stderr is readable: logs events and error lines. */
void vmm_qemu_drain(struct vmm *v);
/* Called when QEMU's pidfd is readable: reaps it, returns Firecracker's exit code for it. */
int vmm_qemu_reap(struct vmm *v);
/* Stops a running QEMU (SIGTERM, then SIGKILL after timeout_ms) and reaps it. */
void vmm_qemu_kill(struct vmm *v, int timeout_ms);

/* What QEMU needs inside a jail, one "KIND PATH" per line (see vmm/banger-vmm.provider). */
void vmm_qemu_print_jail_deps(const struct vmm *v);

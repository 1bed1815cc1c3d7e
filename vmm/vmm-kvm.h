/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Whether KVM really runs guest code here: opening /dev/kvm is not proof (kvm_pvm hosts create
 * VMs whose ordinary guests then hang), so a few real-mode instructions must run to completion. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* The probe guest starts in real mode at this address, with page tables (PML4 at 0x1000, PDPT at
 * 0x2000, PD at 0x3000 mapping the first 2 MiB) already in memory, and reports success by writing
 * the 32-bit value 0x1335 to I/O port 0x10, then halting. */
#define VMM_KVM_PROBE_ENTRY 0x4000
#define VMM_KVM_PROBE_PORT 0x10
#define VMM_KVM_PROBE_RESULT 0x1335

/* The probe guest's code, for running it elsewhere (the tests run it under QEMU TCG to show it is
 * correct x86 code, so a KVM that fails it really cannot run a standard guest). */
const uint8_t *vmm_kvm_probe_code(size_t *ret_size);

/* 1 when a tiny real-mode guest ran (add, out, hlt) within timeout_ms in a child process, 0 when
 * it did not (no /dev/kvm, an ioctl failed, wrong result, or it hung and was killed). */
int vmm_kvm_probe(const char *dev, int timeout_ms);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Whether KVM really runs guest code here: opening /dev/kvm is not proof (kvm_pvm hosts create
 * VMs whose ordinary guests then hang), so a few real-mode instructions must run to completion. */
#pragma once

/* 1 when a tiny real-mode guest ran (add, out, hlt) within timeout_ms in a child process, 0 when
 * it did not (no /dev/kvm, an ioctl failed, wrong result, or it hung and was killed). */
int vmm_kvm_probe(const char *dev, int timeout_ms);

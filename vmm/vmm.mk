# SPDX-License-Identifier: LGPL-2.1-or-later
# vmm/: banger-vmm, the Firecracker-API VMM on QEMU microvm.
bin_PROGRAMS += banger-vmm
banger_vmm_SOURCES = vmm/vmm-main.c
banger_vmm_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(MHD_CFLAGS)
banger_vmm_LDADD = $(COMMON_LIBS) $(JANSSON_LIBS) $(MHD_LIBS)

# SPDX-License-Identifier: LGPL-2.1-or-later
# vmm/: banger-vmm and banger-jailer, the Firecracker-compatible provider.
bin_PROGRAMS += banger-vmm banger-jailer
banger_vmm_SOURCES = vmm/vmm-main.c
banger_vmm_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(MHD_CFLAGS)
banger_vmm_LDADD = $(COMMON_LIBS) $(JANSSON_LIBS) $(MHD_LIBS)
banger_jailer_SOURCES = vmm/jailer-main.c
banger_jailer_CFLAGS = $(AM_CFLAGS)
banger_jailer_LDADD = $(COMMON_LIBS)

# SPDX-License-Identifier: LGPL-2.1-or-later
# vmm/: banger-jailer, the Firecracker jailer's command-line contract.
bin_PROGRAMS += banger-jailer
banger_jailer_SOURCES = vmm/jailer-main.c
banger_jailer_CFLAGS = $(AM_CFLAGS)
banger_jailer_LDADD = $(COMMON_LIBS)

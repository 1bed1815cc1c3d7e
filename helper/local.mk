# SPDX-License-Identifier: LGPL-2.1-or-later
# helper/: bangerd-root, the narrow root helper. Always hardened; links no ncurses or curl.
sbin_PROGRAMS += bangerd-root
bangerd_root_SOURCES = helper/main.c
bangerd_root_CFLAGS = $(AM_CFLAGS) $(SYSTEMD_CFLAGS) $(JANSSON_CFLAGS) $(MNL_CFLAGS) \
	$(NFTABLES_CFLAGS) $(DEVMAPPER_CFLAGS)
bangerd_root_LDFLAGS = $(AM_LDFLAGS) $(HARDEN_LDFLAGS)
bangerd_root_LDADD = $(PROTOCOL_LIBS) $(COMMON_LIBS) $(MNL_LIBS) $(NFTABLES_LIBS) $(DEVMAPPER_LIBS)

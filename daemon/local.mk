# SPDX-License-Identifier: LGPL-2.1-or-later
# daemon/: bangerd, the owner-user daemon.
bin_PROGRAMS += bangerd
bangerd_SOURCES = daemon/main.c
bangerd_CFLAGS = $(AM_CFLAGS) $(SYSTEMD_CFLAGS) $(JANSSON_CFLAGS) $(CURL_CFLAGS)
bangerd_LDADD = $(PROTOCOL_LIBS) $(COMMON_LIBS) $(CURL_LIBS)

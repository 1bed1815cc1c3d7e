# SPDX-License-Identifier: LGPL-2.1-or-later
# cli/: banger, the scripting command line.
bin_PROGRAMS += banger
banger_SOURCES = cli/main.c
banger_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
banger_LDADD = $(PROTOCOL_LIBS) $(COMMON_LIBS)

# SPDX-License-Identifier: LGPL-2.1-or-later
# tui/: banger-tui, the live dashboard.
bin_PROGRAMS += banger-tui
banger_tui_SOURCES = tui/main.c
banger_tui_CFLAGS = $(AM_CFLAGS) $(NCURSES_CFLAGS) $(JANSSON_CFLAGS) $(INIH_CFLAGS)
banger_tui_LDADD = $(PROTOCOL_LIBS) $(COMMON_LIBS) $(NCURSES_LIBS) $(INIH_LIBS)

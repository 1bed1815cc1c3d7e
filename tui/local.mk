# SPDX-License-Identifier: LGPL-2.1-or-later
# tui/: banger-tui, the live dashboard. The curses-free core (model, console, filter/sort,
# themes, the action table and keymap) and the screen and actions on top of it are two libraries,
# so unit tests link exactly what the program runs; main.c is the program's alone.
noinst_LIBRARIES += libtui.a
libtui_a_SOURCES = \
	tui/console.c tui/console.h \
	tui/wrap.c tui/wrap.h \
	tui/osc52.c tui/osc52.h \
	tui/vm-model.c tui/vm-model.h \
	tui/vm-view.c tui/vm-view.h \
	tui/theme.c tui/theme.h tui/theme-roles.def \
	tui/theme-builtin.c \
	tui/keymap.c tui/keymap.h tui/actions.def \
	tui/config.c tui/config.h \
	tui/conn.c tui/conn.h
libtui_a_CFLAGS = $(AM_CFLAGS) $(NCURSES_CFLAGS) $(JANSSON_CFLAGS) $(INIH_CFLAGS)
TUI_LIBS = libtui.a $(PROTOCOL_LIBS) $(COMMON_LIBS) $(NCURSES_LIBS) $(INIH_LIBS) $(JANSSON_LIBS)

noinst_LIBRARIES += libtui-app.a
libtui_app_a_SOURCES = \
	tui/app.c tui/app.h \
	tui/actions.c \
	tui/prompt.c \
	tui/form.c \
	tui/image-build.c \
	tui/mouse.c \
	tui/daemon-input.c \
	tui/ssh.c \
	tui/ui-theme.c \
	tui/draw.c tui/draw-list.c tui/draw-console.c tui/draw-overlay.c tui/draw-images.c
libtui_app_a_CFLAGS = $(AM_CFLAGS) $(NCURSES_CFLAGS) $(JANSSON_CFLAGS) $(INIH_CFLAGS) \
	-DBANGER_SRCDIR=\"$(abs_top_srcdir)\"

bin_PROGRAMS += banger-tui
banger_tui_SOURCES = tui/main.c
banger_tui_CFLAGS = $(AM_CFLAGS) $(NCURSES_CFLAGS) $(JANSSON_CFLAGS) $(INIH_CFLAGS)
banger_tui_LDADD = libtui-app.a $(TUI_LIBS)

dist_man_MANS += man/banger-tui.1

unit_tests += tests/unit/test-tui-console tests/unit/test-tui-model tests/unit/test-tui-view \
	tests/unit/test-tui-theme tests/unit/test-tui-keymap tests/unit/test-tui-conn \
	tests/unit/test-tui-actions tests/unit/test-tui-wrap
TUI_TEST_CFLAGS = $(TESTS_CFLAGS) $(NCURSES_CFLAGS) $(INIH_CFLAGS) \
	-DTHEMES_SRCDIR=\"$(abs_top_srcdir)/themes\"
tests_unit_test_tui_console_SOURCES = tests/unit/test-tui-console.c
tests_unit_test_tui_console_CFLAGS = $(TUI_TEST_CFLAGS)
tests_unit_test_tui_console_LDADD = $(TUI_LIBS) $(CMOCKA_LIBS)
tests_unit_test_tui_model_SOURCES = tests/unit/test-tui-model.c
tests_unit_test_tui_model_CFLAGS = $(TUI_TEST_CFLAGS)
tests_unit_test_tui_model_LDADD = $(TUI_LIBS) $(CMOCKA_LIBS)
tests_unit_test_tui_view_SOURCES = tests/unit/test-tui-view.c
tests_unit_test_tui_view_CFLAGS = $(TUI_TEST_CFLAGS)
tests_unit_test_tui_view_LDADD = $(TUI_LIBS) $(CMOCKA_LIBS)
tests_unit_test_tui_theme_SOURCES = tests/unit/test-tui-theme.c
tests_unit_test_tui_theme_CFLAGS = $(TUI_TEST_CFLAGS)
tests_unit_test_tui_theme_LDADD = $(TUI_LIBS) $(CMOCKA_LIBS)
tests_unit_test_tui_keymap_SOURCES = tests/unit/test-tui-keymap.c
tests_unit_test_tui_keymap_CFLAGS = $(TUI_TEST_CFLAGS)
tests_unit_test_tui_keymap_LDADD = $(TUI_LIBS) $(CMOCKA_LIBS)
tests_unit_test_tui_conn_SOURCES = tests/unit/test-tui-conn.c
tests_unit_test_tui_conn_CFLAGS = $(TUI_TEST_CFLAGS)
tests_unit_test_tui_conn_LDADD = $(TUI_LIBS) $(CMOCKA_LIBS)
tests_unit_test_tui_actions_SOURCES = tests/unit/test-tui-actions.c
tests_unit_test_tui_actions_CFLAGS = $(TUI_TEST_CFLAGS)
tests_unit_test_tui_actions_LDADD = libtui-app.a $(TUI_LIBS) $(CMOCKA_LIBS)
tests_unit_test_tui_wrap_SOURCES = tests/unit/test-tui-wrap.c
tests_unit_test_tui_wrap_CFLAGS = $(TUI_TEST_CFLAGS)
tests_unit_test_tui_wrap_LDADD = $(TUI_LIBS) $(CMOCKA_LIBS)

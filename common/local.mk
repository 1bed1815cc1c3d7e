# SPDX-License-Identifier: LGPL-2.1-or-later
# common/: libc-only helpers every program links (logging, files, path layout).
noinst_LIBRARIES += libcommon.a
libcommon_a_SOURCES = \
	common/macro.h \
	common/log.c common/log.h \
	common/fileio.c common/fileio.h \
	common/layout.c common/layout.h \
	common/version.c common/version.h \
	common/install.c common/install.h \
	common/handles.c common/handles.h \
	common/sshcmd.c common/sshcmd.h common/sshconfig.c common/sshconfig.h \
	common/acl.c common/acl.h common/bus.c common/bus.h common/resolve1.c common/resolve1.h \
	common/reexec.c common/reexec.h common/pidfile.c common/pidfile.h \
	common/ratelimit.c common/ratelimit.h \
	common/fileclone.c common/fileclone.h
libcommon_a_CFLAGS = $(AM_CFLAGS) $(SYSTEMD_CFLAGS) $(JANSSON_CFLAGS)
COMMON_LIBS = libcommon.a $(SYSTEMD_LIBS) $(JANSSON_LIBS)

unit_tests += tests/unit/test-layout tests/unit/test-fileio tests/unit/test-acl tests/unit/test-handles \
	tests/unit/test-log tests/unit/test-sshconfig
tests_unit_test_sshconfig_SOURCES = tests/unit/test-sshconfig.c
tests_unit_test_sshconfig_CFLAGS = $(TESTS_CFLAGS)
tests_unit_test_sshconfig_LDADD = $(COMMON_LIBS) $(CMOCKA_LIBS)
tests_unit_test_log_SOURCES = tests/unit/test-log.c
tests_unit_test_log_CFLAGS = $(TESTS_CFLAGS)
tests_unit_test_log_LDADD = $(COMMON_LIBS) $(CMOCKA_LIBS)
tests_unit_test_handles_SOURCES = tests/unit/test-handles.c
tests_unit_test_handles_CFLAGS = $(TESTS_CFLAGS)
tests_unit_test_handles_LDADD = $(COMMON_LIBS) $(CMOCKA_LIBS)
tests_unit_test_acl_SOURCES = tests/unit/test-acl.c
tests_unit_test_acl_CFLAGS = $(TESTS_CFLAGS)
tests_unit_test_acl_LDADD = $(COMMON_LIBS) $(CMOCKA_LIBS)
tests_unit_test_layout_SOURCES = tests/unit/test-layout.c
tests_unit_test_layout_CFLAGS = $(TESTS_CFLAGS)
tests_unit_test_layout_LDADD = $(COMMON_LIBS) $(CMOCKA_LIBS)
tests_unit_test_fileio_SOURCES = tests/unit/test-fileio.c
tests_unit_test_fileio_CFLAGS = $(TESTS_CFLAGS)
tests_unit_test_fileio_LDADD = $(COMMON_LIBS) $(CMOCKA_LIBS)

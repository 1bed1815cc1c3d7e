# SPDX-License-Identifier: LGPL-2.1-or-later
# daemon/: bangerd, the owner-user daemon. Everything but main.c goes in a library the unit
# tests link too.
noinst_LIBRARIES += libbangerd.a
libbangerd_a_SOURCES = \
	daemon/daemon.c daemon/daemon.h \
	daemon/vm.c daemon/vm.h \
	daemon/vm-params.h \
	daemon/vm-state.c daemon/vm-state.h \
	daemon/save-retry.c daemon/save-retry.h \
	daemon/space-watch.c daemon/space-watch.h \
	daemon/image.c daemon/image.h \
	daemon/store.c daemon/store.h \
	daemon/events.c daemon/events.h \
	daemon/server.c daemon/server.h \
	daemon/conn-limit.c daemon/conn-limit.h \
	daemon/rpc.c daemon/rpc.h \
	daemon/rpc-hello.c \
	daemon/rpc-vm.c daemon/rpc-vm.h \
	daemon/rpc-image.c \
	daemon/rpc-system.c \
	daemon/rpc-update.c daemon/rpc-update.h \
	daemon/rpc-events.c \
	daemon/import.c daemon/import.h \
	daemon/helper-probe.c daemon/helper-probe.h
libbangerd_a_CFLAGS = $(AM_CFLAGS) $(SYSTEMD_CFLAGS) $(JANSSON_CFLAGS) $(CRYPTO_CFLAGS)
BANGERD_LIBS = libbangerd.a $(PROTOCOL_LIBS) $(COMMON_LIBS) $(CRYPTO_LIBS)

bin_PROGRAMS += bangerd
bangerd_SOURCES = daemon/main.c
bangerd_CFLAGS = $(AM_CFLAGS) $(SYSTEMD_CFLAGS) $(JANSSON_CFLAGS)
bangerd_LDADD = $(BANGERD_LIBS)

unit_tests += tests/unit/test-daemon-store tests/unit/test-daemon-events tests/unit/test-daemon-vm \
	tests/unit/test-daemon-state
tests_unit_test_daemon_store_SOURCES = tests/unit/test-daemon-store.c
tests_unit_test_daemon_store_CFLAGS = $(TESTS_CFLAGS) $(SYSTEMD_CFLAGS)
tests_unit_test_daemon_store_LDADD = $(BANGERD_LIBS) $(CMOCKA_LIBS)
tests_unit_test_daemon_events_SOURCES = tests/unit/test-daemon-events.c
tests_unit_test_daemon_events_CFLAGS = $(TESTS_CFLAGS) $(SYSTEMD_CFLAGS)
tests_unit_test_daemon_events_LDADD = $(BANGERD_LIBS) $(CMOCKA_LIBS)
tests_unit_test_daemon_vm_SOURCES = tests/unit/test-daemon-vm.c
tests_unit_test_daemon_vm_CFLAGS = $(TESTS_CFLAGS) $(SYSTEMD_CFLAGS)
tests_unit_test_daemon_vm_LDADD = $(BANGERD_LIBS) $(CMOCKA_LIBS)
tests_unit_test_daemon_state_SOURCES = tests/unit/test-daemon-state.c
tests_unit_test_daemon_state_CFLAGS = $(TESTS_CFLAGS) $(SYSTEMD_CFLAGS)
tests_unit_test_daemon_state_LDADD = $(BANGERD_LIBS) $(CMOCKA_LIBS)

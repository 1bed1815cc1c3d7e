# SPDX-License-Identifier: LGPL-2.1-or-later
# daemon/: bangerd, the owner-user daemon. Everything but main.c goes in a library the unit
# tests link too.
noinst_LIBRARIES += libbangerd.a
libbangerd_a_SOURCES = \
	daemon/daemon.c daemon/daemon.h \
	daemon/vm.c daemon/vm.h \
	daemon/vm-state.c daemon/vm-state.h \
	daemon/save-retry.c daemon/save-retry.h \
	daemon/space-watch.c daemon/space-watch.h \
	daemon/ssh-config.c daemon/ssh-config.h \
	daemon/publish.c daemon/publish.h \
	daemon/dns.c daemon/dns.h \
	daemon/image.c daemon/image.h \
	daemon/store.c daemon/store.h \
	daemon/events.c daemon/events.h \
	daemon/progress.c daemon/progress.h \
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
unit_tests += tests/unit/test-snapshot
tests_unit_test_snapshot_SOURCES = tests/unit/test-snapshot.c
tests_unit_test_snapshot_CFLAGS = $(TESTS_CFLAGS) $(SYSTEMD_CFLAGS)
tests_unit_test_snapshot_LDADD = $(BANGERD_LIBS) $(CMOCKA_LIBS)
tests_unit_test_daemon_vm_SOURCES = tests/unit/test-daemon-vm.c
tests_unit_test_daemon_vm_CFLAGS = $(TESTS_CFLAGS) $(SYSTEMD_CFLAGS)
tests_unit_test_daemon_vm_LDADD = $(BANGERD_LIBS) $(CMOCKA_LIBS)
tests_unit_test_daemon_state_SOURCES = tests/unit/test-daemon-state.c
tests_unit_test_daemon_state_CFLAGS = $(TESTS_CFLAGS) $(SYSTEMD_CFLAGS)
tests_unit_test_daemon_state_LDADD = $(BANGERD_LIBS) $(CMOCKA_LIBS)

# The lifecycle's machine against fake ports, every step failed, stopped, deleted, VMM killed.
unit_tests += tests/unit/test-lifecycle-faults
tests_unit_test_lifecycle_faults_SOURCES = tests/unit/test-lifecycle-faults.c
tests_unit_test_lifecycle_faults_CFLAGS = $(TESTS_CFLAGS) $(SYSTEMD_CFLAGS)
tests_unit_test_lifecycle_faults_LDADD = $(BANGERD_LIBS) $(CMOCKA_LIBS)

# The VM lifecycle's building blocks (Firecracker API client, address allocation, children).
unit_tests += tests/unit/test-fc-api
tests_unit_test_fc_api_SOURCES = tests/unit/test-fc-api.c daemon/fc-api.c daemon/fc-api.h
tests_unit_test_fc_api_CFLAGS = $(TESTS_CFLAGS) $(CURL_CFLAGS) $(SYSTEMD_CFLAGS) $(MHD_CFLAGS)
tests_unit_test_fc_api_LDADD = $(PROTOCOL_LIBS) $(COMMON_LIBS) $(CURL_LIBS) $(MHD_LIBS) $(CMOCKA_LIBS)

# What the lifecycle sends a VMM, printed for vmm-schema.sh (not a test by itself).
check_PROGRAMS += tests/unit/fc-requests-print
tests_unit_fc_requests_print_SOURCES = tests/unit/fc-requests-print.c \
	daemon/fc-requests.c daemon/fc-requests.h daemon/netalloc.c daemon/netalloc.h
tests_unit_fc_requests_print_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(CRYPTO_CFLAGS)
tests_unit_fc_requests_print_LDADD = $(JANSSON_LIBS) $(CRYPTO_LIBS)

unit_tests += tests/unit/test-netalloc
tests_unit_test_netalloc_SOURCES = tests/unit/test-netalloc.c daemon/netalloc.c daemon/netalloc.h
tests_unit_test_netalloc_CFLAGS = $(TESTS_CFLAGS) $(CRYPTO_CFLAGS)
tests_unit_test_netalloc_LDADD = $(CRYPTO_LIBS) $(CMOCKA_LIBS)

unit_tests += tests/unit/test-child
tests_unit_test_child_SOURCES = tests/unit/test-child.c daemon/child.c daemon/child.h
tests_unit_test_child_CFLAGS = $(TESTS_CFLAGS) $(SYSTEMD_CFLAGS)
tests_unit_test_child_LDADD = $(COMMON_LIBS) $(CMOCKA_LIBS)

unit_tests += tests/unit/test-ssh-keys
tests_unit_test_ssh_keys_SOURCES = tests/unit/test-ssh-keys.c daemon/ssh-keys.c daemon/ssh-keys.h
tests_unit_test_ssh_keys_CFLAGS = $(TESTS_CFLAGS)
tests_unit_test_ssh_keys_LDADD = $(COMMON_LIBS) $(CMOCKA_LIBS)

unit_tests += tests/unit/test-console-log
tests_unit_test_console_log_SOURCES = tests/unit/test-console-log.c daemon/console-log.c daemon/console-log.h
tests_unit_test_console_log_CFLAGS = $(TESTS_CFLAGS)
tests_unit_test_console_log_LDADD = $(COMMON_LIBS) $(CMOCKA_LIBS)

unit_tests += tests/unit/test-helperclient
tests_unit_test_helperclient_SOURCES = tests/unit/test-helperclient.c daemon/helper-client.c daemon/helper-client.h
tests_unit_test_helperclient_CFLAGS = $(TESTS_CFLAGS) $(SYSTEMD_CFLAGS)
tests_unit_test_helperclient_LDADD = $(PROTOCOL_LIBS) $(COMMON_LIBS) $(CMOCKA_LIBS)

# The lifecycle joins the daemon's library (and so every daemon unit test's link).
libbangerd_a_SOURCES += \
	daemon/fc-api.c daemon/fc-api.h \
	daemon/fc-requests.c daemon/fc-requests.h \
	daemon/netalloc.c daemon/netalloc.h \
	daemon/child.c daemon/child.h \
	daemon/file-copy.c daemon/file-copy.h \
	daemon/ssh-keys.c daemon/ssh-keys.h \
	daemon/console-log.c daemon/console-log.h \
	daemon/helper-client.c daemon/helper-client.h \
	daemon/helper-port.c daemon/helper-port.h \
	daemon/config.c daemon/config.h \
	daemon/file-sync.c daemon/file-sync.h \
	daemon/pid-watch.c daemon/pid-watch.h \
	daemon/lifecycle-ports.c daemon/lifecycle-ports.h \
	daemon/lifecycle.c daemon/lifecycle.h daemon/lifecycle-internal.h \
	daemon/lifecycle-steps.c daemon/lifecycle-steps-vmm.c \
	daemon/lifecycle-stop.c \
	daemon/lifecycle-pause.c \
	daemon/lifecycle-suspend.c \
	daemon/lifecycle-snapshot.c \
	daemon/lifecycle-restore.c \
	daemon/snapshot.c daemon/snapshot.h \
	daemon/lifecycle-console.c \
	daemon/reconcile-readopt.c \
	daemon/rpc-vm-lifecycle.c \
	daemon/rpc-vm-snapshot.c \
	daemon/reconcile.c daemon/reconcile.h
libbangerd_a_CFLAGS += $(CURL_CFLAGS) $(INIH_CFLAGS)
BANGERD_LIBS += $(CURL_LIBS) $(INIH_LIBS)
bangerd_CFLAGS += $(INIH_CFLAGS) $(CURL_CFLAGS)

# SPDX-License-Identifier: LGPL-2.1-or-later
# daemon/: the VM lifecycle's building blocks (Firecracker API client, address allocation).
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
	daemon/ssh-keys.c daemon/ssh-keys.h \
	daemon/console-log.c daemon/console-log.h \
	daemon/helper-client.c daemon/helper-client.h \
	daemon/helper-port.c daemon/helper-port.h \
	daemon/config.c daemon/config.h \
	daemon/file-sync.c daemon/file-sync.h \
	daemon/pid-watch.c daemon/pid-watch.h \
	daemon/lifecycle-ports.c daemon/lifecycle-ports.h \
	daemon/lifecycle.c daemon/lifecycle.h \
	daemon/rpc-vm-lifecycle.c \
	daemon/reconcile.c daemon/reconcile.h
libbangerd_a_CFLAGS += $(CURL_CFLAGS) $(INIH_CFLAGS)
BANGERD_LIBS += $(CURL_LIBS) $(INIH_LIBS)
bangerd_CFLAGS += $(INIH_CFLAGS) $(CURL_CFLAGS)

# SPDX-License-Identifier: LGPL-2.1-or-later
# helper/: bangerd-root, the narrow root helper. Always hardened; links no ncurses or curl.
# Everything but main() lives in libhelper.a so the unit tests and the fuzzer link the same code.
EXTRA_DIST += helper/README.md
noinst_LIBRARIES += libhelper.a
libhelper_a_SOURCES = \
	helper/helper.h helper/ops.h helper/ops.c \
	helper/config.c helper/config.h helper/caps.c helper/caps.h \
	helper/provider.c helper/provider.h \
	helper/validate.c helper/validate.h \
	helper/request.c helper/request.h \
	helper/server.c helper/server.h helper/worker.c helper/worker.h \
	helper/audit.c helper/audit.h \
	helper/netlink.c helper/netlink.h \
	helper/op-hello.c \
	helper/op-bridge-ensure.c helper/op-bridge-remove.c \
	helper/op-tap-create.c helper/op-tap-delete.c \
	helper/nft.c helper/nft.h helper/op-nat-ensure.c helper/op-nat-remove.c helper/op-publish-apply.c helper/op-publish-remove.c helper/op-dns-ensure.c helper/publish-sysctl.h \
	helper/fdcheck.c helper/fdcheck.h helper/loop.c helper/loop.h helper/dm.c helper/dm.h \
	helper/clone.c helper/clone.h helper/op-disk-prepare.c helper/op-disk-release.c \
	helper/mounts.c helper/mounts.h helper/jail.c helper/jail.h \
	helper/op-jail-stage.c helper/op-jail-cleanup.c \
	helper/spawn.c helper/spawn.h helper/proc.c helper/proc.h helper/op-jail-launch.c \
	helper/op-proc-find.c helper/op-proc-signal.c helper/op-resources-list.c \
	helper/purge.c helper/purge.h helper/resolved.c helper/resolved.h helper/scope.c helper/scope.h helper/op-update-start.c
libhelper_a_CFLAGS = $(AM_CFLAGS) $(SYSTEMD_CFLAGS) $(JANSSON_CFLAGS) $(MNL_CFLAGS) \
	$(NFTABLES_CFLAGS) $(DEVMAPPER_CFLAGS) $(INIH_CFLAGS)
HELPER_LIBS = libhelper.a $(PROTOCOL_LIBS) $(COMMON_LIBS) $(MNL_LIBS) $(NFTABLES_LIBS) \
	$(DEVMAPPER_LIBS) $(SYSTEMD_LIBS) $(INIH_LIBS) -lpthread

sbin_PROGRAMS += bangerd-root
bangerd_root_SOURCES = helper/main.c
bangerd_root_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(SYSTEMD_CFLAGS)
bangerd_root_LDFLAGS = $(AM_LDFLAGS) $(HARDEN_LDFLAGS)
bangerd_root_LDADD = $(HELPER_LIBS)

# The tests' and the benchmark's client (opens files as the caller, passes descriptors).
noinst_PROGRAMS += bangerd-root-call
bangerd_root_call_SOURCES = helper/call.c
bangerd_root_call_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
bangerd_root_call_LDADD = $(PROTOCOL_LIBS) $(COMMON_LIBS)

unit_tests += tests/unit/test-helper-request
tests_unit_test_helper_request_SOURCES = tests/unit/test-helper-request.c
tests_unit_test_helper_request_CFLAGS = $(TESTS_CFLAGS)
tests_unit_test_helper_request_LDADD = $(HELPER_LIBS) $(CMOCKA_LIBS)

unit_tests += tests/unit/test-helper-loop tests/unit/test-helper-mounts tests/unit/test-helper-netlink
tests_unit_test_helper_netlink_SOURCES = tests/unit/test-helper-netlink.c
tests_unit_test_helper_netlink_CFLAGS = $(TESTS_CFLAGS) $(MNL_CFLAGS)
tests_unit_test_helper_netlink_LDADD = $(HELPER_LIBS) $(CMOCKA_LIBS)
tests_unit_test_helper_mounts_SOURCES = tests/unit/test-helper-mounts.c
tests_unit_test_helper_mounts_CFLAGS = $(TESTS_CFLAGS)
tests_unit_test_helper_mounts_LDADD = $(HELPER_LIBS) $(CMOCKA_LIBS)
tests_unit_test_helper_loop_SOURCES = tests/unit/test-helper-loop.c
tests_unit_test_helper_loop_CFLAGS = $(TESTS_CFLAGS)
tests_unit_test_helper_loop_LDADD = $(HELPER_LIBS) $(CMOCKA_LIBS)

# libFuzzer target for the request decoder and validators (configure CC=clang --enable-fuzzing).
# The helper's sources are compiled into it directly so they carry the fuzzer's coverage.
if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz-helper-request
tests_fuzz_fuzz_helper_request_SOURCES = tests/fuzz/fuzz-helper-request.c $(libhelper_a_SOURCES)
tests_fuzz_fuzz_helper_request_CFLAGS = $(libhelper_a_CFLAGS)
tests_fuzz_fuzz_helper_request_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_helper_request_LDADD = $(PROTOCOL_LIBS) $(COMMON_LIBS) $(MNL_LIBS) \
	$(NFTABLES_LIBS) $(DEVMAPPER_LIBS) $(INIH_LIBS) -lpthread
endif

# The daemon's typed requests against the helper's schemas (both from protocol/helper-ops.def).
unit_tests += tests/unit/test-helper-ops
tests_unit_test_helper_ops_SOURCES = tests/unit/test-helper-ops.c
tests_unit_test_helper_ops_CFLAGS = $(TESTS_CFLAGS)
tests_unit_test_helper_ops_LDADD = $(HELPER_LIBS) $(CMOCKA_LIBS)

# SPDX-License-Identifier: LGPL-2.1-or-later
# protocol/: the wire format both sockets speak, shared by all programs.
noinst_LIBRARIES += libprotocol.a
libprotocol_a_SOURCES = \
	protocol/error.c protocol/error.h \
	protocol/ndjson.c protocol/ndjson.h \
	protocol/jsonrpc.c protocol/jsonrpc.h \
	protocol/calls.c protocol/calls.h \
	protocol/client.c protocol/client.h \
	protocol/vm.c protocol/vm.h \
	protocol/publish.c protocol/publish.h \
	protocol/methods.c protocol/methods.h protocol/methods.def \
	protocol/helper-ops.def protocol/helper-ops.c protocol/helper-ops.h
libprotocol_a_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
PROTOCOL_LIBS = libprotocol.a $(JANSSON_LIBS)

unit_tests += tests/unit/test-ndjson tests/unit/test-jsonrpc tests/unit/test-client tests/unit/test-publish
tests_unit_test_publish_SOURCES = tests/unit/test-publish.c
tests_unit_test_publish_CFLAGS = $(TESTS_CFLAGS)
tests_unit_test_publish_LDADD = $(PROTOCOL_LIBS) $(COMMON_LIBS) $(CMOCKA_LIBS)
tests_unit_test_ndjson_SOURCES = tests/unit/test-ndjson.c
tests_unit_test_ndjson_CFLAGS = $(TESTS_CFLAGS)
tests_unit_test_ndjson_LDADD = $(PROTOCOL_LIBS) $(COMMON_LIBS) $(CMOCKA_LIBS)
tests_unit_test_jsonrpc_SOURCES = tests/unit/test-jsonrpc.c
tests_unit_test_jsonrpc_CFLAGS = $(TESTS_CFLAGS)
tests_unit_test_jsonrpc_LDADD = $(PROTOCOL_LIBS) $(COMMON_LIBS) $(CMOCKA_LIBS)
tests_unit_test_client_SOURCES = tests/unit/test-client.c
tests_unit_test_client_CFLAGS = $(TESTS_CFLAGS)
tests_unit_test_client_LDADD = $(PROTOCOL_LIBS) $(COMMON_LIBS) $(CMOCKA_LIBS)

unit_tests += tests/unit/test-calls
tests_unit_test_calls_SOURCES = tests/unit/test-calls.c
tests_unit_test_calls_CFLAGS = $(TESTS_CFLAGS)
tests_unit_test_calls_LDADD = $(PROTOCOL_LIBS) $(COMMON_LIBS) $(CMOCKA_LIBS)

unit_tests += tests/unit/test-methods
tests_unit_test_methods_SOURCES = tests/unit/test-methods.c
tests_unit_test_methods_CFLAGS = $(TESTS_CFLAGS) -DBANGER_SRCDIR=\"$(abs_top_srcdir)\"
tests_unit_test_methods_LDADD = $(PROTOCOL_LIBS) $(COMMON_LIBS) $(CMOCKA_LIBS)

# libFuzzer target for bangerd.sock's request decoding (configure CC=clang --enable-fuzzing); the
# protocol sources are compiled into it so they carry the fuzzer's coverage.
if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz-daemon-request
tests_fuzz_fuzz_daemon_request_SOURCES = tests/fuzz/fuzz-daemon-request.c $(libprotocol_a_SOURCES)
tests_fuzz_fuzz_daemon_request_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_fuzz_fuzz_daemon_request_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_daemon_request_LDADD = $(COMMON_LIBS) $(JANSSON_LIBS)
endif

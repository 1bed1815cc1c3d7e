# SPDX-License-Identifier: LGPL-2.1-or-later
# protocol/: the wire format both sockets speak, shared by all programs.
noinst_LIBRARIES += libprotocol.a
libprotocol_a_SOURCES = \
	protocol/error.c protocol/error.h \
	protocol/ndjson.c protocol/ndjson.h \
	protocol/jsonrpc.c protocol/jsonrpc.h \
	protocol/client.c protocol/client.h \
	protocol/helper-ops.def protocol/helper-ops.c protocol/helper-ops.h
libprotocol_a_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
PROTOCOL_LIBS = libprotocol.a $(JANSSON_LIBS)

unit_tests += tests/unit/test-ndjson tests/unit/test-jsonrpc tests/unit/test-client
tests_unit_test_ndjson_SOURCES = tests/unit/test-ndjson.c
tests_unit_test_ndjson_CFLAGS = $(TESTS_CFLAGS)
tests_unit_test_ndjson_LDADD = $(PROTOCOL_LIBS) $(COMMON_LIBS) $(CMOCKA_LIBS)
tests_unit_test_jsonrpc_SOURCES = tests/unit/test-jsonrpc.c
tests_unit_test_jsonrpc_CFLAGS = $(TESTS_CFLAGS)
tests_unit_test_jsonrpc_LDADD = $(PROTOCOL_LIBS) $(COMMON_LIBS) $(CMOCKA_LIBS)
tests_unit_test_client_SOURCES = tests/unit/test-client.c
tests_unit_test_client_CFLAGS = $(TESTS_CFLAGS)
tests_unit_test_client_LDADD = $(PROTOCOL_LIBS) $(COMMON_LIBS) $(CMOCKA_LIBS)

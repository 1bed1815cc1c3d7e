/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for the helper's request decoder and field validators: every refusal names why. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/netalloc.h"
#include "helper/audit.h"
#include "helper/helper.h"
#include "helper/request.h"
#include "helper/validate.h"

struct line_case {
	const char *line;
	int expect;               /* 0 or the -errno the decoder returns */
	const char *msg_contains; /* for refusals */
};

#define REQ(method, params)                                                                        \
	"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" method "\",\"params\":" params "}"

static const struct line_case cases[] = {
	{REQ("hello", "{\"protocol\":1,\"program\":\"bangerd\",\"version\":\"0.1.0\"}"), 0, NULL},
	{REQ("hello", "{\"protocol\":2}"), -EPROTONOSUPPORT, "protocol"},
	{REQ("net.bridge_ensure", "{\"address\":\"172.16.0.1/24\"}"), 0, NULL},
	{REQ("net.bridge_ensure", "{\"bridge\":\"banger1\",\"address\":\"10.9.0.1/16\"}"), 0, NULL},
	{REQ("net.bridge_ensure", "{\"bridge\":\"eth0\",\"address\":\"172.16.0.1/24\"}"), -EINVAL,
		"bridge"},
	{REQ("net.bridge_ensure", "{\"bridge\":\"docker0\",\"address\":\"172.16.0.1/24\"}"),
		-EINVAL, "bridge"},
	{REQ("net.bridge_ensure",
		 "{\"bridge\":\"banger0123456789\",\"address\":\"172.16.0.1/24\"}"),
		-EINVAL, "bridge"},
	{REQ("net.bridge_ensure", "{\"address\":\"172.16.0.0/24\"}"), -EINVAL,
		"network or broadcast"},
	{REQ("net.bridge_ensure", "{\"address\":\"172.16.0.255/24\"}"), -EINVAL,
		"network or broadcast"},
	{REQ("net.bridge_ensure", "{\"address\":\"172.16.0.1/33\"}"), -EINVAL, "address"},
	{REQ("net.bridge_ensure", "{\"address\":\"172.16.0.1/024\"}"), -EINVAL, "address"},
	{REQ("net.bridge_ensure", "{\"address\":\"172.16.0.1\"}"), -EINVAL, "address"},
	{REQ("net.bridge_ensure", "{\"address\":\"fe80::1/64\"}"), -EINVAL, "address"},
	{REQ("net.bridge_ensure", "{\"address\":\"127.0.0.5/8\"}"), -EINVAL, "ordinary unicast"},
	{REQ("net.bridge_ensure", "{\"address\":\"224.1.1.1/24\"}"), -EINVAL, "ordinary unicast"},
	{REQ("net.bridge_ensure", "{\"address\":\"240.1.1.1/24\"}"), -EINVAL, "ordinary unicast"},
	{REQ("net.bridge_ensure", "{\"address\":\"169.254.1.1/16\"}"), -EINVAL, "ordinary unicast"},
	{REQ("net.bridge_ensure", "{\"address\":\"0.1.2.3/8\"}"), -EINVAL, "ordinary unicast"},
	{REQ("nat.ensure", "{\"subnet\":\"10.0.0.0/8\"}"), 0, NULL},
	{REQ("nat.ensure", "{\"subnet\":\"127.0.0.0/8\"}"), -EINVAL, "ordinary unicast"},
	{REQ("nat.ensure", "{\"subnet\":\"10.0.0.0/7\"}"), -EINVAL, "prefix length"},
	{REQ("net.bridge_ensure", "{\"address\":17216}"), -EINVAL, "must be a string"},
	{REQ("net.bridge_ensure", "{}"), 0, NULL}, /* the pool is banger.conf's */
	{REQ("nat.ensure", "{}"), 0, NULL},
	{REQ("net.tap_create", "{}"), -EINVAL, "Missing parameter \"tap\""},
	{REQ("net.bridge_ensure", "{\"address\":\"172.16.0.1/24\",\"extra\":1}"), -EINVAL,
		"Unknown parameter \"extra\""},
	{REQ("net.bridge_ensure", "[\"172.16.0.1/24\"]"), -EINVAL, "JSON object"},
	{REQ("net.tap_create", "{\"tap\":\"bgt-abc\"}"), 0, NULL},
	{REQ("net.tap_create", "{\"tap\":\"bgt-0123456789a\"}"), 0, NULL},
	{REQ("net.tap_create", "{\"tap\":\"bgt-0123456789ab\"}"), -EINVAL, "tap"},
	{REQ("net.tap_create", "{\"tap\":\"eth0\"}"), -EINVAL, "tap"},
	{REQ("net.tap_create", "{\"tap\":\"lo\"}"), -EINVAL, "tap"},
	{REQ("net.tap_create", "{\"tap\":\"bgt-\"}"), -EINVAL, "tap"},
	{REQ("net.tap_create", "{\"tap\":\"bgt-../x\"}"), -EINVAL, "tap"},
	{REQ("net.tap_create", "{\"tap\":\"bgt-a\\u0000b\"}"), -EBADMSG, "NUL"},
	{REQ("net.tap_create", "{\"tap\":\"bgt-A\"}"), -EINVAL, "tap"},
	{REQ("net.tap_create", "{\"tap\":null}"), -EINVAL, "must be a string"},
	{REQ("net.tap_delete", "{\"tap\":\"bgt-abc\",\"vm_id\":\"../etc\"}"), -EINVAL, "VM id"},
	{REQ("net.tap_delete", "{\"tap\":[\"bgt-abc\"]}"), -EINVAL, "must be a string"},
#define LAUNCH(args)                                                                               \
	REQ("jail.launch", "{\"vm_id\":\"v\",\"fds\":[\"console\"],\"vmm_args\":" args "}")
	{LAUNCH("[\"--level\",\"Info\"]"), 0, NULL},
	{LAUNCH("[\"--level=Debug\",\"--show-level\",\"--accel\",\"tcg\",\"--no-boot\"]"), 0, NULL},
	{LAUNCH("[\"--module\",\"vmm::builder\",\"--mmds-size-limit=4096\"]"), 0, NULL},
	{LAUNCH("[\"--qemu\",\"/tmp/evil\"]"), -EPERM, "not an allowed VMM option"},
	{LAUNCH("[\"--qemu=/tmp/evil\"]"), -EPERM, "not an allowed VMM option"},
	{LAUNCH("[\"--log-path\",\"/etc/shadow\"]"), -EPERM, "not an allowed VMM option"},
	{LAUNCH("[\"--config-file\",\"/x\"]"), -EPERM, "not an allowed VMM option"},
	{LAUNCH("[\"--no-seccomp\"]"), -EPERM, "not an allowed VMM option"},
	{LAUNCH("[\"--api-sock\",\"/x\"]"), -EPERM, "not an allowed VMM option"},
	{LAUNCH("[\"--id=x\"]"), -EPERM, "not an allowed VMM option"},
	{LAUNCH("[\"Info\"]"), -EPERM, "not an allowed VMM option"},
	{LAUNCH("[\"--level\"]"), -EINVAL, "missing its value"},
	{LAUNCH("[\"--level\",\"Loud\"]"), -EINVAL, "not a value --level takes"},
	{LAUNCH("[\"--accel\",\"/usr/bin/qemu\"]"), -EINVAL, "not a value --accel takes"},
	{LAUNCH("[\"--no-boot=1\"]"), -EINVAL, "takes no value"},
	{LAUNCH("[\"--level\",\"Info\",\"--qemu\"]"), -EPERM, "not an allowed VMM option"},
#undef LAUNCH
	{REQ("no.such_op", "{}"), -EOPNOTSUPP, "Unknown op"},
	{"{\"jsonrpc\":\"2.0\",\"method\":\"hello\",\"params\":{\"protocol\":1}}", -EBADMSG,
		"with an id"},
	{"{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"hello\"}", -EBADMSG, NULL},
	{"not json", -EBADMSG, NULL},
	{"[]", -EBADMSG, NULL},
};

static void test_decode_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rpc_error err = {};
		int r = helper_request_decode_line(cases[i].line, strlen(cases[i].line), &err);
		if (r != cases[i].expect)
			fail_msg("case %zu (%s): got %d, expected %d: %s", i, cases[i].line, r,
				cases[i].expect, err.message);
		if (cases[i].msg_contains && !strstr(err.message, cases[i].msg_contains))
			fail_msg("case %zu (%s): message \"%s\" lacks \"%s\"", i, cases[i].line,
				err.message, cases[i].msg_contains);
		if (r < 0 && !err.message[0])
			fail_msg("case %zu: refusal without a message", i);
	}
}

static void test_op_table(void **state)
{
	(void)state;
	assert_non_null(helper_op_find("net.tap_create"));
	assert_null(helper_op_find("net.tap_create "));
	assert_null(helper_op_find(""));
	for (size_t i = 0; i < helper_ops_count; i++) {
		const struct helper_op *op = &helper_ops[i];
		bool has_vm_id = false;
		assert_non_null(op->run);
		for (const struct helper_field *f = op->fields; f->name; f++)
			if (strcmp(f->name, "vm_id") == 0 && f->required)
				has_vm_id = true;
		/* An op that needs a VM id must declare it as a required, checked field. */
		if (op->needs_vm_id && !has_vm_id)
			fail_msg("%s needs a VM id but does not require the field", op->name);
	}
}

static void test_names(void **state)
{
	(void)state;
	assert_true(vm_id_is_valid("vm-1"));
	assert_true(vm_id_is_valid(
		"A1234567890123456789012345678901234567890123456789012345678901234" + 1));
	assert_false(vm_id_is_valid(""));
	assert_false(vm_id_is_valid("-x"));
	assert_false(vm_id_is_valid("a_b"));
	assert_false(vm_id_is_valid("a.b"));
	assert_false(vm_id_is_valid(".."));
	assert_false(vm_id_is_valid("a/b"));
	assert_false(vm_id_is_valid(
		"A12345678901234567890123456789012345678901234567890123456789012345"));
	assert_true(tap_name_is_valid("bgt-x"));
	assert_false(tap_name_is_valid("bgt"));
	assert_true(bridge_name_is_valid("banger0"));
	assert_false(bridge_name_is_valid("bange"));
	assert_true(block_device_path_is_valid("/dev/loop0"));
	assert_true(block_device_path_is_valid("/dev/loop123"));
	assert_false(block_device_path_is_valid("/dev/loop01"));
	assert_false(block_device_path_is_valid("/dev/loop"));
	assert_false(block_device_path_is_valid("/dev/sda"));
	assert_false(block_device_path_is_valid("/dev/mapper/control"));
	assert_true(block_device_path_is_valid("/dev/mapper/banger-vm1"));
	assert_false(block_device_path_is_valid("/dev/mapper/banger-../x"));
	assert_int_equal(signal_from_name("KILL"), 9);
	assert_int_equal(signal_from_name("kill"), -EINVAL);
}

static void test_audit_escape(void **state)
{
	char out[64];

	(void)state;
	helper_audit_escape("net.tap_create", out, sizeof(out));
	assert_string_equal(out, "net.tap_create");
	/* a newline can never start a line of its own, nor a carriage return overwrite one */
	helper_audit_escape("x\ncaller uid=0\r", out, sizeof(out));
	assert_string_equal(out, "x\\x0acaller uid=0\\x0d");
	helper_audit_escape("a\\b\x7f\xc3\xa9", out, sizeof(out));
	assert_string_equal(out, "a\\\\b\\x7f\\xc3\\xa9");
	/* cut to fit, never in the middle of an escape, always terminated */
	helper_audit_escape("\n\n\n", out, 9);
	assert_string_equal(out, "\\x0a\\x0a");
}

/* The helper and the daemon read the same [network] defaults (an install without the section). */
static void test_pool_default(void **state)
{
	(void)state;
	assert_string_equal(HELPER_POOL_DEFAULT, NET_DEFAULT_SUBNET);
}

static void test_op_serial(void **state)
{
	(void)state;
	/* Only hello runs on the loop; every op that names a VM holds that VM's lock. */
	for (size_t i = 0; i < helper_ops_count; i++) {
		const struct helper_op *op = &helper_ops[i];
		if (op->serial == HELPER_SERIAL_LOOP && strcmp(op->name, "hello") != 0)
			fail_msg("%s runs on the loop", op->name);
		if (op->needs_vm_id && op->serial != HELPER_SERIAL_VM)
			fail_msg("%s names a VM but is not serialized per VM", op->name);
		if (strncmp(op->name, "net.", 4) == 0 || strncmp(op->name, "nat.", 4) == 0)
			if (op->serial != HELPER_SERIAL_NET)
				fail_msg("%s is not serialized with the other net ops", op->name);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_table),
		cmocka_unit_test(test_op_table),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_audit_escape),
		cmocka_unit_test(test_op_serial),
		cmocka_unit_test(test_pool_default),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Validation tables: VM and image names, ids, record fields, states; the method table served. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "daemon/rpc.h"
#include "daemon/vm.h"
#include "protocol/jsonrpc.h"

static void test_names(void **state)
{
	static const struct {
		const char *name;
		bool valid;
	} table[] = {
		{"a", true},
		{"web-1", true},
		{"a0-9z", true},
		{"abcdefghijklmnopqrstuvwxyz012345", true},   /* 32 */
		{"abcdefghijklmnopqrstuvwxyz0123456", false}, /* 33 */
		{"", false},
		{"1abc", false},
		{"-abc", false},
		{"Abc", false},
		{"abC", false},
		{"a_b", false},
		{"a.b", false},
		{"a/b", false},
		{"a b", false},
		{"..", false},
		{"é", false},
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (vm_name_is_valid(table[i].name) != table[i].valid)
			fail_msg("name \"%s\" should be %s", table[i].name,
				table[i].valid ? "valid" : "invalid");
	}
	assert_false(vm_name_is_valid(NULL));
}

static void test_ids(void **state)
{
	char id[VM_ID_LEN + 1], id2[VM_ID_LEN + 1];

	assert_true(vm_id_is_valid("0123456789abcdef0123456789abcdef"));
	assert_false(vm_id_is_valid("0123456789ABCDEF0123456789abcdef"));
	assert_false(vm_id_is_valid("0123456789abcdef0123456789abcde"));
	assert_false(vm_id_is_valid("0123456789abcdef0123456789abcdef0"));
	assert_false(vm_id_is_valid("web"));
	assert_int_equal(vm_id_generate(id), 0);
	assert_int_equal(vm_id_generate(id2), 0);
	assert_true(vm_id_is_valid(id));
	assert_string_not_equal(id, id2);
}

/* Every method of the shared table (protocol/methods.def) has its handler here: a row without
 * one would not link, and none is left "unavailable". */
static void test_every_method_is_served(void **state)
{
	(void)state;
	for (int m = 0; m < _RPC_METHOD_MAX; m++)
		if (!rpc_method_available(m))
			fail_msg("bangerd does not serve %s", rpc_method_to_string(m));
	assert_false(rpc_method_available(_RPC_METHOD_MAX));
	assert_false(rpc_method_available(_RPC_METHOD_INVALID));
}

static void test_states(void **state)
{
	for (int s = 0; s < _VM_STATE_MAX; s++)
		assert_int_equal(vm_state_from_string(vm_state_to_string(s)), s);
	assert_int_equal(vm_state_from_string("flying"), _VM_STATE_INVALID);
	assert_true(vm_state_is_inactive(VM_STATE_CREATED));
	assert_true(vm_state_is_inactive(VM_STATE_STOPPED));
	assert_true(vm_state_is_inactive(VM_STATE_ERROR));
	assert_false(vm_state_is_inactive(VM_STATE_RUNNING));
	assert_false(vm_state_is_inactive(VM_STATE_STARTING));
	assert_false(vm_state_is_inactive(VM_STATE_STOPPING));
}

static void test_record_round_trip(void **state)
{
	struct vm vm = {.id = "0123456789abcdef0123456789abcdef",
		.name = "web",
		.state = VM_STATE_RUNNING,
		.image = "minimal",
		.vcpus = 2,
		.memory_mib = 512,
		.disk_gib = 4,
		.ip = "172.30.0.2",
		.pid = 99,
		.created_at = "2026-01-01T00:00:00Z"};
	struct vm back;
	char why[128];
	json_t *o = vm_to_json(&vm);

	assert_non_null(o);
	assert_true(json_is_null(json_object_get(o, "reason")));
	assert_true(json_is_null(json_object_get(o, "started_at")));
	assert_int_equal(
		json_integer_value(json_object_get(o, "schema_version")), VM_SCHEMA_VERSION);
	assert_int_equal(vm_from_json(o, &back, why, sizeof(why)), 0);
	assert_memory_equal(&vm, &back, sizeof(vm));
	/* a bad field is named */
	json_object_set_new(o, "memory_mib", json_integer(64));
	assert_int_equal(vm_from_json(o, &back, why, sizeof(why)), -EBADMSG);
	assert_non_null(strstr(why, "memory_mib"));
	json_decref(o);
}

static void test_migrate_versions(void **state)
{
	char why[160];
	json_t *o = json_pack("{s:i}", "schema_version", VM_SCHEMA_VERSION + 1);

	assert_int_equal(vm_json_migrate(o, why, sizeof(why)), -EPROTONOSUPPORT);
	assert_non_null(strstr(why, "newer"));
	json_decref(o);
	o = json_pack("{s:s}", "schema_version", "1");
	assert_int_equal(vm_json_migrate(o, why, sizeof(why)), -EBADMSG);
	json_decref(o);
	o = json_pack("{s:i}", "schema_version", VM_SCHEMA_VERSION);
	assert_int_equal(vm_json_migrate(o, why, sizeof(why)), VM_SCHEMA_VERSION);
	json_decref(o);
	o = json_object();
	assert_int_equal(vm_json_migrate(o, why, sizeof(why)), 0);
	assert_int_equal(
		json_integer_value(json_object_get(o, "schema_version")), VM_SCHEMA_VERSION);
	assert_string_equal(json_string_value(json_object_get(o, "state")), "stopped");
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_every_method_is_served),
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_record_round_trip),
		cmocka_unit_test(test_migrate_versions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Validation tables: VM and image names, ids, vm.create's parameters, record fields, states. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "daemon/vm-params.h"
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

static void test_create_params(void **state)
{
	static const struct {
		const char *json;
		int code; /* -1: accepted */
		const char *mention;
	} table[] = {
	        {"{\"name\":\"a\"}", -1, NULL},
	        {"{\"name\":\"a\",\"image\":\"deb-12\",\"vcpus\":32,\"memory_mib\":65536,\"disk_"
	         "gib\":1024}",
	                -1, NULL},
	        {"{\"name\":\"a\",\"vcpus\":1,\"memory_mib\":128,\"disk_gib\":1}", -1, NULL},
	        {"{}", RPC_ERROR_INVALID_ARGUMENT, "name"},
	        {"{\"name\":5}", RPC_ERROR_INVALID_ARGUMENT, "name"},
	        {"{\"name\":\"A\"}", RPC_ERROR_INVALID_ARGUMENT, "name"},
	        {"{\"name\":\"a\",\"vcpus\":0}", RPC_ERROR_INVALID_ARGUMENT, "vcpus"},
	        {"{\"name\":\"a\",\"vcpus\":33}", RPC_ERROR_INVALID_ARGUMENT, "vcpus"},
	        {"{\"name\":\"a\",\"vcpus\":1.5}", RPC_ERROR_INVALID_ARGUMENT, "vcpus"},
	        {"{\"name\":\"a\",\"memory_mib\":127}", RPC_ERROR_INVALID_ARGUMENT, "memory_mib"},
	        {"{\"name\":\"a\",\"memory_mib\":65537}", RPC_ERROR_INVALID_ARGUMENT, "memory_mib"},
	        {"{\"name\":\"a\",\"disk_gib\":0}", RPC_ERROR_INVALID_ARGUMENT, "disk_gib"},
	        {"{\"name\":\"a\",\"disk_gib\":1025}", RPC_ERROR_INVALID_ARGUMENT, "disk_gib"},
	        {"{\"name\":\"a\",\"image\":\"../etc\"}", RPC_ERROR_INVALID_ARGUMENT, "image"},
	        {"{\"name\":\"a\",\"image\":null}", -1, NULL}, /* null: the default */
	        {"{\"name\":\"a\",\"color\":\"red\"}", RPC_ERROR_INVALID_ARGUMENT, "color"},
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		json_t *params = json_loads(table[i].json, 0, NULL);
		struct rpc_error err = {};
		struct vm_params p;
		int r;

		assert_non_null(params);
		r = vm_params_parse(params, NULL, &p, &err);
		json_decref(params);
		if (table[i].code < 0) {
			if (r < 0)
				fail_msg("%s refused: %s", table[i].json, err.message);
			continue;
		}
		if (r >= 0)
			fail_msg("%s accepted", table[i].json);
		assert_int_equal(err.code, table[i].code);
		if (!strstr(err.message, table[i].mention))
			fail_msg("%s: \"%s\" does not mention %s", table[i].json, err.message,
			        table[i].mention);
	}
}

static void test_create_defaults(void **state)
{
	json_t *params = json_pack("{s:s}", "name", "x");
	struct rpc_error err = {};
	struct vm_params p;

	assert_int_equal(vm_params_parse(params, NULL, &p, &err), 0);
	json_decref(params);
	assert_string_equal(p.image, VM_DEFAULT_IMAGE);
	assert_int_equal(p.vcpus, VM_DEFAULT_VCPUS);
	assert_int_equal(p.memory_mib, VM_DEFAULT_MEMORY);
	assert_int_equal(p.disk_gib, VM_DEFAULT_DISK);
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
	        cmocka_unit_test(test_create_params),
	        cmocka_unit_test(test_create_defaults),
	        cmocka_unit_test(test_states),
	        cmocka_unit_test(test_record_round_trip),
	        cmocka_unit_test(test_migrate_versions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

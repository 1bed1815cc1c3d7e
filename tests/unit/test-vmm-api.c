/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for banger-vmm's API dispatch: routes, phases, body checks, ids, fault shapes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/vmm-api.h"
#include "vmm/vmm-config.h"
#include "vmm/vmm-log.h"
#include "vmm/vmm.h"

static char tmpdir[] = "/tmp/test-vmm-api.XXXXXX";
static char kernel[256], disk[256];

/* Sends one request; returns the status, copies fault_message (or "") into msg. */
static unsigned req(struct vmm *v, const char *method, const char *url, const char *body, char *msg,
	size_t size)
{
	struct vmm_reply r = {};
	const char *fm;

	assert_int_equal(vmm_api_dispatch(v, method, url, body, body ? strlen(body) : 0, &r), 0);
	fm = json_string_value(json_object_get(r.body, "fault_message"));
	if (msg)
		snprintf(msg, size, "%s", fm ?: "");
	if (r.status == 400)
		assert_non_null(fm); /* every 400 has Firecracker's shape */
	if (r.status == 204)
		assert_null(r.body);
	json_decref(r.body);
	return r.status;
}

static struct vmm *new_vmm(void)
{
	struct vmm *v = NULL;

	assert_int_equal(vmm_new(&v), 0);
	v->no_boot = true;
	return v;
}

static void test_instance_info(void **state)
{
	struct vmm *v = new_vmm();
	struct vmm_reply r = {};

	assert_int_equal(vmm_api_dispatch(v, "GET", "/", NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(json_string_value(json_object_get(r.body, "state")), "Not started");
	assert_string_equal(json_string_value(json_object_get(r.body, "app_name")), "Firecracker");
	assert_string_equal(json_string_value(json_object_get(r.body, "id")), "anonymous-instance");
	json_decref(r.body);
	vmm_free(v);
}

static void test_unknown_route(void **state)
{
	struct vmm *v = new_vmm();
	char m[1024];

	assert_int_equal(req(v, "PUT", "/vm", "{\"state\":\"Paused\"}", m, sizeof(m)), 400);
	assert_string_equal(m, "Invalid request method and/or path: PUT vm.");
	assert_int_equal(req(v, "DELETE", "/machine-config", NULL, m, sizeof(m)), 400);
	assert_string_equal(m, "Invalid request method and/or path: DELETE machine-config.");
	assert_int_equal(req(v, "PUT", "/drives/a/b", "{}", m, sizeof(m)), 400);
	assert_non_null(strstr(m, "Invalid request method and/or path"));
	assert_int_equal(req(v, "PUT", "/balloon", "{}", m, sizeof(m)), 400);
	assert_string_equal(m, "PUT /balloon is not supported by banger-vmm.");
	vmm_free(v);
}

static void test_machine_config_rules(void **state)
{
	struct vmm *v = new_vmm();
	char m[1024];

	assert_int_equal(req(v, "PUT", "/machine-config", "{\"vcpu_count\":4,\"mem_size_mib\":512}",
				 m, sizeof(m)),
		204);
	assert_int_equal(json_integer_value(json_object_get(v->machine_config, "vcpu_count")), 4);
	assert_true(json_is_false(json_object_get(v->machine_config, "smt")));
	assert_int_equal(req(v, "PUT", "/machine-config",
				 "{\"vcpu_count\":33,\"mem_size_mib\":512}", m, sizeof(m)),
		400);
	assert_non_null(strstr(m, "The vCPU number is invalid!"));
	assert_int_equal(
		req(v, "PUT", "/machine-config",
			"{\"vcpu_count\":1,\"mem_size_mib\":5,\"extra\":true}", m, sizeof(m)),
		400);
	assert_non_null(strstr(m, "unknown field `extra`"));
	/* refusals leave the stored configuration alone */
	assert_int_equal(
		json_integer_value(json_object_get(v->machine_config, "mem_size_mib")), 512);
	assert_int_equal(
		req(v, "PATCH", "/machine-config", "{\"vcpu_count\":2}", m, sizeof(m)), 204);
	assert_int_equal(
		json_integer_value(json_object_get(v->machine_config, "mem_size_mib")), 512);
	assert_int_equal(json_integer_value(json_object_get(v->machine_config, "vcpu_count")), 2);
	assert_int_equal(req(v, "PUT", "/machine-config", "", m, sizeof(m)), 400);
	assert_string_equal(m, "Empty PUT request.");
	assert_int_equal(req(v, "GET", "/machine-config", "{}", m, sizeof(m)), 400);
	assert_string_equal(m, "GET request cannot have a body.");
	vmm_free(v);
}

static void test_drive_ids_and_root(void **state)
{
	struct vmm *v = new_vmm();
	char body[1024], m[1024];

	snprintf(body, sizeof(body),
		"{\"drive_id\":\"data\",\"path_on_host\":\"%s\",\"is_root_device\":false}", disk);
	assert_int_equal(req(v, "PUT", "/drives/data", body, m, sizeof(m)), 204);
	assert_int_equal(req(v, "PUT", "/drives/other", body, m, sizeof(m)), 400);
	assert_string_equal(m, "The id from the path does not match the id from the body!");
	assert_int_equal(req(v, "PUT", "/drives/da-ta", body, m, sizeof(m)), 400);
	assert_string_equal(m, "API Resource IDs can only contain alphanumeric characters and "
			       "underscores.");
	snprintf(body, sizeof(body),
		"{\"drive_id\":\"rootfs\",\"path_on_host\":\"%s\",\"is_root_device\":true}", disk);
	assert_int_equal(req(v, "PUT", "/drives/rootfs", body, m, sizeof(m)), 204);
	/* the root device moves to the front: the guest sees it as /dev/vda */
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(v->drives, 0), "drive_id")),
		"rootfs");
	snprintf(body, sizeof(body),
		"{\"drive_id\":\"root2\",\"path_on_host\":\"%s\",\"is_root_device\":true}", disk);
	assert_int_equal(req(v, "PUT", "/drives/root2", body, m, sizeof(m)), 400);
	assert_string_equal(m, "A root block device already exists!");
	/* re-putting the root device under its own id is a replacement, not a second root */
	snprintf(body, sizeof(body),
		"{\"drive_id\":\"rootfs\",\"path_on_host\":\"%s\",\"is_root_device\":true,"
		"\"is_read_only\":true}",
		disk);
	assert_int_equal(req(v, "PUT", "/drives/rootfs", body, m, sizeof(m)), 204);
	assert_int_equal(json_array_size(v->drives), 2);
	vmm_free(v);
}

static void test_phases(void **state)
{
	struct vmm *v = new_vmm();
	char body[1024], m[1024];

	assert_int_equal(
		req(v, "PUT", "/actions", "{\"action_type\":\"InstanceStart\"}", m, sizeof(m)),
		400);
	assert_string_equal(m, "Cannot start microvm without kernel configuration.");
	assert_int_equal(req(v, "PATCH", "/vm", "{\"state\":\"Paused\"}", m, sizeof(m)), 400);
	assert_string_equal(m, "The requested operation is not supported before starting the "
			       "microVM.");
	snprintf(body, sizeof(body), "{\"kernel_image_path\":\"%s\"}", kernel);
	assert_int_equal(req(v, "PUT", "/boot-source", body, m, sizeof(m)), 204);
	assert_int_equal(
		req(v, "PUT", "/actions", "{\"action_type\":\"InstanceStart\"}", m, sizeof(m)),
		204);
	assert_int_equal(v->state, VMM_RUNNING);
	assert_int_equal(req(v, "PUT", "/boot-source", body, m, sizeof(m)), 400);
	assert_string_equal(m, "The requested operation is not supported after starting the "
			       "microVM.");
	assert_int_equal(req(v, "PATCH", "/vm", "{\"state\":\"Paused\"}", m, sizeof(m)), 204);
	assert_int_equal(v->state, VMM_PAUSED);
	assert_int_equal(req(v, "PATCH", "/vm", "{\"state\":\"Resumed\"}", m, sizeof(m)), 204);
	assert_int_equal(v->state, VMM_RUNNING);
	assert_int_equal(
		req(v, "PUT", "/actions", "{\"action_type\":\"FlushMetrics\"}", m, sizeof(m)), 400);
	assert_non_null(strstr(m, "metrics system is not initialized"));
	vmm_free(v);
}

static void test_network_rules(void **state)
{
	struct vmm *v = new_vmm();
	char m[1024];

	assert_int_equal(req(v, "PUT", "/network-interfaces/eth0",
				 "{\"iface_id\":\"eth0\",\"host_dev_name\":\"tap0\","
				 "\"guest_mac\":\"06:00:00:00:00:01\"}",
				 m, sizeof(m)),
		204);
	assert_int_equal(req(v, "PUT", "/network-interfaces/eth1",
				 "{\"iface_id\":\"eth1\",\"host_dev_name\":\"tap1\","
				 "\"guest_mac\":\"06:00:00:00:00:1\"}",
				 m, sizeof(m)),
		400);
	assert_non_null(strstr(m, "invalid MAC address"));
	assert_int_equal(
		req(v, "PUT", "/network-interfaces/eth1",
			"{\"iface_id\":\"eth1\",\"host_dev_name\":\"tap0\"}", m, sizeof(m)),
		400);
	assert_string_equal(m, "The host device name is already in use: tap0");
	assert_int_equal(
		req(v, "PUT", "/network-interfaces/eth1",
			"{\"iface_id\":\"eth1\",\"host_dev_name\":\"averyveryverylongtapname\"}", m,
			sizeof(m)),
		400);
	vmm_free(v);
}

static void test_id_rules(void **state)
{
	char long_id[66];

	assert_true(vmm_instance_id_valid("vm-1"));
	assert_false(vmm_instance_id_valid("vm_1"));
	assert_false(vmm_instance_id_valid(""));
	memset(long_id, 'a', 65);
	long_id[65] = 0;
	assert_false(vmm_instance_id_valid(long_id));
	long_id[64] = 0;
	assert_true(vmm_instance_id_valid(long_id));
	assert_true(vmm_resource_id_valid("root_fs1"));
	assert_false(vmm_resource_id_valid("root-fs"));
	assert_false(vmm_resource_id_valid(""));
}

static int setup(void **state)
{
	FILE *f;

	assert_non_null(mkdtemp(tmpdir));
	snprintf(kernel, sizeof(kernel), "%s/vmlinux", tmpdir);
	snprintf(disk, sizeof(disk), "%s/disk", tmpdir);
	f = fopen(kernel, "w");
	fclose(f);
	f = fopen(disk, "w");
	fclose(f);
	/* keep TAP output on stdout clean */
	vmm_log_configure(NULL, "Off", false, false);
	return 0;
}

static int teardown(void **state)
{
	unlink(kernel);
	unlink(disk);
	rmdir(tmpdir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_instance_info),
		cmocka_unit_test(test_unknown_route),
		cmocka_unit_test(test_machine_config_rules),
		cmocka_unit_test(test_drive_ids_and_root),
		cmocka_unit_test(test_phases),
		cmocka_unit_test(test_network_rules),
		cmocka_unit_test(test_id_rules),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

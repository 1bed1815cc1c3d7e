/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for banger-jailer's cgroups on a fixture tree: hierarchy discovery, v2 values and
 * subtree_control, v1 inheritance from the parent, attaching a pid. */
#include "tests/unit/test-jailer-fixture.h"
#include "vmm/jailer-cgroup.h"
#include "vmm/jailer-env.h"

static void test_find_mount(void **state)
{
	struct fixture *f = *state;
	char *dir = NULL;

	assert_int_equal(jailer_cgroup_find_mount(f->mounts, 2, NULL, &dir), 0);
	assert_string_equal(dir, f->cg2); /* \040 unescaped */
	free(dir);
	assert_int_equal(jailer_cgroup_find_mount(f->mounts, 1, "pids", &dir), 0);
	assert_string_equal(dir, f->cg1);
	free(dir);
	assert_int_equal(jailer_cgroup_find_mount(f->mounts, 1, "cpu", &dir), -ENOENT);
	assert_int_equal(jailer_cgroup_find_mount("/nonexistent/mounts", 2, NULL, &dir), -ENOENT);
	assert_int_equal(jailer_read_misc_minor(f->misc, "userfaultfd"), 124);
	assert_int_equal(jailer_read_misc_minor(f->misc, "kvm"), 237);
	assert_int_equal(jailer_read_misc_minor(f->misc, "nothing"), -1);
}

static void test_cgroup_v2_write(void **state)
{
	struct fixture *f = *state;
	struct jailer_cgroup cg = {};
	struct jailer_error e = {};
	char p[256], *text;

	assert_int_equal(
		jailer_cgroup_new(f->mounts, 2, "memory.max=1", "vm-1", "fc", &cg, &e), -ENOENT);
	assert_string_equal(e.display, "Controller memory is unavailable");
	assert_int_equal(
		jailer_cgroup_new(f->mounts, 3, "pids.max=1", "vm-1", "fc", &cg, &e), -EINVAL);
	assert_string_equal(e.display, "3 is an invalid cgroup version specifier");

	assert_int_equal(
		jailer_cgroup_new(f->mounts, 2, "pids.max=12", "vm-1", "banger/vms", &cg, &e), 0);
	snprintf(p, sizeof(p), "%s/banger/vms/vm-1", f->cg2);
	assert_string_equal(cg.location, p);
	/* The parent level has its own subtree_control, the middle one does not. */
	snprintf(p, sizeof(p), "%s/banger/vms", f->cg2);
	assert_int_equal(mkdir_parents(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/banger/vms/cgroup.subtree_control", f->cg2);
	write_text(p, "");

	assert_int_equal(jailer_cgroup_write_value(&cg, &e), 0);
	snprintf(p, sizeof(p), "%s/banger/vms/vm-1/pids.max", f->cg2);
	text = read_text(p);
	assert_string_equal(text, "12\n");
	free(text);
	snprintf(p, sizeof(p), "%s/cgroup.subtree_control", f->cg2);
	text = read_text(p);
	assert_string_equal(text, "+pids\n");
	free(text);
	snprintf(p, sizeof(p), "%s/banger/vms/cgroup.subtree_control", f->cg2);
	text = read_text(p);
	assert_string_equal(text, "+pids\n");
	free(text);
	snprintf(p, sizeof(p), "%s/banger/cgroup.subtree_control", f->cg2);
	assert_int_equal(access(p, F_OK), -1);

	assert_int_equal(jailer_cgroup_attach(&cg, 4242, &e), 0);
	snprintf(p, sizeof(p), "%s/banger/vms/vm-1/cgroup.procs", f->cg2);
	text = read_text(p);
	assert_string_equal(text, "4242\n");
	free(text);
	jailer_cgroup_done(&cg);
}

static void test_cgroup_v1_inherit(void **state)
{
	struct fixture *f = *state;
	struct jailer_cgroup cg = {};
	struct jailer_error e = {};
	char p[256], *text;

	assert_int_equal(
		jailer_cgroup_new(f->mounts, 1, "cpu.shares=2", "vm-1", "fc", &cg, &e), -ENOENT);
	assert_string_equal(e.display, "Controller cpu is unavailable");

	assert_int_equal(jailer_cgroup_new(f->mounts, 1, "pids.max=9", "vm-1", "fc", &cg, &e), 0);
	/* A fresh v1 cgroup has the property empty; the parent's value is copied down first. */
	snprintf(p, sizeof(p), "%s/pids.max", f->cg1);
	write_text(p, "max\n");
	snprintf(p, sizeof(p), "%s/fc/vm-1", f->cg1);
	assert_int_equal(mkdir_parents(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/fc/pids.max", f->cg1);
	write_text(p, "");
	snprintf(p, sizeof(p), "%s/fc/vm-1/pids.max", f->cg1);
	write_text(p, "");
	assert_int_equal(jailer_cgroup_write_value(&cg, &e), 0);
	snprintf(p, sizeof(p), "%s/fc/pids.max", f->cg1);
	text = read_text(p);
	assert_string_equal(text, "max\n");
	free(text);
	snprintf(p, sizeof(p), "%s/fc/vm-1/pids.max", f->cg1);
	text = read_text(p);
	assert_string_equal(text, "9\n");
	free(text);
	assert_int_equal(jailer_cgroup_attach(&cg, 77, &e), 0);
	snprintf(p, sizeof(p), "%s/fc/vm-1/tasks", f->cg1);
	text = read_text(p);
	assert_string_equal(text, "77\n");
	free(text);
	jailer_cgroup_done(&cg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_find_mount, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_cgroup_v2_write, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(
			test_cgroup_v1_inherit, fixture_setup, fixture_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

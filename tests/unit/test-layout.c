/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for common/layout: every path, relocation under BANGER_ROOT, refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/layout.h"

static void test_default_paths(void **state)
{
	struct banger_layout l;

	unsetenv(BANGER_ROOT_ENV);
	assert_int_equal(layout_init(&l, NULL), 0);
	assert_string_equal(l.root, "");
	assert_string_equal(l.install_json, "/etc/banger/install.json");
	assert_string_equal(l.config, "/etc/banger/banger.conf");
	assert_string_equal(l.daemon_sock, "/run/banger/bangerd.sock");
	assert_string_equal(l.root_sock, "/run/banger/root.sock");
	assert_string_equal(l.vm_sock_dir, "/run/banger/vm");
	assert_string_equal(l.lib_dir, "/var/lib/banger");
	assert_string_equal(l.state_dir, "/var/lib/banger/state");
	assert_string_equal(l.vms_dir, "/var/lib/banger/state/vms");
	assert_string_equal(l.images_dir, "/var/lib/banger/state/images");
	assert_string_equal(l.handles_json, "/var/lib/banger/state/handles.json");
	assert_string_equal(l.jail_base, "/var/lib/banger/jail");
	assert_string_equal(l.log_dir, "/var/log/banger");
}

static void test_env_relocates_everything(void **state)
{
	struct banger_layout l;
	const char *paths[] = {l.etc_dir, l.install_json, l.config, l.run_dir, l.daemon_sock,
		l.root_sock, l.vm_sock_dir, l.lib_dir, l.state_dir, l.vms_dir, l.images_dir,
		l.handles_json, l.jail_base, l.log_dir};

	setenv(BANGER_ROOT_ENV, "/tmp/bt///", 1);
	assert_int_equal(layout_init(&l, NULL), 0);
	unsetenv(BANGER_ROOT_ENV);
	assert_string_equal(l.root, "/tmp/bt");
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		assert_true(strncmp(paths[i], "/tmp/bt/", 8) == 0);
	assert_string_equal(l.daemon_sock, "/tmp/bt/run/banger/bangerd.sock");
	assert_string_equal(l.jail_base, "/tmp/bt/var/lib/banger/jail");
	assert_string_equal(l.config, "/tmp/bt/etc/banger/banger.conf");
}

static void test_explicit_root_wins_over_env(void **state)
{
	struct banger_layout l;

	setenv(BANGER_ROOT_ENV, "/from-env", 1);
	assert_int_equal(layout_init(&l, "/explicit"), 0);
	unsetenv(BANGER_ROOT_ENV);
	assert_string_equal(l.etc_dir, "/explicit/etc/banger");
}

static void test_relative_root_refused(void **state)
{
	struct banger_layout l;
	assert_int_equal(layout_init(&l, "relative/dir"), -EINVAL);
}

static void test_too_long_root_refused(void **state)
{
	struct banger_layout l;
	char big[PATH_MAX];

	memset(big, 'a', sizeof(big) - 1);
	big[0] = '/';
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(layout_init(&l, big), -ENAMETOOLONG);
}

static void test_per_vm_paths(void **state)
{
	struct banger_layout l;
	char buf[PATH_MAX];

	assert_int_equal(layout_init(&l, "/r"), 0);
	assert_int_equal(layout_vm_dir(&l, "vm1", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/r/var/lib/banger/state/vms/vm1");
	assert_int_equal(layout_vm_file(&l, "vm1", "console.log", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/r/var/lib/banger/state/vms/vm1/console.log");
	assert_int_equal(layout_image_dir(&l, "minimal", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/r/var/lib/banger/state/images/minimal");
	assert_int_equal(layout_vm_sock_link(&l, "vm1", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/r/run/banger/vm/vm1.sock");
	assert_int_equal(layout_jail_root(&l, "banger-vmm", "vm1", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/r/var/lib/banger/jail/banger-vmm/vm1/root");
	assert_int_equal(layout_ssh_dir(&l, "/home/ann", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/r/home/ann/.config/banger/ssh");
}

static void test_components_refused(void **state)
{
	struct banger_layout l;
	char buf[PATH_MAX];
	const char *bad[] = {"", ".", "..", "a/b", "../x", "/abs",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};

	assert_int_equal(layout_init(&l, "/r"), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(layout_vm_dir(&l, bad[i], buf, sizeof(buf)), -EINVAL);
		assert_int_equal(
			layout_jail_root(&l, "banger-vmm", bad[i], buf, sizeof(buf)), -EINVAL);
		assert_int_equal(layout_jail_root(&l, bad[i], "vm1", buf, sizeof(buf)), -EINVAL);
		assert_int_equal(layout_image_dir(&l, bad[i], buf, sizeof(buf)), -EINVAL);
	}
	assert_int_equal(layout_vm_dir(&l, NULL, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(layout_ssh_dir(&l, "relative", buf, sizeof(buf)), -EINVAL);
}

static void test_small_buffer(void **state)
{
	struct banger_layout l;
	char buf[8];

	assert_int_equal(layout_init(&l, "/r"), 0);
	assert_int_equal(layout_vm_dir(&l, "vm1", buf, sizeof(buf)), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_paths),
		cmocka_unit_test(test_env_relocates_everything),
		cmocka_unit_test(test_explicit_root_wins_over_env),
		cmocka_unit_test(test_relative_root_refused),
		cmocka_unit_test(test_too_long_root_refused),
		cmocka_unit_test(test_per_vm_paths),
		cmocka_unit_test(test_components_refused),
		cmocka_unit_test(test_small_buffer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for daemon/ssh-keys: real ssh-keygen key creation, host-key console lines, and
 * known_hosts pinning that replaces only the VM's own entry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/fileio.h"
#include "common/macro.h"
#include "daemon/ssh-keys.h"

static int mk(void **state)
{
	char *d = strdup("/tmp/banger-ssh-XXXXXX");
	assert_non_null(mkdtemp(d));
	*state = d;
	return 0;
}

static int rm(void **state)
{
	char cmd[PATH_MAX];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", (char *)*state);
	assert_int_equal(system(cmd), 0);
	free(*state);
	return 0;
}

static void test_key_created_once(void **state)
{
	char dir[PATH_MAX], key[PATH_MAX + 16];
	_cleanup_free_ char *a = NULL, *b = NULL;
	struct stat st;

	snprintf(dir, sizeof(dir), "%s/.config/banger/ssh", (char *)*state);
	assert_int_equal(ssh_key_ensure(dir, &a), 0);
	assert_true(strncmp(a, "ssh-ed25519 AAAA", 16) == 0);
	assert_null(strchr(a, '\n'));
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	snprintf(key, sizeof(key), "%s/id_ed25519", dir);
	assert_int_equal(stat(key, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(ssh_key_ensure(dir, &b), 0);
	assert_string_equal(a, b); /* kept, not regenerated */
}

static void test_console_line(void **state)
{
	char k[256];

	assert_int_equal(
		ssh_hostkey_from_console_line(
			"banger-hostkey: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKq7 root@demo\r", k,
			sizeof(k)),
		1);
	assert_string_equal(k, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKq7");
	assert_int_equal(
		ssh_hostkey_from_console_line(
			"[    5.1] banger-hostkey: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKq7", k,
			sizeof(k)),
		1);
	assert_int_equal(ssh_hostkey_from_console_line("Linux version 6.1", k, sizeof(k)), 0);
	assert_int_equal(ssh_hostkey_from_console_line(
				 "banger-hostkey: ssh-dss AAAAB3NzaC1kc3MAAACB", k, sizeof(k)),
		-EINVAL);
	assert_int_equal(
		ssh_hostkey_from_console_line("banger-hostkey: ssh-ed25519 short", k, sizeof(k)),
		-EINVAL);
	assert_int_equal(ssh_hostkey_from_console_line(
				 "banger-hostkey: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA;rm -rf", k,
				 sizeof(k)),
		-EINVAL);
}

static void test_known_hosts_pin_replaces_only_own(void **state)
{
	char kh[PATH_MAX];
	_cleanup_free_ char *data = NULL;
	struct stat st;

	snprintf(kh, sizeof(kh), "%s/known_hosts", (char *)*state);
	assert_int_equal(
		write_file_atomic(kh, "172.30.0.2 ssh-ed25519 OLD\n172.30.0.22 ssh-ed25519 OTHER\n",
			56, 0600),
		0);
	assert_int_equal(ssh_known_hosts_pin(*state, "172.30.0.2", "ssh-ed25519 NEW"), 0);
	assert_int_equal(read_file_full(kh, 4096, &data, NULL), 0);
	assert_string_equal(data, "172.30.0.22 ssh-ed25519 OTHER\n172.30.0.2 ssh-ed25519 NEW\n");
	assert_int_equal(stat(kh, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	free(TAKE_PTR(data));

	assert_int_equal(ssh_known_hosts_forget(*state, "172.30.0.2"), 0);
	assert_int_equal(read_file_full(kh, 4096, &data, NULL), 0);
	assert_string_equal(data, "172.30.0.22 ssh-ed25519 OTHER\n");

	assert_int_equal(ssh_known_hosts_pin(*state, "172.30.0.2", "nospace"), -EINVAL);
	assert_int_equal(ssh_known_hosts_pin(*state, "*", "ssh-ed25519 X"), -EINVAL);
	assert_int_equal(
		ssh_known_hosts_pin(*state, "172.30.0.2", "ssh-ed25519 X\n* ssh-rsa Y"), -EINVAL);
}

static void test_known_hosts_created(void **state)
{
	char kh[PATH_MAX];
	_cleanup_free_ char *data = NULL;

	snprintf(kh, sizeof(kh), "%s/known_hosts", (char *)*state);
	assert_int_equal(ssh_known_hosts_pin(*state, "172.30.0.9", "ssh-ed25519 AAAA"), 0);
	assert_int_equal(read_file_full(kh, 4096, &data, NULL), 0);
	assert_string_equal(data, "172.30.0.9 ssh-ed25519 AAAA\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_key_created_once, mk, rm),
		cmocka_unit_test(test_console_line),
		cmocka_unit_test_setup_teardown(test_known_hosts_pin_replaces_only_own, mk, rm),
		cmocka_unit_test_setup_teardown(test_known_hosts_created, mk, rm),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for daemon/netalloc: subnet parsing, allocation, MACs, tap names, boot arguments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "daemon/netalloc.h"

static struct in_addr A(const char *s) {
	struct in_addr a;
	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static void
test_subnet_parse(void **state)
{
	struct net_subnet n;
	char gw[16];

	assert_int_equal(net_subnet_parse(NET_DEFAULT_SUBNET, &n), 0);
	assert_int_equal(n.prefix, 24);
	inet_ntop(AF_INET, &n.gateway, gw, sizeof(gw));
	assert_string_equal(gw, "172.30.0.1");

	const char *bad[] = {"172.30.0.5/24", "172.30.0.0", "172.30.0.0/", "172.30.0.0/7",
		"172.30.0.0/31", "172.30.0.0/24x", "300.1.1.0/24", "", "fe80::/64", NULL};
	for (size_t i = 0; bad[i]; i++)
		assert_int_equal(net_subnet_parse(bad[i], &n), -EINVAL);
	assert_int_equal(net_subnet_parse(NULL, &n), -EINVAL);
}

static void test_allocate_skips_reserved_and_used(void **state)
{
	struct net_subnet n;
	struct in_addr got, used[3];

	assert_int_equal(net_subnet_parse("10.9.0.0/24", &n), 0);
	assert_int_equal(net_ip_allocate(&n, NULL, 0, &got), 0);
	assert_int_equal(got.s_addr, A("10.9.0.2").s_addr);
	used[0] = A("10.9.0.2");
	used[1] = A("10.9.0.4");
	used[2] = A("10.9.0.3");
	assert_int_equal(net_ip_allocate(&n, used, 3, &got), 0);
	assert_int_equal(got.s_addr, A("10.9.0.5").s_addr);
	assert_true(net_ip_in_subnet(&n, got));
	assert_false(net_ip_in_subnet(&n, A("10.9.1.5")));
}

static void test_allocate_full(void **state)
{
	struct net_subnet n;
	struct in_addr got, used[2];

	/* /30: network, gateway, one guest, broadcast */
	assert_int_equal(net_subnet_parse("10.9.0.0/30", &n), 0);
	assert_int_equal(net_ip_allocate(&n, NULL, 0, &got), 0);
	assert_int_equal(got.s_addr, A("10.9.0.2").s_addr);
	used[0] = got;
	assert_int_equal(net_ip_allocate(&n, used, 1, &got), -ENOSPC);
	(void)used[1];
}

static void test_mac_stable_and_local(void **state)
{
	char a[18], b[18], c[18];

	net_mac_from_id("3f2a9c", a);
	net_mac_from_id("3f2a9c", b);
	net_mac_from_id("3f2a9d", c);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_int_equal(strlen(a), 17);
	assert_memory_equal(a, "02:", 3);
}

static void test_tap_name(void **state)
{
	char t[16];

	assert_int_equal(net_tap_name("0123456789abcdef", t), 0);
	assert_string_equal(t, "bgt-0123456789a");
	assert_true(strlen(t) <= 15);
	assert_int_equal(net_tap_name("a/b", t), -EINVAL);
	assert_int_equal(net_tap_name("", t), -EINVAL);
	assert_int_equal(net_tap_name("UPPER", t), -EINVAL);
}

static void test_boot_args(void **state)
{
	struct net_subnet n;
	char buf[512];

	assert_int_equal(net_subnet_parse(NET_DEFAULT_SUBNET, &n), 0);
	assert_int_equal(
		net_boot_args(&n, A("172.30.0.7"), "demo",
			"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIabc+/= ann@host\n", buf, sizeof(buf)),
		0);
	assert_string_equal(buf, "console=ttyS0 reboot=k panic=1 "
				 "ip=172.30.0.7::172.30.0.1:255.255.255.0:demo:eth0:off:172.30.0.1 "
				 "banger.ssh_key=ssh-ed25519:AAAAC3NzaC1lZDI1NTE5AAAAIabc+/=");
	/* a key that could smuggle another argument is refused */
	assert_int_equal(net_boot_args(&n, A("172.30.0.7"), "demo", "ssh-ed25519 AA;init=/bin/sh",
				 buf, sizeof(buf)),
		-EINVAL);
	assert_int_equal(
		net_boot_args(&n, A("172.30.0.7"), "demo", "nokey", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(
		net_boot_args(&n, A("10.0.0.7"), "demo", "ssh-ed25519 AAAA", buf, sizeof(buf)),
		-EINVAL);
	assert_int_equal(net_boot_args(&n, A("172.30.0.7"), "demo", "ssh-ed25519 AAAA", buf, 20),
		-ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subnet_parse),
		cmocka_unit_test(test_allocate_skips_reserved_and_used),
		cmocka_unit_test(test_allocate_full),
		cmocka_unit_test(test_mac_stable_and_local),
		cmocka_unit_test(test_tap_name),
		cmocka_unit_test(test_boot_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

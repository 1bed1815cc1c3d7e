/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The helper's rtnetlink code against the kernel, in a network namespace of its own (root only):
 * links, addresses, dumps, and the kernel's extended-ACK text in errors. */
#define _GNU_SOURCE 1
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/macro.h"
#include "helper/netlink.h"

static int setup(void **state)
{
	(void)state;
	/* Never the host's network: a fresh namespace, or the tests skip. */
	if (geteuid() != 0 || unshare(CLONE_NEWNET) < 0)
		return 0;
	*state = (void *)1;
	return 0;
}

static void count_bridges(const struct nl_link *l, void *data)
{
	if (strcmp(l->kind, "bridge") == 0)
		(*(int *)data)++;
}

static void test_links(void **state)
{
	_cleanup_mnl_ struct mnl_socket *nl = NULL;
	struct rpc_error err = {};
	struct nl_link a, b, lo;
	struct in_addr addr;
	int n = 0;

	if (!*state)
		skip();
	assert_int_equal(nl_open(&nl, &err), 0);
	assert_int_equal(nl_link_get(nl, "lo", &lo, &err), 0);
	assert_int_equal(lo.ifindex, 1);
	assert_int_equal(nl_link_get(nl, "banger1", &a, &err), -ENODEV);

	assert_int_equal(nl_bridge_create(nl, "banger1", &err), 0);
	assert_int_equal(nl_bridge_create(nl, "banger2", &err), 0);
	assert_int_equal(nl_link_get(nl, "banger1", &a, &err), 0);
	assert_int_equal(nl_link_get(nl, "banger2", &b, &err), 0);
	assert_string_equal(a.kind, "bridge");
	assert_string_equal(a.name, "banger1");

	/* A second create of the same name is refused (NLM_F_EXCL), with the errno's text. */
	assert_int_equal(nl_bridge_create(nl, "banger1", &err), -EEXIST);
	assert_non_null(strstr(err.message, "Failed to create bridge \"banger1\""));

	/* The kernel explains this one through the extended ACK. */
	memset(&err, 0, sizeof(err));
	assert_true(nl_link_set(nl, a.ifindex, "banger1", b.ifindex, false, &err) < 0);
	assert_non_null(strstr(err.message, "(kernel: "));

	inet_pton(AF_INET, "10.77.0.1", &addr);
	assert_int_equal(nl_addr_add(nl, a.ifindex, "banger1", addr, 24, &err), 0);
	assert_int_equal(nl_link_set(nl, a.ifindex, "banger1", -1, true, &err), 0);
	assert_int_equal(nl_link_get(nl, "banger1", &a, &err), 0);
	assert_true(a.flags & IFF_UP);

	assert_int_equal(nl_link_dump(nl, count_bridges, &n, &err), 0);
	assert_int_equal(n, 2);

	assert_int_equal(nl_link_delete(nl, a.ifindex, "banger1", &err), 0);
	assert_int_equal(nl_link_delete(nl, b.ifindex, "banger2", &err), 0);
	assert_int_equal(nl_link_get(nl, "banger1", &a, &err), -ENODEV);
	assert_int_equal(nl_link_delete(nl, 99999, "gone", &err), -ENODEV);
	assert_non_null(strstr(err.message, "Failed to delete link \"gone\""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_links),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}

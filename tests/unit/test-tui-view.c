/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* VM list filtering and sorting, including the frozen order while the user navigates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <errno.h>
#include <string.h>

#include "tui/vm-view.h"

static const struct console_limits limits = {100, 1 << 20, 4096, 10, 4096};

static void add(struct vm_model *m, uint64_t seq, const char *id, const char *name,
	const char *state, const char *ip, int vcpus, int mem)
{
	json_t *p = json_pack("{s:I,s:{s:s,s:s,s:s,s:s?,s:i,s:i}}", "seq", (json_int_t)seq, "vm",
		"id", id, "name", name, "state", state, "ip", ip, "vcpus", vcpus, "memory_mib",
		mem);
	struct model_result res;
	assert_int_equal(vm_model_apply(m, "vm.created", p, &res), 0);
	json_decref(p);
}

static void setup_model(struct vm_model *m)
{
	vm_model_init(m, &limits);
	add(m, 1, "1", "web-2", "running", "10.0.0.13", 2, 1024);
	add(m, 2, "2", "web-1", "running", "10.0.0.9", 4, 512);
	add(m, 3, "3", "db-1", "stopped", NULL, 8, 4096);
	add(m, 4, "4", "build-7", "error", NULL, 1, 256);
}

static const char *names(const struct vm_view *v)
{
	static char buf[256];
	buf[0] = '\0';
	for (size_t i = 0; i < v->n; i++) {
		strcat(buf, v->rows[i]->name);
		if (i + 1 < v->n)
			strcat(buf, " ");
	}
	return buf;
}

static void check_filter(const struct vm_model *m, const char *expr, const char *expect)
{
	struct vm_filter f;
	struct vm_view v = {};
	assert_int_equal(vm_filter_compile(expr, &f, NULL, 0), 0);
	assert_int_equal(vm_view_rebuild(&v, m, &f, false, 0), 0);
	assert_string_equal(names(&v), expect);
	vm_filter_done(&f);
	vm_view_done(&v);
}

static void test_filter(void **state)
{
	struct vm_model m;
	struct vm_filter f;
	char err[128] = "";
	(void)state;

	setup_model(&m);
	check_filter(&m, "", "build-7 db-1 web-1 web-2");
	check_filter(&m, "WEB", "web-1 web-2");
	check_filter(&m, "10.0.0.1", "web-2");
	check_filter(&m, "state:running", "web-1 web-2");
	check_filter(&m, "s:stop", "db-1");
	check_filter(&m, "!web", "build-7 db-1");
	check_filter(&m, "web !s:run", "");
	check_filter(&m, "~^(db|build)-[0-9]$", "build-7 db-1");
	check_filter(&m, "s:err", "build-7");
	assert_int_equal(vm_filter_compile("~(", &f, err, sizeof(err)), -EINVAL);
	assert_true(strlen(err) > 0);
	vm_model_done(&m);
}

static void test_sort(void **state)
{
	struct vm_model m;
	struct vm_view v = {};
	(void)state;

	setup_model(&m);
	v.sort = VM_COL_VCPU;
	vm_view_rebuild(&v, &m, NULL, false, 0);
	assert_string_equal(names(&v), "build-7 web-2 web-1 db-1");
	v.descending = true;
	vm_view_rebuild(&v, &m, NULL, false, 0);
	assert_string_equal(names(&v), "db-1 web-1 web-2 build-7");
	v.sort = VM_COL_IP; /* numeric, empty last */
	v.descending = false;
	vm_view_rebuild(&v, &m, NULL, false, 0);
	assert_string_equal(names(&v), "web-1 web-2 build-7 db-1");
	v.sort = VM_COL_STATE; /* ties broken by name */
	vm_view_rebuild(&v, &m, NULL, false, 0);
	assert_string_equal(names(&v), "web-1 web-2 db-1 build-7");
	assert_int_equal(vm_view_find(&v, "3"), 2);
	assert_int_equal(vm_view_find(&v, "nope"), -1);
	assert_int_equal(vm_column_from_string("MEM"), VM_COL_MEM);
	vm_view_done(&v);
	vm_model_done(&m);
}

static void test_frozen_order(void **state)
{
	struct vm_model m;
	struct vm_view v = {.sort = VM_COL_MEM};
	struct model_result res;
	json_t *p;
	(void)state;

	setup_model(&m);
	vm_view_rebuild(&v, &m, NULL, false, 0);
	assert_string_equal(names(&v), "build-7 web-1 web-2 db-1");
	/* web-1's memory grows past everyone, and a VM appears, while the user is navigating:
	 * rows keep their places and the new VM goes last. */
	p = json_pack("{s:i,s:{s:s,s:s,s:s,s:i}}", "seq", 5, "vm", "id", "2", "name", "web-1",
		"state", "running", "memory_mib", 9999);
	assert_int_equal(vm_model_apply(&m, "vm.updated", p, &res), 0);
	json_decref(p);
	add(&m, 6, "5", "aaa", "created", NULL, 1, 1);
	vm_view_rebuild(&v, &m, NULL, true, 0);
	assert_string_equal(names(&v), "build-7 web-1 web-2 db-1 aaa");
	/* Once navigation pauses the sort applies. */
	vm_view_rebuild(&v, &m, NULL, false, 0);
	assert_string_equal(names(&v), "aaa build-7 web-2 db-1 web-1");
	vm_view_done(&v);
	vm_model_done(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_sort),
		cmocka_unit_test(test_frozen_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

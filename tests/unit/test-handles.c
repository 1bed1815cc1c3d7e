/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* handles.json, typed (common/handles.c): what the daemon writes the CLI and a later daemon read
 * back field for field; a file that is not a handles file is refused, not half read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/fileio.h"
#include "common/handles.h"
#include "common/macro.h"

struct fixture {
	char dir[64];
	char path[96];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->dir, "/tmp/test-handles.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/handles.json", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	(void)unlink(f->path);
	assert_int_equal(rmdir(f->dir), 0);
	free(f);
	return 0;
}

static const struct vm_handles a = {
	.vm_id = "0123456789abcdef0123456789abcdef",
	.pid = 4242,
	.tap = "bgt-0123456789a",
	.chroot = "/var/lib/banger/jail/banger-vmm/0123/root",
	.api_sock = "/proc/4242/root/run/firecracker.socket",
	.link = "/run/banger/vm/0123.sock",
	.disk_kind = "block",
	.device = "/dev/mapper/banger-0123",
	.next_line = 77,
};

static void test_round_trip(void **state)
{
	struct fixture *f = *state;
	struct handles_file h = {}, back = {};
	struct vm_handles b = {.vm_id = "fedcba9876543210fedcba9876543210", .pid = 7};
	const struct vm_handles *got;

	assert_int_equal(handles_file_add(&h, &a), 0);
	assert_int_equal(handles_file_add(&h, &b), 0);
	assert_int_equal(handles_file_save(f->path, &h), 0);
	assert_int_equal(handles_file_load(f->path, &back), 0);
	assert_int_equal(back.n, 2);
	got = handles_file_find(&back, a.vm_id);
	assert_non_null(got);
	assert_memory_equal(got, &a, sizeof(a));
	got = handles_file_find(&back, b.vm_id);
	assert_non_null(got);
	assert_int_equal(got->pid, 7);
	assert_string_equal(got->tap, "");
	assert_null(handles_file_find(&back, "nope"));
	handles_file_done(&h);
	handles_file_done(&back);
}

/* The format a daemon of the previous version wrote (and reads): keys sorted, two-space indent. */
static void test_format(void **state)
{
	struct fixture *f = *state;
	struct handles_file h = {};
	char *data = NULL;

	assert_int_equal(handles_file_add(&h, &a), 0);
	assert_int_equal(handles_file_save(f->path, &h), 0);
	assert_int_equal(read_file_full(f->path, 1 << 20, &data, NULL), 0);
	assert_string_equal(data, "{\n"
				  "  \"0123456789abcdef0123456789abcdef\": {\n"
				  "    \"api_sock\": \"/proc/4242/root/run/firecracker.socket\",\n"
				  "    \"chroot\": \"/var/lib/banger/jail/banger-vmm/0123/root\",\n"
				  "    \"device\": \"/dev/mapper/banger-0123\",\n"
				  "    \"disk_kind\": \"block\",\n"
				  "    \"link\": \"/run/banger/vm/0123.sock\",\n"
				  "    \"next_line\": 77,\n"
				  "    \"pid\": 4242,\n"
				  "    \"tap\": \"bgt-0123456789a\"\n"
				  "  }\n"
				  "}");
	free(data);
	handles_file_done(&h);
	h = (struct handles_file){};
	assert_int_equal(handles_file_save(f->path, &h), 0);
	assert_int_equal(read_file_full(f->path, 1 << 20, &data, NULL), 0);
	assert_string_equal(data, "{}");
	free(data);
}

static void test_refused(void **state)
{
	static const char *const bad[] = {
		"[]",
		"{\"x\": 1}",
		"{\"x\": {\"pid\": \"12\"}}",
		"{\"x\": {\"tap\": 5}}",
		"{\"x\": {\"next_line\": -1}}",
		"not json",
	};
	struct fixture *f = *state;
	struct handles_file h = {};

	assert_int_equal(handles_file_load(f->path, &h), -ENOENT);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		assert_int_equal(write_file_atomic(f->path, bad[i], strlen(bad[i]), 0600), 0);
		assert_int_equal(handles_file_load(f->path, &h), -EBADMSG);
		assert_null(h.vms);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

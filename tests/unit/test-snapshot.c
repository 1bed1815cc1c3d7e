/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Named snapshots: names (default and given), the record's round trip and its refusals, the
 * listing (complete snapshots only, oldest first), the sparse copy that keeps holes, and that
 * copy run in a child process whose answer arrives on the loop (daemon/file-copy.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fileclone.h"
#include "common/fileio.h"
#include "daemon/child.h"
#include "daemon/file-copy.h"
#include "daemon/image.h"
#include "daemon/snapshot.h"
#include "daemon/vm.h"
#include "protocol/jsonrpc.h"

static struct vm test_vm(void)
{
	struct vm vm = {.vcpus = 2, .memory_mib = 256};

	snprintf(vm.id, sizeof(vm.id), "0123456789abcdef0123456789abcdef");
	snprintf(vm.name, sizeof(vm.name), "web");
	snprintf(vm.image, sizeof(vm.image), "minimal");
	snprintf(vm.boot_id, sizeof(vm.boot_id), "6a1c0d0e-1111-2222-3333-444455556666");
	snprintf(vm.disk_strategy, sizeof(vm.disk_strategy), "sparse-copy");
	return vm;
}

static struct image test_image(void)
{
	struct image img = {};

	snprintf(img.name, sizeof(img.name), "minimal");
	memset(img.part[IMAGE_PART_ROOTFS].sha256, 'a', SHA256_HEX_LEN);
	return img;
}

static void test_default_name(void **state)
{
	char name[64];

	(void)state;
	snapshot_default_name(0, name, sizeof(name));
	assert_string_equal(name, "snap-19700101-000000");
	snapshot_default_name(1796096112, name, sizeof(name)); /* 2026-11-30 */
	assert_string_equal(name, "snap-20261201-033512");
	assert_true(vm_name_is_valid(name));
}

static void test_meta_names(void **state)
{
	struct vm vm = test_vm();
	struct image img = test_image();
	struct snapshot_meta m;

	(void)state;
	assert_int_equal(snapshot_meta_init(&m, &vm, &img, "before-upgrade"), 0);
	assert_string_equal(m.name, "before-upgrade");
	assert_int_equal(snapshot_meta_init(&m, &vm, &img, NULL), 0);
	assert_true(strncmp(m.name, "snap-", 5) == 0);
	for (const char *const *bad = (const char *const[]){"", "Up", "a/b", "..", ".new-x", "a b",
		     "-x", "abcdefghijklmnopqrstuvwxyz0123456", NULL};
		*bad; bad++)
		assert_int_equal(snapshot_meta_init(&m, &vm, &img, *bad), -EINVAL);
}

static void test_meta_round_trip(void **state)
{
	struct vm vm = test_vm();
	struct image img = test_image();
	struct snapshot_meta m, back;
	_cleanup_json_ json_t *o = NULL;
	char why[128];

	(void)state;
	assert_int_equal(snapshot_meta_init(&m, &vm, &img, "s1"), 0);
	m.disk_bytes = 4ull << 30;
	m.disk_allocated_bytes = 40ull << 20;
	m.disk_reflinked = true;
	m.mem_bytes = 12345678;
	m.state_bytes = 2048;
	m.paused_usec = 250000;
	m.total_usec = 900000;
	o = snapshot_meta_to_json(&m);
	assert_non_null(o);
	assert_int_equal(snapshot_meta_from_json(o, &back, why, sizeof(why)), 0);
	assert_memory_equal(&m, &back, sizeof(m));
	assert_string_equal(back.boot_id, vm.boot_id);
	assert_int_equal(back.vcpus, 2);
	assert_int_equal(back.memory_mib, 256);

	/* refusals: what is not one of our records never counts as a snapshot */
	json_object_set_new(o, "schema", json_integer(2));
	assert_int_equal(snapshot_meta_from_json(o, &back, why, sizeof(why)), -EBADMSG);
	assert_non_null(strstr(why, "schema"));
	json_object_set_new(o, "schema", json_integer(SNAPSHOT_RECORD_SCHEMA));
	json_object_set_new(o, "name", json_string("../etc"));
	assert_int_equal(snapshot_meta_from_json(o, &back, why, sizeof(why)), -EBADMSG);
	json_object_set_new(o, "name", json_string("s1"));
	json_object_set_new(o, "paused_us", json_integer(-1));
	assert_int_equal(snapshot_meta_from_json(o, &back, why, sizeof(why)), -EBADMSG);
	assert_non_null(strstr(why, "paused_us"));
	json_object_set_new(o, "paused_us", json_integer(1));
	json_object_del(o, "memory");
	assert_int_equal(snapshot_meta_from_json(o, &back, why, sizeof(why)), -EBADMSG);
	assert_int_equal(snapshot_meta_from_json(NULL, &back, why, sizeof(why)), -EBADMSG);
}

static void test_list(void **state)
{
	char root[] = "/tmp/test-snapshot-XXXXXX", path[PATH_MAX + 64];
	struct banger_layout l = {};
	struct vm vm = test_vm();
	struct image img = test_image();
	struct snapshot_meta m;
	_cleanup_json_ json_t *list = NULL;
	char dir[PATH_MAX], final[PATH_MAX], tmp[PATH_MAX], vm_dir[PATH_MAX];

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(l.state_dir, sizeof(l.state_dir), "%s", root);
	snprintf(l.vms_dir, sizeof(l.vms_dir), "%s/vms", root);
	assert_int_equal(layout_vm_dir(&l, vm.id, vm_dir, sizeof(vm_dir)), 0);
	snprintf(path, sizeof(path), "%s/vms", root);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(mkdir(vm_dir, 0700), 0);

	/* no snapshots directory yet: an empty list */
	assert_int_equal(snapshot_list(&l, vm.id, &list), 0);
	assert_int_equal(json_array_size(list), 0);
	json_decref(TAKE_PTR(list));

	/* "b" older than "a"; a half-built ".new-c" and a damaged "d" do not count */
	const char *const names[] = {"b", "a", "c", "d"};
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(snapshot_dirs(&l, vm.id, names[i], dir, sizeof(dir), final,
					 sizeof(final), tmp, sizeof(tmp)),
			0);
		assert_int_equal(snapshot_meta_init(&m, &vm, &img, names[i]), 0);
		snprintf(m.created_at, sizeof(m.created_at), "2026-12-01T04:0%zu:00Z", i);
		assert_int_equal(mkdir(i == 2 ? tmp : final, 0700), 0);
		assert_int_equal(snapshot_meta_write(i == 2 ? tmp : final, &m), 0);
		if (i == 3) {
			snprintf(path, sizeof(path), "%s/" SNAPSHOT_RECORD, final);
			assert_int_equal(write_file_atomic(path, "{", 1, 0600), 0);
		}
	}
	assert_int_equal(snapshot_list(&l, vm.id, &list), 0);
	assert_int_equal(json_array_size(list), 2);
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(list, 0), "name")), "b");
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(list, 1), "name")), "a");

	/* a daemon that ended mid-snapshot left .new-c: swept, the complete ones stay */
	assert_int_equal(snapshot_dirs(&l, vm.id, "c", dir, sizeof(dir), final, sizeof(final), tmp,
				 sizeof(tmp)),
		0);
	assert_int_equal(access(tmp, F_OK), 0);
	assert_int_equal(snapshot_sweep_partial(dir), 0);
	assert_int_equal(access(tmp, F_OK), -1);
	snprintf(path, sizeof(path), "%s/a/" SNAPSHOT_RECORD, dir);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(mkdir(tmp, 0700), 0);

	/* a deleted VM takes them all, half-built ones too */
	assert_int_equal(snapshots_remove_all(vm_dir), 0);
	snprintf(path, sizeof(path), "%s/" SNAPSHOTS_DIR, vm_dir);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(rmdir(vm_dir), 0);
	snprintf(path, sizeof(path), "%s/vms", root);
	assert_int_equal(rmdir(path), 0);
	assert_int_equal(rmdir(root), 0);
}

static void test_sparse_copy(void **state)
{
	char src[] = "/tmp/test-snapshot-src-XXXXXX", dst[PATH_MAX];
	static char data[8192];
	char back[8192];
	bool reflinked = true;
	struct stat st;
	int fd;

	(void)state;
	memset(data, 'x', sizeof(data));
	fd = mkstemp(src);
	assert_true(fd >= 0);
	/* data, a 64 MiB hole, data, and a hole to the end */
	assert_int_equal(pwrite(fd, data, sizeof(data), 0), sizeof(data));
	assert_int_equal(pwrite(fd, data, sizeof(data), 64 << 20), sizeof(data));
	assert_int_equal(ftruncate(fd, 128 << 20), 0);
	close(fd);
	snprintf(dst, sizeof(dst), "%s.copy", src);
	assert_int_equal(file_clone_path(src, dst, &reflinked), 0);
	assert_int_equal(stat(dst, &st), 0);
	assert_int_equal(st.st_size, 128 << 20);
	if (!reflinked) /* a real copy: only the data was written */
		assert_true((uint64_t)st.st_blocks * 512 < 4u << 20);
	fd = open(dst, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, back, sizeof(back), 64 << 20), sizeof(back));
	assert_memory_equal(back, data, sizeof(data));
	assert_int_equal(pread(fd, back, sizeof(back), 32 << 20), sizeof(back));
	for (size_t i = 0; i < sizeof(back); i++)
		assert_int_equal(back[i], 0);
	close(fd);
	/* the target exists already: refused, and it is not removed */
	assert_int_equal(file_clone_path(src, dst, &reflinked), -EEXIST);
	assert_int_equal(access(dst, F_OK), 0);
	/* no source: nothing is created */
	assert_int_equal(unlink(dst), 0);
	assert_int_equal(unlink(src), 0);
	assert_int_equal(file_clone_path(src, dst, &reflinked), -ENOENT);
	assert_int_equal(access(dst, F_OK), -1);
}

struct copy_seen {
	int calls, k;
	bool reflinked;
};

static void on_copied(struct child *c, const struct child_result *res, void *userdata)
{
	struct copy_seen *seen = userdata;

	(void)c;
	seen->calls++;
	seen->k = file_copy_result(res, &seen->reflinked);
}

static void run_until_copied(sd_event *e, struct copy_seen *seen)
{
	for (int i = 0; i < 500 && seen->calls == 0; i++)
		assert_true(sd_event_run(e, 10000) >= 0);
	assert_int_equal(seen->calls, 1);
}

/* The copy in a child: the same sparse copy, its error, and a cancel that kills it. */
static void test_copy_child(void **state)
{
	char src[] = "/tmp/test-snapshot-csrc-XXXXXX", dst[PATH_MAX];
	static char data[8192];
	struct copy_seen seen = {};
	struct child *c = NULL;
	sd_event *e = NULL;
	struct stat st;
	int fd;

	(void)state;
	assert_int_equal(child_init(), 0);
	assert_int_equal(sd_event_new(&e), 0);
	memset(data, 'y', sizeof(data));
	fd = mkstemp(src);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, data, sizeof(data), 32 << 20), sizeof(data));
	assert_int_equal(ftruncate(fd, 64 << 20), 0);
	close(fd);
	snprintf(dst, sizeof(dst), "%s.copy", src);
	assert_int_equal(file_copy_start(e, src, dst, 0, on_copied, &seen, &c), 0);
	assert_int_equal(seen.calls, 0); /* never from inside the call */
	run_until_copied(e, &seen);
	assert_int_equal(seen.k, 0);
	assert_int_equal(stat(dst, &st), 0);
	assert_int_equal(st.st_size, 64 << 20);
	if (!seen.reflinked)
		assert_true((uint64_t)st.st_blocks * 512 < 4u << 20);
	/* the child's error comes back as it was: the target exists */
	seen = (struct copy_seen){};
	assert_int_equal(file_copy_start(e, src, dst, 0, on_copied, &seen, &c), 0);
	run_until_copied(e, &seen);
	assert_int_equal(seen.k, -EEXIST);
	assert_int_equal(unlink(dst), 0);
	/* cancelled: killed and reaped, the callback never runs */
	seen = (struct copy_seen){};
	assert_int_equal(file_copy_start(e, src, dst, 0, on_copied, &seen, &c), 0);
	child_cancel(c);
	for (int i = 0; i < 5; i++)
		assert_true(sd_event_run(e, 1000) >= 0);
	assert_int_equal(seen.calls, 0);
	(void)unlink(dst);
	/* no source */
	assert_int_equal(unlink(src), 0);
	seen = (struct copy_seen){};
	assert_int_equal(file_copy_start(e, src, dst, 0, on_copied, &seen, &c), 0);
	run_until_copied(e, &seen);
	assert_int_equal(seen.k, -ENOENT);
	assert_int_equal(access(dst, F_OK), -1);
	sd_event_unref(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_name),
		cmocka_unit_test(test_meta_names),
		cmocka_unit_test(test_meta_round_trip),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_sparse_copy),
		cmocka_unit_test(test_copy_child),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

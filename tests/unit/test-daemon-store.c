/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The store on a real temporary directory: round trips, interrupted writes, truncated and
 * corrupt records (quarantined), older schemas (migrated) and newer ones (refused). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/layout.h"
#include "common/log.h"
#include "daemon/store.h"

struct fixture {
	char root[64];
	struct banger_layout layout;
	struct store store;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->root, "/tmp/test-daemon-store.XXXXXX");
	assert_non_null(mkdtemp(f->root));
	assert_int_equal(layout_init(&f->layout, f->root), 0);
	store_init(&f->store, &f->layout);
	assert_int_equal(store_load(&f->store), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	store_done(&f->store);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static struct vm *new_vm(const char *name, const char *id)
{
	struct vm *vm = calloc(1, sizeof(*vm));

	assert_non_null(vm);
	strcpy(vm->id, id);
	strcpy(vm->name, name);
	strcpy(vm->image, "minimal");
	vm->state = VM_STATE_CREATED;
	vm->vcpus = 2;
	vm->memory_mib = 256;
	vm->disk_gib = 3;
	strcpy(vm->created_at, "2026-01-02T03:04:05Z");
	return vm;
}

#define ID_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define ID_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define ID_C "cccccccccccccccccccccccccccccccc"

static void vm_path(struct fixture *f, const char *id, const char *file, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s/%s", f->layout.vms_dir, id, file);
}

static void write_text(const char *path, const char *text)
{
	FILE *fp;
	char dir[8192];

	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	assert_int_equal(mkdir_parents(dir, 0700), 0);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void reload(struct fixture *f)
{
	assert_int_equal(store_load(&f->store), 0);
}

static void test_round_trip(void **state)
{
	struct fixture *f = *state;
	struct vm *a = new_vm("web", ID_A), *b = new_vm("db", ID_B);
	struct vm *got;

	strcpy(a->ip, "10.0.0.2");
	a->pid = 1234;
	assert_int_equal(store_vm_save(&f->store, a), 0);
	assert_int_equal(store_vm_save(&f->store, b), 0);
	reload(f);
	assert_int_equal(f->store.n_vms, 2);
	/* sorted by name */
	assert_string_equal(f->store.vms[0]->name, "db");
	got = store_vm_by_name(&f->store, "web");
	assert_non_null(got);
	assert_string_equal(got->id, ID_A);
	assert_string_equal(got->ip, "10.0.0.2");
	assert_int_equal(got->pid, 1234);
	assert_int_equal(got->vcpus, 2);
	assert_ptr_equal(store_vm_by_id(&f->store, ID_A), got);
	assert_int_equal(f->store.n_quarantined, 0);
}

static void test_duplicate_name_refused(void **state)
{
	struct fixture *f = *state;
	struct vm *a = new_vm("web", ID_A), *b = new_vm("web", ID_B);

	assert_int_equal(store_vm_save(&f->store, a), 0);
	assert_int_equal(store_vm_save(&f->store, b), -EEXIST);
	free(b);
	assert_int_equal(f->store.n_vms, 1);
}

/* A crash after the temporary file was written but before the rename leaves vm.json.tmp.PID
 * next to the old record: the old record wins and the leftover goes. */
static void test_crash_before_rename(void **state)
{
	struct fixture *f = *state;
	char path[8192], tmp[8300];
	struct vm *a = new_vm("web", ID_A);

	assert_int_equal(store_vm_save(&f->store, a), 0);
	vm_path(f, ID_A, "vm.json", path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp.4242", path);
	write_text(tmp, "{\"id\": \"" ID_A "\", \"name\": \"web\", \"vcp");
	reload(f);
	assert_int_equal(f->store.n_vms, 1);
	assert_string_equal(f->store.vms[0]->name, "web");
	assert_int_equal(f->store.vms[0]->vcpus, 2);
	assert_int_equal(f->store.n_stale_tmp, 1);
	assert_int_equal(f->store.n_quarantined, 0);
	assert_int_equal(access(tmp, F_OK), -1);
}

/* A record cut short (a crash with a filesystem that does not order data before rename, a
 * full disk, a person's editor) is quarantined; the others still load. */
static void test_truncated_record_quarantined(void **state)
{
	struct fixture *f = *state;
	char path[8192], corrupt[8300];
	struct stat st;

	assert_int_equal(store_vm_save(&f->store, new_vm("web", ID_A)), 0);
	assert_int_equal(store_vm_save(&f->store, new_vm("db", ID_B)), 0);
	vm_path(f, ID_A, "vm.json", path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(truncate(path, st.st_size / 2), 0);
	reload(f);
	assert_int_equal(f->store.n_vms, 1);
	assert_string_equal(f->store.vms[0]->name, "db");
	assert_int_equal(f->store.n_quarantined, 1);
	snprintf(corrupt, sizeof(corrupt), "%s.corrupt", path);
	assert_int_equal(access(corrupt, F_OK), 0);
	assert_int_equal(access(path, F_OK), -1);
	/* and it stays out of the way on the next start */
	reload(f);
	assert_int_equal(f->store.n_vms, 1);
	assert_int_equal(f->store.n_quarantined, 0);
}

static void test_corrupt_records_quarantined(void **state)
{
	static const char *const bad[] = {
		"garbage",
		"[1, 2]",
		"{\"schema_version\": \"one\"}",
		/* valid JSON, bad field */
		"{\"schema_version\":1,\"id\":\"" ID_C "\",\"name\":\"x\",\"state\":\"created\","
		"\"image\":\"minimal\",\"vcpus\":0,\"memory_mib\":256,\"disk_gib\":1,"
		"\"created_at\":\"2026-01-01T00:00:00Z\"}",
		/* an id that is not its directory's */
		"{\"schema_version\":1,\"id\":\"" ID_A "\",\"name\":\"x\",\"state\":\"created\","
		"\"image\":\"minimal\",\"vcpus\":1,\"memory_mib\":256,\"disk_gib\":1,"
		"\"created_at\":\"2026-01-01T00:00:00Z\"}",
		"{\"schema_version\":1,\"id\":\"" ID_C "\",\"name\":\"x\",\"state\":\"flying\","
		"\"image\":\"minimal\",\"vcpus\":1,\"memory_mib\":256,\"disk_gib\":1,"
		"\"created_at\":\"2026-01-01T00:00:00Z\"}",
	};
	struct fixture *f = *state;
	char path[8192], corrupt[8300];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		vm_path(f, ID_C, "vm.json", path, sizeof(path));
		snprintf(corrupt, sizeof(corrupt), "%s.corrupt", path);
		unlink(corrupt);
		write_text(path, bad[i]);
		reload(f);
		assert_int_equal(f->store.n_vms, 0);
		assert_int_equal(f->store.n_quarantined, 1);
		assert_int_equal(access(corrupt, F_OK), 0);
	}
}

/* Version 0 (no schema_version, optional fields absent) is brought up to date and rewritten. */
static void test_migrate_older_schema(void **state)
{
	struct fixture *f = *state;
	char path[8192];
	char *data = NULL;
	size_t len;

	vm_path(f, ID_C, "vm.json", path, sizeof(path));
	write_text(path, "{\"id\":\"" ID_C "\",\"name\":\"old\",\"vcpus\":4}");
	reload(f);
	assert_int_equal(f->store.n_vms, 1);
	assert_int_equal(f->store.n_migrated, 1);
	assert_string_equal(f->store.vms[0]->name, "old");
	assert_int_equal(f->store.vms[0]->vcpus, 4);
	assert_int_equal(f->store.vms[0]->memory_mib, VM_DEFAULT_MEMORY);
	assert_int_equal(f->store.vms[0]->state, VM_STATE_STOPPED);
	assert_string_equal(f->store.vms[0]->image, VM_DEFAULT_IMAGE);
	assert_int_equal(read_file_full(path, 65536, &data, &len), 0);
	assert_non_null(strstr(data, "\"schema_version\": 1"));
	free(data);
	reload(f);
	assert_int_equal(f->store.n_migrated, 0);
	assert_int_equal(f->store.n_vms, 1);
}

static void test_newer_schema_refused(void **state)
{
	static const char text[] =
		"{\"schema_version\":99,\"id\":\"" ID_C "\",\"name\":\"future\"}";
	struct fixture *f = *state;
	char path[8192];
	char *data = NULL;
	size_t len;

	vm_path(f, ID_C, "vm.json", path, sizeof(path));
	write_text(path, text);
	reload(f);
	assert_int_equal(f->store.n_vms, 0);
	assert_int_equal(f->store.n_refused, 1);
	assert_int_equal(f->store.n_quarantined, 0);
	/* left exactly as it was, for the newer banger */
	assert_int_equal(read_file_full(path, 65536, &data, &len), 0);
	assert_string_equal(data, text);
	free(data);
}

static void test_remove(void **state)
{
	struct fixture *f = *state;
	char dir[8192];

	assert_int_equal(store_vm_save(&f->store, new_vm("web", ID_A)), 0);
	snprintf(dir, sizeof(dir), "%s/%s", f->layout.vms_dir, ID_A);
	assert_int_equal(store_vm_remove(&f->store, store_vm_by_name(&f->store, "web")), 0);
	assert_int_equal(f->store.n_vms, 0);
	assert_int_equal(access(dir, F_OK), -1);
	reload(f);
	assert_int_equal(f->store.n_vms, 0);
}

static struct image *new_image(const char *name)
{
	struct image *img = calloc(1, sizeof(*img));

	assert_non_null(img);
	strcpy(img->name, name);
	strcpy(img->imported_at, "2026-01-02T03:04:05Z");
	for (int p = 0; p < _IMAGE_PART_MAX; p++) {
		if (p == IMAGE_PART_INITRD)
			continue;
		snprintf(img->part[p].path, sizeof(img->part[p].path), "/x/%s", name);
		img->part[p].size = 1000 + (uint64_t)p;
		memset(img->part[p].sha256, 'a' + p, SHA256_HEX_LEN);
	}
	return img;
}

static void test_image_round_trip_and_refusals(void **state)
{
	struct fixture *f = *state;
	char path[8192];
	struct image *got;

	assert_int_equal(store_image_save(&f->store, new_image("minimal")), 0);
	assert_int_equal(store_vm_save(&f->store, new_vm("web", ID_A)), 0);
	assert_int_equal(store_vms_using_image(&f->store, "minimal"), 1);
	reload(f);
	got = store_image_by_name(&f->store, "minimal");
	assert_non_null(got);
	assert_int_equal(got->part[IMAGE_PART_ROOTFS].size, 1002);
	assert_string_equal(got->part[IMAGE_PART_INITRD].path, "");

	snprintf(path, sizeof(path), "%s/newer/image.json", f->layout.images_dir);
	write_text(path, "{\"schema_version\": 7, \"name\": \"newer\"}");
	snprintf(path, sizeof(path), "%s/broken/image.json", f->layout.images_dir);
	write_text(path, "{\"schema_version\": 1, \"name\": \"broken\"");
	reload(f);
	assert_int_equal(f->store.n_images, 1);
	assert_int_equal(f->store.n_refused, 1);
	assert_int_equal(f->store.n_quarantined, 1);
}

/* A pulled image's source and digest survive a reload; records without them (every image from
 * before pulls) load with both empty; a malformed digest is not taken. */
static void test_image_source_and_digest(void **state)
{
	struct fixture *f = *state;
	struct image *img = new_image("web"), *got;
	char path[8192];

	strcpy(img->source, "docker://127.0.0.1:5000/test/web:v1");
	strcpy(img->digest, "sha256:");
	memset(img->digest + 7, 'f', SHA256_HEX_LEN);
	assert_int_equal(store_image_save(&f->store, img), 0);
	assert_int_equal(store_image_save(&f->store, new_image("minimal")), 0);
	reload(f);
	got = store_image_by_name(&f->store, "web");
	assert_non_null(got);
	assert_string_equal(got->source, "docker://127.0.0.1:5000/test/web:v1");
	assert_int_equal(strlen(got->digest), 7 + SHA256_HEX_LEN);
	assert_memory_equal(got->digest, "sha256:ffff", 11);
	got = store_image_by_name(&f->store, "minimal");
	assert_non_null(got);
	assert_string_equal(got->digest, "");
	assert_false(image_digest_is_valid("sha256:abc"));
	assert_false(image_digest_is_valid("md5:0123456789abcdef0123456789abcdef"));
	assert_true(image_digest_is_valid(
		"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));

	snprintf(path, sizeof(path), "%s/bad/image.json", f->layout.images_dir);
	write_text(path, "{\"schema_version\": 1, \"name\": \"bad\", \"imported_at\": "
			 "\"2026-01-02T03:04:05Z\", \"kernel\": \"/k\", \"kernel_size\": 1, "
			 "\"kernel_sha256\": "
			 "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\", "
			 "\"rootfs\": \"/r\", \"rootfs_size\": 1, \"rootfs_sha256\": "
			 "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\", "
			 "\"digest\": \"sha256:nothex\"}");
	reload(f);
	assert_null(store_image_by_name(&f->store, "bad"));
	assert_int_equal(f->store.n_images, 2);
}

/* boots_on: kept across a reload; absent in older records (they load with none); read from a
 * recipe's image.json next to the kernel, names banger does not know dropped. */
static void test_image_boots_on(void **state)
{
	struct fixture *f = *state;
	struct image *img = new_image("debian"), *got, probe = {};
	char path[8192], dir[8192];

	img->boots_on = IMAGE_BOOTS_ON_BANGER_VMM;
	strcpy(img->boots_on_note, "bzImage");
	assert_int_equal(store_image_save(&f->store, img), 0);
	snprintf(path, sizeof(path), "%s/old/image.json", f->layout.images_dir);
	write_text(path, "{\"schema_version\": 1, \"name\": \"old\", \"imported_at\": "
			 "\"2026-01-02T03:04:05Z\", \"kernel\": \"/x/k\", \"kernel_size\": 1, "
			 "\"kernel_sha256\": "
			 "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\", "
			 "\"rootfs\": \"/x/r\", \"rootfs_size\": 1, \"rootfs_sha256\": "
			 "\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"}");
	reload(f);
	got = store_image_by_name(&f->store, "debian");
	assert_non_null(got);
	assert_int_equal(got->boots_on, IMAGE_BOOTS_ON_BANGER_VMM);
	assert_string_equal(got->boots_on_note, "bzImage");
	got = store_image_by_name(&f->store, "old");
	assert_non_null(got);
	assert_int_equal(got->boots_on, 0);
	{
		json_t *o = image_to_json(got);
		assert_non_null(o);
		assert_null(json_object_get(o, "boots_on"));
		json_decref(o);
	}

	assert_true(snprintf(dir, sizeof(dir), "%s/recipe-out", f->layout.images_dir) <
		    (int)sizeof(probe.source));
	assert_true(snprintf(path, sizeof(path), "%s/image.json", dir) < (int)sizeof(path));
	write_text(path,
		"{\"boots_on\": [\"firecracker\", \"banger-vmm\", \"cloud-hypervisor\", 3], "
		"\"boots_on_note\": \"both\"}");
	memcpy(probe.source, dir, strlen(dir) + 1);
	image_read_recipe_json(&probe);
	assert_int_equal(probe.boots_on, IMAGE_BOOTS_ON_FIRECRACKER | IMAGE_BOOTS_ON_BANGER_VMM);
	assert_string_equal(probe.boots_on_note, "both");
	write_text(path, "{\"boots_on\": [\"cloud-hypervisor\"], \"boots_on_note\": \"x\"}");
	probe = (struct image){};
	memcpy(probe.source, dir, strlen(dir) + 1);
	image_read_recipe_json(&probe);
	assert_int_equal(probe.boots_on, 0);
	assert_string_equal(probe.boots_on_note, "");
	write_text(path, "not json");
	image_read_recipe_json(&probe);
	assert_int_equal(probe.boots_on, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_image_source_and_digest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_name_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_before_rename, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_record_quarantined, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_records_quarantined, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_older_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_image_round_trip_and_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_image_boots_on, setup, teardown),
	};

	log_set_max_level(LOG_EMERG); /* the quarantine messages are expected here */
	return cmocka_run_group_tests(tests, NULL, NULL);
}

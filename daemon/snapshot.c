/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Named snapshots on disk: their names, records (snapshot.json), directories and listing; what
 * takes and restores them is lifecycle-snapshot.c. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/macro.h"
#include "daemon/daemon.h"
#include "daemon/image.h"
#include "daemon/snapshot.h"
#include "daemon/store.h"
#include "protocol/jsonrpc.h"

#define RECORD_MAX (64 * 1024)

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

uint64_t file_size_or_zero(const char *path)
{
	struct stat st;

	return stat(path, &st) < 0 ? 0 : (uint64_t)st.st_size;
}

void snapshot_default_name(time_t t, char *buf, size_t size)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	if (strftime(buf, size, "snap-%Y%m%d-%H%M%S", &tm) == 0 && size > 0)
		buf[0] = '\0';
}

int snapshot_meta_init(
	struct snapshot_meta *m, const struct vm *vm, const struct image *img, const char *name)
{
	*m = (struct snapshot_meta){};
	if (name) {
		if (!vm_name_is_valid(name))
			return -EINVAL;
		snprintf(m->name, sizeof(m->name), "%s", name);
	} else
		snapshot_default_name(time(NULL), m->name, sizeof(m->name));
	rfc3339_now(m->created_at, sizeof(m->created_at));
	snprintf(m->vm_id, sizeof(m->vm_id), "%s", vm->id);
	snprintf(m->vm_name, sizeof(m->vm_name), "%s", vm->name);
	snprintf(m->image, sizeof(m->image), "%s", vm->image);
	snprintf(m->image_rootfs_sha256, sizeof(m->image_rootfs_sha256), "%s",
		img->part[IMAGE_PART_ROOTFS].sha256);
	snprintf(m->boot_id, sizeof(m->boot_id), "%s", vm->boot_id);
	snprintf(m->disk_strategy, sizeof(m->disk_strategy), "%s", vm->disk_strategy);
	m->vcpus = vm->vcpus;
	m->memory_mib = vm->memory_mib;
	return 0;
}

json_t *snapshot_meta_to_json(const struct snapshot_meta *m)
{
	return json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, "
			 "s:{s:I, s:I, s:b}, s:{s:I, s:b}, s:I, s:I, s:I}",
		"schema", SNAPSHOT_RECORD_SCHEMA, "name", m->name, "created_at", m->created_at,
		"vm_id", m->vm_id, "vm_name", m->vm_name, "image", m->image, "image_rootfs_sha256",
		m->image_rootfs_sha256, "boot_id", m->boot_id, "disk_strategy", m->disk_strategy,
		"vcpus", (json_int_t)m->vcpus, "memory_mib", (json_int_t)m->memory_mib, "disk",
		"bytes", (json_int_t)m->disk_bytes, "allocated_bytes",
		(json_int_t)m->disk_allocated_bytes, "reflinked", m->disk_reflinked, "memory",
		"bytes", (json_int_t)m->mem_bytes, "reflinked", m->mem_reflinked, "state_bytes",
		(json_int_t)m->state_bytes, "paused_us", (json_int_t)m->paused_usec, "total_us",
		(json_int_t)m->total_usec);
}

static int get_str(const json_t *o, const char *key, char *buf, size_t size, bool empty_ok,
	char *why, size_t n)
{
	const char *v = json_string_value(json_object_get(o, key));

	if (!v || strlen(v) >= size || (!empty_ok && !*v)) {
		snprintf(why, n, "\"%s\" is missing, empty or too long", key);
		return -EBADMSG;
	}
	snprintf(buf, size, "%s", v);
	return 0;
}

static int get_u64(const json_t *o, const char *key, uint64_t *ret, char *why, size_t n)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		snprintf(why, n, "\"%s\" is not a count", key);
		return -EBADMSG;
	}
	*ret = (uint64_t)json_integer_value(v);
	return 0;
}

int snapshot_meta_from_json(const json_t *o, struct snapshot_meta *ret, char *why, size_t n)
{
	struct snapshot_meta m = {};
	const json_t *disk = json_object_get(o, "disk"), *mem = json_object_get(o, "memory");
	uint64_t vcpus = 0, memory = 0;
	int k = 0;

	if (!json_is_object(o) ||
		json_integer_value(json_object_get(o, "schema")) != SNAPSHOT_RECORD_SCHEMA) {
		snprintf(why, n, "not a snapshot record of schema %d", SNAPSHOT_RECORD_SCHEMA);
		return -EBADMSG;
	}
	if (!json_is_object(disk) || !json_is_object(mem)) {
		snprintf(why, n, "\"disk\" or \"memory\" is missing");
		return -EBADMSG;
	}
	k = k ?: get_str(o, "name", m.name, sizeof(m.name), false, why, n);
	if (k == 0 && !vm_name_is_valid(m.name)) {
		snprintf(why, n, "\"name\" is not a valid snapshot name");
		k = -EBADMSG;
	}
	k = k ?: get_str(o, "created_at", m.created_at, sizeof(m.created_at), false, why, n);
	k = k ?: get_str(o, "vm_id", m.vm_id, sizeof(m.vm_id), false, why, n);
	k = k ?: get_str(o, "vm_name", m.vm_name, sizeof(m.vm_name), false, why, n);
	k = k ?: get_str(o, "image", m.image, sizeof(m.image), false, why, n);
	k = k
		    ?: get_str(o, "image_rootfs_sha256", m.image_rootfs_sha256,
			       sizeof(m.image_rootfs_sha256), false, why, n);
	k = k ?: get_str(o, "boot_id", m.boot_id, sizeof(m.boot_id), true, why, n);
	k = k
		    ?: get_str(o, "disk_strategy", m.disk_strategy, sizeof(m.disk_strategy), true,
			       why, n);
	k = k ?: get_u64(o, "vcpus", &vcpus, why, n);
	k = k ?: get_u64(o, "memory_mib", &memory, why, n);
	k = k ?: get_u64(disk, "bytes", &m.disk_bytes, why, n);
	k = k ?: get_u64(disk, "allocated_bytes", &m.disk_allocated_bytes, why, n);
	k = k ?: get_u64(mem, "bytes", &m.mem_bytes, why, n);
	k = k ?: get_u64(o, "state_bytes", &m.state_bytes, why, n);
	k = k ?: get_u64(o, "paused_us", &m.paused_usec, why, n);
	k = k ?: get_u64(o, "total_us", &m.total_usec, why, n);
	if (k < 0)
		return k;
	m.vcpus = (int64_t)vcpus;
	m.memory_mib = (int64_t)memory;
	m.disk_reflinked = json_is_true(json_object_get(disk, "reflinked"));
	m.mem_reflinked = json_is_true(json_object_get(mem, "reflinked"));
	*ret = m;
	return 0;
}

int snapshot_dir_file(const char *dir, const char *file, char *buf, size_t size)
{
	if ((size_t)snprintf(buf, size, "%s/%s", dir, file) >= size)
		return -ENAMETOOLONG;
	return 0;
}

int snapshot_meta_write(const char *dir, const struct snapshot_meta *m)
{
	_cleanup_json_ json_t *o = snapshot_meta_to_json(m);
	_cleanup_free_ char *text = NULL;
	char path[PATH_MAX];
	int k;

	text = o ? json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	if (!text)
		return -ENOMEM;
	k = snapshot_dir_file(dir, SNAPSHOT_RECORD, path, sizeof(path));
	return k < 0 ? k : write_file_atomic(path, text, strlen(text), 0600);
}

int snapshot_meta_read(const char *dir, struct snapshot_meta *ret)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_json_ json_t *o = NULL;
	char path[PATH_MAX], why[128];
	size_t len;
	int k;

	k = snapshot_dir_file(dir, SNAPSHOT_RECORD, path, sizeof(path));
	if (k >= 0)
		k = read_file_full(path, RECORD_MAX, &text, &len);
	if (k < 0)
		return k;
	o = json_loadb(text, len, 0, NULL);
	return snapshot_meta_from_json(o, ret, why, sizeof(why));
}

static int snapshots_root(const struct banger_layout *l, const char *vm_id, char *buf, size_t size)
{
	char vm_dir[PATH_MAX];
	int k = layout_vm_dir(l, vm_id, vm_dir, sizeof(vm_dir));

	return k < 0 ? k : snapshot_dir_file(vm_dir, SNAPSHOTS_DIR, buf, size);
}

int snapshot_dir(
	const struct banger_layout *l, const char *vm_id, const char *name, char *buf, size_t size)
{
	char root[PATH_MAX];
	int k;

	if (!vm_name_is_valid(name))
		return -EINVAL;
	k = snapshots_root(l, vm_id, root, sizeof(root));
	return k < 0 ? k : snapshot_dir_file(root, name, buf, size);
}

int snapshot_dirs(const struct banger_layout *l, const char *vm_id, const char *name, char *ret_dir,
	size_t dir_size, char *ret_final, size_t final_size, char *ret_tmp, size_t tmp_size)
{
	char tmp_name[VM_NAME_MAX + sizeof(SNAPSHOT_NEW_PREFIX)];
	int k;

	k = snapshots_root(l, vm_id, ret_dir, dir_size);
	if (k < 0)
		return k;
	if (mkdir(ret_dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	snprintf(tmp_name, sizeof(tmp_name), SNAPSHOT_NEW_PREFIX "%s", name);
	k = snapshot_dir_file(ret_dir, name, ret_final, final_size);
	return k < 0 ? k : snapshot_dir_file(ret_dir, tmp_name, ret_tmp, tmp_size);
}

static int by_created(const void *a, const void *b)
{
	const json_t *x = *(const json_t *const *)a, *y = *(const json_t *const *)b;
	int c = strcmp(json_string_value(json_object_get(x, "created_at")) ?: "",
		json_string_value(json_object_get(y, "created_at")) ?: "");

	return c
		       ?: strcmp(json_string_value(json_object_get(x, "name")) ?: "",
				  json_string_value(json_object_get(y, "name")) ?: "");
}

int snapshot_list(const struct banger_layout *l, const char *vm_id, json_t **ret)
{
	_cleanup_json_ json_t *arr = json_array();
	_cleanup_(closedirp) DIR *d = NULL;
	_cleanup_free_ json_t **items = NULL;
	json_t *sorted, *o;
	char root[PATH_MAX], dir[PATH_MAX];
	struct dirent *de;
	size_t n = 0, i;
	int k;

	if (!arr)
		return -ENOMEM;
	k = snapshots_root(l, vm_id, root, sizeof(root));
	if (k < 0)
		return k;
	d = opendir(root);
	if (!d && errno != ENOENT)
		return -errno;
	while (d && (de = readdir(d))) {
		struct snapshot_meta m;

		if (!vm_name_is_valid(de->d_name)) /* ".", "..", .new-* */
			continue;
		if (snapshot_dir_file(root, de->d_name, dir, sizeof(dir)) < 0 ||
			snapshot_meta_read(dir, &m) < 0 || !streq(m.name, de->d_name))
			continue; /* not one of ours, or damaged: not listed, not restorable */
		o = snapshot_meta_to_json(&m);
		if (!o || json_array_append_new(arr, o) < 0)
			return -ENOMEM;
	}
	n = json_array_size(arr);
	items = calloc(n + 1, sizeof(*items));
	sorted = json_array();
	if (!items || !sorted) {
		json_decref(sorted);
		return -ENOMEM;
	}
	json_array_foreach(arr, i, o) items[i] = o;
	qsort(items, n, sizeof(*items), by_created);
	for (i = 0; i < n; i++)
		json_array_append(sorted, items[i]);
	*ret = sorted;
	return 0;
}

int snapshots_remove_all(const char *vm_dir)
{
	_cleanup_(closedirp) DIR *d = NULL;
	char root[PATH_MAX], dir[PATH_MAX];
	struct dirent *de;
	int k, ret = 0;

	k = snapshot_dir_file(vm_dir, SNAPSHOTS_DIR, root, sizeof(root));
	if (k < 0)
		return k;
	d = opendir(root);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		k = snapshot_dir_file(root, de->d_name, dir, sizeof(dir));
		if (k >= 0)
			k = remove_flat_dir(dir);
		if (k < 0)
			ret = k;
	}
	if (rmdir(root) < 0 && errno != ENOENT)
		return ret ?: -errno;
	return ret;
}

int snapshot_sweep_partial(const char *snapshots_dir)
{
	_cleanup_(closedirp) DIR *d = opendir(snapshots_dir);
	char dir[PATH_MAX];
	struct dirent *de;
	int k, ret = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, SNAPSHOT_NEW_PREFIX, strlen(SNAPSHOT_NEW_PREFIX)) != 0)
			continue;
		k = snapshot_dir_file(snapshots_dir, de->d_name, dir, sizeof(dir));
		if (k >= 0)
			k = remove_flat_dir(dir);
		if (k < 0)
			ret = k;
	}
	return ret;
}

void snapshot_publish(
	struct daemon *d, const char *method, const struct vm *vm, const struct snapshot_meta *m)
{
	json_t *rec = snapshot_meta_to_json(m);

	if (rec)
		daemon_publish(d, method,
			json_pack("{s:s, s:s, s:o}", "id", vm->id, "name", vm->name, "snapshot",
				rec));
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The on-disk store: one vm.json per VM and one image.json per image, loaded at start, written
 * atomically, with corrupt files quarantined and older schemas migrated. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/layout.h"
#include "common/log.h"
#include "common/macro.h"
#include "daemon/snapshot.h"
#include "daemon/store.h"
#include "protocol/jsonrpc.h"

void store_init(struct store *s, const struct banger_layout *layout)
{
	*s = (struct store){.layout = layout};
}

void store_done(struct store *s)
{
	for (size_t i = 0; i < s->n_vms; i++)
		free(s->vms[i]);
	for (size_t i = 0; i < s->n_images; i++)
		free(s->images[i]);
	free(s->vms);
	free(s->images);
	*s = (struct store){.layout = s->layout};
}

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

/* Sorted insertion into an array of records whose first field after the id is a name. */
static int array_insert(void ***arr, size_t *n, size_t *cap, void *item, size_t at)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		void **na = realloc(*arr, ncap * sizeof(void *));
		if (!na)
			return -ENOMEM;
		*arr = na;
		*cap = ncap;
	}
	memmove(*arr + at + 1, *arr + at, (*n - at) * sizeof(void *));
	(*arr)[at] = item;
	(*n)++;
	return 0;
}

static void array_remove(void **arr, size_t *n, size_t at)
{
	memmove(arr + at, arr + at + 1, (*n - at - 1) * sizeof(void *));
	(*n)--;
}

static const char *vm_name_of(const void *p)
{
	return ((const struct vm *)p)->name;
}

static const char *image_name_of(const void *p)
{
	return ((const struct image *)p)->name;
}

/* Index of name in a name-sorted record array, or where it would go (*found false). */
static size_t bisect(void *const *arr, size_t n, const char *(*name_of)(const void *),
	const char *name, bool *found)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name_of(arr[mid]), name);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static size_t vm_bisect(const struct store *s, const char *name, bool *found)
{
	return bisect((void *const *)s->vms, s->n_vms, vm_name_of, name, found);
}

static size_t image_bisect(const struct store *s, const char *name, bool *found)
{
	return bisect((void *const *)s->images, s->n_images, image_name_of, name, found);
}

struct vm *store_vm_by_name(const struct store *s, const char *name)
{
	bool found;
	size_t i = vm_bisect(s, name, &found);

	return found ? s->vms[i] : NULL;
}

struct vm *store_vm_by_id(const struct store *s, const char *id)
{
	for (size_t i = 0; i < s->n_vms; i++)
		if (streq(s->vms[i]->id, id))
			return s->vms[i];
	return NULL;
}

struct image *store_image_by_name(const struct store *s, const char *name)
{
	bool found;
	size_t i = image_bisect(s, name, &found);

	return found ? s->images[i] : NULL;
}

size_t store_vms_using_image(const struct store *s, const char *image)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n_vms; i++)
		n += streq(s->vms[i]->image, image);
	return n;
}

static int write_record(const char *path, json_t *o)
{
	_cleanup_free_ char *data = NULL;

	data = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (!data)
		return -ENOMEM;
	/* a trailing newline keeps the files friendly to cat and diff */
	size_t len = strlen(data);
	char *nd = realloc(data, len + 2);
	if (!nd)
		return -ENOMEM;
	data = nd;
	data[len++] = '\n';
	data[len] = '\0';
	return write_file_atomic(path, data, len, 0600);
}

int store_vm_save(struct store *s, struct vm *vm)
{
	_cleanup_json_ json_t *o = NULL;
	char dir[PATH_MAX], path[PATH_MAX];
	bool found, is_new;
	size_t at;
	int r;

	is_new = !store_vm_by_id(s, vm->id);
	at = vm_bisect(s, vm->name, &found);
	if (is_new && found)
		return -EEXIST;
	r = layout_vm_dir(s->layout, vm->id, dir, sizeof(dir));
	if (r < 0)
		return r;
	r = layout_vm_file(s->layout, vm->id, "vm.json", path, sizeof(path));
	if (r < 0)
		return r;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return negative_errno();
	o = vm_to_json(vm);
	if (!o)
		return -ENOMEM;
	json_object_del(o, "save_error"); /* about this very file: never in it */
	r = write_record(path, o);
	if (r < 0) {
		if (is_new)
			rmdir(dir);
		return r;
	}
	if (is_new) {
		r = array_insert((void ***)&s->vms, &s->n_vms, &s->cap_vms, vm, at);
		if (r < 0) {
			unlink(path);
			rmdir(dir);
			return r;
		}
	}
	return 0;
}

/* Removes a directory's plain files and then the directory: the VM and image directories hold
 * only files banger put there. */
int remove_flat_dir(const char *dir)
{
	_cleanup_(closedirp) DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return errno == ENOENT ? 0 : negative_errno();
	while ((de = readdir(d)))
		if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
			if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT)
				return negative_errno();
	if (rmdir(dir) < 0 && errno != ENOENT)
		return negative_errno();
	return 0;
}

int store_vm_remove(struct store *s, struct vm *vm)
{
	char dir[PATH_MAX], path[PATH_MAX];
	bool found;
	size_t at;
	int r;

	r = layout_vm_dir(s->layout, vm->id, dir, sizeof(dir));
	if (r < 0)
		return r;
	r = layout_vm_file(s->layout, vm->id, "vm.json", path, sizeof(path));
	if (r < 0)
		return r;
	/* The record goes first (and durably): a crash after it leaves an orphan directory, never a
	 * record whose files are half gone. */
	if (unlink(path) < 0 && errno != ENOENT)
		return negative_errno();
	(void)fsync_parent_dir(path);
	r = snapshots_remove_all(dir);
	if (r < 0)
		log_warning_errno(r, "Failed to remove the snapshots of %s: %m", dir);
	r = remove_flat_dir(dir);
	if (r < 0)
		log_warning_errno(r, "Failed to remove %s: %m", dir);
	at = vm_bisect(s, vm->name, &found);
	if (found && s->vms[at] == vm)
		array_remove((void **)s->vms, &s->n_vms, at);
	free(vm);
	return 0;
}

/* Writes img's record as dir/image.json (its path into path). */
static int image_record_write(const struct image *img, const char *dir, char path[static PATH_MAX])
{
	_cleanup_json_ json_t *o = NULL;

	if (snprintf(path, PATH_MAX, "%s/image.json", dir) >= PATH_MAX)
		return -ENAMETOOLONG;
	o = image_to_json(img);
	if (!o)
		return -ENOMEM;
	return write_record(path, o);
}

int store_image_save(struct store *s, struct image *img)
{
	char dir[PATH_MAX], path[PATH_MAX];
	bool found;
	size_t at;
	int r;

	at = image_bisect(s, img->name, &found);
	if (found && s->images[at] != img)
		return -EEXIST;
	r = layout_image_dir(s->layout, img->name, dir, sizeof(dir));
	if (r < 0)
		return r;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return negative_errno();
	r = image_record_write(img, dir, path);
	if (r < 0)
		return r;
	if (!found) {
		r = array_insert((void ***)&s->images, &s->n_images, &s->cap_images, img, at);
		if (r < 0) {
			unlink(path);
			return r;
		}
	}
	return 0;
}

int store_image_remove(struct store *s, struct image *img)
{
	char dir[PATH_MAX], path[PATH_MAX];
	bool found;
	size_t at;
	int r;

	r = layout_image_dir(s->layout, img->name, dir, sizeof(dir));
	if (r < 0)
		return r;
	if (snprintf(path, sizeof(path), "%s/image.json", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	if (unlink(path) < 0 && errno != ENOENT)
		return negative_errno();
	(void)fsync_parent_dir(path);
	r = snapshots_remove_all(dir);
	if (r < 0)
		log_warning_errno(r, "Failed to remove the snapshots of %s: %m", dir);
	r = remove_flat_dir(dir);
	if (r < 0)
		log_warning_errno(r, "Failed to remove %s: %m", dir);
	at = image_bisect(s, img->name, &found);
	if (found && s->images[at] == img)
		array_remove((void **)s->images, &s->n_images, at);
	free(img);
	return 0;
}

int store_image_replace(struct store *s, struct image *old, struct image *img, const char *staging)
{
	char dir[PATH_MAX], path[PATH_MAX], aside[PATH_MAX];
	bool found;
	size_t at;
	int r;

	at = image_bisect(s, old->name, &found);
	if (!found || s->images[at] != old || !streq(old->name, img->name))
		return -EINVAL;
	r = layout_image_dir(s->layout, img->name, dir, sizeof(dir));
	if (r < 0)
		return r;
	if (snprintf(aside, sizeof(aside), "%s.old", staging) >= (int)sizeof(aside))
		return -ENAMETOOLONG;
	r = image_record_write(img, staging, path);
	if (r < 0)
		return r;
	if (renameat2(AT_FDCWD, staging, AT_FDCWD, dir, RENAME_EXCHANGE) < 0) {
		r = negative_errno();
		if (r != -EINVAL && r != -ENOSYS && r != -EOPNOTSUPP) {
			unlink(path);
			return r;
		}
		/* no exchange on this filesystem: the old image aside, the new one in */
		(void)remove_flat_dir(aside);
		if (rename(dir, aside) < 0) {
			r = negative_errno();
			unlink(path);
			return r;
		}
		if (rename(staging, dir) < 0) {
			r = negative_errno();
			(void)rename(aside, dir);
			unlink(path);
			return r;
		}
		if (rename(aside, staging) < 0)
			log_warning_errno(
				negative_errno(), "Failed to move %s to %s: %m", aside, staging);
	}
	(void)fsync_parent_dir(dir);
	s->images[at] = img;
	free(old);
	return 0;
}

/* Renames a bad record to <path>.corrupt so it is kept for a person to look at and never read
 * again. */
static void quarantine(struct store *s, const char *path, const char *why)
{
	char target[PATH_MAX + 16];

	snprintf(target, sizeof(target), "%s.corrupt", path);
	if (rename(path, target) < 0) {
		log_error_errno(negative_errno(),
			"Record %s is corrupt (%s) and could not be moved "
			"aside: %m; ignoring it",
			path, why);
		return;
	}
	(void)fsync_parent_dir(path);
	s->n_quarantined++;
	log_error("Record %s is corrupt (%s); moved to %s", path, why, target);
}

/* Removes "<file>.tmp.<pid>" leftovers: a write interrupted before its rename. The record
 * itself still holds the previous complete content. */
static void remove_stale_tmp(struct store *s, const char *dir, const char *file)
{
	_cleanup_(closedirp) DIR *d = opendir(dir);
	struct dirent *de;
	char prefix[64];
	size_t n;

	if (!d)
		return;
	n = (size_t)snprintf(prefix, sizeof(prefix), "%s.tmp.", file);
	while ((de = readdir(d)))
		if (strneq(de->d_name, prefix, n)) {
			if (unlinkat(dirfd(d), de->d_name, 0) == 0) {
				s->n_stale_tmp++;
				log_notice("Removed %s/%s, left by an interrupted write", dir,
					de->d_name);
			}
		}
}

enum load_result { LOAD_OK, LOAD_SKIPPED };

/* Reads, migrates and parses one record file. Returns 0 with *ret, 1 when the record was
 * quarantined, refused or absent (already reported), -ENOMEM. */
static int load_record(struct store *s, const char *path, int (*migrate)(json_t *, char *, size_t),
	int current, json_t **ret)
{
	_cleanup_free_ char *data = NULL;
	_cleanup_json_ json_t *o = NULL;
	json_error_t jerr;
	char why[256];
	size_t len;
	int r;

	r = read_file_full(path, STORE_RECORD_MAX, &data, &len);
	if (r == -ENOENT)
		return 1;
	if (r == -EFBIG) {
		quarantine(s, path, "larger than the record size limit");
		return 1;
	}
	if (r < 0) {
		log_error_errno(r, "Failed to read %s: %m; not loaded", path);
		return 1;
	}
	o = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!o) {
		snprintf(why, sizeof(why), "line %d: %s", jerr.line, jerr.text);
		quarantine(s, path, why);
		return 1;
	}
	if (!json_is_object(o)) {
		quarantine(s, path, "not a JSON object");
		return 1;
	}
	r = migrate(o, why, sizeof(why));
	if (r == -ENOMEM)
		return r;
	if (r == -EPROTONOSUPPORT) {
		s->n_refused++;
		log_error("Record %s was %s; refusing to load it (left untouched)", path, why);
		return 1;
	}
	if (r < 0) {
		quarantine(s, path, why);
		return 1;
	}
	if (r < current) {
		int w = write_record(path, o);
		if (w < 0)
			log_warning_errno(w,
				"Migrated %s from schema %d to %d in memory but could not "
				"rewrite it: %m",
				path, r, current);
		else
			log_notice("Migrated %s from schema %d to %d", path, r, current);
		s->n_migrated++;
	}
	*ret = TAKE_PTR(o);
	return 0;
}

static int load_vm_dir(struct store *s, const char *id)
{
	_cleanup_json_ json_t *o = NULL;
	_cleanup_free_ struct vm *vm = NULL;
	char dir[PATH_MAX], path[PATH_MAX], why[256];
	bool found;
	size_t at;
	int r;

	if (!vm_id_is_valid(id)) {
		log_warning("Ignoring %s/%s: not a VM id", s->layout->vms_dir, id);
		return 0;
	}
	r = layout_vm_dir(s->layout, id, dir, sizeof(dir));
	r = r ?: layout_vm_file(s->layout, id, "vm.json", path, sizeof(path));
	if (r < 0)
		return 0;
	remove_stale_tmp(s, dir, "vm.json");
	r = load_record(s, path, vm_json_migrate, VM_SCHEMA_VERSION, &o);
	if (r != 0)
		return r < 0 ? r : 0;
	vm = malloc(sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	r = vm_from_json(o, vm, why, sizeof(why));
	if (r < 0) {
		quarantine(s, path, why);
		return 0;
	}
	if (!streq(vm->id, id)) {
		quarantine(s, path, "its id does not match its directory");
		return 0;
	}
	at = vm_bisect(s, vm->name, &found);
	if (found) {
		log_error("Record %s names VM \"%s\", which %s already uses; not loaded", path,
			vm->name, s->vms[at]->id);
		s->n_refused++;
		return 0;
	}
	r = array_insert((void ***)&s->vms, &s->n_vms, &s->cap_vms, vm, at);
	if (r < 0)
		return r;
	TAKE_PTR(vm);
	return 0;
}

static int load_image_dir(struct store *s, const char *name)
{
	_cleanup_json_ json_t *o = NULL;
	_cleanup_free_ struct image *img = NULL;
	char dir[PATH_MAX], path[PATH_MAX], why[256];
	bool found;
	size_t at;
	int r;

	if (!vm_name_is_valid(name)) {
		log_warning("Ignoring %s/%s: not an image name", s->layout->images_dir, name);
		return 0;
	}
	r = layout_image_dir(s->layout, name, dir, sizeof(dir));
	if (r < 0 || snprintf(path, sizeof(path), "%s/image.json", dir) >= (int)sizeof(path))
		return 0;
	remove_stale_tmp(s, dir, "image.json");
	r = load_record(s, path, image_json_migrate, IMAGE_SCHEMA_VERSION, &o);
	if (r != 0)
		return r < 0 ? r : 0;
	img = malloc(sizeof(*img));
	if (!img)
		return -ENOMEM;
	r = image_from_json(o, img, why, sizeof(why));
	if (r < 0) {
		quarantine(s, path, why);
		return 0;
	}
	if (!streq(img->name, name)) {
		quarantine(s, path, "its name does not match its directory");
		return 0;
	}
	at = image_bisect(s, img->name, &found);
	r = array_insert((void ***)&s->images, &s->n_images, &s->cap_images, img, at);
	if (r < 0)
		return r;
	TAKE_PTR(img);
	return 0;
}

static int load_dir(struct store *s, const char *path, int (*one)(struct store *, const char *))
{
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;
	int r;

	r = mkdir_parents(path, 0700);
	if (r < 0)
		return log_error_errno(r, "Failed to create %s: %m", path);
	d = opendir(path);
	if (!d)
		return log_error_errno(negative_errno(), "Failed to open %s: %m", path);
	while ((errno = 0, de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		r = one(s, de->d_name);
		if (r < 0)
			return r;
	}
	if (errno != 0)
		return log_error_errno(negative_errno(), "Failed to read %s: %m", path);
	return 0;
}

int store_load(struct store *s)
{
	int r;

	store_done(s);
	r = load_dir(s, s->layout->vms_dir, load_vm_dir);
	if (r < 0)
		return r;
	return load_dir(s, s->layout->images_dir, load_image_dir);
}

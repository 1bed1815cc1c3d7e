/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The on-disk store: one vm.json per VM and one image.json per image, loaded at start, written
 * atomically, with corrupt files quarantined and older schemas migrated. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "daemon/image.h"
#include "daemon/vm.h"

struct banger_layout;

#define STORE_RECORD_MAX (256u * 1024u) /* bytes of one record file */

struct store {
	const struct banger_layout *layout;
	struct vm **vms; /* sorted by name */
	size_t n_vms, cap_vms;
	struct image **images; /* sorted by name */
	size_t n_images, cap_images;
	/* What the last load met, for system.status and the tests. */
	unsigned n_quarantined; /* corrupt files renamed to *.corrupt */
	unsigned n_refused;     /* newer schema: left in place, not loaded */
	unsigned n_migrated;    /* older schema: rewritten in the current one */
	unsigned n_stale_tmp;   /* leftovers of interrupted writes, removed */
};

void store_init(struct store *s, const struct banger_layout *layout);
void store_done(struct store *s);

/* Creates the state directories and reads every record. A bad record never fails the load: it
 * is logged and quarantined (or, when newer, refused and left alone). -errno only when the
 * directories themselves cannot be used. */
int store_load(struct store *s);

struct vm *store_vm_by_name(const struct store *s, const char *name);
struct vm *store_vm_by_id(const struct store *s, const char *id);
/* Writes vms/<id>/vm.json (creating the directory) and, for a new record, takes ownership and
 * inserts it. On failure a new vm is not taken. */
int store_vm_save(struct store *s, struct vm *vm);
/* Removes the record file, then the VM's directory, then forgets (and frees) vm. */
int store_vm_remove(struct store *s, struct vm *vm);
size_t store_vms_using_image(const struct store *s, const char *image);

struct image *store_image_by_name(const struct store *s, const char *name);
int store_image_save(struct store *s, struct image *img);
/* Removes images/<name>/ with the files import copied there, and forgets img. */
int store_image_remove(struct store *s, struct image *img);
/* Puts img (same name as old, its files in staging) in old's place: img's record is written into
 * staging, then staging and images/<name>/ trade places in one rename (RENAME_EXCHANGE; where
 * the filesystem has none, two renames), so a crash leaves one whole image or the other. old is
 * freed and img taken; staging then holds old's files, for the caller to remove. On failure
 * nothing changed. */
int store_image_replace(struct store *s, struct image *old, struct image *img, const char *staging);

/* Removes a directory that holds only plain files (VM and image directories). */
int remove_flat_dir(const char *dir);

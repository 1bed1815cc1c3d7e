/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The image record: kernel, optional initrd and root filesystem with their sizes and SHA-256. */
#pragma once

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#define IMAGE_SCHEMA_VERSION 1
#define SHA256_HEX_LEN 64

enum image_part {
	IMAGE_PART_KERNEL,
	IMAGE_PART_INITRD,
	IMAGE_PART_ROOTFS,
	_IMAGE_PART_MAX,
	_IMAGE_PART_INVALID = -EINVAL,
};

struct image_file {
	char path[PATH_MAX]; /* "" for an absent initrd */
	uint64_t size;
	char sha256[SHA256_HEX_LEN + 1];
};

struct image {
	char name[33];
	struct image_file part[_IMAGE_PART_MAX];
	char imported_at[32];
	/* where it came from: the OCI reference it was pulled from as given, else the directory
	 * its kernel was imported from; "" unknown */
	char source[PATH_MAX];
	char digest[72];   /* a pulled image's manifest digest, "sha256:HEX"; "" for others */
	unsigned boots_on; /* IMAGE_BOOTS_ON_* bits its recipe declared; 0: not declared */
	char boots_on_note[512];
};

/* The VMM providers an image's recipe can say it boots on ("boots_on" in its image.json). */
enum image_boots_on {
	IMAGE_BOOTS_ON_FIRECRACKER = 1u << 0,
	IMAGE_BOOTS_ON_BANGER_VMM = 1u << 1,
};

/* "kernel", "initrd", "rootfs": the record's field prefixes and import's parameter names. */
const char *image_part_to_string(enum image_part p);
/* The file name a part gets inside images/<name>/ (vmlinuz, initrd.img, rootfs.ext4). */
const char *image_part_file_name(enum image_part p);

/* Reads "boots_on" and "boots_on_note" from the image.json a recipe left next to the kernel
 * (img->source) into img; nothing when there is none. Names it does not know are ignored. */
void image_read_recipe_json(struct image *img);

/* The record, plus what its kernel's first bytes say: "kernel_format" ("elf", "bzimage" or
 * "unknown") and "providers", the VMMs that boot that format; "boots_on" and "boots_on_note" when
 * the image's recipe declared them (older records have neither). */
json_t *image_to_json(const struct image *img);
/* "sha256:" and 64 lower-case hex digits. */
bool image_digest_is_valid(const char *s);
int image_from_json(const json_t *o, struct image *ret, char *why, size_t why_size);
/* As vm_json_migrate(), for image.json. */
int image_json_migrate(json_t *o, char *why, size_t why_size);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The image record: kernel, optional initrd and root filesystem with their sizes and SHA-256. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/macro.h"
#include "daemon/image.h"
#include "protocol/jsonrpc.h"
#include "daemon/vm.h"

static const char *const part_names[_IMAGE_PART_MAX] = {
	[IMAGE_PART_KERNEL] = "kernel",
	[IMAGE_PART_INITRD] = "initrd",
	[IMAGE_PART_ROOTFS] = "rootfs",
};

static const char *const part_files[_IMAGE_PART_MAX] = {
	[IMAGE_PART_KERNEL] = "vmlinuz",
	[IMAGE_PART_INITRD] = "initrd.img",
	[IMAGE_PART_ROOTFS] = "rootfs.ext4",
};

const char *image_part_to_string(enum image_part p)
{
	return p >= 0 && p < _IMAGE_PART_MAX ? part_names[p] : NULL;
}

const char *image_part_file_name(enum image_part p)
{
	return p >= 0 && p < _IMAGE_PART_MAX ? part_files[p] : NULL;
}

/* What the kernel file is, from its first bytes: an ELF vmlinux boots on Firecracker and on
 * banger-vmm (QEMU microvm), a bzImage ("HdrS" at 0x202) on banger-vmm only. Two small reads
 * of a file the daemon wrote, so answering stays quick. */
static const char *kernel_format(const char *path)
{
	char head[4], hdrs[4];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	const char *f = "unknown";

	if (fd < 0)
		return f;
	if (pread(fd, head, 4, 0) == 4 && memcmp(head, "\177ELF", 4) == 0)
		f = "elf";
	else if (pread(fd, hdrs, 4, 0x202) == 4 && memcmp(hdrs, "HdrS", 4) == 0)
		f = "bzimage";
	close(fd);
	return f;
}

static const char *const boots_on_names[] = {"firecracker", "banger-vmm"};

static unsigned boots_on_from_json(const json_t *a)
{
	unsigned bits = 0;
	json_t *v;
	size_t i;

	json_array_foreach(a, i, v)
	{
		for (size_t k = 0; k < ELEMENTSOF(boots_on_names); k++)
			if (json_is_string(v) && streq(json_string_value(v), boots_on_names[k]))
				bits |= 1u << k;
	}
	return bits;
}

static void boots_on_from_object(const json_t *o, struct image *img)
{
	const char *note = json_string_value(json_object_get(o, "boots_on_note"));

	img->boots_on = boots_on_from_json(json_object_get(o, "boots_on"));
	snprintf(img->boots_on_note, sizeof(img->boots_on_note), "%s",
		img->boots_on && note ? note : "");
}

#define RECIPE_JSON_MAX (64 * 1024)

void image_read_recipe_json(struct image *img)
{
	_cleanup_json_ json_t *o = NULL;
	char path[PATH_MAX + 16];
	json_error_t e;
	struct stat st;
	int fd;

	/* a directory (an import's); a pulled image's source is its OCI reference */
	if (img->source[0] != '/' ||
		snprintf(path, sizeof(path), "%s/image.json", img->source) >= (int)sizeof(path))
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return;
	/* a small regular file, read at once: anything else is not a recipe's image.json */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= RECIPE_JSON_MAX)
		o = json_loadfd(fd, JSON_REJECT_DUPLICATES, &e);
	close(fd);
	if (json_is_object(o))
		boots_on_from_object(o, img);
}

json_t *image_to_json(const struct image *img)
{
	const char *fmt = kernel_format(img->part[IMAGE_PART_KERNEL].path);
	json_t *o = json_pack("{s:s, s:s, s:i, s:s?, s:s?, s:s, s:[]}", "name", img->name,
		"imported_at", img->imported_at, "schema_version", IMAGE_SCHEMA_VERSION, "source",
		img->source[0] ? img->source : NULL, "digest", img->digest[0] ? img->digest : NULL,
		"kernel_format", fmt, "providers");
	char key[32];

	if (!o)
		return NULL;
	if (streq(fmt, "elf"))
		json_array_append_new(json_object_get(o, "providers"), json_string("firecracker"));
	if (!streq(fmt, "unknown"))
		json_array_append_new(json_object_get(o, "providers"), json_string("banger-vmm"));
	if (img->boots_on) {
		json_t *a = json_array();

		for (size_t k = 0; a && k < ELEMENTSOF(boots_on_names); k++)
			if (img->boots_on & (1u << k))
				json_array_append_new(a, json_string(boots_on_names[k]));
		if (!a || json_object_set_new(o, "boots_on", a) < 0 ||
			json_object_set_new(o, "boots_on_note", json_string(img->boots_on_note)) <
				0) {
			json_decref(o);
			return NULL;
		}
	}
	for (int p = 0; p < _IMAGE_PART_MAX; p++) {
		const struct image_file *f = &img->part[p];
		bool present = f->path[0] != '\0';
		int r = 0;

		r |= json_object_set_new(
			o, part_names[p], present ? json_string(f->path) : json_null());
		snprintf(key, sizeof(key), "%s_size", part_names[p]);
		r |= json_object_set_new(
			o, key, present ? json_integer((json_int_t)f->size) : json_null());
		snprintf(key, sizeof(key), "%s_sha256", part_names[p]);
		r |= json_object_set_new(o, key, present ? json_string(f->sha256) : json_null());
		if (r) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

static bool sha256_hex_is_valid(const char *s)
{
	size_t n;

	for (n = 0; s[n]; n++)
		if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
			return false;
	return n == SHA256_HEX_LEN;
}

bool image_digest_is_valid(const char *s)
{
	return s && strncmp(s, "sha256:", 7) == 0 && sha256_hex_is_valid(s + 7);
}

int image_from_json(const json_t *o, struct image *ret, char *why, size_t why_size)
{
	struct image img = {};
	const char *name, *at;
	char key[32];

	if (!json_is_object(o)) {
		snprintf(why, why_size, "the record is not an object");
		return -EBADMSG;
	}
	name = json_string_value(json_object_get(o, "name"));
	at = json_string_value(json_object_get(o, "imported_at"));
	if (!name || !vm_name_is_valid(name)) {
		snprintf(why, why_size, "field \"name\" is missing or not a valid image name");
		return -EBADMSG;
	}
	if (!at || strlen(at) >= sizeof(img.imported_at)) {
		snprintf(why, why_size, "field \"imported_at\" is missing or malformed");
		return -EBADMSG;
	}
	strcpy(img.name, name);
	strcpy(img.imported_at, at);
	if (json_is_string(json_object_get(o, "source")) &&
		json_string_length(json_object_get(o, "source")) < sizeof(img.source))
		strcpy(img.source, json_string_value(json_object_get(o, "source")));
	/* optional: only pulled images have one, and records from before it have none */
	if (json_is_string(json_object_get(o, "digest"))) {
		const char *dg = json_string_value(json_object_get(o, "digest"));
		if (!image_digest_is_valid(dg)) {
			snprintf(why, why_size, "field \"digest\" is not sha256:HEX");
			return -EBADMSG;
		}
		strcpy(img.digest, dg);
	}
	/* optional: records written before recipes declared it have none */
	boots_on_from_object(o, &img);
	for (int p = 0; p < _IMAGE_PART_MAX; p++) {
		struct image_file *f = &img.part[p];
		json_t *path = json_object_get(o, part_names[p]), *size, *sha;

		if (json_is_null(path) || !path) {
			if (p == IMAGE_PART_INITRD)
				continue;
			snprintf(why, why_size, "field \"%s\" is missing", part_names[p]);
			return -EBADMSG;
		}
		snprintf(key, sizeof(key), "%s_size", part_names[p]);
		size = json_object_get(o, key);
		snprintf(key, sizeof(key), "%s_sha256", part_names[p]);
		sha = json_object_get(o, key);
		if (!json_is_string(path) || json_string_length(path) >= sizeof(f->path) ||
			json_string_value(path)[0] != '/' || !json_is_integer(size) ||
			json_integer_value(size) < 0 || !json_is_string(sha) ||
			!sha256_hex_is_valid(json_string_value(sha))) {
			snprintf(why, why_size, "the \"%s\" path, size or sha256 is malformed",
				part_names[p]);
			return -EBADMSG;
		}
		strcpy(f->path, json_string_value(path));
		f->size = (uint64_t)json_integer_value(size);
		strcpy(f->sha256, json_string_value(sha));
	}
	*ret = img;
	return 0;
}

int image_json_migrate(json_t *o, char *why, size_t why_size)
{
	json_t *v = json_object_get(o, "schema_version");
	json_int_t from;

	/* Image records have carried schema_version since the first release: no older form. */
	if (!json_is_integer(v) || json_integer_value(v) < 1) {
		snprintf(why, why_size,
			"field \"schema_version\" is missing or not a version number");
		return -EBADMSG;
	}
	from = json_integer_value(v);
	if (from > IMAGE_SCHEMA_VERSION) {
		snprintf(why, why_size,
			"written by a newer banger (schema_version %lld, this daemon knows up to "
			"%d)",
			(long long)from, IMAGE_SCHEMA_VERSION);
		return -EPROTONOSUPPORT;
	}
	return (int)from;
}

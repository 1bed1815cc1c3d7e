/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* image.import's work: copying kernel, initrd and rootfs into images/<name>/ and hashing them,
 * a chunk per loop iteration so a large rootfs never stalls other clients. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/log.h"
#include "common/macro.h"
#include "daemon/daemon.h"
#include "daemon/import.h"
#include "daemon/rpc.h"
#include "daemon/store.h"

#define IMPORT_CHUNK (1024u * 1024u)
#define IMPORT_HOLE_BLOCK (64u * 1024u) /* zero blocks of this size become holes */

struct import_job {
	struct daemon *d;
	struct import_job *next;
	struct rpc_call *call;
	sd_event_source *defer;
	struct image img;
	char staging[PATH_MAX]; /* images/.<name>.import */
	char final[PATH_MAX];   /* images/<name> */
	int fds[_IMAGE_PART_MAX];
	int part;   /* being copied */
	int out_fd; /* its copy */
	EVP_MD_CTX *md;
	uint64_t done;
	char *buf;
	uint64_t total, total_done; /* bytes of every part, for image.import_progress */
	uint64_t last_progress;     /* CLOCK_MONOTONIC µs of the last one */
	bool replace;               /* an image of this name stays until this one is whole */
};

#define IMPORT_PROGRESS_USEC (250u * 1000u)

static void import_progress(struct import_job *j)
{
	uint64_t now;

	if (sd_event_now(j->d->event, CLOCK_MONOTONIC, &now) < 0 ||
		now - j->last_progress < IMPORT_PROGRESS_USEC)
		return;
	j->last_progress = now;
	daemon_publish(j->d, "image.import_progress",
		json_pack("{s:s, s:s, s:I, s:I}", "name", j->img.name, "part",
			image_part_to_string(j->part), "done_bytes", (json_int_t)j->total_done,
			"total_bytes", (json_int_t)j->total));
}

bool import_running(const struct daemon *d, const char *name)
{
	for (struct import_job *j = d->imports; j; j = j->next)
		if (streq(j->img.name, name))
			return true;
	return false;
}

static void import_free(struct import_job *j)
{
	struct import_job **p;

	for (p = &j->d->imports; *p; p = &(*p)->next)
		if (*p == j) {
			*p = j->next;
			break;
		}
	sd_event_source_disable_unref(j->defer);
	for (int i = 0; i < _IMAGE_PART_MAX; i++)
		safe_close(j->fds[i]);
	safe_close(j->out_fd);
	EVP_MD_CTX_free(j->md);
	free(j->buf);
	free(j);
}

static void import_fail_code(
	struct import_job *j, int r, enum rpc_error_code code, const char *fmt, ...) _printf_(4, 5);
static void import_fail_code(
	struct import_job *j, int r, enum rpc_error_code code, const char *fmt, ...)
{
	struct rpc_error e;
	va_list ap;

	va_start(ap, fmt);
	rpc_error_setv(&e, r, code, fmt, ap);
	va_end(ap);
	log_error_errno(r, "Import of image \"%s\" failed: %s", j->img.name, e.message);
	(void)remove_flat_dir(j->staging);
	if (j->call)
		rpc_call_fail(TAKE_PTR(j->call), &e);
	import_free(j);
}

#define import_fail(j, r, ...) import_fail_code(j, r, RPC_ERROR_INTERNAL, __VA_ARGS__)

/* The next part to copy, opening its target and digest. 1 when every part is done. */
static int import_next_part(struct import_job *j)
{
	char path[PATH_MAX];

	while (++j->part < _IMAGE_PART_MAX && j->fds[j->part] < 0)
		;
	if (j->part >= _IMAGE_PART_MAX)
		return 1;
	if (snprintf(path, sizeof(path), "%s/%s", j->staging, image_part_file_name(j->part)) >=
		(int)sizeof(path))
		return -ENAMETOOLONG;
	j->out_fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (j->out_fd < 0)
		return negative_errno();
	if (EVP_DigestInit_ex(j->md, EVP_sha256(), NULL) != 1)
		return -EIO;
	j->done = 0;
	return 0;
}

static bool all_zero(const char *buf, size_t n)
{
	return n == 0 || (buf[0] == 0 && memcmp(buf, buf + 1, n - 1) == 0);
}

/* Ends the current part: sparse tail, fsync, digest into the record. */
static int import_finish_part(struct import_job *j)
{
	struct image_file *f = &j->img.part[j->part];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (ftruncate(j->out_fd, (off_t)j->done) < 0 || fsync(j->out_fd) < 0)
		return negative_errno();
	j->out_fd = safe_close(j->out_fd);
	j->fds[j->part] = safe_close(j->fds[j->part]);
	if (EVP_DigestFinal_ex(j->md, md, &mdlen) != 1 || mdlen != 32)
		return -EIO;
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(f->sha256 + 2 * i, 3, "%02x", md[i]);
	f->size = j->done;
	if (snprintf(f->path, sizeof(f->path), "%s/%s", j->final, image_part_file_name(j->part)) >=
		(int)sizeof(f->path))
		return -ENAMETOOLONG;
	return 0;
}

static void import_complete(struct import_job *j)
{
	struct daemon *d = j->d;
	struct image *old = j->replace ? store_image_by_name(&d->store, j->img.name) : NULL;
	_cleanup_free_ struct image *img = NULL;
	json_t *o;
	int r;

	if (old) {
		size_t users = store_vms_using_image(&d->store, old->name);
		if (users > 0)
			return import_fail_code(j, -EBUSY, RPC_ERROR_CONFLICT,
				"Image \"%s\" came into use by %zu VM%s while its replacement was "
				"imported; it was kept as it was",
				old->name, users, users == 1 ? "" : "s");
	}
	r = fsync_parent_dir(j->staging);
	if (r >= 0 && !old && rename(j->staging, j->final) < 0)
		r = negative_errno();
	if (r < 0)
		return import_fail(j, r, "Failed to move the imported files to %s: %s", j->final,
			strerror(-r));
	img = malloc(sizeof(*img));
	if (!img)
		return import_fail(j, -ENOMEM, "Out of memory");
	*img = j->img;
	rfc3339_now(img->imported_at, sizeof(img->imported_at));
	if (old) {
		/* the new files and record take the old ones' place in one rename; the old ones
		 * are then in the staging directory */
		r = store_image_replace(&d->store, old, img, j->staging);
		if (r < 0)
			return import_fail(j, r,
				"Failed to put image \"%s\" in place of the old one: %s", img->name,
				strerror(-r));
		(void)remove_flat_dir(j->staging);
	} else {
		(void)fsync_parent_dir(j->final);
		r = store_image_save(&d->store, img);
		if (r < 0) {
			(void)remove_flat_dir(j->final);
			return import_fail(
				j, r, "Failed to save image \"%s\": %s", img->name, strerror(-r));
		}
	}
	log_info("%s image \"%s\" (rootfs %llu bytes, sha256 %s)", old ? "Replaced" : "Imported",
		img->name, (unsigned long long)img->part[IMAGE_PART_ROOTFS].size,
		img->part[IMAGE_PART_ROOTFS].sha256);
	o = image_to_json(img);
	TAKE_PTR(img);
	if (o)
		daemon_publish(d, "image.imported",
			json_pack("{s:O, s:b}", "image", o, "replaced", old != NULL));
	if (j->call)
		rpc_call_reply(TAKE_PTR(j->call), o);
	else
		json_decref(o);
	import_free(j);
}

static int import_on_defer(sd_event_source *src, void *userdata)
{
	struct import_job *j = userdata;
	ssize_t n;
	int r;

	n = read(j->fds[j->part], j->buf, IMPORT_CHUNK);
	if (n < 0) {
		if (errno == EINTR)
			return 0;
		r = negative_errno();
		import_fail(j, r, "Failed to read the %s: %s", image_part_to_string(j->part),
			strerror(-r));
		return 0;
	}
	if (n > 0) {
		if (EVP_DigestUpdate(j->md, j->buf, (size_t)n) != 1) {
			import_fail(j, -EIO, "SHA-256 computation failed");
			return 0;
		}
		/* holes stay holes: root filesystems are mostly empty */
		r = 0;
		for (size_t off = 0; off < (size_t)n && r == 0;) {
			size_t blk = MIN((size_t)IMPORT_HOLE_BLOCK, (size_t)n - off);

			if (all_zero(j->buf + off, blk)) {
				if (lseek(j->out_fd, (off_t)blk, SEEK_CUR) < 0)
					r = negative_errno();
				off += blk;
				continue;
			}
			while (blk > 0 && r == 0) {
				ssize_t w = write(j->out_fd, j->buf + off, blk);
				if (w < 0 && errno != EINTR)
					r = negative_errno();
				else if (w > 0) {
					off += (size_t)w;
					blk -= (size_t)w;
				}
			}
		}
		if (r < 0) {
			import_fail(j, r, "Failed to write the copy of the %s: %s",
				image_part_to_string(j->part), strerror(-r));
			return 0;
		}
		j->done += (uint64_t)n;
		j->total_done += (uint64_t)n;
		import_progress(j);
		return 0;
	}
	r = import_finish_part(j);
	if (r >= 0)
		r = import_next_part(j);
	if (r < 0) {
		import_fail(j, r, "Failed to store the %s: %s",
			image_part_to_string(j->part < _IMAGE_PART_MAX ? j->part : 0),
			strerror(-r));
		return 0;
	}
	if (r == 1)
		import_complete(j);
	return 0;
}

int import_start(struct daemon *d, struct rpc_call *call, const char *name,
	int fds[_IMAGE_PART_MAX], const char *source, const char *digest, bool replace)
{
	struct import_job *j = calloc(1, sizeof(*j));
	int r;

	if (!j) {
		for (int i = 0; i < _IMAGE_PART_MAX; i++)
			safe_close(fds[i]);
		return -ENOMEM;
	}
	j->d = d;
	j->replace = replace;
	j->out_fd = -1;
	j->part = -1;
	for (int i = 0; i < _IMAGE_PART_MAX; i++) {
		struct stat st;
		j->fds[i] = fds[i];
		if (fds[i] >= 0 && fstat(fds[i], &st) == 0)
			j->total += (uint64_t)st.st_size;
	}
	snprintf(j->img.name, sizeof(j->img.name), "%s", name);
	snprintf(j->img.source, sizeof(j->img.source), "%s", source ? source : "");
	snprintf(j->img.digest, sizeof(j->img.digest), "%s", digest ? digest : "");
	image_read_recipe_json(&j->img);
	/* the first report after 250 ms of copying: a small import sends none */
	(void)sd_event_now(d->event, CLOCK_MONOTONIC, &j->last_progress);
	if (snprintf(j->staging, sizeof(j->staging), "%s/.%s.import", d->layout.images_dir, name) >=
			(int)sizeof(j->staging) ||
		snprintf(j->final, sizeof(j->final), "%s/%s", d->layout.images_dir, name) >=
			(int)sizeof(j->final)) {
		for (int i = 0; i < _IMAGE_PART_MAX; i++)
			safe_close(fds[i]);
		free(j);
		return -ENAMETOOLONG;
	}
	j->next = d->imports;
	d->imports = j;

	j->md = EVP_MD_CTX_new();
	j->buf = malloc(IMPORT_CHUNK);
	if (!j->md || !j->buf) {
		import_free(j);
		return -ENOMEM;
	}
	/* leftovers of an import or a record removal a crash interrupted (a final directory with
	 * a record is the image a replacement replaces) */
	(void)remove_flat_dir(j->staging);
	if (!store_image_by_name(&d->store, name))
		(void)remove_flat_dir(j->final);
	r = mkdir_parents(d->layout.images_dir, 0700);
	if (r >= 0 && mkdir(j->staging, 0700) < 0)
		r = negative_errno();
	if (r >= 0)
		r = import_next_part(j);
	if (r >= 0)
		r = sd_event_add_defer(d->event, &j->defer, import_on_defer, j);
	if (r >= 0)
		r = sd_event_source_set_priority(j->defer, SD_EVENT_PRIORITY_IDLE);
	if (r >= 0)
		r = sd_event_source_set_enabled(j->defer, SD_EVENT_ON);
	if (r < 0) {
		(void)remove_flat_dir(j->staging);
		import_free(j);
		return r;
	}
	j->call = rpc_call_defer(call);
	if (!j->call) {
		(void)remove_flat_dir(j->staging);
		import_free(j);
		return -ENOMEM;
	}
	return 0;
}

void import_cancel_all(struct daemon *d)
{
	while (d->imports) {
		struct import_job *j = d->imports;
		(void)remove_flat_dir(j->staging);
		if (j->call) {
			struct rpc_error e;
			rpc_error_set(&e, -ECANCELED, RPC_ERROR_UNAVAILABLE,
				"bangerd is stopping; the import of \"%s\" was abandoned",
				j->img.name);
			rpc_call_fail(TAKE_PTR(j->call), &e);
		}
		import_free(j);
	}
}

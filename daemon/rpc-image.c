/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* image.import, image.list, image.get, image.delete. */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "common/log.h"
#include "common/macro.h"
#include "daemon/daemon.h"
#include "daemon/import.h"
#include "daemon/rpc.h"

static int image_lookup(
	struct daemon *d, const char *name, struct image **ret, struct rpc_error *err)
{
	struct image *img;

	img = store_image_by_name(&d->store, name);
	if (!img)
		return rpc_error_set(
			err, -ENOENT, RPC_ERROR_NOT_FOUND, "Image \"%s\" not found", name);
	*ret = img;
	return 0;
}

/* Opens one input file (an absolute path, the schema checked; NULL: none) the way the daemon
 * will read it, so every refusal happens before any work starts. */
static int open_input(enum image_part part, const char *path, int *ret_fd, struct rpc_error *err)
{
	const char *key = image_part_to_string(part);
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r;

	if (!path) {
		*ret_fd = -1;
		return 0;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = negative_errno();
		return rpc_error_set(err, r,
			r == -ENOENT                    ? RPC_ERROR_NOT_FOUND
			: (r == -EACCES || r == -EPERM) ? RPC_ERROR_PERMISSION_DENIED
							: RPC_ERROR_INVALID_ARGUMENT,
			"Cannot open the %s %s: %s", key, path, strerror(-r));
	}
	if (fstat(fd, &st) < 0)
		return negative_errno();
	if (!S_ISREG(st.st_mode))
		return rpc_error_set(err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT,
			"The %s %s is not a regular file", key, path);
	if (st.st_size == 0)
		return rpc_error_set(
			err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT, "The %s %s is empty", key, path);
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int rpc_image_import(struct rpc_call *call, const struct rpc_image_import_args *args,
	json_t **ret_result, struct rpc_error *err)
{
	struct daemon *d = call->d;
	const char *paths[_IMAGE_PART_MAX] = {
		[IMAGE_PART_KERNEL] = args->kernel,
		[IMAGE_PART_INITRD] = args->initrd,
		[IMAGE_PART_ROOTFS] = args->rootfs,
	};
	int fds[_IMAGE_PART_MAX] = {-1, -1, -1};
	const char *name = args->name;
	struct image *old = store_image_by_name(&d->store, name);
	int r;

	if (import_running(d, name))
		return rpc_error_set(err, -EEXIST, RPC_ERROR_CONFLICT,
			"An image named \"%s\" is being imported", name);
	if (old && !args->replace)
		return rpc_error_set(err, -EEXIST, RPC_ERROR_CONFLICT,
			"An image named \"%s\" already exists", name);
	if (old) {
		size_t users = store_vms_using_image(&d->store, name);
		if (users > 0)
			return rpc_error_set(err, -EBUSY, RPC_ERROR_CONFLICT,
				"Image \"%s\" is used by %zu VM%s; it cannot be replaced until %s "
				"deleted",
				name, users, users == 1 ? "" : "s",
				users == 1 ? "it is" : "they are");
	}
	if (args->digest && !image_digest_is_valid(args->digest))
		return rpc_error_set(err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT,
			"The digest \"%s\" is not sha256: and 64 hex digits", args->digest);
	for (int p = 0; p < _IMAGE_PART_MAX; p++) {
		r = open_input(p, paths[p], &fds[p], err);
		if (r < 0) {
			for (int i = 0; i < p; i++)
				safe_close(fds[i]);
			return r;
		}
	}
	log_info("Importing image \"%s\"", name);
	{
		/* the directory the kernel came from: where the image was built or fetched */
		const char *kernel = args->kernel;
		const char *slash = kernel ? strrchr(kernel, '/') : NULL;
		char source[PATH_MAX];
		snprintf(source, sizeof(source), "%.*s", slash ? (int)MAX(slash - kernel, 1) : 0,
			kernel ? kernel : "");
		/* a pulled image says where it came from: the OCI reference */
		if (args->source)
			snprintf(source, sizeof(source), "%s", args->source);
		r = import_start(d, call, name, fds, source, args->digest, args->replace);
	}
	if (r < 0)
		return rpc_error_set(err, r, RPC_ERROR_INTERNAL,
			"Failed to start importing \"%s\": %s", name, strerror(-r));
	return RPC_REPLY_LATER;
}

int rpc_image_list(struct rpc_call *call, const struct rpc_image_list_args *args,
	json_t **ret_result, struct rpc_error *err)
{
	*ret_result = json_pack("{s:o}", "images", daemon_images_json(call->d));
	return *ret_result ? 0 : -ENOMEM;
}

int rpc_image_get(struct rpc_call *call, const struct rpc_image_get_args *args, json_t **ret_result,
	struct rpc_error *err)
{
	struct image *img = NULL;
	int r;

	r = image_lookup(call->d, args->name, &img, err);
	if (r < 0)
		return r;
	*ret_result = image_to_json(img);
	return *ret_result ? 0 : -ENOMEM;
}

int rpc_image_delete(struct rpc_call *call, const struct rpc_image_delete_args *args,
	json_t **ret_result, struct rpc_error *err)
{
	struct daemon *d = call->d;
	char name[sizeof(((struct image *)0)->name)];
	struct image *img = NULL;
	size_t users;
	int r;

	r = image_lookup(d, args->name, &img, err);
	if (r < 0)
		return r;
	users = store_vms_using_image(&d->store, img->name);
	if (users > 0)
		return rpc_error_set(err, -EBUSY, RPC_ERROR_CONFLICT,
			"Image \"%s\" is used by %zu VM%s; delete %s first", img->name, users,
			users == 1 ? "" : "s", users == 1 ? "it" : "them");
	strcpy(name, img->name);
	r = store_image_remove(&d->store, img);
	if (r < 0)
		return rpc_error_set(err, r, RPC_ERROR_INTERNAL,
			"Failed to delete image \"%s\": %s", name, strerror(-r));
	log_info("Deleted image \"%s\"", name);
	daemon_publish(d, "image.deleted", json_pack("{s:s}", "name", name));
	*ret_result = json_pack("{s:s}", "name", name);
	return *ret_result ? 0 : -ENOMEM;
}

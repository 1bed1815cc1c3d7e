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
#include "protocol/jsonrpc.h"

static int image_lookup(
        struct daemon *d, const json_t *params, struct image **ret, struct rpc_error *err)
{
	static const char *const keys[] = {"name", NULL};
	const char *name = NULL;
	struct image *img;
	int r;

	r = rpc_params_check_keys(params, keys, err);
	r = r ?: rpc_param_string(params, "name", true, &name, err);
	if (r < 0)
		return r;
	img = store_image_by_name(&d->store, name);
	if (!img)
		return rpc_error_set(
		        err, -ENOENT, RPC_ERROR_NOT_FOUND, "Image \"%s\" not found", name);
	*ret = img;
	return 0;
}

/* Opens one input file the way the daemon will read it, so every refusal happens before any
 * work starts. */
static int open_input(const json_t *params, enum image_part part, bool required, int *ret_fd,
        struct rpc_error *err)
{
	const char *key = image_part_to_string(part), *path = NULL;
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r;

	r = rpc_param_string(params, key, required, &path, err);
	if (r < 0)
		return r;
	if (!path) {
		*ret_fd = -1;
		return 0;
	}
	if (path[0] != '/')
		return rpc_error_set(err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT,
		        "The %s path \"%s\" must be absolute", key, path);
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

int rpc_image_import(
        struct rpc_call *call, json_t *params, json_t **ret_result, struct rpc_error *err)
{
	static const char *const keys[] = {"name", "kernel", "initrd", "rootfs", NULL};
	struct daemon *d = call->d;
	int fds[_IMAGE_PART_MAX] = {-1, -1, -1};
	const char *name = NULL;
	int r;

	r = rpc_params_check_keys(params, keys, err);
	r = r ?: rpc_param_string(params, "name", true, &name, err);
	if (r < 0)
		return r;
	if (!vm_name_is_valid(name))
		return rpc_error_set(err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT,
		        "Invalid image name \"%.64s\": use 1-32 characters, a-z, 0-9 and '-', "
		        "starting with a letter",
		        name);
	if (store_image_by_name(&d->store, name) || import_running(d, name))
		return rpc_error_set(err, -EEXIST, RPC_ERROR_CONFLICT,
		        "An image named \"%s\" already exists", name);
	for (int p = 0; p < _IMAGE_PART_MAX; p++) {
		r = open_input(params, p, p != IMAGE_PART_INITRD, &fds[p], err);
		if (r < 0) {
			for (int i = 0; i < p; i++)
				safe_close(fds[i]);
			return r;
		}
	}
	log_info("Importing image \"%s\"", name);
	{
		/* the directory the kernel came from: where the image was built or fetched */
		const char *kernel = json_string_value(json_object_get(params, "kernel"));
		const char *slash = kernel ? strrchr(kernel, '/') : NULL;
		char source[PATH_MAX];
		snprintf(source, sizeof(source), "%.*s", slash ? (int)MAX(slash - kernel, 1) : 0,
		        kernel ? kernel : "");
		r = import_start(d, call, name, fds, source);
	}
	if (r < 0)
		return rpc_error_set(err, r, RPC_ERROR_INTERNAL,
		        "Failed to start importing \"%s\": %s", name, strerror(-r));
	return RPC_REPLY_LATER;
}

int rpc_image_list(
        struct rpc_call *call, json_t *params, json_t **ret_result, struct rpc_error *err)
{
	static const char *const keys[] = {NULL};
	int r;

	r = rpc_params_check_keys(params, keys, err);
	if (r < 0)
		return r;
	*ret_result = json_pack("{s:o}", "images", daemon_images_json(call->d));
	return *ret_result ? 0 : -ENOMEM;
}

int rpc_image_get(struct rpc_call *call, json_t *params, json_t **ret_result, struct rpc_error *err)
{
	struct image *img;
	int r;

	r = image_lookup(call->d, params, &img, err);
	if (r < 0)
		return r;
	*ret_result = image_to_json(img);
	return *ret_result ? 0 : -ENOMEM;
}

int rpc_image_delete(
        struct rpc_call *call, json_t *params, json_t **ret_result, struct rpc_error *err)
{
	struct daemon *d = call->d;
	char name[sizeof(((struct image *)0)->name)];
	struct image *img;
	size_t users;
	int r;

	r = image_lookup(d, params, &img, err);
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

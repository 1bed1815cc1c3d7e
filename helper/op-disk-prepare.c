/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* disk.prepare: the per-VM copy-on-write root disk from the base image descriptor and the
 * per-VM disk descriptor: dm-snapshot over two loop devices when device-mapper works, else a
 * reflink clone, else a sparse copy. Answers which strategy ran and what to hand to the VMM.
 * Security: both files arrive as descriptors the owner opened and are checked with fstat (regular,
 * owner's, one link, base readable, disk read-write, not the same file); the helper never opens a
 * path from the request. The disk must be empty (unless "reattach" sets a dm-snapshot up again
 * over the COW of an earlier start), so nothing the owner had in it is overwritten
 * by surprise. The dm name is banger-<vm id> with a validated id. On failure the disk is
 * truncated back to empty, loop devices (autoclear) go away with their last descriptor, and a
 * dm device this call created is removed. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/macro.h"
#include "helper/clone.h"
#include "helper/dm.h"
#include "helper/fdcheck.h"
#include "helper/helper.h"
#include "helper/loop.h"
#include "helper/ops.h"
#include "helper/validate.h"

int op_disk_prepare_validate(const struct helper_request *req, struct rpc_error *err)
{
	json_t *s = json_object_get(req->params, "strategy");

	if (req->n_fds != 2 || helper_request_fd(req, "base") < 0 ||
		helper_request_fd(req, "disk") < 0)
		return rpc_error_set(err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT,
			"disk.prepare takes exactly the descriptors \"base\" and \"disk\"");
	if (json_is_true(json_object_get(req->params, "reattach")) &&
		!(s && streq(json_string_value(s), "dm-snapshot")))
		return rpc_error_set(err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT,
			"\"reattach\" is only for strategy \"dm-snapshot\" (a file disk is used as "
			"it is)");
	return 0;
}

static int prepare_dm(const struct helper_request *req, int base, const struct stat *bst, int disk,
	bool reattach, json_t **ret_result, struct rpc_error *err)
{
	json_t *c = json_object_get(req->params, "cow_size_mib");
	off_t cow = c ? (off_t)json_integer_value(c) * 1024 * 1024 : bst->st_size;
	_cleanup_close_ int base_loop = -1, cow_loop = -1;
	char base_dev[32], cow_dev[32], name[80], dev[96];
	int r;

	if (bst->st_size == 0 || bst->st_size % 512)
		return rpc_error_set(err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT,
			"The base image size (%lld bytes) is not a non-zero multiple of 512",
			(long long)bst->st_size);
	/* a reattached COW keeps its size and its exceptions: the persistent store reloads them */
	if (!reattach && ftruncate(disk, cow) < 0)
		return rpc_error_set(err, negative_errno(), RPC_ERROR_INTERNAL,
			"Failed to size the COW file: %m");
	base_loop = loop_attach(base, true, base_dev, sizeof(base_dev), err);
	if (base_loop < 0)
		return base_loop;
	cow_loop = loop_attach(disk, false, cow_dev, sizeof(cow_dev), err);
	if (cow_loop < 0)
		return cow_loop;
	snprintf(name, sizeof(name), HELPER_DM_PREFIX "%s", req->vm_id);
	r = dm_snapshot_create(name, base_dev, cow_dev, (uint64_t)bst->st_size / 512, err);
	if (r < 0)
		return r;
	snprintf(dev, sizeof(dev), "/dev/mapper/%s", name);
	*ret_result = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "strategy", "dm-snapshot", "kind",
		"block", "device", dev, "base_loop", base_dev, "cow_loop", cow_dev, "size",
		(json_int_t)bst->st_size);
	if (!*ret_result) {
		bool removed;
		(void)dm_remove(name, &removed, NULL);
		return -ENOMEM;
	}
	/* The snapshot holds both loop devices now; closing ours arms autoclear. */
	return 0;
}

int op_disk_prepare_run(const struct helper_ctx *ctx, const struct helper_request *req,
	json_t **ret_result, struct rpc_error *err)
{
	json_t *s = json_object_get(req->params, "strategy");
	const char *want = s ? json_string_value(s) : "auto";
	bool reattach = json_is_true(json_object_get(req->params, "reattach"));
	struct stat bst, dst;
	int base, disk, r;

	r = request_owner_file(ctx, req, "base", FD_ACCESS_READ, &base, &bst, err);
	if (r < 0)
		return r;
	r = request_owner_file(ctx, req, "disk", FD_ACCESS_READ_WRITE, &disk, &dst, err);
	if (r < 0)
		return r;
	if (bst.st_dev == dst.st_dev && bst.st_ino == dst.st_ino)
		return rpc_error_set(err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT,
			"\"base\" and \"disk\" are the same file");
	if (reattach) {
		/* A stopped VM's COW from its earlier start: set up the snapshot over it again.
		 * Never truncated here, not even on failure: it holds the guest's changes. */
		if (dst.st_size == 0)
			return rpc_error_set(err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT,
				"\"reattach\" needs the COW of an earlier start, and the disk is "
				"empty");
		if (!dm_available())
			return rpc_error_set(err, -ENODEV, RPC_ERROR_UNAVAILABLE,
				"dm-snapshot is unavailable: /dev/mapper/control cannot be opened");
		return prepare_dm(req, base, &bst, disk, true, ret_result, err);
	}
	if (dst.st_size != 0)
		return rpc_error_set(err, -EEXIST, RPC_ERROR_CONFLICT,
			"The per-VM disk is not empty (%lld bytes); refusing to overwrite it",
			(long long)dst.st_size);

	if (streq(want, "dm-snapshot") || (streq(want, "auto") && dm_available())) {
		if (!dm_available())
			return rpc_error_set(err, -ENODEV, RPC_ERROR_UNAVAILABLE,
				"dm-snapshot is unavailable: /dev/mapper/control cannot be opened");
		r = prepare_dm(req, base, &bst, disk, false, ret_result, err);
		goto done;
	}
	if (streq(want, "reflink") || streq(want, "auto")) {
		r = clone_reflink(base, disk, err);
		if (r >= 0) {
			*ret_result = json_pack("{s:s, s:s, s:n, s:I}", "strategy", "reflink",
				"kind", "file", "device", "size", (json_int_t)bst.st_size);
			r = *ret_result ? 0 : -ENOMEM;
			goto done;
		}
		if (r != -EOPNOTSUPP || streq(want, "reflink")) {
			if (r == -EOPNOTSUPP)
				rpc_error_set(err, r, RPC_ERROR_UNAVAILABLE,
					"reflink is unavailable: the filesystem cannot share "
					"extents between these files");
			goto done;
		}
	}
	r = clone_sparse_copy(base, disk, err);
	if (r >= 0) {
		*ret_result = json_pack("{s:s, s:s, s:n, s:I}", "strategy", "sparse-copy", "kind",
			"file", "device", "size", (json_int_t)bst.st_size);
		r = *ret_result ? 0 : -ENOMEM;
	}
done:
	if (r < 0)
		(void)!ftruncate(disk, 0);
	return r;
}

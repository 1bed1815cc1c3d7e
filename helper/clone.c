/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* File-to-file copies between descriptors: reflink (FICLONE) and sparse copy. */
#define _GNU_SOURCE 1
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/macro.h"
#include "helper/clone.h"

int clone_reflink(int src, int dst, struct rpc_error *err)
{
	if (ioctl(dst, FICLONE, src) >= 0)
		return 0;
	/* EXDEV: different filesystems; EOPNOTSUPP/EINVAL/ENOTTY: no reflinks here. */
	if (errno == EOPNOTSUPP || errno == EXDEV || errno == EINVAL || errno == ENOTTY ||
		errno == ENOSYS)
		return -EOPNOTSUPP;
	return rpc_error_set(err, negative_errno(), RPC_ERROR_INTERNAL, "Failed to reflink: %m");
}

static int copy_range(int src, int dst, off_t off, off_t end, struct rpc_error *err)
{
	_cleanup_free_ char *buf = NULL; /* per call: copies run on several threads at once */
	const size_t buf_size = 1 << 16;
	bool use_cfr = true;

	while (off < end) {
		size_t want = (size_t)MIN(end - off, (off_t)1 << 30);
		ssize_t n;

		if (use_cfr) {
			loff_t in = off, out = off;
			n = copy_file_range(src, &in, dst, &out, want, 0);
			if (n < 0 && (errno == EXDEV || errno == EOPNOTSUPP || errno == ENOSYS ||
					     errno == EINVAL)) {
				use_cfr = false;
				continue;
			}
		} else {
			if (!buf && !(buf = malloc(buf_size)))
				return rpc_error_set(err, -ENOMEM, RPC_ERROR_INTERNAL,
					"Failed to copy: out of memory");
			n = pread(src, buf, MIN(want, buf_size), off);
			if (n > 0) {
				ssize_t w = 0;
				while (w < n) {
					ssize_t k = pwrite(dst, buf + w, (size_t)(n - w), off + w);
					if (k < 0)
						return rpc_error_set(err, negative_errno(),
							RPC_ERROR_INTERNAL,
							"Failed to write the copy: %m");
					w += k;
				}
			}
		}
		if (n < 0)
			return rpc_error_set(
				err, negative_errno(), RPC_ERROR_INTERNAL, "Failed to copy: %m");
		if (n == 0)
			return rpc_error_set(err, -EIO, RPC_ERROR_INTERNAL,
				"Failed to copy: the source shrank while copying");
		off += n;
	}
	return 0;
}

int clone_sparse_copy(int src, int dst, struct rpc_error *err)
{
	struct stat st;
	off_t off = 0;
	int r;

	if (fstat(src, &st) < 0)
		return rpc_error_set(
			err, negative_errno(), RPC_ERROR_INTERNAL, "Failed to stat: %m");
	if (ftruncate(dst, st.st_size) < 0)
		return rpc_error_set(
			err, negative_errno(), RPC_ERROR_INTERNAL, "Failed to size the copy: %m");
	while (off < st.st_size) {
		off_t data = lseek(src, off, SEEK_DATA), hole;
		if (data < 0 && errno == ENXIO)
			break; /* only a hole remains */
		if (data < 0) {
			/* No SEEK_DATA on this filesystem: everything is data. */
			data = off;
			hole = st.st_size;
		} else {
			hole = lseek(src, data, SEEK_HOLE);
			if (hole < 0)
				hole = st.st_size;
		}
		r = copy_range(src, dst, data, hole, err);
		if (r < 0)
			return r;
		off = hole;
	}
	return 0;
}

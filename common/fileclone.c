/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reflink-or-sparse copies: FICLONE first; where the filesystem refuses it (another filesystem,
 * no shared extents), the data ranges SEEK_DATA/SEEK_HOLE report are copied with
 * copy_file_range (read/write where that is refused too), and the size is set, so holes stay. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fileclone.h"
#include "common/macro.h"

static int copy_range_rw(int src, int dst, off_t off, off_t len)
{
	char buf[64 * 1024];

	while (len > 0) {
		ssize_t n = pread(src, buf, (size_t)MIN((off_t)sizeof(buf), len), off);
		ssize_t w;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO; /* shrank under us */
		for (ssize_t done = 0; done < n; done += w) {
			w = pwrite(dst, buf + done, (size_t)(n - done), off + done);
			if (w < 0) {
				if (errno == EINTR) {
					w = 0;
					continue;
				}
				return -errno;
			}
		}
		off += n;
		len -= n;
	}
	return 0;
}

static int copy_range(int src, int dst, off_t off, off_t len)
{
	while (len > 0) {
		loff_t in = off, out = off;
		ssize_t n = copy_file_range(src, &in, dst, &out, (size_t)len, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EXDEV || errno == EINVAL || errno == ENOSYS ||
				errno == EOPNOTSUPP)
				return copy_range_rw(src, dst, off, len);
			return -errno;
		}
		if (n == 0)
			return -EIO;
		off += n;
		len -= n;
	}
	return 0;
}

int file_clone_fd(int src, int dst, bool *ret_reflinked)
{
	struct stat st;
	off_t data, hole;
	int k;

	if (fstat(src, &st) < 0)
		return -errno;
	if (ioctl(dst, FICLONE, src) == 0) {
		*ret_reflinked = true;
		return 0;
	}
	if (errno != EOPNOTSUPP && errno != EXDEV && errno != EINVAL && errno != ENOTTY &&
		errno != EBADF && errno != ETXTBSY)
		return -errno;
	if (ftruncate(dst, 0) < 0)
		return -errno;
	for (data = 0; data < st.st_size; data = hole) {
		data = lseek(src, data, SEEK_DATA);
		if (data < 0) {
			if (errno == ENXIO)
				break; /* only a hole is left */
			return -errno;
		}
		hole = lseek(src, data, SEEK_HOLE);
		if (hole < 0)
			return -errno;
		if (hole > st.st_size)
			hole = st.st_size;
		k = copy_range(src, dst, data, hole - data);
		if (k < 0)
			return k;
	}
	if (ftruncate(dst, st.st_size) < 0)
		return -errno;
	*ret_reflinked = false;
	return 0;
}

int file_clone_path(const char *src, const char *dst, bool *ret_reflinked)
{
	_cleanup_close_ int s = -1, d = -1;
	bool reflinked = false;
	int k;

	s = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (s < 0)
		return -errno;
	d = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (d < 0)
		return -errno;
	k = file_clone_fd(s, d, &reflinked);
	if (k >= 0 && fsync(d) < 0)
		k = -errno;
	if (k < 0) {
		(void)unlink(dst);
		return k;
	}
	*ret_reflinked = reflinked;
	return 0;
}

uint64_t file_allocated_bytes(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return 0;
	return (uint64_t)st.st_blocks * 512u;
}

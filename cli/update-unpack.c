/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unpacking a release tarball (libarchive reads it) into a root-owned staging directory, refusing
 * every entry that is not a plain directory or regular file below the release's own top folder:
 * no absolute paths, no "..", no links of either kind, no devices, FIFOs or sockets, no set-id
 * bits. Files are created with openat() below a directory descriptor, O_EXCL|O_NOFOLLOW, never
 * through a path libarchive writes itself. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/update-unpack.h"
#include "cli/update-release.h"
#include "common/macro.h"

#define MAX_ENTRIES 4096
#define MAX_TOTAL ((int64_t)2 << 30)

static void archive_freep(struct archive **a)
{
	if (*a)
		archive_read_free(*a);
}

/* "top/a/b" → components checked; ret_rel points past "top/" ("" for top itself). */
static int check_path(const char *path, const char *top, const char **ret_rel)
{
	size_t n = strlen(top);
	const char *p;

	if (path[0] == '/' || !strneq(path, top, n) || (path[n] != '/' && path[n] != '\0'))
		return -EPERM;
	for (p = path; *p;) {
		size_t len = strcspn(p, "/");
		if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
			return -EPERM;
		p += len;
		while (*p == '/')
			p++;
	}
	*ret_rel = path[n] ? path + n + 1 : "";
	return 0;
}

/* Opens (creating root 0755 where missing) the directory for rel's parent; rel's last
 * component goes to ret_base. */
static int open_parent(int root_fd, const char *rel, char *base, size_t base_size, int *ret_fd)
{
	_cleanup_close_ int fd = fcntl(root_fd, F_DUPFD_CLOEXEC, 3);
	char buf[PATH_MAX], *save = NULL, *c, *next;

	if (fd < 0 || snprintf(buf, sizeof(buf), "%s", rel) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	c = strtok_r(buf, "/", &save);
	while (c && (next = strtok_r(NULL, "/", &save))) {
		int d;
		if (mkdirat(fd, c, 0755) < 0 && errno != EEXIST)
			return negative_errno();
		d = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (d < 0)
			return negative_errno();
		close(fd);
		fd = d;
		c = next;
	}
	if (!c || snprintf(base, base_size, "%s", c) >= (int)base_size)
		return -EINVAL;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

static int write_file(struct archive *a, int dir_fd, const char *base, mode_t mode, int64_t *total,
	char *why, size_t why_size, const char *path)
{
	_cleanup_close_ int fd = -1;
	const void *buf;
	size_t len;
	la_int64_t off;
	int r;

	fd = openat(dir_fd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return update_why(why, why_size, negative_errno(), "cannot create %s: %m", path);
	while ((r = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK) {
		*total += (int64_t)len;
		if (*total > MAX_TOTAL)
			return update_why(
				why, why_size, -EFBIG, "the release unpacks to more than 2 GiB");
		if (pwrite(fd, buf, len, (off_t)off) != (ssize_t)len)
			return update_why(
				why, why_size, negative_errno(), "cannot write %s: %m", path);
	}
	if (r != ARCHIVE_EOF)
		return update_why(why, why_size, -EBADMSG, "the tarball is damaged at %s: %s", path,
			archive_error_string(a) ?: "read error");
	if (fchmod(fd, mode & 0755) < 0 || fsync(fd) < 0)
		return update_why(why, why_size, negative_errno(), "cannot finish %s: %m", path);
	return 0;
}

int release_unpack(int tar_fd, int dest_fd, const char *top, char *why, size_t why_size)
{
	_cleanup_(archive_freep) struct archive *a = archive_read_new();
	struct archive_entry *e;
	int64_t total = 0;
	unsigned n = 0;
	bool saw_top = false;
	int r;

	if (!a)
		return -ENOMEM;
	archive_read_support_filter_gzip(a);
	archive_read_support_format_tar(a);
	if (lseek(tar_fd, 0, SEEK_SET) < 0 ||
		archive_read_open_fd(a, tar_fd, 1 << 16) != ARCHIVE_OK)
		return update_why(why, why_size, -EBADMSG, "cannot read the tarball: %s",
			archive_error_string(a) ?: "unknown format");
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *path = archive_entry_pathname(e), *rel;
		mode_t type = archive_entry_filetype(e), mode = archive_entry_perm(e);
		_cleanup_close_ int dir = -1;
		char base[256];

		if (++n > MAX_ENTRIES)
			return update_why(why, why_size, -EFBIG,
				"the tarball has more than %d entries", MAX_ENTRIES);
		if (!path || check_path(path, top, &rel) < 0)
			return update_why(why, why_size, -EPERM,
				"refusing the tarball: entry \"%.200s\" is not inside %s/ "
				"(absolute, "
				"\"..\" or elsewhere)",
				path ?: "", top);
		if (archive_entry_hardlink(e) || archive_entry_symlink(e))
			return update_why(why, why_size, -EPERM,
				"refusing the tarball: \"%.200s\" is a link", path);
		if (type != AE_IFREG && type != AE_IFDIR)
			return update_why(why, why_size, -EPERM,
				"refusing the tarball: \"%.200s\" is neither a file nor a "
				"directory",
				path);
		if (mode & (S_ISUID | S_ISGID | S_ISVTX))
			return update_why(why, why_size, -EPERM,
				"refusing the tarball: \"%.200s\" carries set-id or sticky bits",
				path);
		if (!rel[0]) {
			if (type != AE_IFDIR)
				return update_why(why, why_size, -EPERM,
					"refusing the tarball: %s is not a folder", top);
			saw_top = true;
			continue;
		}
		r = open_parent(dest_fd, rel, base, sizeof(base), &dir);
		if (r < 0)
			return update_why(
				why, why_size, r, "cannot stage %.200s: %s", path, strerror(-r));
		if (type == AE_IFDIR) {
			if (mkdirat(dir, base, 0755) < 0 && errno != EEXIST)
				return update_why(why, why_size, negative_errno(),
					"cannot create %s: %m", path);
			continue;
		}
		r = write_file(a, dir, base, mode, &total, why, why_size, path);
		if (r < 0)
			return r;
	}
	if (r != ARCHIVE_EOF)
		return update_why(why, why_size, -EBADMSG, "the tarball is damaged: %s",
			archive_error_string(a) ?: "read error");
	if (!saw_top && n == 0)
		return update_why(why, why_size, -EBADMSG, "the tarball is empty");
	return 0;
}

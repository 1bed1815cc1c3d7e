/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Loop devices from descriptors: /dev/loop-control plus LOOP_CONFIGURE, always autoclear. */
#include <dirent.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common/macro.h"
#include "helper/loop.h"

int loop_attach(
	int backing_fd, bool read_only, char *ret_path, size_t path_size, struct rpc_error *err)
{
	_cleanup_close_ int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	char path[32];
	int r = -EBUSY;

	if (ctl < 0)
		return rpc_error_set(err, negative_errno(), RPC_ERROR_UNAVAILABLE,
			"Failed to open /dev/loop-control: %m");
	/* Another process may take the device between GET_FREE and CONFIGURE: try again. */
	for (int attempt = 0; attempt < 16; attempt++) {
		struct loop_config cfg = {
			.fd = (unsigned)backing_fd,
			.info.lo_flags = LO_FLAGS_AUTOCLEAR | (read_only ? LO_FLAGS_READ_ONLY : 0),
		};
		_cleanup_close_ int fd = -1;
		int n = ioctl(ctl, LOOP_CTL_GET_FREE);

		if (n < 0)
			return rpc_error_set(err, negative_errno(), RPC_ERROR_UNAVAILABLE,
				"Failed to find a free loop device: %m");
		snprintf(path, sizeof(path), "/dev/loop%d", n);
		fd = open(path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
		if (fd < 0)
			return rpc_error_set(err, negative_errno(), RPC_ERROR_UNAVAILABLE,
				"Failed to open %s: %m", path);
		if (ioctl(fd, LOOP_CONFIGURE, &cfg) >= 0) {
			snprintf(ret_path, path_size, "%s", path);
			return TAKE_FD(fd);
		}
		r = negative_errno();
		if (r != -EBUSY)
			break;
	}
	errno = -r;
	return rpc_error_set(err, r, RPC_ERROR_UNAVAILABLE, "Failed to set up a loop device: %m");
}

int loop_list(void (*cb)(const char *name, const char *backing, void *data), void *data)
{
	DIR *d = opendir("/sys/block");
	struct dirent *de;

	if (!d)
		return negative_errno();
	while ((de = readdir(d))) {
		char p[300], backing[4096];
		FILE *f;

		if (!strneq(de->d_name, "loop", 4))
			continue;
		snprintf(p, sizeof(p), "/sys/block/%s/loop/backing_file", de->d_name);
		f = fopen(p, "re");
		if (!f)
			continue; /* not attached */
		if (fgets(backing, sizeof(backing), f)) {
			backing[strcspn(backing, "\n")] = '\0';
			cb(de->d_name, backing, data);
		}
		fclose(f);
	}
	closedir(d);
	return 0;
}

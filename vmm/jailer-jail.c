/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The jail on disk: the chroot directory, the copied exec file, the pivot_root into it, and the
 * directories and device nodes made inside it. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/fileio.h"
#include "vmm/jailer-jail.h"

#define JAIL_DIR_MODE 0700

int jailer_jail_create_dir(const struct jailer_env *env, struct jailer_error *e)
{
	int r = mkdir_parents(env->chroot_dir, 0777);

	if (r < 0)
		return jailer_error_io(e, -r, "CreateDir", env->chroot_dir,
			"Failed to create directory %s", env->chroot_dir);
	if (chmod(env->chroot_dir, JAIL_DIR_MODE) < 0)
		return jailer_error_io(e, errno, "Chmod", env->chroot_dir,
			"Failed to change permissions on %s", env->chroot_dir);
	return 0;
}

int jailer_jail_copy_exec(const struct jailer_env *env, struct jailer_error *e)
{
	_cleanup_close_ int in = -1, out = -1;
	_cleanup_free_ char *dest = NULL;
	struct stat src, dst;
	off_t copied = 0;

	if (asprintf(&dest, "%s/%s", env->chroot_dir, env->exec_file_name) < 0) {
		dest = NULL;
		return jailer_error_set(e, -ENOMEM, "OutOfMemory", "Out of memory");
	}

	in = open(env->exec_file_path, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return jailer_error_io(e, errno, "FileOpen", env->exec_file_path,
			"Failed to open file %s", env->exec_file_path);
	if (fstat(in, &src) < 0)
		return jailer_error_io(e, errno, "Metadata", env->exec_file_path,
			"Cannot get metadata for a file: %s", env->exec_file_path);

	out = open(dest, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, src.st_mode & 0777);
	if (out < 0)
		return jailer_error_io(e, errno, "FileOpen", dest, "Failed to open file %s", dest);
	if (fstat(out, &dst) < 0)
		return jailer_error_io(
			e, errno, "Metadata", dest, "Cannot get metadata for a file: %s", dest);
	/* Two VMMs must never share text pages, and a link is how a staged file could alias one. */
	if (dst.st_nlink > 1) {
		char dbg[1024];
		snprintf(dbg, sizeof(dbg), "HardLink(\"%s\")", dest);
		return jailer_error_set(e, -EMLINK, dbg, "Detected hard link at: %s", dest);
	}
	if (!S_ISREG(dst.st_mode)) {
		char dbg[1024];
		snprintf(dbg, sizeof(dbg), "NotAFile(\"%s\")", dest);
		return jailer_error_set(e, -EINVAL, dbg, "%s is not a file", dest);
	}
	if (fchown(out, env->uid, env->gid) < 0)
		return jailer_error_io(
			e, errno, "ChangeFileOwner", dest, "Failed to change owner for %s", dest);
	/* A pre-staged copy keeps its old mode through open(); give it the source's, so the
	 * result is the same whether or not the caller staged one. */
	if (fchmod(out, src.st_mode & 0777) < 0)
		return jailer_error_io(
			e, errno, "Chmod", dest, "Failed to change permissions on %s", dest);

	while (copied < src.st_size) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)(src.st_size - copied), 0);
		if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL ||
				     errno == EOPNOTSUPP)) {
			char buf[64 * 1024];
			n = read(in, buf, sizeof(buf));
			if (n > 0 && write(out, buf, (size_t)n) != n)
				n = -1;
		}
		if (n < 0)
			return jailer_error_io(e, errno, "Copy", env->exec_file_path,
				"Failed to copy %s to %s", env->exec_file_path, dest);
		if (n == 0)
			break;
		copied += n;
	}
	/* Upstream writes over a staged copy without truncating it; cut off any longer tail so
	 * the result is exactly the source. */
	if (ftruncate(out, copied) < 0)
		return jailer_error_io(e, errno, "Copy", env->exec_file_path,
			"Failed to copy %s to %s", env->exec_file_path, dest);
	return 0;
}

int jailer_jail_pivot(const struct jailer_env *env, struct jailer_error *e)
{
	if (unshare(CLONE_NEWNS) < 0)
		return jailer_error_io(e, errno, "UnshareNewNs", NULL,
			"Failed to unshare into new mount namespace");
	if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return jailer_error_io(e, errno, "MountPropagationSlave", NULL,
			"Failed to change the propagation type to slave");
	if (mount(env->chroot_dir, env->chroot_dir, NULL, MS_BIND | MS_REC, NULL) < 0)
		return jailer_error_io(e, errno, "MountBind", NULL,
			"Failed to bind mount the jail root directory");
	if (chdir(env->chroot_dir) < 0)
		return jailer_error_io(
			e, errno, "ChdirNewRoot", NULL, "Failed to chdir into chroot directory");
	if (mkdir("old_root", 0600) < 0)
		return jailer_error_io(e, errno, "MkdirOldRoot", NULL,
			"Failed to create the jail root directory before pivoting root");
	if (syscall(SYS_pivot_root, ".", "old_root") < 0)
		return jailer_error_io(e, errno, "PivotRoot", NULL, "Failed to pivot root");
	if (chdir("/") < 0)
		return jailer_error_io(
			e, errno, "SetCurrentDir", NULL, "Failed to change current directory");
	if (umount2("old_root", MNT_DETACH) < 0)
		return jailer_error_io(
			e, errno, "UmountOldRoot", NULL, "Failed to unmount the old jail root");
	if (rmdir("old_root") < 0)
		return jailer_error_io(
			e, errno, "RmOldRootDir", NULL, "Failed to remove old jail root directory");
	return 0;
}

static const char *const jail_dirs[] = {"/", "/dev", "/dev/net", "/run"};

static int setup_dir(const struct jailer_env *env, const char *path, struct jailer_error *e)
{
	int r = mkdir_parents(path, 0777);

	if (r < 0)
		return jailer_error_io(
			e, -r, "CreateDir", path, "Failed to create directory %s", path);
	if (chmod(path, JAIL_DIR_MODE) < 0)
		return jailer_error_io(
			e, errno, "Chmod", path, "Failed to change permissions on %s", path);
	if (chown(path, env->uid, env->gid) < 0)
		return jailer_error_io(
			e, errno, "ChangeFileOwner", path, "Failed to change owner for %s", path);
	return 0;
}

static int mknod_and_own(const struct jailer_env *env, const char *path, unsigned major,
	unsigned minor, struct jailer_error *e)
{
	if (mknod(path, S_IFCHR | S_IRUSR | S_IWUSR, makedev(major, minor)) < 0) {
		char io[256], dbg[512];
		int err = errno;

		jailer_io_debug(err, io, sizeof(io));
		snprintf(dbg, sizeof(dbg), "MknodDev(%s, \"%s\")", io, path);
		jailer_io_display(err, io, sizeof(io));
		return jailer_error_set(e, -err, dbg,
			"Failed to create %s via mknod inside the jail: %s", path, io);
	}
	if (chown(path, env->uid, env->gid) < 0)
		return jailer_error_io(
			e, errno, "ChangeFileOwner", path, "Failed to change owner for %s", path);
	return 0;
}

int jailer_jail_populate(const struct jailer_env *env, struct jailer_error *e)
{
	int r;

	for (size_t i = 0; i < ELEMENTSOF(jail_dirs); i++) {
		r = setup_dir(env, jail_dirs[i], e);
		if (r < 0)
			return r;
	}
	r = mknod_and_own(env, "/dev/net/tun", 10, 200, e);
	if (r < 0)
		return r;
	r = mknod_and_own(env, "/dev/kvm", 10, 232, e);
	if (r < 0)
		return r;
	r = mknod_and_own(env, "/dev/urandom", 1, 9, e);
	if (r < 0) {
		/* Upstream goes on: only MMDS V2 tokens need it. */
		printf("Warning! Could not create /dev/urandom inside the jail (%s). MMDS V2 will "
		       "not be available.\n",
			e->display);
		fflush(stdout);
	}
	if (env->userfaultfd_minor >= 0) {
		r = mknod_and_own(env, "/dev/userfaultfd", 10, (unsigned)env->userfaultfd_minor, e);
		if (r < 0)
			return r;
	}
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The jailer's failure report: upstream's Display text plus its "Error: <Debug>" line. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vmm/jailer-error.h"

/* Rust's io::ErrorKind names for the errno values a jailer meets. */
static const struct {
	int err;
	const char *kind;
} io_kinds[] = {
	{ENOENT, "NotFound"},
	{EACCES, "PermissionDenied"},
	{EPERM, "PermissionDenied"},
	{EEXIST, "AlreadyExists"},
	{EINVAL, "InvalidInput"},
	{ENOTDIR, "NotADirectory"},
	{EISDIR, "IsADirectory"},
	{ELOOP, "FilesystemLoop"},
	{EBUSY, "ResourceBusy"},
	{ENOSPC, "StorageFull"},
	{EROFS, "ReadOnlyFilesystem"},
	{EXDEV, "CrossesDevices"},
	{ENOTEMPTY, "DirectoryNotEmpty"},
	{ETXTBSY, "ExecutableFileBusy"},
	{ENAMETOOLONG, "InvalidFilename"},
	{EFBIG, "FileTooLarge"},
	{ENOMEM, "OutOfMemory"},
	{EINTR, "Interrupted"},
	{EAGAIN, "WouldBlock"},
	{ENOSYS, "Unsupported"},
};

static const char *io_kind(int err)
{
	for (size_t i = 0; i < ELEMENTSOF(io_kinds); i++)
		if (io_kinds[i].err == err)
			return io_kinds[i].kind;
	return "Uncategorized";
}

void jailer_io_display(int err, char *buf, size_t size)
{
	snprintf(buf, size, "%s (os error %d)", strerror(err), err);
}

void jailer_io_debug(int err, char *buf, size_t size)
{
	snprintf(buf, size, "Os { code: %d, kind: %s, message: \"%s\" }", err, io_kind(err),
		strerror(err));
}

int jailer_error_set(struct jailer_error *e, int r, const char *debug, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->display, sizeof(e->display), fmt, ap);
	va_end(ap);
	snprintf(e->debug, sizeof(e->debug), "%s", debug);
	return r;
}

int jailer_error_io(struct jailer_error *e, int err, const char *variant, const char *path,
	const char *fmt, ...)
{
	char prefix[640], io[192], dbg[256];
	va_list ap;

	if (err <= 0)
		err = EIO;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	jailer_io_display(err, io, sizeof(io));
	jailer_io_debug(err, dbg, sizeof(dbg));
	snprintf(e->display, sizeof(e->display), "%s: %s", prefix, io);
	if (path)
		snprintf(e->debug, sizeof(e->debug), "%s(\"%s\", %s)", variant, path, dbg);
	else
		snprintf(e->debug, sizeof(e->debug), "%s(%s)", variant, dbg);
	return -err;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The jailer's failure report: upstream's Display text plus its "Error: <Debug>" line. */
#pragma once

#include "common/macro.h"

/* Upstream (a Rust program) prints an error's Display form, then returns it from main(), which
 * prints "Error: <Debug form>" and exits 1. Both texts are kept so main() can print them the same
 * way; tests and callers match on the Display text. */
struct jailer_error {
	char display[1024];
	char debug[1024];
};

/* Fills e (display from fmt, debug given literally) and returns r (a -errno value, or -EINVAL). */
int jailer_error_set(struct jailer_error *e, int r, const char *debug, const char *fmt, ...)
	_printf_(4, 5);

/* For failures caused by an OS error (err > 0, an errno value): display is the formatted prefix,
 * ": ", then the error the way Rust's io::Error prints it ("No such file or directory (os error
 * 2)"); debug is `variant("path", Os { ... })`, or `variant(Os { ... })` when path is NULL.
 * Returns -err. */
int jailer_error_io(struct jailer_error *e, int err, const char *variant, const char *path,
	const char *fmt, ...) _printf_(5, 6);

/* "No such file or directory (os error 2)". */
void jailer_io_display(int err, char *buf, size_t size);
/* `Os { code: 2, kind: NotFound, message: "No such file or directory" }`. */
void jailer_io_debug(int err, char *buf, size_t size);

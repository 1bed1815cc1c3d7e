/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The --version and --help answers every banger program gives. */
#pragma once

#include <stdbool.h>

/* Prints "NAME X.Y.Z" (the version from configure.ac). */
void version_print(const char *program);

/* For programs whose only options so far are --help and --version: answers them and returns 1
 * (caller exits 0), returns 0 when argv holds neither, -EINVAL (after a usage message) for an
 * unknown option. */
int version_handle_args(int argc, char **argv, const char *program, const char *usage);

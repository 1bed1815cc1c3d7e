/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The --version and --help answers every banger program gives. */
#include <errno.h>
#include <stdio.h>

#include "common/macro.h"
#include "common/version.h"

void version_print(const char *program)
{
	printf("%s %s\n", program, PACKAGE_VERSION);
}

int version_handle_args(int argc, char **argv, const char *program, const char *usage)
{
	for (int i = 1; i < argc; i++) {
		if (streq(argv[i], "--version")) {
			version_print(program);
			return 1;
		}
		if (streq(argv[i], "--help") || streq(argv[i], "-h")) {
			fputs(usage, stdout);
			return 1;
		}
		if (argv[i][0] == '-') {
			fprintf(stderr, "%s: unknown option '%s'\n%s", program, argv[i], usage);
			return -EINVAL;
		}
	}
	return 0;
}

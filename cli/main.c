/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* banger: command line client for bangerd. */
#include <stdlib.h>

#include "common/version.h"

static const char usage[] =
	"Usage: banger [OPTIONS]\n"
	"\n"
	"command line client for bangerd.\n"
	"\n"
	"  -h --help     Show this help\n"
	"     --version  Show the version\n";

int main(int argc, char **argv)
{
	int r = version_handle_args(argc, argv, "banger", usage);
	if (r != 0)
		return r > 0 ? EXIT_SUCCESS : 2;
	return EXIT_SUCCESS;
}

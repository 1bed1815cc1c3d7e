/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bangerd: the banger daemon, run as the owner user. */
#include <stdlib.h>

#include "common/version.h"

static const char usage[] =
	"Usage: bangerd [OPTIONS]\n"
	"\n"
	"the banger daemon, run as the owner user.\n"
	"\n"
	"  -h --help     Show this help\n"
	"     --version  Show the version\n";

int main(int argc, char **argv)
{
	int r = version_handle_args(argc, argv, "bangerd", usage);
	if (r != 0)
		return r > 0 ? EXIT_SUCCESS : 2;
	return EXIT_SUCCESS;
}

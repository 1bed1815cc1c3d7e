/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bangerd-root: the banger root helper. */
#include <stdlib.h>

#include "common/version.h"

static const char usage[] =
	"Usage: bangerd-root [OPTIONS]\n"
	"\n"
	"the banger root helper.\n"
	"\n"
	"  -h --help     Show this help\n"
	"     --version  Show the version\n";

int main(int argc, char **argv)
{
	int r = version_handle_args(argc, argv, "bangerd-root", usage);
	if (r != 0)
		return r > 0 ? EXIT_SUCCESS : 2;
	return EXIT_SUCCESS;
}

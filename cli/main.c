/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* banger: the scripting command line for bangerd. */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "cli/parse.h"
#include "protocol/client.h"

int main(int argc, char **argv)
{
	struct cli cli = {};
	int r;

	r = cli_parse(&cli, argc, argv);
	if (r >= CLI_PARSE_DONE)
		return r - CLI_PARSE_DONE;
	if (r != CLI_PARSE_RUN)
		return r;
	cli.color = !cli.json && output_want_color();
	r = cli.cmd->run(&cli);
	if (cli.client)
		rpc_client_free(cli.client);
	if (fflush(stdout) != 0 && r == 0)
		r = CLI_EXIT_ERROR;
	return r;
}

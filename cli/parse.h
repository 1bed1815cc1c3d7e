/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Matching argv against the command table. */
#pragma once

#include "cli/cli.h"

#define CLI_PARSE_RUN (-1)  /* run cli->cmd */
#define CLI_PARSE_DONE 1000 /* answered (help, version); exit with the value minus this */

/* Returns CLI_PARSE_RUN, CLI_PARSE_DONE + exit code, or an exit code (usage error, printed). */
int cli_parse(struct cli *cli, int argc, char **argv);

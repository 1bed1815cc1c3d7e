/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The command table, expanded from commands.def. */
#include "cli/cli.h"
#include "common/macro.h"

#define OPTION(n, s, a, h) {.name = n, .short_name = s, .arg = a, .help = h},
#define COMMAND(id, w, a, min, max, fn, s, ...)                                                    \
	static const struct cli_option options_##id[] = {__VA_ARGS__{}};                           \
	_Static_assert(ELEMENTSOF(options_##id) <= CLI_MAX_OPTIONS + 1, "too many options");
#define GROUP(w, s)
#include "cli/commands.def"
#undef COMMAND
#undef GROUP

const struct cli_command cli_commands[] = {
#define COMMAND(id, w, a, min, max, fn, s, ...)                                                    \
	{.words = w,                                                                               \
		.args = a,                                                                         \
		.min_args = min,                                                                   \
		.max_args = max,                                                                   \
		.run = fn,                                                                         \
		.summary = s,                                                                      \
		.options = options_##id},
#define GROUP(w, s) {.words = w, .summary = s, .is_group = true},
#include "cli/commands.def"
#undef COMMAND
#undef GROUP
#undef OPTION
};

const size_t cli_n_commands = ELEMENTSOF(cli_commands);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What every banger command shares: the command table's types, the parsed invocation, exit
 * codes and the daemon connection. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "protocol/error.h"
#include "protocol/methods.h"

/* Exit codes, documented in --help and banger(1). */
enum {
	CLI_EXIT_OK = 0,
	CLI_EXIT_ERROR = 1,       /* the daemon (or the operation) reported an error */
	CLI_EXIT_USAGE = 2,       /* bad command line */
	CLI_EXIT_UNREACHABLE = 3, /* bangerd is not answering */
	CLI_EXIT_NOT_FOUND = 4,   /* the VM or image does not exist */
};

#define CLI_MAX_OPTIONS 8
#define CLI_MAX_REPEATS 16 /* values of one repeatable option (its ARG ends with "...") */

struct cli;

struct cli_option {
	const char *name;
	char short_name;
	const char *arg; /* NULL: a flag */
	const char *help;
};

struct cli_command {
	const char *words;
	const char *args;
	int min_args, max_args;
	int (*run)(struct cli *cli);
	const char *summary;
	const struct cli_option *options; /* terminated by a NULL name */
	bool is_group;
};

extern const struct cli_command cli_commands[];
extern const size_t cli_n_commands;

struct cli {
	bool json;
	bool color;
	const char *socket;
	const struct cli_command *cmd;
	char **args;
	int n_args;
	char **rest; /* after "--" (vm ssh) */
	int n_rest;
	const char *values[CLI_MAX_OPTIONS];                   /* by option index; flags get "" */
	const char *repeats[CLI_MAX_OPTIONS][CLI_MAX_REPEATS]; /* every value, in order */
	size_t n_repeats[CLI_MAX_OPTIONS];
	struct rpc_client *client;
	const char *argv0;
};

/* The value of the current command's option, NULL when not given ("" for a given flag). */
const char *cli_opt(const struct cli *cli, const char *name);
/* Every value a repeatable option was given, in order (*ret_n: how many). */
const char *const *cli_opt_all(const struct cli *cli, const char *name, size_t *ret_n);

/* Connects (once) and says hello. Prints why and returns CLI_EXIT_UNREACHABLE on failure. */
int cli_connect(struct cli *cli);
/* Calls method (params stolen). Returns 0 with *ret_result, or prints the error ("banger:
 * MESSAGE") and returns its exit code. */
int cli_call(struct cli *cli, enum rpc_method method, json_t *params, int timeout_ms,
	json_t **ret_result);
/* The exit code for a daemon error. */
int cli_exit_for_error(const struct rpc_error *err);
/* Prints a JSON value for --json (indented on a terminal, one line otherwise). */
void cli_print_json(const json_t *v);
/* An image recipe's script images/RECIPE/FILE: in $BANGER_IMAGES_DIR, then the installed
 * recipes, then — for a banger run from its build directory — the source tree it was configured
 * from. -ENOENT when none is executable. */
int cli_find_image_script(const char *recipe, const char *file, char *buf, size_t size);
/* "banger: ..." on stderr. Returns CLI_EXIT_ERROR for `return cli_error(...)`. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cli_usage_error(const struct cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* help.c */
void cli_help(const struct cli_command *cmd, const char *words, bool to_stderr);
int cli_dump_commands(const char *what);
/* Words directly below prefix ("" for the top): "vm" is below "", "vm create" below "vm". */
bool cli_command_is_child(const struct cli_command *c, const char *prefix);

/* cmd-vm.c: the owner's ~/.config/banger/ssh (key, known_hosts, config), from install.json or,
 * before an install, the running user; prints why when it cannot (-errno). */
int cli_find_ssh_dir(char *dir, size_t size);

/* completion.c: the shell completion files, from the command table. */
void cli_completion_bash(void);
void cli_completion_zsh(void);
void cli_completion_fish(void);

#define COMMAND(id, words, args, min, max, fn, summary, ...) int fn(struct cli *cli);
#define GROUP(words, summary)
#include "cli/commands.def"
#undef COMMAND
#undef GROUP

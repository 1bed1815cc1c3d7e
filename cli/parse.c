/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Matching argv against the command table: global options, command words, the command's own
 * options and its positional arguments. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/parse.h"
#include "common/macro.h"
#include "common/version.h"

const char *cli_opt(const struct cli *cli, const char *name)
{
	for (int i = 0; cli->cmd && cli->cmd->options[i].name; i++)
		if (streq(cli->cmd->options[i].name, name))
			return cli->values[i];
	return NULL;
}

const char *const *cli_opt_all(const struct cli *cli, const char *name, size_t *ret_n)
{
	for (int i = 0; cli->cmd && cli->cmd->options[i].name; i++)
		if (streq(cli->cmd->options[i].name, name)) {
			*ret_n = cli->n_repeats[i];
			return cli->repeats[i];
		}
	*ret_n = 0;
	return NULL;
}

int cli_usage_error(const struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	fputs("banger: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (cli && cli->cmd)
		fprintf(stderr, "\nTry \"banger %s --help\".\n", cli->cmd->words);
	else
		fputs("\nTry \"banger --help\".\n", stderr);
	return CLI_EXIT_USAGE;
}

static const struct cli_command *find_words(const char *words)
{
	for (size_t i = 0; i < cli_n_commands; i++)
		if (streq(cli_commands[i].words, words))
			return &cli_commands[i];
	return NULL;
}

/* Global options may appear anywhere before "--". 1: consumed (and *i advanced past a value),
 * 0: not global, <0: exit code negated, >=CLI_PARSE_DONE: answered. */
static int global_option(struct cli *cli, int argc, char **argv, int *i, bool *help)
{
	const char *a = argv[*i];

	if (streq(a, "--json")) {
		cli->json = true;
		return 1;
	}
	if (streq(a, "-h") || streq(a, "--help")) {
		*help = true;
		return 1;
	}
	if (strneq(a, "--socket=", 9)) {
		cli->socket = a + 9;
		return 1;
	}
	if (streq(a, "--socket")) {
		if (*i + 1 >= argc)
			return -cli_usage_error(cli, "--socket needs a PATH");
		cli->socket = argv[++*i];
		return 1;
	}
	return 0;
}

static int command_option(struct cli *cli, int argc, char **argv, int *i)
{
	const struct cli_option *opts = cli->cmd->options;
	const char *a = argv[*i], *value = NULL, *eq;
	size_t len;
	int k;

	if (a[1] == '-') {
		eq = strchr(a, '=');
		len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		for (k = 0; opts[k].name; k++)
			if (strlen(opts[k].name) == len && strneq(opts[k].name, a + 2, len))
				break;
		if (eq)
			value = eq + 1;
	} else {
		for (k = 0; opts[k].name; k++)
			if (opts[k].short_name && a[1] == opts[k].short_name && a[2] == '\0')
				break;
	}
	if (!opts[k].name)
		return cli_usage_error(cli, "unknown option \"%s\" for \"%s\"", a, cli->cmd->words);
	if (!opts[k].arg) {
		if (value)
			return cli_usage_error(cli, "--%s takes no value", opts[k].name);
		cli->values[k] = "";
		return 0;
	}
	if (!value) {
		if (*i + 1 >= argc)
			return cli_usage_error(cli, "--%s needs %s", opts[k].name, opts[k].arg);
		value = argv[++*i];
	}
	cli->values[k] = value;
	if (cli->n_repeats[k] >= CLI_MAX_REPEATS)
		return cli_usage_error(
			cli, "--%s is given more than %d times", opts[k].name, CLI_MAX_REPEATS);
	cli->repeats[k][cli->n_repeats[k]++] = value;
	return 0;
}

int cli_parse(struct cli *cli, int argc, char **argv)
{
	char words[128] = "";
	bool help = false;
	int i, r;

	cli->argv0 = argv[0];
	/* leading global options, then command words */
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const struct cli_command *c;
		char next[128];

		if (streq(a, "--version")) {
			version_print("banger");
			return CLI_PARSE_DONE;
		}
		if (strneq(a, "--dump-commands=", 16))
			return CLI_PARSE_DONE + cli_dump_commands(a + 16);
		if (a[0] == '-') {
			r = global_option(cli, argc, argv, &i, &help);
			if (r < 0)
				return -r;
			if (r == 0) {
				if (cli->cmd)
					break; /* the command's own option */
				return cli_usage_error(cli, "unknown option \"%s\"", a);
			}
			continue;
		}
		if (cli->cmd && !cli->cmd->is_group)
			break;
		snprintf(next, sizeof(next), "%s%s%s", words, words[0] ? " " : "", a);
		c = find_words(next);
		if (!c) {
			if (cli->cmd)
				return cli_usage_error(
					cli, "\"%s\" has no command \"%s\"", words, a);
			return cli_usage_error(cli, "unknown command \"%s\"", a);
		}
		snprintf(words, sizeof(words), "%s", next);
		cli->cmd = c;
	}
	if (!cli->cmd || cli->cmd->is_group) {
		cli_help(cli->cmd, words, !help);
		return help ? CLI_PARSE_DONE : CLI_EXIT_USAGE;
	}

	/* the command's options and arguments */
	cli->args = argv + i;
	cli->n_args = 0;
	for (; i < argc; i++) {
		const char *a = argv[i];

		if (streq(a, "--")) {
			cli->rest = argv + i + 1;
			cli->n_rest = argc - i - 1;
			break;
		}
		if (a[0] == '-' && a[1] != '\0') {
			r = global_option(cli, argc, argv, &i, &help);
			if (r < 0)
				return -r;
			if (r == 0) {
				r = command_option(cli, argc, argv, &i);
				if (r != 0)
					return r;
			}
			continue;
		}
		/* positionals are collected in place, at the front of cli->args */
		cli->args[cli->n_args++] = argv[i];
	}
	if (help) {
		cli_help(cli->cmd, cli->cmd->words, false);
		return CLI_PARSE_DONE;
	}
	if (cli->rest && !strstr(cli->cmd->args, "--")) {
		/* "--" only ends options: what follows is ordinary arguments */
		for (int k = 0; k < cli->n_rest; k++)
			cli->args[cli->n_args++] = cli->rest[k];
		cli->rest = NULL;
		cli->n_rest = 0;
	}
	if (cli->n_args < cli->cmd->min_args)
		return cli_usage_error(cli, "\"%s\" needs %s", cli->cmd->words, cli->cmd->args);
	if (cli->cmd->max_args >= 0 && cli->n_args > cli->cmd->max_args)
		return cli_usage_error(cli, "too many arguments for \"%s\" (usage: banger %s %s)",
			cli->cmd->words, cli->cmd->words, cli->cmd->args);
	return CLI_PARSE_RUN;
}

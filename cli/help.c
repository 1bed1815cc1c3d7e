/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Everything generated from the command table but the completion files (completion.c): --help at
 * every level and the COMMANDS section of banger(1). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/macro.h"

static const char exit_codes[] = "Exit status:\n"
				 "  0  success\n"
				 "  1  the daemon (or the operation) reported an error\n"
				 "  2  usage error\n"
				 "  3  bangerd is not reachable\n"
				 "  4  the VM or image was not found\n";

static const char global_options[] =
	"Global options:\n"
	"      --json         Print the daemon's result objects as JSON\n"
	"      --socket PATH  Talk to bangerd at PATH (default: "
	"$BANGER_ROOT/run/banger/bangerd.sock)\n"
	"  -h  --help         Show help for any command or group\n"
	"      --version      Print banger's version\n";

bool cli_command_is_child(const struct cli_command *c, const char *prefix)
{
	size_t n = strlen(prefix);

	if (n == 0)
		return !strchr(c->words, ' ');
	return strneq(c->words, prefix, n) && c->words[n] == ' ' && !strchr(c->words + n + 1, ' ');
}

static void option_synopsis(const struct cli_option *o, char *buf, size_t size)
{
	if (o->short_name)
		snprintf(buf, size, "-%c --%s%s%s", o->short_name, o->name, o->arg ? " " : "",
			o->arg ? o->arg : "");
	else
		snprintf(
			buf, size, "   --%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
}

void cli_help(const struct cli_command *cmd, const char *words, bool to_stderr)
{
	FILE *f = to_stderr ? stderr : stdout;
	const char *prefix = cmd ? cmd->words : "";

	if (cmd && !cmd->is_group) {
		fprintf(f, "Usage: banger %s%s%s%s\n\n%s.\n", cmd->words, cmd->args[0] ? " " : "",
			cmd->args, cmd->options[0].name ? " [OPTIONS]" : "", cmd->summary);
		if (cmd->options[0].name) {
			fputs("\nOptions:\n", f);
			for (const struct cli_option *o = cmd->options; o->name; o++) {
				char syn[64];
				option_synopsis(o, syn, sizeof(syn));
				fprintf(f, "  %-22s %s\n", syn, o->help);
			}
		}
		fprintf(f, "\n%s\n%s", global_options, exit_codes);
		return;
	}
	if (cmd)
		fprintf(f, "Usage: banger %s COMMAND [ARGS] [OPTIONS]\n\n%s.\n\nCommands:\n",
			cmd->words, cmd->summary);
	else
		fputs("Usage: banger [--json] [--socket PATH] COMMAND [ARGS] [OPTIONS]\n\n"
		      "Manage banger microVMs from scripts and terminals.\n\nCommands:\n",
			f);
	for (size_t i = 0; i < cli_n_commands; i++) {
		const struct cli_command *c = &cli_commands[i];
		const char *name = c->words + (prefix[0] ? strlen(prefix) + 1 : 0);
		char left[64];

		if (!cli_command_is_child(c, prefix))
			continue;
		snprintf(left, sizeof(left), "%s%s%s", name, c->is_group ? " ..." : "",
			!c->is_group && c->args[0] ? "" : "");
		fprintf(f, "  %-16s %s\n", left, c->summary);
	}
	fprintf(f,
		"\nRun \"banger %s%sCOMMAND --help\" for a command's arguments and "
		"options.\n\n%s\n%s",
		prefix, prefix[0] ? " " : "", global_options, exit_codes);
	(void)words;
}

/* --- banger(1) COMMANDS section --- */

static void roff_escaped(const char *s)
{
	for (; *s; s++) {
		if (*s == '-')
			fputs("\\-", stdout);
		else if (*s == '\\')
			fputs("\\e", stdout);
		else
			putchar(*s);
	}
}

static void dump_man(void)
{
	puts(".\\\" Generated from cli/commands.def by `banger --dump-commands=man`.");
	for (size_t i = 0; i < cli_n_commands; i++) {
		const struct cli_command *c = &cli_commands[i];

		if (c->is_group) {
			fputs(".SS \"", stdout);
			roff_escaped(c->words);
			fputs(" \\(em ", stdout);
			roff_escaped(c->summary);
			puts("\"");
			continue;
		}
		fputs(".TP\n\\fBbanger ", stdout);
		roff_escaped(c->words);
		fputs("\\fR", stdout);
		if (c->args[0]) {
			fputs(" \\fI", stdout);
			roff_escaped(c->args);
			fputs("\\fR", stdout);
		}
		if (c->options[0].name)
			fputs(" [\\fIOPTIONS\\fR]", stdout);
		putchar('\n');
		roff_escaped(c->summary);
		puts(".");
		for (const struct cli_option *o = c->options; o->name; o++) {
			fputs(".RS\n.TP\n\\fB", stdout);
			if (o->short_name)
				printf("\\-%c\\fR, \\fB", o->short_name);
			fputs("\\-\\-", stdout);
			roff_escaped(o->name);
			fputs("\\fR", stdout);
			if (o->arg) {
				fputs(" \\fI", stdout);
				roff_escaped(o->arg);
				fputs("\\fR", stdout);
			}
			putchar('\n');
			roff_escaped(o->help);
			puts(".\n.RE");
		}
	}
}

int cli_dump_commands(const char *what)
{
	if (streq(what, "bash"))
		cli_completion_bash();
	else if (streq(what, "zsh"))
		cli_completion_zsh();
	else if (streq(what, "fish"))
		cli_completion_fish();
	else if (streq(what, "man"))
		dump_man();
	else {
		fprintf(stderr, "banger: --dump-commands wants bash, zsh, fish or man\n");
		return CLI_EXIT_USAGE;
	}
	return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_ERROR;
}

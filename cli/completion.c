/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The shell completion files for bash, zsh and fish, all generated from the command table
 * (cli/commands.def) by `banger --dump-commands=SHELL`: command words below each group, each
 * command's options, VM or image names from the daemon where a command takes them, and files
 * or image names after the options that take those. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/macro.h"

/* Options whose value is a file, and those whose value is an image name (every shell). */
#define FILE_OPTIONS "--socket|--kernel|-k|--rootfs|-r|--initrd"
#define IMAGE_OPTIONS "--image|-i"

/* The names a command's first argument takes ("vm", "image"), or NULL; "[NAME]" (optional)
 * completes as NAME does. */
static const char *names_kind(const struct cli_command *c)
{
	if (!strneq(c->args, "NAME", 4) && !strneq(c->args, "[NAME]", 6))
		return NULL;
	return strneq(c->words, "image", 5) ? "image" : "vm";
}

/* "--socket|--image|-i|...": every option that takes a value, sep between them. */
static void print_value_options(const char *sep)
{
	fputs("--socket", stdout);
	for (size_t i = 0; i < cli_n_commands; i++)
		for (const struct cli_option *o = cli_commands[i].options; o && o->name; o++)
			if (o->arg) {
				printf("%s--%s", sep, o->name);
				if (o->short_name)
					printf("%s-%c", sep, o->short_name);
			}
}

/* s with the characters quote would end escaped with a backslash. */
static void print_escaped(const char *s, const char *specials)
{
	for (; *s; s++) {
		if (strchr(specials, *s))
			putchar('\\');
		putchar(*s);
	}
}

/* --- bash --- */

void cli_completion_bash(void)
{
	puts("# bash completion for banger(1). Generated from cli/commands.def by\n"
	     "# `banger --dump-commands=bash`; do not edit.\n"
	     "_banger_names() {\n"
	     "\tbanger --json \"$@\" 2>/dev/null | sed -n 's/^ *\"name\": "
	     "*\"\\([^\"]*\\)\".*/\\1/p;"
	     " s/\"name\":\"\\([^\"]*\\)\"/\\n\\1\\n/gp' | grep -E '^[a-z][a-z0-9-]*$'\n"
	     "}\n"
	     "_banger() {\n"
	     "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
	     "\tlocal i w path= npos=0 words= opts= kind=\n"
	     "\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
	     "\t\tw=${COMP_WORDS[i]}\n"
	     "\t\tcase $w in\n"
	     "\t\t--) return 0 ;;");
	/* every option that takes a value: its value is not a command word */
	fputs("\t\t", stdout);
	print_value_options("|");
	puts(") ((i++)) ;;\n"
	     "\t\t-*) ;;\n"
	     "\t\t*) case $_banger_cmds in\n"
	     "\t\t\t*\":${path:+$path }$w:\"*) path=${path:+$path }$w ;;\n"
	     "\t\t\t*) npos=$((npos + 1)) ;;\n"
	     "\t\t\tesac ;;\n"
	     "\t\tesac\n"
	     "\tdone\n"
	     "\tcase $path in");
	/* children of the top and of each group */
	printf("\t\"\") words=\"");
	for (size_t i = 0; i < cli_n_commands; i++)
		if (cli_command_is_child(&cli_commands[i], ""))
			printf("%s ", cli_commands[i].words);
	puts("\" ;;");
	for (size_t g = 0; g < cli_n_commands; g++) {
		const struct cli_command *grp = &cli_commands[g];
		if (!grp->is_group)
			continue;
		printf("\t\"%s\") words=\"", grp->words);
		for (size_t i = 0; i < cli_n_commands; i++)
			if (cli_command_is_child(&cli_commands[i], grp->words))
				printf("%s ", cli_commands[i].words + strlen(grp->words) + 1);
		puts("\" ;;");
	}
	for (size_t i = 0; i < cli_n_commands; i++) {
		const struct cli_command *c = &cli_commands[i];
		if (c->is_group)
			continue;
		printf("\t\"%s\") opts=\"", c->words);
		for (const struct cli_option *o = c->options; o->name; o++)
			printf("--%s ", o->name);
		printf("\"");
		if (names_kind(c))
			printf("; kind=%s", names_kind(c));
		puts(" ;;");
	}
	puts("\tesac\n"
	     "\tcase $prev in\n"
	     "\t" FILE_OPTIONS ") COMPREPLY=($(compgen -f -- \"$cur\")); return 0 ;;\n"
	     "\t" IMAGE_OPTIONS ") COMPREPLY=($(compgen -W \"$(_banger_names image list)\" -- "
	     "\"$cur\")); return 0 ;;\n"
	     "\tesac\n"
	     "\tif [[ $cur == -* ]]; then\n"
	     "\t\tCOMPREPLY=($(compgen -W \"$opts --json --socket --help\" -- \"$cur\"))\n"
	     "\telif [[ -n $words ]]; then\n"
	     "\t\tCOMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
	     "\telif [[ -n $kind ]]; then\n"
	     "\t\tCOMPREPLY=($(compgen -W \"$(_banger_names $kind list)\" -- \"$cur\"))\n"
	     "\tfi\n"
	     "\treturn 0\n"
	     "}");
	printf("_banger_cmds=\":");
	for (size_t i = 0; i < cli_n_commands; i++)
		printf("%s:", cli_commands[i].words);
	puts("\"\ncomplete -F _banger banger");
}

/* --- zsh --- */

void cli_completion_zsh(void)
{
	puts("#compdef banger\n"
	     "# zsh completion for banger(1). Generated from cli/commands.def by\n"
	     "# `banger --dump-commands=zsh`; do not edit.\n"
	     "_banger_names() {\n"
	     "\tbanger --json \"$@\" 2>/dev/null | sed -n 's/\"name\": "
	     "*\"\\([a-z][a-z0-9-]*\\)\"/\\n\\1\\n/gp' |\n"
	     "\t\tgrep -E '^[a-z][a-z0-9-]*$'\n"
	     "}\n"
	     "_banger() {\n"
	     "\tlocal i w skip=0 cmdpath= kind=\n"
	     "\tlocal -a children opts\n"
	     "\tfor ((i = 2; i < CURRENT; i++)); do\n"
	     "\t\tw=${words[i]}\n"
	     "\t\tif ((skip)); then skip=0; continue; fi\n"
	     "\t\tcase $w in\n"
	     "\t\t--) return 0 ;;");
	fputs("\t\t", stdout);
	print_value_options("|");
	puts(") skip=1 ;;\n"
	     "\t\t-*) ;;\n"
	     "\t\t*) [[ $_banger_cmds == *\":${cmdpath:+$cmdpath }$w:\"* ]] && "
	     "cmdpath=${cmdpath:+$cmdpath }$w ;;\n"
	     "\t\tesac\n"
	     "\tdone\n"
	     "\tcase ${words[CURRENT-1]} in\n"
	     "\t" FILE_OPTIONS ") _files; return ;;\n"
	     "\t" IMAGE_OPTIONS ") compadd -- $(_banger_names image list); return ;;\n"
	     "\tesac\n"
	     "\tcase $cmdpath in");
	for (size_t g = 0; g < cli_n_commands; g++) {
		const struct cli_command *grp = &cli_commands[g];
		const char *prefix = grp->is_group ? grp->words : "";
		size_t skip = grp->is_group ? strlen(prefix) + 1 : 0;

		if (g > 0 && !grp->is_group)
			continue;
		/* g == 0 stands for the top as well as for its own group */
		for (int top = g == 0 ? 1 : 0; top >= 0; top--) {
			if (top) {
				prefix = "";
				skip = 0;
			} else if (!grp->is_group)
				break;
			else {
				prefix = grp->words;
				skip = strlen(prefix) + 1;
			}
			printf("\t\"%s\") children=(", prefix);
			for (size_t i = 0; i < cli_n_commands; i++)
				if (cli_command_is_child(&cli_commands[i], prefix)) {
					printf(" \"%s:", cli_commands[i].words + skip);
					print_escaped(cli_commands[i].summary, ":\"$`\\");
					putchar('"');
				}
			puts(" ) ;;");
		}
	}
	for (size_t i = 0; i < cli_n_commands; i++) {
		const struct cli_command *c = &cli_commands[i];
		if (c->is_group)
			continue;
		printf("\t\"%s\") opts=(", c->words);
		for (const struct cli_option *o = c->options; o->name; o++) {
			printf(" \"--%s:", o->name);
			print_escaped(o->help, ":\"$`\\");
			putchar('"');
		}
		printf(" )");
		if (names_kind(c))
			printf("; kind=%s", names_kind(c));
		puts(" ;;");
	}
	puts("\tesac\n"
	     "\tif [[ ${words[CURRENT]} == -* ]]; then\n"
	     "\t\topts+=('--json:print JSON' '--socket:talk to bangerd at PATH' '--help:show "
	     "help')\n"
	     "\t\t_describe -t options 'banger option' opts\n"
	     "\telif (($#children)); then\n"
	     "\t\t_describe -t commands 'banger command' children\n"
	     "\telif [[ -n $kind ]]; then\n"
	     "\t\tcompadd -- $(_banger_names $kind list)\n"
	     "\tfi\n"
	     "}");
	printf("_banger_cmds=\":");
	for (size_t i = 0; i < cli_n_commands; i++)
		printf("%s:", cli_commands[i].words);
	puts("\"\ncompdef _banger banger");
}

/* --- fish --- */

void cli_completion_fish(void)
{
	puts("# fish completion for banger(1). Generated from cli/commands.def by\n"
	     "# `banger --dump-commands=fish`; do not edit.");
	printf("set -g __banger_cmds ':");
	for (size_t i = 0; i < cli_n_commands; i++)
		printf("%s:", cli_commands[i].words);
	puts("'\n"
	     "# the command words typed so far (\"vm create\"), past options and their values\n"
	     "function __banger_cmd\n"
	     "\tset -l cmdpath ''\n"
	     "\tset -l skip 0\n"
	     "\tfor w in (commandline -opc)[2..-1]\n"
	     "\t\tif test $skip = 1\n"
	     "\t\t\tset skip 0\n"
	     "\t\t\tcontinue\n"
	     "\t\tend\n"
	     "\t\tswitch $w\n"
	     "\t\t\tcase --\n"
	     "\t\t\t\techo --\n"
	     "\t\t\t\treturn");
	fputs("\t\t\tcase ", stdout);
	print_value_options(" ");
	puts("\n"
	     "\t\t\t\tset skip 1\n"
	     "\t\t\tcase '-*'\n"
	     "\t\t\tcase '*'\n"
	     "\t\t\t\tset -l next (string trim -- \"$cmdpath $w\")\n"
	     "\t\t\t\tif string match -q -- \"*:$next:*\" $__banger_cmds\n"
	     "\t\t\t\t\tset cmdpath $next\n"
	     "\t\t\t\tend\n"
	     "\t\tend\n"
	     "\tend\n"
	     "\techo $cmdpath\n"
	     "end\n"
	     "function __banger_at\n"
	     "\ttest (__banger_cmd) = \"$argv[1]\"\n"
	     "end\n"
	     "function __banger_names\n"
	     "\tbanger --json $argv 2>/dev/null | string match -r -a -g '\"name\": "
	     "*\"([a-z][a-z0-9-]*)\"'\n"
	     "end\n"
	     "complete -c banger -f\n"
	     "complete -c banger -l json -d 'Print JSON'\n"
	     "complete -c banger -l socket -r -F -d 'Talk to bangerd at PATH'\n"
	     "complete -c banger -s h -l help -d 'Show help'");
	for (size_t i = 0; i < cli_n_commands; i++) {
		const struct cli_command *c = &cli_commands[i];
		const char *sp = strrchr(c->words, ' ');
		char parent[64];

		snprintf(parent, sizeof(parent), "%.*s", sp ? (int)(sp - c->words) : 0, c->words);
		printf("complete -c banger -n \"__banger_at '%s'\" -a '%s' -d '", parent,
			sp ? sp + 1 : c->words);
		print_escaped(c->summary, "'\\");
		puts("'");
		if (c->is_group)
			continue;
		for (const struct cli_option *o = c->options; o->name; o++) {
			printf("complete -c banger -n \"__banger_at '%s'\" -l %s", c->words,
				o->name);
			if (o->short_name)
				printf(" -s %c", o->short_name);
			if (o->arg && (streq(o->name, "image")))
				printf(" -x -a '(__banger_names image list)'");
			else if (o->arg && (streq(o->name, "kernel") || streq(o->name, "rootfs") ||
						   streq(o->name, "initrd")))
				printf(" -r -F");
			else if (o->arg)
				printf(" -x");
			printf(" -d '");
			print_escaped(o->help, "'\\");
			puts("'");
		}
		if (names_kind(c))
			printf("complete -c banger -n \"__banger_at '%s'\" -a '(__banger_names %s "
			       "list)'\n",
				c->words, names_kind(c));
	}
}

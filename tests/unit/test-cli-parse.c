/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The command line against the command table: which command runs, with which arguments and
 * options, and which invocations are usage errors (exit 2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/parse.h"

struct parse_case {
	const char *argv[12];
	int expect; /* CLI_PARSE_RUN, CLI_PARSE_DONE + code, or an exit code */
	const char *words;
	int n_args;
	const char *opt, *opt_value;
	bool json;
};

static const struct parse_case cases[] = {
	{{"vm", "list"}, CLI_PARSE_RUN, "vm list", 0},
	{{"--json", "vm", "list"}, CLI_PARSE_RUN, "vm list", 0, .json = true},
	{{"vm", "list", "--json"}, CLI_PARSE_RUN, "vm list", 0, .json = true},
	{{"vm", "create", "web", "--vcpus", "2"}, CLI_PARSE_RUN, "vm create", 1, "vcpus", "2"},
	{{"vm", "create", "--vcpus=4", "web"}, CLI_PARSE_RUN, "vm create", 1, "vcpus", "4"},
	{{"vm", "create", "web", "-i", "deb"}, CLI_PARSE_RUN, "vm create", 1, "image", "deb"},
	{{"vm", "delete", "a", "b", "c", "--force"}, CLI_PARSE_RUN, "vm delete", 3, "force", ""},
	{{"vm", "delete", "-f", "a"}, CLI_PARSE_RUN, "vm delete", 1, "force", ""},
	{{"vm", "ssh", "web", "--", "uname", "-a"}, CLI_PARSE_RUN, "vm ssh", 1},
	{{"vm", "logs", "web", "-f", "--tail", "10"}, CLI_PARSE_RUN, "vm logs", 1, "tail", "10"},
	{{"image", "build"}, CLI_PARSE_RUN, "image build", 0},
	{{"image", "build", "minimal"}, CLI_PARSE_RUN, "image build", 1},
	{{"image", "import", "x", "--kernel", "k", "--rootfs", "r"}, CLI_PARSE_RUN, "image import",
		1, "rootfs", "r"},
	{{"--socket", "/tmp/s", "events"}, CLI_PARSE_RUN, "events", 0},
	{{"--socket=/tmp/s", "system", "status"}, CLI_PARSE_RUN, "system status", 0},
	{{"update", "--check"}, CLI_PARSE_RUN, "update", 0, "check", ""},
	{{"doctor"}, CLI_PARSE_RUN, "doctor", 0},
	/* "--" only ends options elsewhere: what follows are plain arguments */
	{{"vm", "delete", "--", "-odd"}, CLI_PARSE_RUN, "vm delete", 1},
	/* help at every level exits 0 */
	{{"--help"}, CLI_PARSE_DONE},
	{{"vm", "--help"}, CLI_PARSE_DONE},
	{{"vm", "create", "--help"}, CLI_PARSE_DONE},
	{{"system", "-h"}, CLI_PARSE_DONE},
	/* usage errors */
	{{}, CLI_EXIT_USAGE},
	{{"vm"}, CLI_EXIT_USAGE},
	{{"frobnicate"}, CLI_EXIT_USAGE},
	{{"vm", "frobnicate"}, CLI_EXIT_USAGE},
	{{"vm", "create"}, CLI_EXIT_USAGE},
	{{"vm", "create", "a", "b"}, CLI_EXIT_USAGE},
	{{"vm", "get"}, CLI_EXIT_USAGE},
	{{"vm", "list", "extra"}, CLI_EXIT_USAGE},
	{{"vm", "create", "a", "--vcpus"}, CLI_EXIT_USAGE},
	{{"vm", "create", "a", "--colour", "red"}, CLI_EXIT_USAGE},
	{{"vm", "delete", "a", "--force=yes"}, CLI_EXIT_USAGE},
	{{"--socket"}, CLI_EXIT_USAGE},
	{{"--bogus", "vm", "list"}, CLI_EXIT_USAGE},
	{{"image", "build", "a", "b"}, CLI_EXIT_USAGE},
};

static void test_cases(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct parse_case *c = &cases[i];
		char *argv[16] = {(char *)"banger"};
		struct cli cli = {};
		int argc = 1, r;

		for (; c->argv[argc - 1]; argc++)
			argv[argc] = (char *)c->argv[argc - 1];
		/* help goes to stdout, which carries the TAP report */
		fflush(stdout);
		int saved = dup(STDOUT_FILENO), null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		assert_true(saved >= 0 && null >= 0);
		dup2(null, STDOUT_FILENO);
		r = cli_parse(&cli, argc, argv);
		fflush(stdout);
		dup2(saved, STDOUT_FILENO);
		close(saved);
		close(null);
		if (r != c->expect)
			fail_msg("case %zu (%s %s): got %d, want %d", i, argv[1] ? argv[1] : "",
				argv[2] ? argv[2] : "", r, c->expect);
		if (r != CLI_PARSE_RUN)
			continue;
		assert_string_equal(cli.cmd->words, c->words);
		assert_int_equal(cli.n_args, c->n_args);
		assert_int_equal(cli.json, c->json);
		if (c->opt)
			assert_string_equal(cli_opt(&cli, c->opt), c->opt_value);
	}
}

static void test_positionals_and_rest(void **state)
{
	char a0[] = "banger", a1[] = "vm", a2[] = "ssh", a3[] = "--json", a4[] = "web", a5[] = "--",
	     a6[] = "ls", a7[] = "-l";
	char *argv[] = {a0, a1, a2, a3, a4, a5, a6, a7, NULL};
	struct cli cli = {};

	assert_int_equal(cli_parse(&cli, 8, argv), CLI_PARSE_RUN);
	assert_int_equal(cli.n_args, 1);
	assert_string_equal(cli.args[0], "web");
	assert_int_equal(cli.n_rest, 2);
	assert_string_equal(cli.rest[0], "ls");
	assert_string_equal(cli.rest[1], "-l");
	assert_true(cli.json);
}

/* Every command and group in the table has a summary, and every option help. */
static void test_table_complete(void **state)
{
	for (size_t i = 0; i < cli_n_commands; i++) {
		const struct cli_command *c = &cli_commands[i];
		assert_non_null(c->summary);
		assert_true(strlen(c->summary) > 0);
		if (c->is_group)
			continue;
		assert_non_null(c->run);
		assert_true(c->max_args < 0 || c->max_args >= c->min_args);
		for (const struct cli_option *o = c->options; o->name; o++)
			assert_true(o->help && o->help[0]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_positionals_and_rest),
		cmocka_unit_test(test_table_complete),
	};

	/* usage errors print to stderr; that is expected here */
	if (!freopen("/dev/null", "w", stderr))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}

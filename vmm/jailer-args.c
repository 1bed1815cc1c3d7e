/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The jailer's command line, parsed by the rules of Firecracker's own argument parser:
 * "--name value" as two words (no "--name=value"), a value never starts with "--", no option
 * twice except --cgroup and --resource-limit, and the first bare "--" ends the options. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/jailer-args.h"

enum opt_kind {
	OPT_VALUE,
	OPT_FLAG,
	OPT_MULTI,
};

static const struct jailer_option {
	const char *name;
	enum opt_kind kind;
	bool required;
	const char *default_value;
	const char *help;
} options[_JAILER_OPT_MAX] = {
	[JAILER_OPT_CGROUP] = {"cgroup", OPT_MULTI, false, NULL,
		"Cgroup and value to be set by the jailer. It must follow this format: "
		"<cgroup_file>=<value> (e.g cpu.shares=10). This argument can be used multiple "
		"times to add multiple cgroups."},
	[JAILER_OPT_CGROUP_VERSION] = {"cgroup-version", OPT_VALUE, false, "1",
		"Select the cgroup version used by the jailer."},
	[JAILER_OPT_CHROOT_BASE_DIR] = {"chroot-base-dir", OPT_VALUE, false, "/srv/jailer",
		"The base folder where chroot jails are located."},
	[JAILER_OPT_DAEMONIZE] = {"daemonize", OPT_FLAG, false, NULL,
		"Daemonize the jailer before exec, by invoking setsid(), and redirecting the "
		"standard I/O file descriptors to /dev/null."},
	[JAILER_OPT_EXEC_FILE] = {"exec-file", OPT_VALUE, true, NULL, "File path to exec into."},
	[JAILER_OPT_GID] = {"gid", OPT_VALUE, true, NULL,
		"The group identifier the jailer switches to after exec."},
	[JAILER_OPT_HELP] = {"help", OPT_FLAG, false, NULL, "Show the help message."},
	[JAILER_OPT_ID] = {"id", OPT_VALUE, true, NULL, "Jail ID."},
	[JAILER_OPT_NETNS] = {"netns", OPT_VALUE, false, NULL,
		"Path to the network namespace this microVM should join."},
	[JAILER_OPT_NEW_PID_NS] = {"new-pid-ns", OPT_FLAG, false, NULL,
		"Exec into a new PID namespace."},
	[JAILER_OPT_PARENT_CGROUP] = {"parent-cgroup", OPT_VALUE, false, NULL,
		"Parent cgroup in which the cgroup of this microvm will be placed."},
	[JAILER_OPT_RESOURCE_LIMIT] = {"resource-limit", OPT_MULTI, false, NULL,
		"Resource limit values to be set by the jailer. It must follow this format: "
		"<resource>=<value> (e.g no-file=1024). This argument can be used multiple times "
		"to add multiple resource limits. Current available resource values are:\n"
		"\t\tfsize: The maximum size in bytes for files created by the process.\n"
		"\t\tno-file: Specifies a value one greater than the maximum file descriptor "
		"number that can be opened by this process."},
	[JAILER_OPT_UID] = {"uid", OPT_VALUE, true, NULL,
		"The user identifier the jailer switches to after exec."},
	[JAILER_OPT_VERSION] = {"version", OPT_FLAG, false, NULL,
		"Print the binary version number."},
};

const char *jailer_opt_to_string(enum jailer_opt opt)
{
	if (opt < 0 || opt >= _JAILER_OPT_MAX)
		return NULL;
	return options[opt].name;
}

enum jailer_opt jailer_opt_from_string(const char *name)
{
	for (int i = 0; i < _JAILER_OPT_MAX; i++)
		if (streq(options[i].name, name))
			return (enum jailer_opt)i;
	return _JAILER_OPT_INVALID;
}

/* The parser's errors, worded as upstream's (utils::arg_parser). */
enum parse_failure {
	PARSE_MISSING_ARGUMENT,
	PARSE_MISSING_VALUE,
	PARSE_UNEXPECTED_ARGUMENT,
	PARSE_DUPLICATE_ARGUMENT,
	_PARSE_FAILURE_MAX,
};

static const struct {
	const char *variant;
	const char *before;
	const char *after;
} parse_failures[_PARSE_FAILURE_MAX] = {
	[PARSE_MISSING_ARGUMENT] = {"MissingArgument", "Argument '", "' required, but not found."},
	[PARSE_MISSING_VALUE] = {"MissingValue", "The argument '",
		"' requires a value, but none was supplied."},
	[PARSE_UNEXPECTED_ARGUMENT] = {"UnexpectedArgument", "Found argument '",
		"' which wasn't expected, or isn't valid in this context."},
	[PARSE_DUPLICATE_ARGUMENT] = {"DuplicateArgument", "The argument '",
		"' was provided more than once."},
};

static int parse_error(struct jailer_error *e, enum parse_failure f, const char *arg)
{
	char dbg[640];

	snprintf(dbg, sizeof(dbg), "ArgumentParsing(%s(\"%s\"))", parse_failures[f].variant, arg);
	return jailer_error_set(e, -EINVAL, dbg, "Failed to parse arguments: %s%s%s",
		parse_failures[f].before, arg, parse_failures[f].after);
}

static bool starts_with_prefix(const char *s)
{
	return strneq(s, "--", 2);
}

int jailer_args_parse(
	int argc, const char *const *argv, struct jailer_args *ret, struct jailer_error *e)
{
	struct jailer_args a = {};
	int n_opts = argc - 1, r;

	/* The first bare "--" splits our options from the exec file's arguments. */
	for (int i = 1; i < argc; i++)
		if (streq(argv[i], "--")) {
			n_opts = i - 1;
			a.extra = argv + i + 1;
			a.n_extra = (size_t)(argc - i - 1);
			break;
		}

	for (int i = 1; i <= n_opts; i++)
		if (streq(argv[i], "--help") || streq(argv[i], "-h")) {
			ret->help = true;
			return 0;
		}
	for (int i = 1; i <= n_opts; i++)
		if (streq(argv[i], "--version")) {
			ret->version = true;
			return 0;
		}

	for (int i = 1; i <= n_opts; i++) {
		const char *arg = argv[i];
		enum jailer_opt opt;

		if (!starts_with_prefix(arg)) {
			r = parse_error(e, PARSE_UNEXPECTED_ARGUMENT, arg);
			goto fail;
		}
		opt = jailer_opt_from_string(arg + 2);
		if (opt < 0) {
			r = parse_error(e, PARSE_UNEXPECTED_ARGUMENT, arg + 2);
			goto fail;
		}
		if (options[opt].kind != OPT_MULTI && a.value[opt]) {
			r = parse_error(e, PARSE_DUPLICATE_ARGUMENT, arg + 2);
			goto fail;
		}
		if (options[opt].kind == OPT_FLAG) {
			a.value[opt] = arg;
			continue;
		}
		if (i + 1 > n_opts || starts_with_prefix(argv[i + 1])) {
			r = parse_error(e, PARSE_MISSING_VALUE, arg + 2);
			goto fail;
		}
		i++;
		if (options[opt].kind == OPT_VALUE) {
			a.value[opt] = argv[i];
			continue;
		}
		if (!a.multi[opt]) {
			a.multi[opt] = calloc((size_t)argc, sizeof(char *));
			if (!a.multi[opt]) {
				r = jailer_error_set(e, -ENOMEM, "OutOfMemory", "Out of memory");
				goto fail;
			}
		}
		a.multi[opt][a.n_multi[opt]++] = argv[i];
		a.value[opt] = argv[i];
	}

	for (int i = 0; i < _JAILER_OPT_MAX; i++)
		if (options[i].required && !a.value[i]) {
			r = parse_error(e, PARSE_MISSING_ARGUMENT, options[i].name);
			goto fail;
		}

	*ret = a;
	return 0;
fail:
	jailer_args_done(&a);
	return r;
}

void jailer_args_done(struct jailer_args *a)
{
	for (int i = 0; i < _JAILER_OPT_MAX; i++) {
		free(a->multi[i]);
		a->multi[i] = NULL;
		a->n_multi[i] = 0;
	}
}

const char *jailer_args_get(const struct jailer_args *a, enum jailer_opt opt)
{
	if (opt < 0 || opt >= _JAILER_OPT_MAX)
		return NULL;
	return a->value[opt] ? a->value[opt] : options[opt].default_value;
}

bool jailer_args_flag(const struct jailer_args *a, enum jailer_opt opt)
{
	return opt >= 0 && opt < _JAILER_OPT_MAX && a->value[opt];
}

static int option_name_width(const struct jailer_option *o)
{
	/* "  --name" plus " <name>" for options that take a value. */
	int w = 4 + (int)strlen(o->name);
	if (o->kind != OPT_FLAG)
		w += 3 + (int)strlen(o->name);
	return w;
}

static void print_section(FILE *f, bool required)
{
	int width = 0;

	for (int i = 0; i < _JAILER_OPT_MAX; i++)
		if (options[i].required == required)
			width = MAX(width, option_name_width(&options[i]));

	for (int i = 0; i < _JAILER_OPT_MAX; i++) {
		const struct jailer_option *o = &options[i];
		char name[128];

		if (o->required != required)
			continue;
		if (o->kind == OPT_FLAG)
			snprintf(name, sizeof(name), "  --%s", o->name);
		else
			snprintf(name, sizeof(name), "  --%s <%s>", o->name, o->name);
		fprintf(f, "%-*s   %s", width, name, o->help);
		if (o->default_value)
			fprintf(f, " [default: %s]", o->default_value);
		fputc('\n', f);
	}
}

void jailer_args_print_help(FILE *f)
{
	fputs("required arguments:\n", f);
	print_section(f, true);
	fputs("\noptional arguments:\n", f);
	print_section(f, false);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The jailer's command line, parsed by the rules of Firecracker's own argument parser. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "vmm/jailer-error.h"

/* In name order: upstream keeps its options in a sorted map, so "required but not found" names
 * the alphabetically first missing option and --help lists them in this order. */
enum jailer_opt {
	JAILER_OPT_CGROUP,
	JAILER_OPT_CGROUP_VERSION,
	JAILER_OPT_CHROOT_BASE_DIR,
	JAILER_OPT_DAEMONIZE,
	JAILER_OPT_EXEC_FILE,
	JAILER_OPT_GID,
	JAILER_OPT_HELP,
	JAILER_OPT_ID,
	JAILER_OPT_NETNS,
	JAILER_OPT_NEW_PID_NS,
	JAILER_OPT_PARENT_CGROUP,
	JAILER_OPT_RESOURCE_LIMIT,
	JAILER_OPT_UID,
	JAILER_OPT_VERSION,
	_JAILER_OPT_MAX,
	_JAILER_OPT_INVALID = -22,
};

struct jailer_args {
	/* What the command line gave for single-valued options (NULL: not given); flags point at
	 * their own "--name" word. Points into argv. */
	const char *value[_JAILER_OPT_MAX];
	/* Every value of --cgroup and --resource-limit, in command-line order. */
	const char **multi[_JAILER_OPT_MAX];
	size_t n_multi[_JAILER_OPT_MAX];
	/* Every word after the first bare "--", unchanged, for the exec'd binary. */
	const char *const *extra;
	size_t n_extra;
	bool help;
	bool version;
};

/* Parses argv (argv[0] is the program). --help/-h or --version before "--" short-cut everything
 * else (ret->help / ret->version set, nothing checked). Returns 0, -ENOMEM, or -EINVAL with e
 * holding "Failed to parse arguments: ..." and its debug form. */
int jailer_args_parse(
	int argc, const char *const *argv, struct jailer_args *ret, struct jailer_error *e);
void jailer_args_done(struct jailer_args *a);

/* The value given, else the option's default (--chroot-base-dir, --cgroup-version), else NULL. */
const char *jailer_args_get(const struct jailer_args *a, enum jailer_opt opt);
bool jailer_args_flag(const struct jailer_args *a, enum jailer_opt opt);

const char *jailer_opt_to_string(enum jailer_opt opt);
enum jailer_opt jailer_opt_from_string(const char *name);

/* The option list of --help, upstream's layout (required, then optional arguments). */
void jailer_args_print_help(FILE *f);

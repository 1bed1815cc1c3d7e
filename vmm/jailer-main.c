/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* banger-jailer: the Firecracker jailer's command-line contract, for banger-vmm or any VMM. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/version.h"
#include "vmm/jailer-args.h"
#include "vmm/jailer-env.h"
#include "vmm/jailer-jail.h"
#include "vmm/jailer-launch.h"

#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1)
#endif

/* Nothing inherited may reach the jail: every descriptor above stderr, and the environment. */
static void sanitize_process(void)
{
	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_UNSHARE) < 0) {
		char io[256];

		jailer_io_display(errno, io, sizeof(io));
		fprintf(stderr,
			"Failed to sanitize the Jailer process: Failed to call close range "
			"syscall: %s\n",
			io);
		abort();
	}
	clearenv();
}

static void print_help(void)
{
	printf("banger-jailer %s\n\n", PACKAGE_VERSION);
	printf("Usage: banger-jailer --id <id> --exec-file <path> --uid <uid> --gid <gid> "
	       "[OPTIONS] [-- <exec file arguments>]\n\n");
	jailer_args_print_help(stdout);
	printf("\nAny arguments after the -- separator will be supplied to the jailed binary.\n\n");
}

static int fail(const struct jailer_error *e)
{
	fprintf(stderr, "%s\nError: %s\n", e->display, e->debug);
	return EXIT_FAILURE;
}

int main(int argc, char **argv)
{
	_cleanup_(jailer_args_done) struct jailer_args args = {};
	_cleanup_(jailer_env_done) struct jailer_env env = {};
	struct jailer_error e = {};
	uint64_t start_us, start_cpu_us;

	sanitize_process();

	if (jailer_args_parse(argc, (const char *const *)argv, &args, &e) < 0)
		return fail(&e);
	if (args.help) {
		print_help();
		return EXIT_SUCCESS;
	}
	if (args.version) {
		printf("banger-jailer %s\n\n", PACKAGE_VERSION);
		return EXIT_SUCCESS;
	}

	start_us = jailer_time_us(CLOCK_MONOTONIC);
	start_cpu_us = jailer_time_us(CLOCK_PROCESS_CPUTIME_ID);
	if (jailer_env_new(&args, &jailer_sys_default, start_us, start_cpu_us, &env, &e) < 0)
		return fail(&e);
	if (jailer_jail_create_dir(&env, &e) < 0)
		return fail(&e);
	jailer_run(&env, &e);
	return fail(&e);
}

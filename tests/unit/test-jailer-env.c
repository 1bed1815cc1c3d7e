/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for banger-jailer's launch description: each option checked in upstream's order
 * with its error text, the chroot path from the resolved exec name, defaults, and v2's move into
 * an existing parent cgroup. */
#include "tests/unit/test-jailer-fixture.h"
#include "vmm/jailer-args.h"
#include "vmm/jailer-env.h"

/* Runs jailer_env_new on a command line; returns the display text of its error or NULL. */
static const char *env_for(
	const struct fixture *f, int argc, const char **argv, struct jailer_env *env)
{
	static struct jailer_error e;
	struct jailer_sys sys = {.proc_mounts = f->mounts, .proc_misc = f->misc};
	struct jailer_args a = {};
	const char *err = NULL;

	memset(&e, 0, sizeof(e));
	if (jailer_args_parse(argc, argv, &a, &e) < 0)
		return e.display;
	if (jailer_env_new(&a, &sys, 11, 22, env, &e) < 0)
		err = e.display;
	jailer_args_done(&a);
	return err;
}

static void test_env(void **state)
{
	struct fixture *f = *state;
	struct jailer_env env = {};
	char exec[256], link[256], base[256], expect[512], notdir[256];

	snprintf(exec, sizeof(exec), "%s/firecracker-v1.16.1-x86_64", f->dir);
	write_text(exec, "#!/bin/true\n");
	snprintf(link, sizeof(link), "%s/firecracker", f->dir);
	assert_int_equal(symlink("firecracker-v1.16.1-x86_64", link), 0);
	snprintf(base, sizeof(base), "%s/jail", f->dir);
	assert_int_equal(mkdir(base, 0755), 0);

	/* The exec file name is the basename of the resolved path. */
	const char **ok = ARGV("--id", "vm-1", "--exec-file", link, "--uid", "65534", "--gid",
		"+100", "--chroot-base-dir", base, "--resource-limit", "no-file=512",
		"--resource-limit", "fsize=4096", "--", "--api-sock", "s");
	assert_null(env_for(f, ARGC(ok), ok, &env));
	assert_string_equal(env.exec_file_path, exec);
	assert_string_equal(env.exec_file_name, "firecracker-v1.16.1-x86_64");
	snprintf(expect, sizeof(expect), "%s/firecracker-v1.16.1-x86_64/vm-1/root", base);
	assert_string_equal(env.chroot_dir, expect);
	assert_int_equal(env.uid, 65534);
	assert_int_equal(env.gid, 100);
	assert_int_equal(env.no_file, 512);
	assert_true(env.has_fsize);
	assert_int_equal(env.fsize, 4096);
	assert_int_equal(env.userfaultfd_minor, 124);
	assert_int_equal(env.n_extra_args, 2);
	assert_int_equal(env.start_time_us, 11);
	assert_int_equal(env.start_time_cpu_us, 22);
	jailer_env_done(&env);

	/* Documented default rlimit. */
	const char **dflt = ARGV("--id", "vm-1", "--exec-file", exec, "--uid", "1", "--gid", "1",
		"--chroot-base-dir", base);
	assert_null(env_for(f, ARGC(dflt), dflt, &env));
	assert_int_equal(env.no_file, JAILER_DEFAULT_NO_FILE);
	assert_false(env.has_fsize);
	jailer_env_done(&env);

	snprintf(notdir, sizeof(notdir), "%s/misc", f->dir);
	static const struct {
		const char *opt, *value, *error_fmt;
	} bad[] = {
		{"--id", "",
			"Invalid instance ID: Invalid len (0);  the length must be between 1 "
			"and 64"},
		{"--exec-file", "/nonexistent/fc",
			"Failed to canonicalize path /nonexistent/fc: No "
			"such file or directory (os error 2)"},
		{"--exec-file", "/tmp", "/tmp is not a file"},
		{"--chroot-base-dir", "/nonexistent/base",
			"Failed to canonicalize path "
			"/nonexistent/base: No such file or "
			"directory (os error 2)"},
		{"--chroot-base-dir", NULL, NULL}, /* a regular file: "X is not a directory" */
		{"--uid", "nobody", "Invalid uid: nobody"},
		{"--uid", "-1", "Invalid uid: -1"},
		{"--gid", "4294967296", "Invalid gid: 4294967296"},
		{"--parent-cgroup", "/sys",
			"Parent cgroup path is invalid. Path should not be "
			"absolute or contain '..' or '.'"},
		{"--cgroup-version", "x", "x is an invalid cgroup version specifier"},
		{"--resource-limit", "stack=1", "Invalid resource argument: stack"},
	};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		char value[256], error[512];
		snprintf(value, sizeof(value), "%s", bad[i].value ? bad[i].value : notdir);
		if (bad[i].error_fmt)
			snprintf(error, sizeof(error), "%s", bad[i].error_fmt);
		else
			snprintf(error, sizeof(error), "%s is not a directory", notdir);
		const char *argv[] = {"jailer", "--id", "vm-1", "--exec-file", exec, "--uid", "1",
			"--gid", "1", "--chroot-base-dir", base, NULL, NULL, NULL};
		int argc = 11;
		bool replaced = false;
		for (int j = 1; j < argc; j += 2)
			if (streq(argv[j], bad[i].opt)) {
				argv[j + 1] = value;
				replaced = true;
			}
		if (!replaced) {
			argv[argc++] = bad[i].opt;
			argv[argc++] = value;
		}
		const char *err = env_for(f, argc, argv, &env);
		if (!err || !streq(err, error))
			fail_msg("case %zu: expected \"%s\", got \"%s\"", i, error,
				err ? err : "(success)");
	}

	/* --cgroup without a hierarchy of that version, and with an unavailable controller. */
	write_text(f->mounts, "sysfs /sys sysfs rw 0 0\n");
	const char **nohier = ARGV("--id", "vm-1", "--exec-file", exec, "--uid", "1", "--gid", "1",
		"--chroot-base-dir", base, "--cgroup-version", "2", "--cgroup", "pids.max=1");
	assert_string_equal(env_for(f, ARGC(nohier), nohier, &env),
		"Hierarchy not found: No hierarchy found for this cgroup version.");
	/* The format is checked after the hierarchy was found, as upstream does. */
	const char **badfmt = ARGV("--id", "vm-1", "--exec-file", exec, "--uid", "1", "--gid", "1",
		"--chroot-base-dir", base, "--cgroup-version", "2", "--cgroup", "pids.max");
	assert_string_equal(env_for(f, ARGC(badfmt), badfmt, &env),
		"Hierarchy not found: No hierarchy found for this cgroup version.");
}

static void test_env_v2_move(void **state)
{
	struct fixture *f = *state;
	struct jailer_env env = {};
	char exec[256], base[256], p[256], pid[32], *text;

	snprintf(exec, sizeof(exec), "%s/vmm", f->dir);
	write_text(exec, "x");
	snprintf(base, sizeof(base), "%s/jail", f->dir);
	assert_int_equal(mkdir(base, 0755), 0);

	/* No parent cgroup: nothing happens. */
	const char **argv = ARGV("--id", "vm-1", "--exec-file", exec, "--uid", "1", "--gid", "1",
		"--chroot-base-dir", base, "--cgroup-version", "2", "--parent-cgroup", "banger");
	assert_null(env_for(f, ARGC(argv), argv, &env));
	jailer_env_done(&env);

	/* With one, the jailer's own pid is written into its cgroup.procs. */
	snprintf(p, sizeof(p), "%s/banger", f->cg2);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/banger/cgroup.procs", f->cg2);
	write_text(p, "");
	assert_null(env_for(f, ARGC(argv), argv, &env));
	jailer_env_done(&env);
	text = read_text(p);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	assert_string_equal(text, pid);
	free(text);

	/* A failing move is CgroupMove with the hint. */
	assert_int_equal(unlink(p), 0);
	assert_int_equal(mkdir(p, 0755), 0);
	const char *err = env_for(f, ARGC(argv), argv, &env);
	assert_non_null(err);
	char expect[512];
	snprintf(expect, sizeof(expect), "Failed to move process to cgroup (%s/banger): ", f->cg2);
	assert_true(strneq(err, expect, strlen(expect)));
	assert_non_null(strstr(err, "pass any --cgroup parameters."));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_env, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_env_v2_move, fixture_setup, fixture_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for banger-jailer's command line and option checks, against the documented jailer
 * contract: parsing rules, id validation, cgroup/rlimit specs, and the launch description. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/macro.h"
#include "vmm/jailer-args.h"
#include "vmm/jailer-cgroup.h"
#include "vmm/jailer-env.h"
#include "vmm/jailer-validate.h"

#define ARGV(...) ((const char *[]){"jailer", __VA_ARGS__, NULL})

static int ARGC(const char **v)
{
	int n = 0;
	while (v[n])
		n++;
	return n;
}

/* Parses argv; on failure returns the error's display text (static buffer), else NULL. */
static const char *parse(int argc, const char **argv, struct jailer_args *ret)
{
	static struct jailer_error e;

	memset(&e, 0, sizeof(e));
	if (jailer_args_parse(argc, argv, ret, &e) < 0)
		return e.display;
	return NULL;
}

static void test_parse_full(void **state)
{
	(void)state;
	const char **v = ARGV("--id", "vm-1", "--exec-file", "/bin/fc", "--uid", "100", "--gid",
	        "200", "--cgroup", "cpu.weight=100", "--daemonize", "--cgroup", "pids.max=10", "--",
	        "--api-sock", "/run/x.sock", "--", "--id", "other");
	struct jailer_args a = {};

	assert_null(parse(ARGC(v), v, &a));
	assert_string_equal(jailer_args_get(&a, JAILER_OPT_ID), "vm-1");
	assert_string_equal(jailer_args_get(&a, JAILER_OPT_EXEC_FILE), "/bin/fc");
	assert_string_equal(jailer_args_get(&a, JAILER_OPT_UID), "100");
	assert_string_equal(jailer_args_get(&a, JAILER_OPT_GID), "200");
	assert_true(jailer_args_flag(&a, JAILER_OPT_DAEMONIZE));
	assert_false(jailer_args_flag(&a, JAILER_OPT_NEW_PID_NS));
	assert_null(jailer_args_get(&a, JAILER_OPT_NETNS));
	/* Documented defaults. */
	assert_string_equal(jailer_args_get(&a, JAILER_OPT_CHROOT_BASE_DIR), "/srv/jailer");
	assert_string_equal(jailer_args_get(&a, JAILER_OPT_CGROUP_VERSION), "1");
	/* Repeatable options keep every value in order. */
	assert_int_equal(a.n_multi[JAILER_OPT_CGROUP], 2);
	assert_string_equal(a.multi[JAILER_OPT_CGROUP][0], "cpu.weight=100");
	assert_string_equal(a.multi[JAILER_OPT_CGROUP][1], "pids.max=10");
	/* Everything after the first bare "--" goes to the exec file unchanged. */
	assert_int_equal(a.n_extra, 5);
	assert_string_equal(a.extra[0], "--api-sock");
	assert_string_equal(a.extra[1], "/run/x.sock");
	assert_string_equal(a.extra[2], "--");
	assert_string_equal(a.extra[3], "--id");
	assert_string_equal(a.extra[4], "other");
	jailer_args_done(&a);
}

static void test_parse_refusals(void **state)
{
	(void)state;
	struct jailer_args a = {};
	const struct {
		const char **argv;
		const char *error;
	} cases[] = {
#define CASE(msg, ...) {ARGV(__VA_ARGS__), msg}
	        CASE("Failed to parse arguments: Found argument 'id=vm' which wasn't expected, or "
	             "isn't valid in this context.",
	                "--id=vm", "--exec-file", "/x", "--uid", "1", "--gid", "1"),
	        CASE("Failed to parse arguments: Found argument 'stray' which wasn't expected, or "
	             "isn't valid in this context.",
	                "--id", "vm", "stray"),
	        CASE("Failed to parse arguments: Found argument 'bogus' which wasn't expected, or "
	             "isn't valid in this context.",
	                "--bogus", "1"),
	        CASE("Failed to parse arguments: Found argument '-i' which wasn't expected, or "
	             "isn't valid in this context.",
	                "-i", "vm"),
	        CASE("Failed to parse arguments: The argument 'id' was provided more than once.",
	                "--id", "a", "--id", "b"),
	        CASE("Failed to parse arguments: The argument 'daemonize' was provided more than "
	             "once.",
	                "--daemonize", "--daemonize"),
	        CASE("Failed to parse arguments: The argument 'id' requires a value, but none was "
	             "supplied.",
	                "--id", "--uid", "1"),
	        CASE("Failed to parse arguments: The argument 'uid' requires a value, but none was "
	             "supplied.",
	                "--uid"),
	        /* The value may not come from after "--". */
	        CASE("Failed to parse arguments: The argument 'gid' requires a value, but none was "
	             "supplied.",
	                "--gid", "--", "5"),
	        /* Missing required options are named in alphabetical order. */
	        CASE("Failed to parse arguments: Argument 'exec-file' required, but not found.",
	                "--id", "vm"),
	        CASE("Failed to parse arguments: Argument 'gid' required, but not found.", "--id",
	                "vm", "--exec-file", "/x", "--uid", "1"),
	        CASE("Failed to parse arguments: Argument 'id' required, but not found.",
	                "--exec-file", "/x", "--uid", "1", "--gid", "1"),
	        CASE("Failed to parse arguments: Argument 'uid' required, but not found.", "--id",
	                "vm", "--exec-file", "/x", "--gid", "1"),
#undef CASE
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		const char *err = parse(ARGC(cases[i].argv), cases[i].argv, &a);
		if (!err || !streq(err, cases[i].error))
			fail_msg("case %zu: expected \"%s\", got \"%s\"", i, cases[i].error,
			        err ? err : "(success)");
	}

	/* No arguments at all: the first required option. */
	const char **none = ARGV(NULL);
	assert_string_equal(parse(1, none, &a),
	        "Failed to parse arguments: Argument 'exec-file' required, but not found.");
}

static void test_parse_debug_form(void **state)
{
	(void)state;
	const char **v = ARGV("--id", "a", "--id", "b");
	struct jailer_args a = {};
	struct jailer_error e = {};

	assert_int_equal(jailer_args_parse(ARGC(v), v, &a, &e), -EINVAL);
	assert_string_equal(e.debug, "ArgumentParsing(DuplicateArgument(\"id\"))");
}

static void test_help_version_shortcut(void **state)
{
	(void)state;
	struct jailer_args a = {};

	/* --help/-h/--version before "--" win over anything else, even bad options. */
	const char **h = ARGV("--bogus", "--id", "--help");
	assert_null(parse(ARGC(h), h, &a));
	assert_true(a.help);

	memset(&a, 0, sizeof(a));
	const char **sh = ARGV("-h", "--id", "x", "--id", "y");
	assert_null(parse(ARGC(sh), sh, &a));
	assert_true(a.help);

	memset(&a, 0, sizeof(a));
	const char **ver = ARGV("--nope", "--version");
	assert_null(parse(ARGC(ver), ver, &a));
	assert_true(a.version);
	assert_false(a.help);

	/* After "--" they belong to the exec file. */
	memset(&a, 0, sizeof(a));
	const char **after = ARGV("--id", "vm", "--exec-file", "/x", "--uid", "1", "--gid", "1",
	        "--", "--help", "--version");
	assert_null(parse(ARGC(after), after, &a));
	assert_false(a.help);
	assert_false(a.version);
	assert_int_equal(a.n_extra, 2);
	jailer_args_done(&a);
}

static void test_option_names(void **state)
{
	(void)state;
	for (int i = 0; i < _JAILER_OPT_MAX; i++) {
		const char *name = jailer_opt_to_string((enum jailer_opt)i);
		assert_non_null(name);
		assert_int_equal(jailer_opt_from_string(name), i);
		/* Kept in name order: that is the order upstream reports and lists them in. */
		if (i > 0)
			assert_true(
			        strcmp(jailer_opt_to_string((enum jailer_opt)(i - 1)), name) < 0);
	}
	assert_int_equal(jailer_opt_from_string("node"), _JAILER_OPT_INVALID);
	assert_null(jailer_opt_to_string(_JAILER_OPT_MAX));
}

static const char *check_id(const char *id)
{
	static struct jailer_error e;

	memset(&e, 0, sizeof(e));
	return jailer_validate_id(id, &e) < 0 ? e.display : NULL;
}

static void test_validate_id(void **state)
{
	(void)state;
	char id64[65], id65[66];

	memset(id64, 'a', 64);
	id64[64] = '\0';
	memset(id65, 'Z', 65);
	id65[65] = '\0';

	assert_null(check_id("a"));
	assert_null(check_id("bd65600d-8669-4903-8a14-af88203add38"));
	assert_null(check_id("ABC-xyz-019"));
	assert_null(check_id(id64));
	assert_string_equal(check_id(""),
	        "Invalid instance ID: Invalid len (0);  the length must be between 1 and 64");
	assert_string_equal(check_id(id65),
	        "Invalid instance ID: Invalid len (65);  the length must be between 1 and 64");
	assert_string_equal(
	        check_id("vm_1"), "Invalid instance ID: Invalid char (_) at position 2");
	assert_string_equal(
	        check_id("vm.1"), "Invalid instance ID: Invalid char (.) at position 2");
	assert_string_equal(check_id("a:b"), "Invalid instance ID: Invalid char (:) at position 1");
	assert_string_equal(
	        check_id("/ad./sa12"), "Invalid instance ID: Invalid char (/) at position 0");
	assert_string_equal(check_id("a b"), "Invalid instance ID: Invalid char ( ) at position 1");
	/* Non-ASCII: reported whole, position counted in characters, as upstream counts. */
	assert_string_equal(check_id("\xc3\xa9t\xc3\xa9_"),
	        "Invalid instance ID: Invalid char (\xc3\xa9) at position 0");
	/* Length is checked before characters, in bytes. */
	char long_utf8[70];
	memset(long_utf8, 'a', 63);
	strcpy(long_utf8 + 63, "\xc3\xa9");
	assert_string_equal(check_id(long_utf8),
	        "Invalid instance ID: Invalid len (65);  the length must be between 1 and 64");

	struct jailer_error e = {};
	assert_int_equal(jailer_validate_id("x_", &e), -EINVAL);
	assert_string_equal(e.debug, "InvalidInstanceId(InvalidChar('_', 1))");
}

static void test_parse_uint(void **state)
{
	(void)state;
	const char *why = NULL;
	uint64_t v = 0;

	assert_int_equal(jailer_parse_uint("65534", UINT32_MAX, &v, &why), 0);
	assert_int_equal(v, 65534);
	assert_int_equal(jailer_parse_uint("+7", UINT32_MAX, &v, &why), 0);
	assert_int_equal(v, 7);
	assert_int_equal(jailer_parse_uint("4294967295", UINT32_MAX, &v, &why), 0);
	assert_int_equal(v, UINT32_MAX);
	assert_int_equal(jailer_parse_uint("4294967296", UINT32_MAX, &v, &why), -ERANGE);
	assert_string_equal(why, "number too large to fit in target type");
	assert_int_equal(jailer_parse_uint("", UINT32_MAX, &v, &why), -EINVAL);
	assert_string_equal(why, "cannot parse integer from empty string");
	assert_int_equal(jailer_parse_uint("-1", UINT32_MAX, &v, &why), -EINVAL);
	assert_string_equal(why, "invalid digit found in string");
	assert_int_equal(jailer_parse_uint("nobody", UINT32_MAX, &v, &why), -EINVAL);
	assert_int_equal(jailer_parse_uint("+", UINT32_MAX, &v, &why), -EINVAL);
	assert_int_equal(jailer_parse_uint("256", UINT8_MAX, &v, &why), -ERANGE);
	assert_int_equal(jailer_parse_uint("18446744073709551615", UINT64_MAX, &v, &why), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(jailer_parse_uint("18446744073709551616", UINT64_MAX, &v, &why), -ERANGE);
}

static void test_parent_cgroup(void **state)
{
	(void)state;
	struct jailer_error e = {};
	static const char *const good[] = {"firecracker", "banger/vms", "a/b/c"};
	static const char *const bad[] = {"/abs", ".", "..", "a/../b", "./a", "a/.", "a/.."};

	for (size_t i = 0; i < ELEMENTSOF(good); i++)
		assert_int_equal(jailer_validate_parent_cgroup(good[i], &e), 0);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		assert_int_equal(jailer_validate_parent_cgroup(bad[i], &e), -EINVAL);
		assert_string_equal(e.display, "Parent cgroup path is invalid. Path should not be "
		                               "absolute or contain '..' or '.'");
	}
}

static void test_cgroup_spec(void **state)
{
	(void)state;
	struct jailer_error e = {};
	char *file = NULL, *value = NULL, *ctrl = NULL;

	assert_int_equal(jailer_parse_cgroup_spec("pids.max=10", &file, &value, &ctrl, &e), 0);
	assert_string_equal(file, "pids.max");
	assert_string_equal(value, "10");
	assert_string_equal(ctrl, "pids");
	free(file);
	free(value);
	free(ctrl);

	/* The controller ends at the first dot. */
	assert_int_equal(
	        jailer_parse_cgroup_spec("hugetlb.2MB.max=4194304", &file, &value, &ctrl, &e), 0);
	assert_string_equal(ctrl, "hugetlb");
	assert_string_equal(file, "hugetlb.2MB.max");
	free(file);
	free(value);
	free(ctrl);

	static const struct {
		const char *spec, *error;
	} bad[] = {
	        {"pids.max", "Invalid format for cgroups: pids.max"},
	        {"pids.max=", "Invalid format for cgroups: pids.max="},
	        {"pids.max=1=2", "Invalid format for cgroups: pids.max=1=2"},
	        {"pidsmax=1", "Cgroup invalid file: pidsmax"},
	        {"../pids.max=1", "Cgroup invalid file: ../pids.max"},
	        {"/pids.max=1", "Cgroup invalid file: /pids.max"},
	        {"./pids.max=1", "Cgroup invalid file: ./pids.max"},
	        {".max=1", "Cgroup invalid file: .max"},
	};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		assert_int_equal(
		        jailer_parse_cgroup_spec(bad[i].spec, &file, &value, &ctrl, &e), -EINVAL);
		assert_string_equal(e.display, bad[i].error);
	}
}

static void test_resource_limit(void **state)
{
	(void)state;
	struct jailer_error e = {};
	enum jailer_rlimit res;
	uint64_t v;

	assert_int_equal(jailer_parse_resource_limit("fsize=1048576", &res, &v, &e), 0);
	assert_int_equal(res, JAILER_RLIMIT_FSIZE);
	assert_int_equal(v, 1048576);
	assert_int_equal(jailer_parse_resource_limit("no-file=1024", &res, &v, &e), 0);
	assert_int_equal(res, JAILER_RLIMIT_NO_FILE);
	assert_int_equal(v, 1024);
	assert_string_equal(jailer_rlimit_to_string(JAILER_RLIMIT_NO_FILE), "no-file");

	assert_int_equal(jailer_parse_resource_limit("nofile=1", &res, &v, &e), -EINVAL);
	assert_string_equal(e.display, "Invalid resource argument: nofile");
	assert_int_equal(jailer_parse_resource_limit("fsize", &res, &v, &e), -EINVAL);
	assert_string_equal(e.display, "Invalid format for resources limits: fsize");
	assert_int_equal(jailer_parse_resource_limit("fsize=big", &res, &v, &e), -EINVAL);
	assert_string_equal(
	        e.display, "Invalid limit value for resource: big: invalid digit found in string");
	assert_int_equal(jailer_parse_resource_limit("no-file=", &res, &v, &e), -EINVAL);
	assert_string_equal(e.display,
	        "Invalid limit value for resource: : cannot parse integer from empty string");
}

/* A temporary tree standing in for /proc/mounts, /proc/misc and a cgroup hierarchy. */
struct fixture {
	char dir[64];
	char mounts[128];
	char misc[128];
	char cg2[128];
	char cg1[128];
};

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *read_text(const char *path)
{
	char *data = NULL;
	size_t len;
	assert_int_equal(read_file_full(path, 1 << 20, &data, &len), 0);
	return data;
}

static int fixture_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char text[1024], p[256];

	assert_non_null(f);
	strcpy(f->dir, "/tmp/banger-jailer-unit-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->mounts, sizeof(f->mounts), "%s/mounts", f->dir);
	snprintf(f->misc, sizeof(f->misc), "%s/misc", f->dir);
	snprintf(f->cg2, sizeof(f->cg2), "%s/unified dir", f->dir);
	snprintf(f->cg1, sizeof(f->cg1), "%s/pids", f->dir);
	assert_int_equal(mkdir(f->cg2, 0755), 0);
	assert_int_equal(mkdir(f->cg1, 0755), 0);
	snprintf(p, sizeof(p), "%s/cgroup.controllers", f->cg2);
	write_text(p, "cpu io pids\n");
	snprintf(p, sizeof(p), "%s/cgroup.subtree_control", f->cg2);
	write_text(p, "");
	snprintf(text, sizeof(text),
	        "sysfs /sys sysfs rw 0 0\n"
	        "cgroup %s cgroup rw,relatime,pids 0 0\n"
	        "cgroup2 %s/unified\\040dir cgroup2 rw,relatime 0 0\n",
	        f->cg1, f->dir);
	write_text(f->mounts, text);
	write_text(f->misc, " 58 memory_bandwidth\n237 kvm\n124 userfaultfd\n");
	*state = f;
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void test_find_mount(void **state)
{
	struct fixture *f = *state;
	char *dir = NULL;

	assert_int_equal(jailer_cgroup_find_mount(f->mounts, 2, NULL, &dir), 0);
	assert_string_equal(dir, f->cg2); /* \040 unescaped */
	free(dir);
	assert_int_equal(jailer_cgroup_find_mount(f->mounts, 1, "pids", &dir), 0);
	assert_string_equal(dir, f->cg1);
	free(dir);
	assert_int_equal(jailer_cgroup_find_mount(f->mounts, 1, "cpu", &dir), -ENOENT);
	assert_int_equal(jailer_cgroup_find_mount("/nonexistent/mounts", 2, NULL, &dir), -ENOENT);
	assert_int_equal(jailer_read_misc_minor(f->misc, "userfaultfd"), 124);
	assert_int_equal(jailer_read_misc_minor(f->misc, "kvm"), 237);
	assert_int_equal(jailer_read_misc_minor(f->misc, "nothing"), -1);
}

static void test_cgroup_v2_write(void **state)
{
	struct fixture *f = *state;
	struct jailer_cgroup cg = {};
	struct jailer_error e = {};
	char p[256], *text;

	assert_int_equal(
	        jailer_cgroup_new(f->mounts, 2, "memory.max=1", "vm-1", "fc", &cg, &e), -ENOENT);
	assert_string_equal(e.display, "Controller memory is unavailable");
	assert_int_equal(
	        jailer_cgroup_new(f->mounts, 3, "pids.max=1", "vm-1", "fc", &cg, &e), -EINVAL);
	assert_string_equal(e.display, "3 is an invalid cgroup version specifier");

	assert_int_equal(
	        jailer_cgroup_new(f->mounts, 2, "pids.max=12", "vm-1", "banger/vms", &cg, &e), 0);
	snprintf(p, sizeof(p), "%s/banger/vms/vm-1", f->cg2);
	assert_string_equal(cg.location, p);
	/* The parent level has its own subtree_control, the middle one does not. */
	snprintf(p, sizeof(p), "%s/banger/vms", f->cg2);
	assert_int_equal(mkdir_parents(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/banger/vms/cgroup.subtree_control", f->cg2);
	write_text(p, "");

	assert_int_equal(jailer_cgroup_write_value(&cg, &e), 0);
	snprintf(p, sizeof(p), "%s/banger/vms/vm-1/pids.max", f->cg2);
	text = read_text(p);
	assert_string_equal(text, "12\n");
	free(text);
	snprintf(p, sizeof(p), "%s/cgroup.subtree_control", f->cg2);
	text = read_text(p);
	assert_string_equal(text, "+pids\n");
	free(text);
	snprintf(p, sizeof(p), "%s/banger/vms/cgroup.subtree_control", f->cg2);
	text = read_text(p);
	assert_string_equal(text, "+pids\n");
	free(text);
	snprintf(p, sizeof(p), "%s/banger/cgroup.subtree_control", f->cg2);
	assert_int_equal(access(p, F_OK), -1);

	assert_int_equal(jailer_cgroup_attach(&cg, 4242, &e), 0);
	snprintf(p, sizeof(p), "%s/banger/vms/vm-1/cgroup.procs", f->cg2);
	text = read_text(p);
	assert_string_equal(text, "4242\n");
	free(text);
	jailer_cgroup_done(&cg);
}

static void test_cgroup_v1_inherit(void **state)
{
	struct fixture *f = *state;
	struct jailer_cgroup cg = {};
	struct jailer_error e = {};
	char p[256], *text;

	assert_int_equal(
	        jailer_cgroup_new(f->mounts, 1, "cpu.shares=2", "vm-1", "fc", &cg, &e), -ENOENT);
	assert_string_equal(e.display, "Controller cpu is unavailable");

	assert_int_equal(jailer_cgroup_new(f->mounts, 1, "pids.max=9", "vm-1", "fc", &cg, &e), 0);
	/* A fresh v1 cgroup has the property empty; the parent's value is copied down first. */
	snprintf(p, sizeof(p), "%s/pids.max", f->cg1);
	write_text(p, "max\n");
	snprintf(p, sizeof(p), "%s/fc/vm-1", f->cg1);
	assert_int_equal(mkdir_parents(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/fc/pids.max", f->cg1);
	write_text(p, "");
	snprintf(p, sizeof(p), "%s/fc/vm-1/pids.max", f->cg1);
	write_text(p, "");
	assert_int_equal(jailer_cgroup_write_value(&cg, &e), 0);
	snprintf(p, sizeof(p), "%s/fc/pids.max", f->cg1);
	text = read_text(p);
	assert_string_equal(text, "max\n");
	free(text);
	snprintf(p, sizeof(p), "%s/fc/vm-1/pids.max", f->cg1);
	text = read_text(p);
	assert_string_equal(text, "9\n");
	free(text);
	assert_int_equal(jailer_cgroup_attach(&cg, 77, &e), 0);
	snprintf(p, sizeof(p), "%s/fc/vm-1/tasks", f->cg1);
	text = read_text(p);
	assert_string_equal(text, "77\n");
	free(text);
	jailer_cgroup_done(&cg);
}

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
	        cmocka_unit_test(test_parse_full),
	        cmocka_unit_test(test_parse_refusals),
	        cmocka_unit_test(test_parse_debug_form),
	        cmocka_unit_test(test_help_version_shortcut),
	        cmocka_unit_test(test_option_names),
	        cmocka_unit_test(test_validate_id),
	        cmocka_unit_test(test_parse_uint),
	        cmocka_unit_test(test_parent_cgroup),
	        cmocka_unit_test(test_cgroup_spec),
	        cmocka_unit_test(test_resource_limit),
	        cmocka_unit_test_setup_teardown(test_find_mount, fixture_setup, fixture_teardown),
	        cmocka_unit_test_setup_teardown(
	                test_cgroup_v2_write, fixture_setup, fixture_teardown),
	        cmocka_unit_test_setup_teardown(
	                test_cgroup_v1_inherit, fixture_setup, fixture_teardown),
	        cmocka_unit_test_setup_teardown(test_env, fixture_setup, fixture_teardown),
	        cmocka_unit_test_setup_teardown(test_env_v2_move, fixture_setup, fixture_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

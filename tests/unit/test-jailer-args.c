/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for banger-jailer's command line and option-value checks, against the documented
 * jailer contract: parsing rules, id validation, cgroup and resource-limit specs. */
#include "tests/unit/test-jailer-fixture.h"
#include "vmm/jailer-args.h"
#include "vmm/jailer-validate.h"

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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

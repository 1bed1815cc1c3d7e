/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The validated launch description (upstream's Env::new): every option checked, in upstream's
 * order, before anything on disk is touched. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/jailer-env.h"
#include "vmm/jailer-validate.h"

const struct jailer_sys jailer_sys_default = {
	.proc_mounts = "/proc/mounts",
	.proc_misc = "/proc/misc",
};

void jailer_env_done(struct jailer_env *env)
{
	free(env->exec_file_path);
	free(env->chroot_dir);
	for (size_t i = 0; i < env->n_cgroups; i++)
		jailer_cgroup_done(&env->cgroups[i]);
	free(env->cgroups);
	*env = (struct jailer_env){};
}

int jailer_read_misc_minor(const char *proc_misc, const char *name)
{
	_cleanup_fclose_ FILE *f = fopen(proc_misc, "re");
	char line[256], word[128];
	int minor;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%d %127s", &minor, word) == 2 && streq(word, name))
			return minor;
	return -1;
}

static int canonicalize(const char *path, char **ret, struct jailer_error *e)
{
	char *c = realpath(path, NULL);

	if (!c)
		return jailer_error_io(
			e, errno, "Canonicalize", path, "Failed to canonicalize path %s", path);
	*ret = c;
	return 0;
}

static int parse_id_number(
	const char *s, const char *variant, const char *what, uint32_t *ret, struct jailer_error *e)
{
	const char *why;
	uint64_t v;
	char dbg[512];

	if (jailer_parse_uint(s, UINT32_MAX, &v, &why) < 0) {
		snprintf(dbg, sizeof(dbg), "%s(\"%s\")", variant, s);
		return jailer_error_set(e, -EINVAL, dbg, "Invalid %s: %s", what, s);
	}
	*ret = (uint32_t)v;
	return 0;
}

int jailer_env_new(const struct jailer_args *args, const struct jailer_sys *sys,
	uint64_t start_time_us, uint64_t start_time_cpu_us, struct jailer_env *ret,
	struct jailer_error *e)
{
	_cleanup_(jailer_env_done) struct jailer_env env = {
		.no_file = JAILER_DEFAULT_NO_FILE,
		.userfaultfd_minor = -1,
		.start_time_us = start_time_us,
		.start_time_cpu_us = start_time_cpu_us,
	};
	_cleanup_free_ char *base = NULL;
	const char *s, *parent;
	char dbg[1024];
	uint32_t n = 0;
	struct stat st;
	int r;

	env.id = jailer_args_get(args, JAILER_OPT_ID);
	r = jailer_validate_id(env.id, e);
	if (r < 0)
		return r;

	r = canonicalize(jailer_args_get(args, JAILER_OPT_EXEC_FILE), &env.exec_file_path, e);
	if (r < 0)
		return r;
	if (stat(env.exec_file_path, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(dbg, sizeof(dbg), "NotAFile(\"%s\")", env.exec_file_path);
		return jailer_error_set(e, -EINVAL, dbg, "%s is not a file", env.exec_file_path);
	}
	env.exec_file_name = strrchr(env.exec_file_path, '/') + 1;

	r = canonicalize(jailer_args_get(args, JAILER_OPT_CHROOT_BASE_DIR), &base, e);
	if (r < 0)
		return r;
	if (stat(base, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(dbg, sizeof(dbg), "NotADirectory(\"%s\")", base);
		return jailer_error_set(e, -ENOTDIR, dbg, "%s is not a directory", base);
	}
	if (asprintf(&env.chroot_dir, "%s%s%s/%s/root", base, streq(base, "/") ? "" : "/",
		    env.exec_file_name, env.id) < 0) {
		env.chroot_dir = NULL;
		return jailer_error_set(e, -ENOMEM, "OutOfMemory", "Out of memory");
	}

	r = parse_id_number(jailer_args_get(args, JAILER_OPT_UID), "Uid", "uid", &n, e);
	if (r < 0)
		return r;
	env.uid = n;
	r = parse_id_number(jailer_args_get(args, JAILER_OPT_GID), "Gid", "gid", &n, e);
	if (r < 0)
		return r;
	env.gid = n;

	env.netns = jailer_args_get(args, JAILER_OPT_NETNS);
	env.daemonize = jailer_args_flag(args, JAILER_OPT_DAEMONIZE);
	env.new_pid_ns = jailer_args_flag(args, JAILER_OPT_NEW_PID_NS);

	parent = jailer_args_get(args, JAILER_OPT_PARENT_CGROUP);
	if (!parent)
		parent = env.exec_file_name;
	r = jailer_validate_parent_cgroup(parent, e);
	if (r < 0)
		return r;

	s = jailer_args_get(args, JAILER_OPT_CGROUP_VERSION);
	{
		const char *why;
		uint64_t v;

		if (jailer_parse_uint(s, UINT8_MAX, &v, &why) < 0) {
			snprintf(dbg, sizeof(dbg), "CgroupInvalidVersion(\"%s\")", s);
			return jailer_error_set(
				e, -EINVAL, dbg, "%s is an invalid cgroup version specifier", s);
		}
		n = (uint32_t)v;
	}

	if (args->n_multi[JAILER_OPT_CGROUP] > 0) {
		_cleanup_free_ char *mount = NULL;

		/* Upstream checks the version and finds the hierarchy once, before any spec. */
		if (n != 1 && n != 2) {
			snprintf(dbg, sizeof(dbg), "CgroupInvalidVersion(\"%u\")", n);
			return jailer_error_set(
				e, -EINVAL, dbg, "%u is an invalid cgroup version specifier", n);
		}
		r = jailer_cgroup_find_mount(sys->proc_mounts, n, NULL, &mount);
		if (r == -ENOMEM)
			return jailer_error_set(e, r, "OutOfMemory", "Out of memory");
		if (r < 0)
			return jailer_error_set(e, -ENOENT,
				"CgroupHierarchyMissing(\"No hierarchy found for this cgroup "
				"version.\")",
				"Hierarchy not found: No hierarchy found for this cgroup version.");

		env.cgroups = calloc(args->n_multi[JAILER_OPT_CGROUP], sizeof(*env.cgroups));
		if (!env.cgroups)
			return jailer_error_set(e, -ENOMEM, "OutOfMemory", "Out of memory");
		for (size_t i = 0; i < args->n_multi[JAILER_OPT_CGROUP]; i++) {
			r = jailer_cgroup_new(sys->proc_mounts, n,
				args->multi[JAILER_OPT_CGROUP][i], env.id, parent, &env.cgroups[i],
				e);
			if (r < 0)
				return r;
			env.n_cgroups++;
		}
	}

	for (size_t i = 0; i < args->n_multi[JAILER_OPT_RESOURCE_LIMIT]; i++) {
		enum jailer_rlimit res;
		uint64_t v;

		r = jailer_parse_resource_limit(
			args->multi[JAILER_OPT_RESOURCE_LIMIT][i], &res, &v, e);
		if (r < 0)
			return r;
		switch (res) {
		case JAILER_RLIMIT_FSIZE:
			env.has_fsize = true;
			env.fsize = v;
			break;
		case JAILER_RLIMIT_NO_FILE:
			env.no_file = v;
			break;
		case _JAILER_RLIMIT_MAX:
		case _JAILER_RLIMIT_INVALID:
			break;
		}
	}

	/* v2 without --cgroup: join the parent cgroup if it exists, before anything else. */
	if (n == 2 && env.n_cgroups == 0) {
		r = jailer_cgroup_v2_move_to_parent(sys->proc_mounts, parent, getpid(), e);
		if (r < 0)
			return r;
	}

	env.userfaultfd_minor = jailer_read_misc_minor(sys->proc_misc, "userfaultfd");
	env.extra_args = args->extra;
	env.n_extra_args = args->n_extra;

	*ret = env;
	env = (struct jailer_env){};
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The validated launch description (upstream's Env::new): every option checked, in upstream's
 * order, before anything on disk is touched. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "vmm/jailer-args.h"
#include "vmm/jailer-cgroup.h"
#include "vmm/jailer-error.h"

#define JAILER_DEFAULT_NO_FILE 2048

struct jailer_env {
	const char *id;
	char *exec_file_path;       /* canonical, symlinks resolved */
	const char *exec_file_name; /* basename of exec_file_path */
	char *chroot_dir;           /* <canonical base>/<exec file name>/<id>/root */
	uid_t uid;
	gid_t gid;
	const char *netns;
	bool daemonize;
	bool new_pid_ns;
	struct jailer_cgroup *cgroups;
	size_t n_cgroups;
	uint64_t no_file;
	bool has_fsize;
	uint64_t fsize;
	int userfaultfd_minor; /* -1: /proc/misc has no userfaultfd */
	const char *const *extra_args;
	size_t n_extra_args;
	uint64_t start_time_us;
	uint64_t start_time_cpu_us;
};

/* Where the checks read the system: real paths in the program, fixtures in tests. */
struct jailer_sys {
	const char *proc_mounts;
	const char *proc_misc;
};

extern const struct jailer_sys jailer_sys_default;

/* Validates args in upstream's order (id, exec file, chroot base, uid, gid, parent cgroup,
 * cgroup version and --cgroup specs, resource limits) and, with cgroup v2 and no --cgroup,
 * moves the calling process into an existing parent cgroup. */
int jailer_env_new(const struct jailer_args *args, const struct jailer_sys *sys,
	uint64_t start_time_us, uint64_t start_time_cpu_us, struct jailer_env *ret,
	struct jailer_error *e);
void jailer_env_done(struct jailer_env *env);

/* The minor of "NNN userfaultfd" in a /proc/misc file, or -1. */
int jailer_read_misc_minor(const char *proc_misc, const char *name);

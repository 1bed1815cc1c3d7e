/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The jailer's cgroups: hierarchy discovery from /proc/mounts, the per-VM cgroup under the
 * parent cgroup (v1 and v2), and v2's move into an existing parent cgroup. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "vmm/jailer-error.h"

struct jailer_cgroup {
	unsigned version;
	char *file;       /* e.g. "pids.max" */
	char *value;      /* written as "value\n" */
	char *controller; /* the file name up to its first '.' */
	char *mount;      /* root of the hierarchy the controller lives in */
	char *location;   /* <mount>/<parent>/<id> */
};

void jailer_cgroup_done(struct jailer_cgroup *cg);

/* The directory of the first cgroup2 mount in mounts_path (version 2), or of the first v1 mount
 * whose options name controller (version 1; controller NULL: any v1 mount). -ENOENT if none. */
int jailer_cgroup_find_mount(
	const char *mounts_path, unsigned version, const char *controller, char **ret_dir);

/* Builds (does not create) the cgroup for one --cgroup FILE=VALUE. Errors as upstream's:
 * "Hierarchy not found: ...", "Cgroup invalid file: ...", "Controller X is unavailable". */
int jailer_cgroup_new(const char *mounts_path, unsigned version, const char *spec, const char *id,
	const char *parent, struct jailer_cgroup *ret, struct jailer_error *e);

/* Creates the cgroup's directory and writes its value: v2 enables "+controller" in
 * cgroup.subtree_control from the hierarchy root down to the parent; v1 first copies an empty
 * property down from the nearest ancestor that has it. */
int jailer_cgroup_write_value(const struct jailer_cgroup *cg, struct jailer_error *e);

/* Writes pid into the cgroup's cgroup.procs (v2) or tasks (v1). */
int jailer_cgroup_attach(const struct jailer_cgroup *cg, pid_t pid, struct jailer_error *e);

/* v2 without --cgroup: when <unified>/<parent> exists, move pid into it ("CgroupMove" on
 * failure); otherwise nothing. No cgroup2 mount is also nothing. */
int jailer_cgroup_v2_move_to_parent(
	const char *mounts_path, const char *parent, pid_t pid, struct jailer_error *e);

/* Upstream's writeln_special: O_NOFOLLOW|O_CREAT|O_TRUNC, "value\n". "Failed to write to ...". */
int jailer_write_line(const char *path, const char *value, struct jailer_error *e);

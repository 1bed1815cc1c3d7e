/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What update-apply.c (the steps) and update-install.c (files, units, restarting the daemons)
 * share: one update's state and the ways it reports. Private to banger update. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>
#include <jansson.h>

#include "cli/update-apply.h"
#include "cli/update-release.h"
#include "common/install.h"
#include "common/layout.h"
#include "common/macro.h"
#include "protocol/methods.h"

#define MANIFEST_MAX (64u * 1024u)
#define SIG_MAX 4096u
#define ANSWER_TIMEOUT_SEC 60
#define CALL_TIMEOUT_MS 10000
#define N_STEPS 12

struct vm_before {
	char name[128], id[65], boot_id[40];
	long pid;
};

struct update {
	const struct update_opts *o;
	struct banger_layout l;
	struct install_meta m;
	char prefix[PATH_MAX];
	char work[PATH_MAX];   /* <lib dir>/update, root 0700 */
	char status[PATH_MAX]; /* <run dir>/update.json */
	char url[2048];
	bool systemd;
	struct version running, target;
	char running_s[48], target_s[48];
	struct manifest man;
	struct vm_before *vms;
	size_t n_vms;
	int step;      /* index into step_names */
	bool reported; /* the outcome was published already (a rollback) */
	pid_t hupped;  /* the detached bangerd told to re-execute, until it answers */
	char run[48];  /* this run, in update.json: followers tell it from an earlier one's */
	char why[1024];
};

/* Records why (u->why) and returns r. */
int update_fail(struct update *u, int r, const char *fmt, ...) _printf_(3, 4);
/* snprintf for paths: truncation is an error (-ENAMETOOLONG), never a shorter path. */
int update_pathf(char *buf, size_t size, const char *fmt, ...) _printf_(3, 4);
/* Runs argv (as the owner when as_owner), its stdout into out (NUL-terminated, may be NULL);
 * returns its exit status, or -errno. */
int update_run_capture(struct update *u, const char *const argv[], bool as_owner, char *out,
	size_t out_size, int timeout_sec);
/* One call to bangerd; its error message lands in u->why. */
int update_daemon_call(struct update *u, enum rpc_method method, json_t *params, json_t **ret);
/* The daemon answers and reaches the helper, which runs version want; so does the daemon when
 * daemon_too. */
bool update_daemons_at(struct update *u, const char *want, bool daemon_too);

/* update-install.c */
int update_rm_rf_at(int dir_fd, const char *name);
/* <work>/NAME, emptied first when fresh; its descriptor in *ret_fd. */
int update_work_subdir(struct update *u, const char *name, bool fresh, int *ret_fd);
/* Calls fn for each regular file below base/rel (rel "" for all; readdir order). */
int update_walk(struct update *u, const char *base, const char *rel,
	int (*fn)(struct update *u, const char *base, const char *rel));
int update_save_one(struct update *u, const char *base, const char *rel);
int update_swap_one(struct update *u, const char *base, const char *rel);
int update_units_apply(struct update *u, const char *base, bool save, unsigned *ret_changed);
int update_restart_daemons(struct update *u, const char *version);
int update_wait_answer(struct update *u, const char *version);

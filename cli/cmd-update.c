/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* banger update: as root, the whole update (cli/update-apply.c); as the owner, a request to the
 * daemon, which has the helper start it (the owner chooses when, never what), then the steps as
 * the root updater publishes them in <run dir>/update.json. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/update-apply.h"
#include "common/fileio.h"
#include "common/layout.h"
#include "common/macro.h"
#include "protocol/jsonrpc.h"

#define FOLLOW_TIMEOUT_SEC 900
#define FIRST_WORD_SEC 60

/* The run an earlier update left in update.json ("" when none): a time stamp cannot tell it
 * from this update's when both fall in one second. */
static void status_run(const char *path, char *buf, size_t size)
{
	_cleanup_free_ char *data = NULL;
	_cleanup_json_ json_t *o = NULL;

	if (read_file_full(path, 65536, &data, NULL) >= 0)
		o = json_loads(data, 0, NULL);
	snprintf(buf, size, "%s", json_string_value(json_object_get(o, "run")) ?: "");
}

/* Prints each new message of the root updater until it ends; 0 when it finished. */
static int follow(const char *status_path, const char *before)
{
	char last[1024] = "";
	struct timespec ts = {.tv_nsec = 200 * 1000 * 1000};

	for (int i = 0; i < FOLLOW_TIMEOUT_SEC * 5; i++, nanosleep(&ts, NULL)) {
		_cleanup_free_ char *data = NULL;
		_cleanup_json_ json_t *o = NULL;
		const char *state, *msg;

		const char *run;

		if (read_file_full(status_path, 65536, &data, NULL) >= 0)
			o = json_loads(data, 0, NULL);
		state = json_string_value(json_object_get(o, "state"));
		msg = json_string_value(json_object_get(o, "message"));
		run = json_string_value(json_object_get(o, "run"));
		if (!state || !msg || !run || streq(run, before)) {
			/* nothing from this update yet: an updater that never reports is not waited
			 * for the whole update's length */
			if (i >= FIRST_WORD_SEC * 5)
				return cli_error(
					"the updater did not report within %d s; see journalctl -u "
					"banger-update or the update log in the log directory",
					FIRST_WORD_SEC);
			continue; /* an earlier update's */
		}
		if (!streq(msg, last)) {
			if (streq(state, "running"))
				printf("[%lld/%lld] %s: %s\n",
					(long long)json_integer_value(json_object_get(o, "n")),
					(long long)json_integer_value(json_object_get(o, "of")),
					json_string_value(json_object_get(o, "step")) ?: "?", msg);
			else
				printf("%s\n", msg);
			fflush(stdout);
			snprintf(last, sizeof(last), "%s", msg);
		}
		if (streq(state, "finished"))
			return 0;
		if (streq(state, "failed") || streq(state, "rolled_back"))
			return CLI_EXIT_ERROR;
	}
	return cli_error(
		"the update did not finish within %d s; see %s", FOLLOW_TIMEOUT_SEC, status_path);
}

int cmd_update(struct cli *cli)
{
	struct update_opts o = {
		.from = cli_opt(cli, "from"),
		.check_only = cli_opt(cli, "check") != NULL,
		.allow_downgrade = cli_opt(cli, "allow-downgrade") != NULL,
		.rollback = cli_opt(cli, "rollback") != NULL,
		.insecure = cli_opt(cli, "insecure") != NULL,
		.unattended = cli_opt(cli, "unattended") != NULL,
		.progress = isatty(STDERR_FILENO),
	};
	_cleanup_json_ json_t *res = NULL;
	struct banger_layout l;
	char status[PATH_MAX + 16], before[64];
	int r;

	if (geteuid() == 0 || o.check_only) {
		if (o.unattended && (o.from || o.allow_downgrade || o.insecure || o.rollback))
			return cli_usage_error(cli, "--unattended takes no other option");
		r = update_run(&o);
		return r == -ECANCELED || r < 0 ? CLI_EXIT_ERROR : 0;
	}
	if (o.from || o.allow_downgrade || o.rollback || o.insecure || o.unattended)
		return cli_error(
			"--from, --allow-downgrade, --rollback, --insecure and --unattended "
			"need root (sudo banger update ...); the owner may only start an update "
			"to the configured release");
	/* The owner: the daemon asks the helper, which starts the root updater. */
	if (layout_init(&l, NULL) < 0)
		return CLI_EXIT_ERROR;
	snprintf(status, sizeof(status), "%s/update.json", l.run_dir);
	status_run(status, before, sizeof(before));
	r = cli_call(cli, RPC_METHOD_UPDATE_APPLY, NULL, 30000, &res);
	if (r)
		return r;
	printf("Update started by bangerd-root (%s)\n",
		json_string_value(json_object_get(res, "started_by")) ?: "as root");
	return follow(status, before);
}

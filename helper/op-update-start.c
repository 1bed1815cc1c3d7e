/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* update.start: starts the root updater for the owner (banger update --unattended), under
 * systemd as banger-update.service, else detached with its output in <log dir>/update.log.
 * Answers at once; the updater reports its steps in <run dir>/update.json.
 * Security: the owner chooses when, never what. The op takes no parameter: the updater uses
 * only root's banger.conf [update] url, installs only a release whose manifest verifies against
 * the root-owned release key and is newer than what runs, and refuses --from, --insecure and
 * downgrades in this mode. The program is banger next to install.json's VMM, checked like the
 * VMM (root's all the way up, no symlinks, not the owner's to change). */
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "common/bus.h"
#include "common/macro.h"
#include "helper/config.h"
#include "helper/helper.h"
#include "helper/ops.h"
#include "helper/spawn.h"

#define UPDATE_UNIT "banger-update.service"

static int start_unit(json_t **ret_result, struct rpc_error *err)
{
	_cleanup_bus_ sd_bus *bus = NULL;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	int r;

	r = bus_open_systemd(&bus);
	if (r < 0)
		return rpc_error_set(
			err, r, RPC_ERROR_UNAVAILABLE, "Failed to reach systemd: %s", strerror(-r));
	/* "fail": an update already queued or running is not started twice */
	r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
		"org.freedesktop.systemd1.Manager", "StartUnit", &e, NULL, "ss", UPDATE_UNIT,
		"fail");
	if (r < 0) {
		rpc_error_set(err, r, RPC_ERROR_UNAVAILABLE, "Failed to start %s: %s", UPDATE_UNIT,
			e.message ? e.message : strerror(-r));
		sd_bus_error_free(&e);
		return r;
	}
	*ret_result = json_pack("{s:s}", "started_by", UPDATE_UNIT);
	return *ret_result ? 0 : -ENOMEM;
}

static int start_detached(
	const struct helper_config *cfg, json_t **ret_result, struct rpc_error *err)
{
	char prog[PATH_MAX + 16], dir[PATH_MAX], log[PATH_MAX + 16], env[PATH_MAX + 32];
	char *argv[] = {prog, (char *)"update", (char *)"--unattended", NULL};
	char *extra[] = {cfg->layout.root[0] ? env : NULL, NULL};
	_cleanup_close_ int out = -1, pidfd = -1;
	pid_t pid;
	int r;

	snprintf(dir, sizeof(dir), "%s", cfg->vmm_path);
	if (!cfg->vmm_path[0] ||
		snprintf(prog, sizeof(prog), "%s/banger", dirname(dir)) >= (int)sizeof(prog))
		return rpc_error_set(err, -ENOENT, RPC_ERROR_UNAVAILABLE,
			"No banger is configured (install.json names no VMM to find it by)");
	r = helper_path_check_trusted(cfg, prog, err);
	if (r < 0)
		return r;
	snprintf(log, sizeof(log), "%s/update.log", cfg->layout.log_dir);
	out = open(log, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (out < 0)
		return rpc_error_set(
			err, negative_errno(), RPC_ERROR_INTERNAL, "Failed to open %s: %m", log);
	/* a relocated root (tests) is the updater's too */
	snprintf(env, sizeof(env), "BANGER_ROOT=%s", cfg->layout.root);
	r = spawn_detached_env(argv, extra, out, &pid, &pidfd, err);
	if (r < 0)
		return r;
	*ret_result = json_pack(
		"{s:s, s:i, s:s}", "started_by", "bangerd-root", "pid", (int)pid, "log", log);
	return *ret_result ? 0 : -ENOMEM;
}

int op_update_start_run(const struct helper_ctx *ctx, _unused_ const struct helper_request *req,
	json_t **ret_result, struct rpc_error *err)
{
	if (sd_booted() > 0 && !ctx->cfg->layout.root[0])
		return start_unit(ret_result, err);
	return start_detached(ctx->cfg, ret_result, err);
}

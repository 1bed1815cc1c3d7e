/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* update.check, update.apply, and the updater's steps as events. The update itself runs as root
 * (banger update, cli/update-apply.c): the owner may only ask bangerd-root to start it
 * (update.start), and the root updater writes each step to <run dir>/update.json, which this
 * daemon watches and republishes as update.progress and update.finished. The file outlives the
 * daemon the update restarts: the new daemon picks it up where the old one left off. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/log.h"
#include "common/macro.h"
#include "daemon/child.h"
#include "daemon/daemon.h"
#include "daemon/lifecycle.h"
#include "daemon/rpc-update.h"
#include "daemon/rpc.h"
#include "protocol/jsonrpc.h"

#define CHECK_TIMEOUT_USEC (60ull * 1000 * 1000)
/* A finished update this recent is announced again by a daemon that just started. */
#define RECENT_SEC 120

struct update_watch {
	struct daemon *d;
	sd_event_source *src;
	char path[PATH_MAX];
	char last[1200]; /* "state time message" of what was published last */
};

static void publish_status(struct update_watch *w, bool at_start)
{
	_cleanup_free_ char *data = NULL;
	_cleanup_json_ json_t *o = NULL;
	const char *state, *msg, *when, *run;
	char key[sizeof(w->last)];

	if (read_file_full(w->path, 65536, &data, NULL) < 0)
		return;
	o = json_loads(data, 0, NULL);
	state = json_string_value(json_object_get(o, "state"));
	msg = json_string_value(json_object_get(o, "message"));
	when = json_string_value(json_object_get(o, "time"));
	run = json_string_value(json_object_get(o, "run")) ?: "";
	if (!state || !msg || !when)
		return;
	/* two updates can say the same thing in one second: the run tells them apart */
	snprintf(key, sizeof(key), "%s %s %s %s", run, state, when, msg);
	if (streq(key, w->last))
		return;
	snprintf(w->last, sizeof(w->last), "%s", key);
	if (at_start && !streq(state, "running")) {
		/* an old result is no news; one from the update that restarted us is */
		struct tm tm = {};
		if (!strptime(when, "%Y-%m-%dT%H:%M:%SZ", &tm) ||
			time(NULL) - timegm(&tm) > RECENT_SEC)
			return;
	}
	if (streq(state, "running"))
		daemon_publish(w->d, "update.progress",
			json_pack("{s:s, s:O?, s:O?, s:s, s:O?, s:O?}", "step",
				json_string_value(json_object_get(o, "step")) ?: "", "n",
				json_object_get(o, "n"), "of", json_object_get(o, "of"), "message",
				msg, "from", json_object_get(o, "from"), "to",
				json_object_get(o, "to")));
	else
		daemon_publish(w->d, "update.finished",
			json_pack("{s:s, s:s, s:O?, s:O?}", "result", state, "message", msg, "from",
				json_object_get(o, "from"), "to", json_object_get(o, "to")));
}

static int on_inotify(sd_event_source *s, const struct inotify_event *ev, void *userdata)
{
	struct update_watch *w = userdata;

	if (ev->len && streq(ev->name, "update.json"))
		publish_status(w, false);
	return 0;
}

int update_watch_start(struct daemon *d, struct update_watch **ret)
{
	struct update_watch *w = calloc(1, sizeof(*w));
	int r;

	if (!w)
		return -ENOMEM;
	w->d = d;
	if (snprintf(w->path, sizeof(w->path), "%s/update.json", d->layout.run_dir) >=
		(int)sizeof(w->path)) {
		free(w);
		return -ENAMETOOLONG;
	}
	/* the updater replaces the file by rename: watch the directory for it */
	r = sd_event_add_inotify(d->event, &w->src, d->layout.run_dir,
		IN_MOVED_TO | IN_CLOSE_WRITE | IN_ONLYDIR, on_inotify, w);
	if (r < 0) {
		free(w);
		return r;
	}
	publish_status(w, true);
	*ret = w;
	return 0;
}

void update_watch_free(struct update_watch *w)
{
	if (!w)
		return;
	sd_event_source_disable_unref(w->src);
	free(w);
}

/* ---- update.apply: the helper starts the root updater -----------------------------------------
 */

static void on_started(
	struct helper_client *h, int r, json_t *result, const struct rpc_error *err, void *userdata)
{
	struct rpc_call *call = userdata;
	struct rpc_error e = {};

	(void)h;
	if (r < 0) {
		rpc_error_set(&e, r, err ? err->code : RPC_ERROR_UNAVAILABLE,
			"bangerd-root could not start the update: %s",
			err ? err->message : strerror(-r));
		rpc_call_fail(call, &e);
		return;
	}
	log_info("The owner started an update (%s)",
		json_string_value(json_object_get(result, "started_by")) ?: "?");
	rpc_call_reply(call, json_incref(result));
}

int rpc_update_apply(struct rpc_call *call, const struct rpc_update_apply_args *args,
	json_t **ret_result, struct rpc_error *err)
{
	struct rpc_call *deferred;
	struct helper_port hp;
	int r;

	deferred = rpc_call_defer(call);
	if (!deferred)
		return -ENOMEM;
	hp = lifecycle_helper_port(call->d->lifecycle);
	r = helper_call_update_start(
		&hp, &(struct helper_req_update_start){}, on_started, deferred);
	if (r < 0) {
		rpc_error_set(err, r, RPC_ERROR_UNAVAILABLE,
			"Cannot ask bangerd-root to start the update: %s", strerror(-r));
		rpc_call_fail(deferred, err);
	}
	return RPC_REPLY_LATER;
}

/* ---- update.check: banger update --check, as the owner ----------------------------------------
 */

static void on_checked(struct child *c, const struct child_result *res, void *userdata)
{
	struct rpc_call *call = userdata;
	struct rpc_error e = {};
	char *nl;

	(void)c;
	if (res->r < 0 || res->status != 0) {
		const char *text = res->err && res->err[0] ? res->err : res->out ? res->out : "";
		rpc_error_set(&e, res->r < 0 ? res->r : -EIO, RPC_ERROR_UNAVAILABLE,
			"Cannot check for an update: %.400s",
			res->r < 0 ? strerror(-res->r) : text);
		if ((nl = strchr(e.message, '\n')))
			*nl = '\0';
		rpc_call_fail(call, &e);
		return;
	}
	if (res->out && (nl = strchr(res->out, '\n')))
		*nl = '\0';
	rpc_call_reply(call, json_pack("{s:s, s:b}", "message", res->out ?: "", "available",
				     res->out && strstr(res->out, " is available")));
}

int rpc_update_check(struct rpc_call *call, const struct rpc_update_check_args *args,
	json_t **ret_result, struct rpc_error *err)
{
	char exe[PATH_MAX], prog[PATH_MAX + 16], *p;
	const char *argv[] = {prog, "update", "--check", NULL};
	struct rpc_call *deferred;
	ssize_t n;
	int r;

	/* banger sits next to this bangerd (an update may have replaced our file: " (deleted)") */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return rpc_error_set(err, -ENOENT, RPC_ERROR_INTERNAL, "Cannot find banger");
	exe[n] = '\0';
	p = strrchr(exe, '/');
	if (!p)
		return rpc_error_set(err, -ENOENT, RPC_ERROR_INTERNAL, "Cannot find banger");
	*p = '\0';
	snprintf(prog, sizeof(prog), "%s/banger", exe);
	deferred = rpc_call_defer(call);
	if (!deferred)
		return -ENOMEM;
	r = child_run(call->d->event, argv, -1, CHECK_TIMEOUT_USEC, on_checked, deferred, NULL);
	if (r < 0) {
		rpc_error_set(err, r, RPC_ERROR_INTERNAL, "Cannot run %s: %s", prog, strerror(-r));
		rpc_call_fail(deferred, err);
	}
	return RPC_REPLY_LATER;
}

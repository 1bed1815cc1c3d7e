/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Descriptors and clients: NOFILE, the client cap, refusals and accept pauses (conn-limit.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "common/macro.h"
#include "daemon/conn-limit.h"
#include "protocol/jsonrpc.h"

int conn_limit_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return negative_errno();
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			return negative_errno();
	}
	return rl.rlim_cur > INT32_MAX ? INT32_MAX : (int)rl.rlim_cur;
}

static int on_resume(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct conn_limit *cl = userdata;

	(void)sd_event_source_set_enabled(cl->listen, SD_EVENT_ON);
	return 0;
}

int conn_limit_init(struct conn_limit *cl, sd_event *e, sd_event_source *listen, size_t cap)
{
	struct rlimit rl = {};
	int r;

	*cl = (struct conn_limit){.event = e, .listen = listen};
	cl->log_rl = RATELIMIT_INIT(1000u * 1000u, 20);
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return negative_errno();
	cl->nofile_soft = rl.rlim_cur;
	cl->nofile_hard = rl.rlim_max;
	/* the other half: VM console logs and pidfds, the helper, VMM API sockets, imports, ssh */
	cl->max_clients = MIN((uint64_t)cap, cl->nofile_soft / 2);
	r = sd_event_add_time(e, &cl->resume, CLOCK_MONOTONIC, UINT64_MAX, 0, on_resume, cl);
	if (r >= 0)
		r = sd_event_source_set_enabled(cl->resume, SD_EVENT_OFF);
	return r < 0 ? r : 0;
}

void conn_limit_done(struct conn_limit *cl)
{
	cl->resume = sd_event_source_disable_unref(cl->resume);
}

static void conn_limit_logv(struct conn_limit *cl, int level, int err, const char *fmt, va_list ap)
{
	uint64_t held = 0;
	char msg[512];

	if (!ratelimit_below(&cl->log_rl, &held))
		return;
	if (err < 0)
		errno = -err; /* for %m */
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (held)
		log_internal(level, err, NULL, "%s (%llu similar messages suppressed)", msg,
			(unsigned long long)held);
	else
		log_internal(level, err, NULL, "%s", msg);
}

void conn_limit_log(struct conn_limit *cl, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conn_limit_logv(cl, level, 0, fmt, ap);
	va_end(ap);
}

void conn_limit_log_errno(struct conn_limit *cl, int level, int err, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	conn_limit_logv(cl, level, err, fmt, ap);
	va_end(ap);
	errno = saved;
}

void conn_limit_accept_failed(struct conn_limit *cl, int err)
{
	uint64_t now;

	if (err == -EAGAIN || err == -EINTR || err == -ECONNABORTED)
		return;
	if (err != -EMFILE && err != -ENFILE) {
		conn_limit_log_errno(cl, LOG_WARNING, err, "Failed to accept a client: %m");
		return;
	}
	/* The listening socket stays readable while the queue holds clients: without a pause the
	 * loop would spin on accept() at 100 % CPU. The queued clients wait, they are not lost. */
	cl->n_paused++;
	conn_limit_log_errno(cl, LOG_WARNING, err,
		"Out of descriptors (%m) with a client waiting; not accepting for %u ms",
		CONN_LIMIT_PAUSE_USEC / 1000);
	(void)sd_event_source_set_enabled(cl->listen, SD_EVENT_OFF);
	if (sd_event_now(cl->event, CLOCK_MONOTONIC, &now) >= 0 &&
		sd_event_source_set_time(cl->resume, now + CONN_LIMIT_PAUSE_USEC) >= 0)
		(void)sd_event_source_set_enabled(cl->resume, SD_EVENT_ONESHOT);
	else
		(void)sd_event_source_set_enabled(cl->listen, SD_EVENT_ON);
}

void conn_limit_client_left(struct conn_limit *cl)
{
	int enabled = SD_EVENT_ON;

	if (sd_event_source_get_enabled(cl->resume, &enabled) >= 0 && enabled != SD_EVENT_OFF) {
		(void)sd_event_source_set_enabled(cl->resume, SD_EVENT_OFF);
		(void)sd_event_source_set_enabled(cl->listen, SD_EVENT_ON);
	}
}

void conn_limit_refuse(struct conn_limit *cl, int fd, size_t n_clients)
{
	_cleanup_json_ json_t *msg = NULL;
	_cleanup_free_ char *line = NULL;
	struct rpc_error e;
	size_t len;

	cl->n_refused++;
	conn_limit_log(cl, LOG_WARNING, "Refusing a client: already %zu connected (at most %zu)",
		n_clients, cl->max_clients);
	rpc_error_set(&e, -EUSERS, RPC_ERROR_UNAVAILABLE,
		"bangerd already serves %zu clients, its limit; try again later", n_clients);
	msg = rpc_error_response_new(NULL, &e, NULL);
	/* best effort: a fresh socket has room for one line; never wait for it */
	if (msg && rpc_message_serialize(msg, &line, &len) >= 0)
		(void)send(fd, line, len, MSG_DONTWAIT | MSG_NOSIGNAL);
}

json_t *conn_limit_json(const struct conn_limit *cl)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I}", "nofile", (json_int_t)cl->nofile_soft,
		"nofile_hard", (json_int_t)cl->nofile_hard, "max_clients",
		(json_int_t)cl->max_clients, "refused", (json_int_t)cl->n_refused, "accept_paused",
		(json_int_t)cl->n_paused);
}

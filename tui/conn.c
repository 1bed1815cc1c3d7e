/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The TUI's non-blocking daemon connection. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/macro.h"
#include "tui/conn.h"

#define CONN_WRITE_QUEUE (4u << 20)

void conn_init(struct conn *c, const char *path)
{
	*c = (struct conn){.fd = -1, .state = CONN_CONNECTING};
	snprintf(c->path, sizeof(c->path), "%s", path);
	rpc_calls_init(&c->calls, CONN_MAX_PENDING);
	ndjson_reader_init(&c->reader, NDJSON_MAX_MESSAGE);
	ndjson_writer_init(&c->writer, CONN_WRITE_QUEUE);
}

static void drop_calls(struct conn *c)
{
	struct conn_call *call;

	while ((call = rpc_calls_pop(&c->calls)))
		free(call);
}

void conn_done(struct conn *c)
{
	c->fd = safe_close(c->fd);
	ndjson_reader_done(&c->reader);
	ndjson_writer_done(&c->writer);
	drop_calls(c);
	rpc_calls_done(&c->calls);
}

int64_t conn_backoff_ms(unsigned attempt, double jitter)
{
	static const int64_t steps[] = {250, 500, 1000, 2000, 5000};
	int64_t base = steps[MIN(attempt, (unsigned)ELEMENTSOF(steps) - 1)];
	return base + (int64_t)((double)base * 0.4 * (jitter - 0.5));
}

const char *conn_reason_for(int err, char *buf, size_t size)
{
	switch (err) {
	case ENOENT:
		snprintf(buf, size, "socket missing (is bangerd running?)");
		break;
	case ECONNREFUSED:
		snprintf(buf, size, "connection refused");
		break;
	case EACCES:
	case EPERM:
		snprintf(buf, size, "permission denied (is your user in group banger?)");
		break;
	case EPIPE:
		snprintf(buf, size, "daemon closed the connection (EOF)");
		break;
	case ECONNRESET:
		snprintf(buf, size, "connection reset");
		break;
	case ETIMEDOUT:
		snprintf(buf, size, "daemon silent (no heartbeat)");
		break;
	default:
		snprintf(buf, size, "%s", strerror(err));
	}
	return buf;
}

static void reset_buffers(struct conn *c)
{
	ndjson_reader_done(&c->reader);
	ndjson_writer_done(&c->writer);
	ndjson_reader_init(&c->reader, NDJSON_MAX_MESSAGE);
	ndjson_writer_init(&c->writer, CONN_WRITE_QUEUE);
	drop_calls(c); /* their answers would come on the old connection */
}

static void schedule_retry(struct conn *c, int64_t now)
{
	bool updating = c->expect_restart_until > now;
	int64_t delay = updating ? 500 : conn_backoff_ms(c->attempt, drand48());

	c->attempt++;
	c->retry_at = now + delay;
	if (c->stale_since == 0)
		c->stale_since = (int64_t)time(NULL);
}

void conn_lost(struct conn *c, int64_t now, const char *reason)
{
	c->fd = safe_close(c->fd);
	reset_buffers(c);
	snprintf(c->reason, sizeof(c->reason), "%s", reason);
	c->state = c->connected_once ? CONN_DISCONNECTED : CONN_CONNECTING;
	c->subscribed = false;
	c->heartbeat_gap = 0;
	c->last_heartbeat = 0;
	schedule_retry(c, now);
}

int conn_call(struct conn *c, enum rpc_method method, json_t *params, enum conn_call_kind kind,
	const char *what)
{
	_cleanup_free_ struct conn_call *call = NULL;
	_cleanup_free_ char *data = NULL;
	const char *name = rpc_method_to_string(method);
	json_int_t id;
	size_t len;
	int r;

	if (!name) {
		json_decref(params);
		return -EINVAL;
	}
	if (c->fd < 0) {
		json_decref(params);
		return -ENOTCONN;
	}
	call = calloc(1, sizeof(*call));
	if (!call) {
		json_decref(params);
		return -ENOMEM;
	}
	call->kind = kind;
	snprintf(call->what, sizeof(call->what), "%s", what ? what : name);
	r = rpc_calls_add(&c->calls, name, params, call, &data, &len, &id);
	if (r < 0)
		return r; /* -EBUSY: CONN_MAX_PENDING outstanding */
	call->id = id;
	r = ndjson_writer_append(&c->writer, data, len);
	if (r < 0) {
		rpc_calls_take(&c->calls, id);
		return r;
	}
	call = NULL; /* conn.calls holds it now */
	return 0;
}

enum rpc_incoming conn_match(struct conn *c, const struct rpc_message *m, struct conn_call *ret)
{
	struct rpc_call entry;
	enum rpc_incoming k = rpc_calls_match(&c->calls, m, &entry, NULL);

	if (k == RPC_INCOMING_REPLY) {
		*ret = *(struct conn_call *)entry.userdata;
		free(entry.userdata);
	}
	return k;
}

const struct conn_call *conn_pending(const struct conn *c, size_t i)
{
	return i < c->calls.n_calls ? c->calls.calls[i].userdata : NULL;
}

int conn_connect(struct conn *c, int64_t now, uint64_t since_seq)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char why[160];
	json_t *sub;
	int fd, r;

	if (strlen(c->path) >= sizeof(sa.sun_path)) {
		conn_lost(c, now, "socket path too long");
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, c->path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return negative_errno();
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS &&
		errno != EAGAIN) {
		r = negative_errno();
		close(fd);
		conn_lost(c, now, conn_reason_for(-r, why, sizeof(why)));
		return r;
	}
	reset_buffers(c);
	c->fd = fd;
	c->last_rx = now;
	r = conn_call(c, RPC_METHOD_HELLO, rpc_hello_new("banger-tui", PACKAGE_VERSION), CALL_HELLO,
		NULL);
	if (r >= 0) {
		sub = since_seq > 0 ? json_pack("{s:I}", "since_seq", (json_int_t)since_seq)
				    : json_object();
		r = conn_call(c, RPC_METHOD_EVENTS_SUBSCRIBE, sub, CALL_SUBSCRIBE, NULL);
	}
	if (r < 0) {
		conn_lost(c, now, strerror(-r));
		return r;
	}
	return 0;
}

int conn_fill(struct conn *c, size_t max_bytes)
{
	size_t total = 0;

	while (total < max_bytes) {
		int n = ndjson_reader_fill(&c->reader, c->fd);
		if (n == -EAGAIN)
			break;
		if (n == 0)
			return -EPIPE;
		if (n < 0)
			return n;
		total += (size_t)n;
	}
	return (int)MIN(total, (size_t)INT_MAX);
}

int conn_next(struct conn *c, struct rpc_message *ret, struct rpc_error *err)
{
	char *line;
	size_t len;
	int r = ndjson_reader_next(&c->reader, &line, &len);

	if (r <= 0)
		return r;
	r = rpc_message_parse(line, len, ret, err);
	return r < 0 ? r : 1;
}

int conn_flush(struct conn *c)
{
	if (c->fd < 0 || ndjson_writer_pending(&c->writer) == 0)
		return 0;
	return ndjson_writer_flush(&c->writer, c->fd);
}

bool conn_want_write(const struct conn *c)
{
	return c->fd >= 0 && ndjson_writer_pending(&c->writer) > 0;
}

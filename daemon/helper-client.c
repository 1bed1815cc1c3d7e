/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's connection to bangerd-root: asynchronous JSON-RPC calls on the event loop, with
 * descriptors passed alongside (SCM_RIGHTS). The lifecycle's steps build each op's parameters
 * as helper/README.md (and helper/op-*.c) define them. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/macro.h"
#include "daemon/helper-client.h"
#include "protocol/calls.h"
#include "protocol/jsonrpc.h"
#include "protocol/ndjson.h"

#define HELPER_DEFAULT_TIMEOUT_USEC (60ull * 1000 * 1000)
/* bangerd-root closes a connection idle for its --idle-timeout (300 s by default). A call sent
 * at that very moment would meet the close: a connection idle half as long is replaced before
 * it is used again, so the helper never closes one the daemon is about to write to. */
#define HELPER_IDLE_RECONNECT_USEC (120ull * 1000 * 1000)
/* Far above what the lifecycle's steps have in flight at once: a bound, not a budget. */
#define HELPER_MAX_CALLS 4096

struct call {
	struct call *next; /* on the failed list */
	json_int_t id;
	char op[48];
	uint64_t deadline;
	helper_done_t done;
	void *userdata;
	int fail_r; /* when on the failed list */
	struct rpc_error fail_err;
};

struct helper_client {
	sd_event *event;
	char sock_path[108];
	int fd;
	sd_event_source *io;
	sd_event_source *timer; /* earliest deadline */
	sd_event_source *defer; /* delivers failures outside the caller's stack */
	struct ndjson_reader reader;
	struct rpc_calls calls; /* of struct call: sent, waiting for an answer */
	struct call *failed;    /* to be told "failed" from the defer source */
	unsigned n;
	uint64_t last_io;        /* CLOCK_MONOTONIC of the last line sent or received */
	uint64_t idle_reconnect; /* replace a connection idle longer than this (µs) */
};

static void call_finish(
	struct helper_client *h, struct call *c, int r, json_t *result, const struct rpc_error *err)
{
	h->n--;
	if (c->done)
		c->done(h, r, result, err, c->userdata);
	free(c);
}

static void disconnect(struct helper_client *h)
{
	h->io = sd_event_source_disable_unref(h->io);
	h->fd = safe_close(h->fd);
	ndjson_reader_done(&h->reader);
	ndjson_reader_init(&h->reader, NDJSON_MAX_MESSAGE);
}

static int on_defer(sd_event_source *s, void *userdata)
{
	struct helper_client *h = userdata;

	sd_event_source_set_enabled(s, SD_EVENT_OFF);
	while (h->failed) {
		struct call *c = h->failed;
		h->failed = c->next;
		call_finish(h, c, c->fail_r, NULL, &c->fail_err);
	}
	return 0;
}

static void fail_later(struct helper_client *h, struct call *c, int r, const struct rpc_error *err)
{
	c->fail_r = r;
	c->fail_err = *err;
	c->next = h->failed;
	h->failed = c;
	sd_event_source_set_enabled(h->defer, SD_EVENT_ONESHOT);
}

/* Every sent call fails; they hear about it from the defer source, not from inside our caller. */
static void fail_all(struct helper_client *h, const struct rpc_error *err)
{
	struct call *c;

	/* newest first onto the failed list, so the oldest hears first */
	while ((c = rpc_calls_pop(&h->calls)))
		fail_later(h, c, -ECONNRESET, err);
}

static void schedule_timer(struct helper_client *h)
{
	uint64_t earliest = UINT64_MAX;

	for (size_t i = 0; i < h->calls.n_calls; i++)
		earliest = MIN(earliest, ((struct call *)h->calls.calls[i].userdata)->deadline);
	if (earliest == UINT64_MAX) {
		sd_event_source_set_enabled(h->timer, SD_EVENT_OFF);
		return;
	}
	sd_event_source_set_time(h->timer, earliest);
	sd_event_source_set_enabled(h->timer, SD_EVENT_ONESHOT);
}

static void handle_line(struct helper_client *h, const char *line, size_t len)
{
	struct rpc_message m = {};
	struct rpc_error e = {};
	struct rpc_call entry;

	if (rpc_message_parse(line, len, &m, &e) < 0) {
		rpc_error_set(&e, 0, RPC_ERROR_UNAVAILABLE,
			"bangerd-root sent an invalid message: %s", e.message);
		disconnect(h);
		fail_all(h, &e);
		return;
	}
	switch (rpc_calls_match(&h->calls, &m, &entry, NULL)) {
	case RPC_INCOMING_REPLY:
		if (m.type == RPC_MESSAGE_RESPONSE)
			call_finish(h, entry.userdata, 0, m.result, NULL);
		else
			call_finish(h, entry.userdata, -EREMOTEIO, NULL, &m.error);
		schedule_timer(h);
		break;
	case RPC_INCOMING_STRAY: /* answer to a call that already timed out */
	case RPC_INCOMING_UNREADABLE:
	case RPC_INCOMING_NOTIFICATION: /* the helper sends none; ignore anything else */
	case RPC_INCOMING_REQUEST:
	case _RPC_INCOMING_MAX:
	case _RPC_INCOMING_INVALID:
		break;
	}
	rpc_message_done(&m);
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct helper_client *h = userdata;
	struct rpc_error e = {};
	char *line;
	size_t len;
	int k;

	k = ndjson_reader_fill(&h->reader, fd);
	if (k == -EAGAIN)
		return 0;
	if (k <= 0) {
		rpc_error_set(&e, 0, RPC_ERROR_UNAVAILABLE, "Connection to bangerd-root lost: %s",
			k == 0 ? "closed by the helper" : strerror(-k));
		disconnect(h);
		fail_all(h, &e);
		return 0;
	}
	sd_event_now(h->event, CLOCK_MONOTONIC, &h->last_io);
	while (h->fd >= 0 && (k = ndjson_reader_next(&h->reader, &line, &len)) > 0)
		handle_line(h, line, len);
	if (k < 0) {
		rpc_error_set(
			&e, 0, RPC_ERROR_UNAVAILABLE, "bangerd-root sent an over-long message");
		disconnect(h);
		fail_all(h, &e);
	}
	return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct helper_client *h = userdata;

	/* A callback may add calls (at the end) or, losing the connection, fail them all: the
	 * table is read afresh after each. */
	for (size_t i = 0; i < h->calls.n_calls;) {
		struct call *c = h->calls.calls[i].userdata;
		if (c->deadline <= usec) {
			struct rpc_error e;
			rpc_calls_take(&h->calls, c->id);
			rpc_error_set(&e, 0, RPC_ERROR_TIMEOUT,
				"bangerd-root did not answer %s in time", c->op);
			call_finish(h, c, -ETIMEDOUT, NULL, &e);
		} else
			i++;
	}
	schedule_timer(h);
	return 0;
}

static int ensure_connected(struct helper_client *h, struct rpc_error *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = -1;
	int r;

	if (h->fd >= 0)
		return 0;
	strcpy(sa.sun_path, h->sock_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return rpc_error_set(err, negative_errno(), RPC_ERROR_INTERNAL, "socket(): %m");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return rpc_error_set(err, negative_errno(), RPC_ERROR_UNAVAILABLE,
			"bangerd-root is not reachable at %s: %m (is it running?)", h->sock_path);
	r = sd_event_add_io(h->event, &h->io, fd, EPOLLIN, on_io, h);
	if (r < 0)
		return rpc_error_set(
			err, r, RPC_ERROR_INTERNAL, "sd_event_add_io: %s", strerror(-r));
	h->fd = TAKE_FD(fd);
	return 0;
}

int helper_client_new(sd_event *e, const char *sock_path, struct helper_client **ret)
{
	struct helper_client *h;
	int r;

	if (strlen(sock_path) >= sizeof(h->sock_path))
		return -ENAMETOOLONG;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->event = sd_event_ref(e);
	h->fd = -1;
	rpc_calls_init(&h->calls, HELPER_MAX_CALLS);
	h->idle_reconnect = HELPER_IDLE_RECONNECT_USEC;
	strcpy(h->sock_path, sock_path);
	ndjson_reader_init(&h->reader, NDJSON_MAX_MESSAGE);
	r = sd_event_add_time(e, &h->timer, CLOCK_MONOTONIC, UINT64_MAX, 0, on_timer, h);
	if (r >= 0)
		r = sd_event_source_set_enabled(h->timer, SD_EVENT_OFF);
	if (r >= 0)
		r = sd_event_add_defer(e, &h->defer, on_defer, h);
	if (r >= 0)
		r = sd_event_source_set_enabled(h->defer, SD_EVENT_OFF);
	if (r < 0) {
		helper_client_free(h);
		return r;
	}
	*ret = h;
	return 0;
}

struct helper_client *helper_client_free(struct helper_client *h)
{
	struct rpc_error e;

	if (!h)
		return NULL;
	rpc_error_set(&e, 0, RPC_ERROR_UNAVAILABLE, "The daemon is shutting down");
	disconnect(h);
	fail_all(h, &e);
	while (h->failed) {
		struct call *c = h->failed;
		h->failed = c->next;
		call_finish(h, c, -ECANCELED, NULL, &c->fail_err);
	}
	ndjson_reader_done(&h->reader);
	rpc_calls_done(&h->calls);
	sd_event_source_disable_unref(h->timer);
	sd_event_source_disable_unref(h->defer);
	sd_event_unref(h->event);
	free(h);
	return NULL;
}

int helper_client_call(struct helper_client *h, const char *op, json_t *params,
	const char *const *fd_names, const int *fds, size_t n_fds, uint64_t timeout_usec,
	helper_done_t done, void *userdata)
{
	_cleanup_free_ char *line = NULL;
	struct rpc_error e = {};
	struct call *c;
	uint64_t now;
	size_t len;
	int r;

	if (!params)
		params = json_object();
	if (!params)
		return -ENOMEM;
	if (n_fds > 0) {
		json_t *names = json_array();
		for (size_t i = 0; names && i < n_fds; i++)
			json_array_append_new(names, json_string(fd_names[i]));
		if (!names || json_object_set_new(params, "fds", names) < 0) {
			json_decref(params);
			return -ENOMEM;
		}
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		json_decref(params);
		return -ENOMEM;
	}
	c->done = done;
	c->userdata = userdata;
	snprintf(c->op, sizeof(c->op), "%s", op);
	sd_event_now(h->event, CLOCK_MONOTONIC, &now);
	c->deadline = now + (timeout_usec ? timeout_usec : HELPER_DEFAULT_TIMEOUT_USEC);
	h->n++;

	if (h->fd >= 0 && h->calls.n_calls == 0) {
		/* the loop's cached time may be old here (a caller outside an event): read the
		 * clock */
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if ((uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000 - h->last_io >
			h->idle_reconnect)
			disconnect(h);
	}
	r = ensure_connected(h, &e);
	if (r < 0) {
		json_decref(params);
		fail_later(h, c, r, &e);
		return 0;
	}
	r = rpc_calls_add(&h->calls, op, params, c, &line, &len, &c->id);
	if (r == -ENOMEM) {
		h->n--;
		free(c);
		return r;
	}
	if (r < 0) {
		/* -EMSGSIZE, -EBUSY: this call alone cannot go; the connection is fine */
		rpc_error_set(&e, r, RPC_ERROR_INTERNAL, "Failed to send %s to bangerd-root: %s",
			op, r == -EBUSY ? "too many calls outstanding" : strerror(-r));
		fail_later(h, c, r, &e);
		return 0;
	}
	r = ndjson_send_with_fds(h->fd, line, len, fds, n_fds);
	if (r < 0) {
		rpc_calls_take(&h->calls, c->id);
		rpc_error_set(&e, r, RPC_ERROR_UNAVAILABLE, "Failed to send %s to bangerd-root: %s",
			op, strerror(-r));
		disconnect(h);
		fail_all(h, &e);
		fail_later(h, c, r, &e);
		return 0;
	}
	h->last_io = now;
	schedule_timer(h);
	return 0;
}

void helper_client_set_idle_reconnect(struct helper_client *h, uint64_t usec)
{
	h->idle_reconnect = usec;
}

unsigned helper_client_pending(const struct helper_client *h)
{
	return h->n;
}

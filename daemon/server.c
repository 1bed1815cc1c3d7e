/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bangerd.sock: accepting clients, framing, dispatch to the method table, per-client bounded
 * output and event queues so that no client can stall another. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/log.h"
#include "common/macro.h"
#include "daemon/conn-limit.h"
#include "daemon/daemon.h"
#include "daemon/rpc.h"
#include "daemon/server.h"
#include "protocol/jsonrpc.h"
#include "protocol/ndjson.h"

/* Below this many unsent bytes a subscriber's writer takes more events from its queue. */
#define PUMP_LOW_WATER (64u * 1024u)
/* Rounds of pump+write one connection gets per wakeup before the others get theirs. */
#define FLUSH_ROUNDS 16
/* Requests handled in one go before other clients get their turn. */
#define REQUESTS_PER_WAKEUP 64
/* A client with this many unsent answer bytes is not read from until it catches up: a client
 * that pipelines without reading slows itself down, not the daemon. */
#define INPUT_PAUSE (4u * 1024u * 1024u)

struct conn {
	unsigned n_ref;
	struct server *server;
	struct conn *prev, *next;
	int fd;
	sd_event_source *io;
	struct ndjson_reader reader;
	struct ndjson_writer writer;
	bool subscribed;
	bool want_snapshot;
	bool want_out;
	bool want_in;
	bool input_pending; /* complete requests may wait in the reader */
	struct event_queue queue;
	unsigned long long n_requests;
	uint64_t accepted_usec; /* CLOCK_MONOTONIC */
	bool spoke; /* sent a complete message: no longer subject to the silent timeout */
};

struct server {
	struct daemon *d;
	int listen_fd;
	sd_event_source *listen_io;
	sd_event_source *flush_defer;
	struct conn *conns;
	size_t n_conns, n_subscribers;
	struct conn_limit limit;
	sd_event_source *silent_timer; /* closes clients that never sent a request */
	uint64_t silent_usec;          /* 0: never */
	uint64_t n_silent_closed;
};

static void conn_close(struct conn *c);
static void conn_flush(struct conn *c);

/* Answers given outside the connection's own I/O callback (deferred calls) are written on the
 * next loop iteration; inside it, the callback's own flush comes first and this finds nothing. */
static void conn_schedule_flush(struct conn *c)
{
	(void)sd_event_source_set_enabled(c->server->flush_defer, SD_EVENT_ONESHOT);
}

struct conn *conn_ref(struct conn *c)
{
	c->n_ref++;
	return c;
}

static void conn_free(struct conn *c)
{
	ndjson_reader_done(&c->reader);
	ndjson_writer_done(&c->writer);
	event_queue_done(&c->queue);
	free(c);
}

struct conn *conn_unref(struct conn *c)
{
	if (c && --c->n_ref == 0)
		conn_free(c);
	return NULL;
}

static void conn_unrefp(struct conn **c)
{
	conn_unref(*c);
}

bool conn_is_open(const struct conn *c)
{
	return c->fd >= 0;
}

static void conn_update_events(struct conn *c, bool want_out)
{
	bool want_in = ndjson_writer_pending(&c->writer) < INPUT_PAUSE;

	if (!c->io || (want_out == c->want_out && want_in == c->want_in))
		return;
	c->want_out = want_out;
	c->want_in = want_in;
	(void)sd_event_source_set_io_events(
		c->io, (want_in ? EPOLLIN : 0) | (want_out ? EPOLLOUT : 0));
}

/* Appends one line to the writer; a client that lets CONN_MAX_QUEUED bytes of answers pile up
 * unread is dropped (it is not reading, and holding more would let it take our memory). */
static int conn_append(struct conn *c, const char *line, size_t len)
{
	int r = ndjson_writer_append(&c->writer, line, len);

	if (r == -ENOBUFS) {
		log_warning("Client %d does not read its answers (%zu bytes unsent); closing it",
			c->fd, ndjson_writer_pending(&c->writer));
		conn_close(c);
	} else if (r < 0)
		log_error_errno(r, "Failed to queue a message for client %d: %m", c->fd);
	return r;
}

static int conn_append_json(struct conn *c, json_t *msg)
{
	_cleanup_free_ char *data = NULL;
	size_t len;
	int r;

	r = rpc_message_serialize(msg, &data, &len);
	if (r < 0) {
		log_error_errno(r, "Failed to serialise a message: %m");
		return r;
	}
	return conn_append(c, data, len);
}

void conn_reply(struct conn *c, json_t *id, json_t *result)
{
	_cleanup_json_ json_t *msg = NULL;

	if (!conn_is_open(c)) {
		json_decref(result);
		return;
	}
	msg = rpc_response_new(id, result);
	if (!msg) {
		log_oom();
		return;
	}
	conn_schedule_flush(c);
	if (conn_append_json(c, msg) == -EMSGSIZE) {
		struct rpc_error e;
		rpc_error_set(&e, -EMSGSIZE, RPC_ERROR_INTERNAL,
			"The answer is larger than the %u-byte message limit", NDJSON_MAX_MESSAGE);
		conn_reply_error(c, id, &e);
	}
}

void conn_reply_error(struct conn *c, json_t *id, const struct rpc_error *err)
{
	_cleanup_json_ json_t *msg = NULL;

	if (!conn_is_open(c))
		return;
	msg = rpc_error_response_new(id, err, NULL);
	if (!msg) {
		log_oom();
		return;
	}
	conn_schedule_flush(c);
	(void)conn_append_json(c, msg);
}

/* A protocol error ends the conversation: answer where possible, then close. */
static void conn_protocol_error(struct conn *c, const char *fmt, ...) _printf_(2, 3);
static void conn_protocol_error(struct conn *c, const char *fmt, ...)
{
	struct rpc_error e;
	va_list ap;

	va_start(ap, fmt);
	rpc_error_setv(&e, -EBADMSG, RPC_ERROR_PROTOCOL_ERROR, fmt, ap);
	va_end(ap);
	conn_limit_log(&c->server->limit, LOG_INFO, "Closing client %d: %s", c->fd, e.message);
	conn_reply_error(c, NULL, &e);
	if (conn_is_open(c))
		(void)ndjson_writer_flush(&c->writer, c->fd);
	conn_close(c);
}

static void conn_close(struct conn *c)
{
	struct server *s = c->server;

	if (!conn_is_open(c))
		return;
	c->io = sd_event_source_disable_unref(c->io);
	c->fd = safe_close(c->fd);
	if (c->subscribed)
		s->n_subscribers--;
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	s->n_conns--;
	event_queue_done(&c->queue);
	conn_limit_client_left(&s->limit);
	conn_unref(c);
}

static int conn_send_snapshot(struct conn *c, bool lagged, uint64_t dropped)
{
	_cleanup_(event_unrefp) struct event *e = NULL;
	struct daemon *d = c->server->d;
	json_t *params;
	int r;

	if (lagged) {
		params = json_pack("{s:I, s:I}", "seq", (json_int_t)d->bus.seq, "dropped",
			(json_int_t)dropped);
		r = params ? event_new_unnumbered("events.lagged", params, &e) : -ENOMEM;
		if (r < 0)
			return r;
		r = conn_append(c, e->line, e->len);
		if (r < 0)
			return r;
		e = event_unref(e);
	}
	params = json_pack("{s:I, s:o, s:o}", "seq", (json_int_t)d->bus.seq, "vms",
		daemon_vms_json(d), "images", daemon_images_json(d));
	r = params ? event_new_unnumbered("events.snapshot", params, &e) : -ENOMEM;
	if (r < 0)
		return r;
	return conn_append(c, e->line, e->len);
}

/* Moves queued events into the writer while it is short of work. */
static int conn_pump(struct conn *c)
{
	while (c->subscribed && conn_is_open(c) &&
		ndjson_writer_pending(&c->writer) < PUMP_LOW_WATER) {
		struct event *e;
		uint64_t dropped = 0;
		bool lagged = event_queue_take_lag(&c->queue, &dropped);
		int r;

		if (lagged || c->want_snapshot) {
			/* the snapshot is taken now, so it covers everything still queued */
			while ((e = event_queue_pop(&c->queue)))
				event_unref(e);
			c->want_snapshot = false;
			if (lagged)
				log_info("Subscriber %d fell behind by %llu events; resyncing it",
					c->fd, (unsigned long long)dropped);
			r = conn_send_snapshot(c, lagged, dropped);
			if (r < 0)
				return r;
			continue;
		}
		e = event_queue_pop(&c->queue);
		if (!e)
			break;
		r = conn_append(c, e->line, e->len);
		event_unref(e);
		if (r < 0)
			return r;
	}
	return 0;
}

static bool conn_has_backlog(const struct conn *c)
{
	return c->subscribed && (c->queue.n > 0 || c->queue.lagged || c->want_snapshot);
}

static void conn_flush(struct conn *c)
{
	for (int round = 0; round < FLUSH_ROUNDS && conn_is_open(c); round++) {
		int r = conn_pump(c);
		if (r < 0 || !conn_is_open(c)) {
			conn_close(c);
			return;
		}
		r = ndjson_writer_flush(&c->writer, c->fd);
		if (r < 0) {
			if (r != -EPIPE && r != -ECONNRESET)
				conn_limit_log(&c->server->limit, LOG_INFO, "Closing client %d: %s",
					c->fd, strerror(-r));
			conn_close(c);
			return;
		}
		if (r == 0) {
			conn_update_events(c, true);
			return;
		}
		if (!conn_has_backlog(c)) {
			conn_update_events(c, false);
			if (c->input_pending)
				conn_schedule_flush(c);
			return;
		}
	}
	/* more to send, but others get a turn first */
	if (conn_is_open(c))
		conn_update_events(c, true);
}

static void conn_handle_line(struct conn *c, const char *line, size_t len)
{
	struct rpc_message m = {};
	struct rpc_error err = {};
	int r;

	r = rpc_message_parse(line, len, &m, &err);
	if (r < 0) {
		conn_protocol_error(c, "%s", err.message);
		return;
	}
	c->spoke = true;
	switch (m.type) {
	case RPC_MESSAGE_REQUEST: {
		struct rpc_call call = {
			.d = c->server->d, .conn = c, .id = m.id, .method = m.method};
		c->n_requests++;
		rpc_dispatch(&call, m.params);
		break;
	}
	case RPC_MESSAGE_NOTIFICATION:
		/* JSON-RPC: never answered. Clients have nothing to notify us of. */
		log_debug("Ignoring notification %s from client %d", m.method, c->fd);
		break;
	case RPC_MESSAGE_RESPONSE:
	case RPC_MESSAGE_ERROR:
		conn_protocol_error(c, "Clients send requests, not responses");
		break;
	case _RPC_MESSAGE_MAX:
	case _RPC_MESSAGE_INVALID:
		break;
	}
	rpc_message_done(&m);
}

/* Handles the complete requests waiting in the reader, a bounded number at a time and only
 * while the client keeps up with its answers; what is left waits for the next turn. */
static void conn_process_input(struct conn *c)
{
	c->input_pending = false;
	for (int n = 0; conn_is_open(c); n++) {
		char *line;
		size_t len;
		int r;

		if (n == REQUESTS_PER_WAKEUP || ndjson_writer_pending(&c->writer) >= INPUT_PAUSE) {
			c->input_pending = true;
			if (n == REQUESTS_PER_WAKEUP)
				conn_schedule_flush(c);
			return;
		}
		r = ndjson_reader_next(&c->reader, &line, &len);
		if (r == -EMSGSIZE) {
			conn_protocol_error(c, "Message longer than %u bytes", NDJSON_MAX_MESSAGE);
			return;
		}
		if (r <= 0)
			return;
		/* descriptors are only for the helper socket */
		while (c->reader.n_fds > 0)
			safe_close(ndjson_reader_take_fd(&c->reader));
		conn_handle_line(c, line, len);
	}
}

static int conn_on_io(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
	_cleanup_(conn_unrefp) struct conn *c = conn_ref(userdata);

	if (revents & EPOLLIN) {
		int r = ndjson_reader_fill(&c->reader, fd);

		if (r == -EMSGSIZE) {
			conn_protocol_error(c, "Message longer than %u bytes", NDJSON_MAX_MESSAGE);
			return 0;
		}
		if (r == 0) {
			char *line;
			size_t len;

			/* a client may send its requests and shut down its side: answer them */
			while (conn_is_open(c) && ndjson_reader_next(&c->reader, &line, &len) > 0)
				conn_handle_line(c, line, len);
			if (conn_is_open(c) && ndjson_reader_has_partial(&c->reader))
				conn_limit_log(&c->server->limit, LOG_INFO,
					"Client %d hung up in the middle of a message", fd);
			if (conn_is_open(c))
				conn_flush(c);
			conn_close(c);
			return 0;
		}
		if (r < 0 && r != -EAGAIN) {
			if (r == -EMFILE)
				conn_protocol_error(c, "Too many descriptors passed");
			else
				conn_close(c);
			return 0;
		}
		conn_process_input(c);
	} else if (revents & (EPOLLHUP | EPOLLERR)) {
		conn_close(c);
		return 0;
	}
	if (conn_is_open(c))
		conn_flush(c);
	return 0;
}

static bool peer_allowed(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return false;
	return cred.uid == getuid() || cred.uid == 0;
}

static void silent_timer_arm(struct server *s, uint64_t deadline);

static int server_on_accept(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
	struct server *s = userdata;
	_cleanup_close_ int cfd = -1;
	struct conn *c;
	int r;

	cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0) {
		conn_limit_accept_failed(&s->limit, negative_errno());
		return 0;
	}
	if (s->n_conns >= s->limit.max_clients) {
		conn_limit_refuse(&s->limit, cfd, s->n_conns);
		return 0;
	}
	if (!peer_allowed(cfd)) {
		conn_limit_log(&s->limit, LOG_WARNING,
			"Refusing a client that is neither the owner nor root");
		return 0;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		log_oom();
		return 0;
	}
	c->n_ref = 1;
	c->server = s;
	c->want_in = true;
	(void)sd_event_now(s->d->event, CLOCK_MONOTONIC, &c->accepted_usec);
	ndjson_reader_init(&c->reader, NDJSON_MAX_MESSAGE);
	ndjson_writer_init(&c->writer, CONN_MAX_QUEUED);
	r = sd_event_add_io(s->d->event, &c->io, cfd, EPOLLIN, conn_on_io, c);
	if (r < 0) {
		log_error_errno(r, "Failed to watch a client: %m");
		conn_free(c);
		return 0;
	}
	c->fd = TAKE_FD(cfd);
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->n_conns++;
	log_debug("Client %d connected (%zu now)", c->fd, s->n_conns);
	if (s->silent_usec)
		silent_timer_arm(s, c->accepted_usec + s->silent_usec);
	return 0;
}

/* Arms the silent-client timer for deadline unless it already fires earlier. */
static void silent_timer_arm(struct server *s, uint64_t deadline)
{
	int enabled = SD_EVENT_OFF;
	uint64_t at = 0;

	if (sd_event_source_get_enabled(s->silent_timer, &enabled) >= 0 &&
		enabled != SD_EVENT_OFF && sd_event_source_get_time(s->silent_timer, &at) >= 0 &&
		at <= deadline)
		return;
	(void)sd_event_source_set_time(s->silent_timer, deadline);
	(void)sd_event_source_set_enabled(s->silent_timer, SD_EVENT_ONESHOT);
}

/* A client that connects and never completes a request holds a descriptor and a slot for
 * nothing (slowloris, a crashed script, a port scanner): it gets silent_usec, then is closed. */
static int on_silent_timer(sd_event_source *src, uint64_t usec, void *userdata)
{
	struct server *s = userdata;
	uint64_t next = UINT64_MAX;
	size_t closed = 0;

	for (struct conn *c = s->conns, *n; c; c = n) {
		n = c->next;
		if (c->spoke)
			continue;
		if (c->accepted_usec + s->silent_usec <= usec) {
			conn_close(c);
			closed++;
		} else
			next = MIN(next, c->accepted_usec + s->silent_usec);
	}
	if (closed) {
		s->n_silent_closed += closed;
		conn_limit_log(&s->limit, LOG_INFO,
			"Closed %zu client(s) that sent no request within %llu s", closed,
			(unsigned long long)(s->silent_usec / 1000000u));
	}
	if (next != UINT64_MAX)
		silent_timer_arm(s, next);
	return 0;
}

static int server_on_flush(sd_event_source *src, void *userdata)
{
	struct server *s = userdata;
	struct conn *c, *next;

	for (c = s->conns; c; c = next) {
		/* handling and flushing close at most c itself, so its successor stays valid */
		next = c->next;
		conn_ref(c);
		if (c->input_pending && ndjson_writer_pending(&c->writer) < INPUT_PAUSE)
			conn_process_input(c);
		if (conn_is_open(c) && !c->want_out &&
			(conn_has_backlog(c) || ndjson_writer_pending(&c->writer) > 0))
			conn_flush(c);
		conn_unref(c);
	}
	return 0;
}

int server_new(struct daemon *d, int listen_fd, struct server **ret)
{
	struct server *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	s->d = d;
	s->listen_fd = listen_fd;
	s->silent_usec = (uint64_t)d->config.client_silent_timeout_sec * 1000000u;
	r = sd_event_add_io(d->event, &s->listen_io, listen_fd, EPOLLIN, server_on_accept, s);
	if (r >= 0)
		r = sd_event_add_defer(d->event, &s->flush_defer, server_on_flush, s);
	if (r >= 0)
		r = sd_event_source_set_enabled(s->flush_defer, SD_EVENT_OFF);
	if (r >= 0)
		/* coalesced to the second: the deadline is a policy, not a measurement */
		r = sd_event_add_time(d->event, &s->silent_timer, CLOCK_MONOTONIC, UINT64_MAX,
			1000000u, on_silent_timer, s);
	if (r >= 0)
		r = sd_event_source_set_enabled(s->silent_timer, SD_EVENT_OFF);
	if (r >= 0)
		r = conn_limit_init(&s->limit, d->event, s->listen_io, DAEMON_MAX_CLIENTS);
	if (r < 0) {
		conn_limit_done(&s->limit);
		sd_event_source_disable_unref(s->listen_io);
		sd_event_source_disable_unref(s->flush_defer);
		sd_event_source_disable_unref(s->silent_timer);
		free(s);
		return r;
	}
	log_info("Serving at most %zu clients (descriptor limit %llu)", s->limit.max_clients,
		(unsigned long long)s->limit.nofile_soft);
	*ret = s;
	return 0;
}

int server_release_listen_fd(struct server *s)
{
	int fd = s->listen_fd;

	s->listen_io = sd_event_source_disable_unref(s->listen_io);
	s->listen_fd = -1;
	return fd;
}

void server_free(struct server *s)
{
	if (!s)
		return;
	while (s->conns) {
		struct conn *c = conn_ref(s->conns);
		/* last words (daemon.stopping) go out if the peer has room for them */
		conn_flush(c);
		conn_close(c);
		conn_unref(c);
	}
	conn_limit_done(&s->limit);
	sd_event_source_disable_unref(s->listen_io);
	sd_event_source_disable_unref(s->flush_defer);
	sd_event_source_disable_unref(s->silent_timer);
	safe_close(s->listen_fd);
	free(s);
}

int server_listen(const char *path, int *ret_fd)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = -1;
	char dir[PATH_MAX];
	mode_t old;
	int r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	snprintf(dir, sizeof(dir), "%s", path);
	if (strrchr(dir, '/'))
		*strrchr(dir, '/') = '\0';
	r = mkdir_parents(dir, 0755);
	if (r < 0)
		return r;

	/* A socket somebody answers on belongs to a running daemon; one nobody answers is stale. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return negative_errno();
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return -EADDRINUSE;
	fd = safe_close(fd);
	if (unlink(path) < 0 && errno != ENOENT)
		return negative_errno();

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return negative_errno();
	old = umask(0177);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0)
		return negative_errno();
	if (chmod(path, 0600) < 0 || listen(fd, SOMAXCONN) < 0)
		return negative_errno();
	*ret_fd = TAKE_FD(fd);
	return 0;
}

void server_broadcast(struct server *s, struct event *e)
{
	bool any = false;

	for (struct conn *c = s->conns; c; c = c->next)
		if (c->subscribed) {
			(void)event_queue_push(&c->queue, e);
			any = true;
		}
	if (any)
		(void)sd_event_source_set_enabled(s->flush_defer, SD_EVENT_ONESHOT);
}

void server_heartbeat(struct server *s, struct event *e)
{
	struct conn *next;

	for (struct conn *c = s->conns; c; c = next) {
		next = c->next;
		/* a subscriber with a backlog is hearing from us anyway */
		if (c->subscribed && !conn_has_backlog(c) &&
			ndjson_writer_pending(&c->writer) < PUMP_LOW_WATER) {
			conn_ref(c);
			if (conn_append(c, e->line, e->len) >= 0 && !c->want_out)
				conn_flush(c);
			conn_unref(c);
		}
	}
}

size_t server_n_clients(const struct server *s)
{
	return s->n_conns;
}

size_t server_n_subscribers(const struct server *s)
{
	return s->n_subscribers;
}

json_t *server_limits_json(const struct server *s)
{
	json_t *o = conn_limit_json(&s->limit);

	if (o &&
		json_object_set_new(o, "silent_timeout_sec",
			json_integer((json_int_t)(s->silent_usec / 1000000u))) >= 0 &&
		json_object_set_new(
			o, "silent_closed", json_integer((json_int_t)s->n_silent_closed)) >= 0)
		return o;
	json_decref(o);
	return NULL;
}

struct replay_ctx {
	struct conn *c;
	size_t n;
};

static int replay_one(struct event *e, void *userdata)
{
	struct replay_ctx *ctx = userdata;

	(void)event_queue_push(&ctx->c->queue, e);
	ctx->n++;
	return 0;
}

int conn_subscribe(struct conn *c, long long since_seq, json_t **ret_result, struct rpc_error *err)
{
	struct daemon *d = c->server->d;
	struct replay_ctx ctx = {.c = c};
	json_t *result;
	int r;

	if (c->subscribed)
		return rpc_error_set(err, -EALREADY, RPC_ERROR_CONFLICT,
			"This connection is already subscribed");
	r = event_queue_init(&c->queue, d->event_queue_size);
	if (r < 0)
		return r;
	if (since_seq >= 0)
		r = event_bus_replay(&d->bus, (uint64_t)since_seq, replay_one, &ctx);
	if (since_seq < 0 || r == -ERANGE) {
		event_queue_done(&c->queue);
		r = event_queue_init(&c->queue, d->event_queue_size);
		if (r < 0)
			return r;
		c->want_snapshot = true;
		result = json_pack("{s:I, s:b}", "seq", (json_int_t)d->bus.seq, "snapshot", 1);
	} else
		result = json_pack(
			"{s:I, s:I}", "seq", (json_int_t)d->bus.seq, "replayed", (json_int_t)ctx.n);
	if (!result) {
		event_queue_done(&c->queue);
		return -ENOMEM;
	}
	c->subscribed = true;
	c->server->n_subscribers++;
	*ret_result = result;
	return 0;
}

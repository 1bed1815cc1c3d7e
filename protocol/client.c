/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A small blocking JSON-RPC client for the CLI, the TUI and tests: connect, call with a timeout,
 * read notifications. Notifications that arrive during a call are queued for later. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "protocol/calls.h"
#include "protocol/client.h"
#include "protocol/ndjson.h"

/* Beyond this many queued notifications the client reports the peer as misbehaving rather than
 * growing without bound; callers that subscribe read them often. */
#define CLIENT_MAX_QUEUED 65536
/* Calls block, so one request is outstanding at a time; the table's bound is a backstop. */
#define CLIENT_MAX_CALLS 16

struct queued {
	struct queued *next;
	struct rpc_message msg;
};

struct rpc_client {
	int fd;
	struct rpc_calls calls;
	struct ndjson_reader reader;
	struct queued *head, *tail;
	size_t n_queued;
};

int rpc_client_connect(const char *path, struct rpc_client **ret)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct rpc_client *c;
	_cleanup_close_ int fd = -1;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return negative_errno();
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return negative_errno();
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fd = TAKE_FD(fd);
	rpc_calls_init(&c->calls, CLIENT_MAX_CALLS);
	ndjson_reader_init(&c->reader, NDJSON_MAX_MESSAGE);
	*ret = c;
	return 0;
}

void rpc_client_free(struct rpc_client *c)
{
	if (!c)
		return;
	while (c->head) {
		struct queued *q = c->head;
		c->head = q->next;
		rpc_message_done(&q->msg);
		free(q);
	}
	ndjson_reader_done(&c->reader);
	rpc_calls_done(&c->calls);
	safe_close(c->fd);
	free(c);
}

int rpc_client_fd(const struct rpc_client *c)
{
	return c->fd;
}

size_t rpc_client_queued(const struct rpc_client *c)
{
	return c->n_queued;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int remaining(long long deadline)
{
	long long left;
	if (deadline < 0)
		return -1;
	left = deadline - now_ms();
	return left < 0 ? 0 : (int)left;
}

/* Reads the next message from the socket, waiting until deadline (-1 forever). 1 with a message,
 * 0 on timeout, -errno on failure. */
static int read_message(
	struct rpc_client *c, long long deadline, struct rpc_message *ret, struct rpc_error *err)
{
	for (;;) {
		char *line;
		size_t len;
		struct pollfd p = {.fd = c->fd, .events = POLLIN};
		int k = ndjson_reader_next(&c->reader, &line, &len);

		if (k < 0)
			return rpc_error_set(err, k, RPC_ERROR_PROTOCOL_ERROR,
				"Peer sent a message over the %u byte limit", NDJSON_MAX_MESSAGE);
		if (k > 0) {
			k = rpc_message_parse(line, len, ret, err);
			return k < 0 ? k : 1;
		}
		k = poll(&p, 1, remaining(deadline));
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return rpc_error_set(err, negative_errno(), RPC_ERROR_INTERNAL,
				"Failed to wait for the peer: %m");
		}
		if (k == 0)
			return 0;
		k = ndjson_reader_fill(&c->reader, c->fd);
		if (k == -EAGAIN)
			continue;
		if (k == 0)
			return rpc_error_set(err, -ECONNRESET, RPC_ERROR_UNAVAILABLE,
				"Connection closed by peer");
		if (k < 0)
			return rpc_error_set(err, k,
				k == -EMSGSIZE ? RPC_ERROR_PROTOCOL_ERROR : RPC_ERROR_UNAVAILABLE,
				"Failed to read from peer: %s", strerror(-k));
	}
}

static int enqueue(struct rpc_client *c, struct rpc_message *m, struct rpc_error *err)
{
	struct queued *q;

	if (c->n_queued >= CLIENT_MAX_QUEUED)
		return rpc_error_set(err, -ENOBUFS, RPC_ERROR_PROTOCOL_ERROR,
			"More than %d notifications queued unread", CLIENT_MAX_QUEUED);
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->msg = *m;
	*m = (struct rpc_message){};
	if (c->tail)
		c->tail->next = q;
	else
		c->head = q;
	c->tail = q;
	c->n_queued++;
	return 0;
}

int rpc_client_call_fds(struct rpc_client *c, const char *method, json_t *params, const int *fds,
	size_t n_fds, int timeout_ms, json_t **ret_result, struct rpc_error *err)
{
	_cleanup_free_ char *line = NULL;
	long long deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	json_int_t id;
	size_t len;
	int r;

	/* userdata only marks the entry: the one call outstanding is this one */
	r = rpc_calls_add(&c->calls, method, params, c, &line, &len, &id);
	if (r == -ENOMEM)
		return rpc_error_set(err, r, RPC_ERROR_INTERNAL, "Out of memory");
	if (r < 0)
		return rpc_error_set(err, r, RPC_ERROR_INVALID_ARGUMENT,
			"Failed to encode request \"%s\": %s", method, strerror(-r));
	r = ndjson_send_with_fds(c->fd, line, len, fds, n_fds);
	if (r < 0) {
		rpc_calls_take(&c->calls, id);
		return rpc_error_set(err, r, RPC_ERROR_UNAVAILABLE, "Failed to send \"%s\": %s",
			method, strerror(-r));
	}

	for (;;) {
		struct rpc_message m = {};
		struct rpc_call call;

		r = read_message(c, deadline, &m, err);
		if (r <= 0) {
			/* given up on: a late answer is a stray one */
			rpc_calls_take(&c->calls, id);
			if (r == 0)
				return rpc_error_set(err, -ETIMEDOUT, RPC_ERROR_TIMEOUT,
					"No answer to \"%s\" within %d ms", method, timeout_ms);
			return r;
		}
		switch (rpc_calls_match(&c->calls, &m, &call, err)) {
		case RPC_INCOMING_NOTIFICATION:
			r = enqueue(c, &m, err);
			rpc_message_done(&m);
			if (r < 0) {
				rpc_calls_take(&c->calls, id);
				return r;
			}
			continue;
		case RPC_INCOMING_REQUEST:
		case RPC_INCOMING_STRAY:
			rpc_message_done(&m);
			continue; /* servers call no client; answers to calls timed out */
		case RPC_INCOMING_UNREADABLE:
			/* The peer could not parse our request at all; err holds its words. */
			rpc_message_done(&m);
			rpc_calls_take(&c->calls, id);
			return -EREMOTEIO;
		case RPC_INCOMING_REPLY:
			break;
		case _RPC_INCOMING_MAX:
		case _RPC_INCOMING_INVALID:
			rpc_message_done(&m);
			rpc_calls_take(&c->calls, id);
			return rpc_error_set(
				err, -EBADMSG, RPC_ERROR_PROTOCOL_ERROR, "Unexpected message type");
		}
		if (m.type == RPC_MESSAGE_ERROR) {
			r = rpc_error_set(err, -EREMOTEIO, m.error.code, "%s", m.error.message);
			rpc_message_done(&m);
			return r;
		}
		if (ret_result)
			*ret_result = json_incref(m.result);
		rpc_message_done(&m);
		return 0;
	}
}

int rpc_client_call(struct rpc_client *c, const char *method, json_t *params, int timeout_ms,
	json_t **ret_result, struct rpc_error *err)
{
	return rpc_client_call_fds(c, method, params, NULL, 0, timeout_ms, ret_result, err);
}

int rpc_client_hello(struct rpc_client *c, const char *program, int timeout_ms, json_t **ret_result,
	struct rpc_error *err)
{
	_cleanup_json_ json_t *result = NULL;
	json_t *params = rpc_hello_new(program, PACKAGE_VERSION);
	int r;

	if (!params)
		return -ENOMEM;
	r = rpc_client_call(c, "hello", params, timeout_ms, &result, err);
	if (r < 0)
		return r;
	r = rpc_hello_check(result, err);
	if (r < 0)
		return r;
	if (ret_result)
		*ret_result = TAKE_PTR(result);
	return 0;
}

int rpc_client_read_notification(
	struct rpc_client *c, int timeout_ms, struct rpc_message *ret, struct rpc_error *err)
{
	long long deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;

	if (c->head) {
		struct queued *q = c->head;
		c->head = q->next;
		if (!c->head)
			c->tail = NULL;
		c->n_queued--;
		*ret = q->msg;
		free(q);
		return 1;
	}
	for (;;) {
		struct rpc_message m = {};
		struct rpc_call call;
		int r = read_message(c, deadline, &m, err);
		if (r <= 0)
			return r;
		if (rpc_calls_match(&c->calls, &m, &call, NULL) == RPC_INCOMING_NOTIFICATION) {
			*ret = m;
			return 1;
		}
		rpc_message_done(&m); /* stray answer to a timed-out call */
	}
}

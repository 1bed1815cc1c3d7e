/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The TUI's link to bangerd: a non-blocking socket driven by the poll loop (never the blocking
 * client), hello + events.subscribe on every connect, requests matched to answers by id, and
 * reconnecting with backoff forever. */
#pragma once

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "protocol/calls.h"
#include "protocol/jsonrpc.h"
#include "protocol/ndjson.h"
#include "protocol/methods.h"

enum conn_state {
	CONN_CONNECTING,   /* never connected yet */
	CONN_CONNECTED,    /* hello answered */
	CONN_DISCONNECTED, /* retrying */
	_CONN_STATE_MAX,
	_CONN_STATE_INVALID = -22,
};

/* What an outstanding request was for, so its answer can be routed. */
enum conn_call_kind {
	CALL_HELLO,
	CALL_SUBSCRIBE,
	CALL_ACTION,   /* vm.start/stop/restart, reconcile, daemon.update: toast the result */
	CALL_PLAN,     /* reconcile dry run, for the confirm dialog */
	CALL_UPDATE,   /* daemon.update: success means a restart is coming */
	CALL_LOGS,     /* vm.logs backlog for a console just shown; what is the VM's id */
	CALL_DEFAULTS, /* system.status for the create form's defaults */
	CALL_CREATE,   /* vm.create from the form: its answer goes back to the form */
	_CONN_CALL_KIND_MAX,
	_CONN_CALL_KIND_INVALID = -22,
};

#define CONN_MAX_PENDING 64

/* One outstanding request, the userdata of its entry in conn.calls. */
struct conn_call {
	int64_t id;
	enum conn_call_kind kind;
	char what[96]; /* "stop web-1", for the toast */
};

struct conn {
	char path[PATH_MAX];
	int fd;
	enum conn_state state;
	struct ndjson_reader reader;
	struct ndjson_writer writer;
	struct rpc_calls calls; /* of struct conn_call, at most CONN_MAX_PENDING */
	unsigned attempt;       /* failed attempts since the last success */
	int64_t retry_at;       /* monotonic ms */
	char reason[160];       /* why the last connection failed or ended */
	int64_t stale_since;    /* wall-clock seconds since data is stale, 0 when fresh */
	int64_t last_rx;        /* monotonic ms of the last byte received */
	int64_t heartbeat_gap;  /* ms between the last two heartbeats (0: none seen) */
	int64_t last_heartbeat;
	int64_t expect_restart_until; /* monotonic ms: a daemon update is in progress */
	char version[64];             /* the daemon's, from hello */
	bool connected_once;
	bool subscribed;
};

void conn_init(struct conn *c, const char *path);
void conn_done(struct conn *c);

/* Tries to connect now (non-blocking). On success sends hello and events.subscribe with
 * since_seq (0: none). Failure schedules the next attempt with backoff. */
int conn_connect(struct conn *c, int64_t now, uint64_t since_seq);
/* Closes the socket with a reason and schedules a retry. */
void conn_lost(struct conn *c, int64_t now, const char *reason);

/* Queues a request; params stolen. -ENOTCONN while disconnected, -EINVAL for no method. */
int conn_call(struct conn *c, enum rpc_method method, json_t *params, enum conn_call_kind kind,
	const char *what);
/* Sorts a message from the daemon (protocol/calls.h). RPC_INCOMING_REPLY: *ret is the call it
 * answers, no longer outstanding. */
enum rpc_incoming conn_match(struct conn *c, const struct rpc_message *m, struct conn_call *ret);
/* The outstanding call at index i (0: oldest), or NULL past the last. */
const struct conn_call *conn_pending(const struct conn *c, size_t i);

/* Reads what is available (at most max_bytes) into the buffer. 0 or more bytes read, -EPIPE on
 * end of file, -errno. */
int conn_fill(struct conn *c, size_t max_bytes);
/* The next complete message: 1 with *ret, 0 when none is buffered, -errno (protocol error). */
int conn_next(struct conn *c, struct rpc_message *ret, struct rpc_error *err);
/* Writes queued requests. */
int conn_flush(struct conn *c);
bool conn_want_write(const struct conn *c);

/* The backoff for attempt n (0-based): 250 ms, 500 ms, 1 s, 2 s, 5 s…, ±20 % jitter from
 * jitter in [0,1). A daemon update in progress retries every 500 ms. */
int64_t conn_backoff_ms(unsigned attempt, double jitter);
/* A short reason for a connect() error, with a hint where one helps. */
const char *conn_reason_for(int err, char *buf, size_t size);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bangerd.sock: accepting clients, framing, dispatch to the method table, per-client bounded
 * output and event queues so that no client can stall another. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/events.h"
#include "protocol/error.h"

struct daemon;
struct server;
struct conn;

#define CONN_MAX_QUEUED (16u * 1024u * 1024u) /* unsent response bytes before we give up */

/* Takes listen_fd (already listening, from systemd or server_listen()). */
int server_new(struct daemon *d, int listen_fd, struct server **ret);
void server_free(struct server *s);
/* Stops accepting and hands over the listening socket (a re-exec passes it on). */
int server_release_listen_fd(struct server *s);

/* Creates, binds (mode 0600) and listens on path; refuses when a daemon already answers
 * there, removes a stale socket otherwise. */
int server_listen(const char *path, int *ret_fd);

void server_broadcast(struct server *s, struct event *e);
void server_heartbeat(struct server *s, struct event *e);
size_t server_n_clients(const struct server *s);
size_t server_n_subscribers(const struct server *s);
/* conn_limit_json() plus {"silent_timeout_sec", "silent_closed"}, for system.status. */
json_t *server_limits_json(const struct server *s);

struct conn *conn_ref(struct conn *c);
struct conn *conn_unref(struct conn *c);
bool conn_is_open(const struct conn *c);

/* Sends an answer (result stolen) or an error for request id on c; ignored once c closed. */
void conn_reply(struct conn *c, json_t *id, json_t *result);
void conn_reply_error(struct conn *c, json_t *id, const struct rpc_error *err);

/* Turns c into a subscriber. since_seq < 0: none given. Fills the events.subscribe result; the
 * replayed events or the snapshot follow the answer. */
int conn_subscribe(struct conn *c, long long since_seq, json_t **ret_result, struct rpc_error *err);

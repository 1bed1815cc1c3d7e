/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The event bus: numbered notifications, a bounded backlog for since_seq replays, and the
 * bounded per-subscriber queue that turns overflow into events.lagged instead of memory. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/macro.h"
#include "daemon/events.h"
#include "protocol/jsonrpc.h"

struct event *event_ref(struct event *e)
{
	e->n_ref++;
	return e;
}

struct event *event_unref(struct event *e)
{
	if (e && --e->n_ref == 0)
		free(e);
	return NULL;
}

static int event_from_json(json_t *msg, uint64_t seq, struct event **ret)
{
	_cleanup_free_ char *data = NULL;
	struct event *e;
	size_t len;
	int r;

	r = rpc_message_serialize(msg, &data, &len);
	if (r < 0)
		return r;
	e = malloc(sizeof(*e) + len + 1);
	if (!e)
		return -ENOMEM;
	e->n_ref = 1;
	e->seq = seq;
	e->len = len;
	memcpy(e->line, data, len + 1);
	*ret = e;
	return 0;
}

int event_new_unnumbered(const char *method, json_t *params, struct event **ret)
{
	_cleanup_json_ json_t *msg = rpc_notification_new(method, params);

	if (!msg)
		return -ENOMEM;
	return event_from_json(msg, 0, ret);
}

int event_queue_init(struct event_queue *q, size_t cap)
{
	*q = (struct event_queue){.cap = cap ? cap : EVENT_QUEUE_DEFAULT};
	q->ring = calloc(q->cap, sizeof(*q->ring));
	return q->ring ? 0 : -ENOMEM;
}

static void event_queue_clear(struct event_queue *q)
{
	while (q->n > 0)
		event_unref(event_queue_pop(q));
}

void event_queue_done(struct event_queue *q)
{
	if (q->ring)
		event_queue_clear(q);
	free(q->ring);
	*q = (struct event_queue){};
}

int event_queue_push(struct event_queue *q, struct event *e)
{
	if (q->lagged) {
		q->dropped++;
		return 1;
	}
	if (q->n == q->cap) {
		/* Everything queued is stale once the subscriber gets a snapshot instead. */
		q->dropped = q->n + 1;
		event_queue_clear(q);
		q->lagged = true;
		return 1;
	}
	q->ring[(q->head + q->n) % q->cap] = event_ref(e);
	q->n++;
	return 0;
}

struct event *event_queue_pop(struct event_queue *q)
{
	struct event *e;

	if (q->n == 0)
		return NULL;
	e = q->ring[q->head];
	q->ring[q->head] = NULL;
	q->head = (q->head + 1) % q->cap;
	q->n--;
	return e;
}

bool event_queue_take_lag(struct event_queue *q, uint64_t *ret_dropped)
{
	if (!q->lagged)
		return false;
	/* Anything queued after the lag began is covered by the snapshot too. */
	q->dropped += q->n;
	event_queue_clear(q);
	*ret_dropped = q->dropped;
	q->lagged = false;
	q->dropped = 0;
	return true;
}

int event_bus_init(struct event_bus *b, size_t backlog, uint64_t first_seq)
{
	*b = (struct event_bus){.cap = backlog ? backlog : EVENT_BACKLOG_DEFAULT,
		.seq = first_seq ? first_seq - 1 : 0};
	b->backlog = calloc(b->cap, sizeof(*b->backlog));
	return b->backlog ? 0 : -ENOMEM;
}

void event_bus_done(struct event_bus *b)
{
	for (size_t i = 0; i < b->n; i++)
		event_unref(b->backlog[(b->head + i) % b->cap]);
	free(b->backlog);
	*b = (struct event_bus){};
}

int event_bus_publish(struct event_bus *b, const char *method, json_t *params, struct event **ret)
{
	_cleanup_json_ json_t *msg = NULL;
	struct event *e;
	uint64_t seq = b->seq + 1;
	int r;

	if (!params)
		params = json_object();
	if (!params || json_object_set_new(params, "seq", json_integer((json_int_t)seq)) < 0) {
		json_decref(params);
		return -ENOMEM;
	}
	msg = rpc_notification_new(method, params);
	if (!msg)
		return -ENOMEM;
	r = event_from_json(msg, seq, &e);
	if (r < 0)
		return r;
	b->seq = seq;
	if (b->n == b->cap) {
		event_unref(b->backlog[b->head]);
		b->backlog[b->head] = NULL;
		b->head = (b->head + 1) % b->cap;
		b->n--;
	}
	b->backlog[(b->head + b->n) % b->cap] = event_ref(e);
	b->n++;
	*ret = e;
	return 0;
}

int event_bus_replay(const struct event_bus *b, uint64_t since_seq,
	int (*fn)(struct event *e, void *userdata), void *userdata)
{
	uint64_t oldest;

	if (since_seq > b->seq)
		return -ERANGE;
	if (since_seq == b->seq)
		return 0;
	if (b->n == 0)
		return -ERANGE;
	oldest = b->backlog[b->head]->seq;
	if (since_seq + 1 < oldest)
		return -ERANGE;
	for (size_t i = 0; i < b->n; i++) {
		struct event *e = b->backlog[(b->head + i) % b->cap];
		if (e->seq <= since_seq)
			continue;
		int r = fn(e, userdata);
		if (r < 0)
			return r;
	}
	return 0;
}

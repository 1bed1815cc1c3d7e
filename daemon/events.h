/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The event bus: numbered notifications, a bounded backlog for since_seq replays, and the
 * bounded per-subscriber queue that turns overflow into events.lagged instead of memory. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EVENT_QUEUE_DEFAULT 4096
#define EVENT_BACKLOG_DEFAULT 4096

/* One serialised notification line (with its '\n'), shared by every queue holding it. */
struct event {
	unsigned n_ref;
	uint64_t seq;
	size_t len;
	char line[];
};

struct event *event_ref(struct event *e);
struct event *event_unref(struct event *e);
static inline void event_unrefp(struct event **e)
{
	if (*e)
		event_unref(*e);
}

/* A subscriber's queue: at most cap events. An overflowing push drops everything queued and
 * everything that follows until the subscriber is resynced (event_queue_take_lag()). */
struct event_queue {
	struct event **ring;
	size_t cap, head, n;
	bool lagged;
	uint64_t dropped; /* events lost since the lag began */
};

int event_queue_init(struct event_queue *q, size_t cap);
void event_queue_done(struct event_queue *q);
/* Returns 0 when queued, 1 when the event was dropped because the queue is (or just went)
 * lagged. */
int event_queue_push(struct event_queue *q, struct event *e);
/* The oldest queued event (the caller owns the reference), NULL when empty. */
struct event *event_queue_pop(struct event_queue *q);
/* When lagged: clears the lag, returns true and the number dropped; the caller sends
 * events.lagged and a snapshot. */
bool event_queue_take_lag(struct event_queue *q, uint64_t *ret_dropped);

struct event_bus {
	uint64_t seq; /* the last seq handed out */
	struct event **backlog;
	size_t cap, head, n;
};

/* first_seq - 1 becomes the current seq: the daemon starts it from the wall clock so numbers
 * from an earlier run are never mistaken for this run's. */
int event_bus_init(struct event_bus *b, size_t backlog, uint64_t first_seq);
void event_bus_done(struct event_bus *b);

/* Adds "seq" to params (stolen), serialises the notification, keeps it in the backlog and
 * returns it (a new reference). */
int event_bus_publish(struct event_bus *b, const char *method, json_t *params, struct event **ret);

/* Serialises a notification that is not numbered or kept (heartbeat, lagged, snapshot). */
int event_new_unnumbered(const char *method, json_t *params, struct event **ret);

/* Calls fn for every backlog event after since_seq, oldest first. -ERANGE (nothing called)
 * when the backlog no longer reaches back that far or since_seq is ahead of the bus. */
int event_bus_replay(const struct event_bus *b, uint64_t since_seq,
	int (*fn)(struct event *e, void *userdata), void *userdata);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The event bus and subscriber queues: numbering, backlog replay, and overflow turning into a
 * lag (with the dropped count) rather than unbounded memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/events.h"
#include "protocol/jsonrpc.h"

static struct event *publish(struct event_bus *b, const char *method)
{
	struct event *e = NULL;

	assert_int_equal(event_bus_publish(b, method, json_pack("{s:s}", "k", "v"), &e), 0);
	return e;
}

static void test_seq_and_line(void **state)
{
	struct event_bus b;
	struct event *e;
	struct rpc_message m;
	struct rpc_error err;

	assert_int_equal(event_bus_init(&b, 8, 1000), 0);
	e = publish(&b, "vm.created");
	assert_int_equal(e->seq, 1000);
	assert_int_equal(b.seq, 1000);
	assert_int_equal(e->line[e->len - 1], '\n');
	assert_int_equal(rpc_message_parse(e->line, e->len - 1, &m, &err), 0);
	assert_int_equal(m.type, RPC_MESSAGE_NOTIFICATION);
	assert_string_equal(m.method, "vm.created");
	assert_int_equal(json_integer_value(json_object_get(m.params, "seq")), 1000);
	assert_string_equal(json_string_value(json_object_get(m.params, "k")), "v");
	rpc_message_done(&m);
	event_unref(e);
	e = publish(&b, "vm.deleted");
	assert_int_equal(e->seq, 1001);
	event_unref(e);
	event_bus_done(&b);
}

static void test_queue_overflow_lags(void **state)
{
	struct event_bus b;
	struct event_queue q;
	uint64_t dropped = 0;
	struct event *e;

	assert_int_equal(event_bus_init(&b, 16, 1), 0);
	assert_int_equal(event_queue_init(&q, 4), 0);
	for (int i = 0; i < 4; i++) {
		e = publish(&b, "x");
		assert_int_equal(event_queue_push(&q, e), 0);
		event_unref(e);
	}
	assert_int_equal(q.n, 4);
	assert_false(event_queue_take_lag(&q, &dropped));
	/* the fifth does not fit: everything queued is dropped, the queue lags */
	e = publish(&b, "x");
	assert_int_equal(event_queue_push(&q, e), 1);
	event_unref(e);
	assert_true(q.lagged);
	assert_int_equal(q.n, 0);
	assert_null(event_queue_pop(&q));
	/* and keeps counting until resynced */
	for (int i = 0; i < 3; i++) {
		e = publish(&b, "x");
		assert_int_equal(event_queue_push(&q, e), 1);
		event_unref(e);
	}
	assert_true(event_queue_take_lag(&q, &dropped));
	assert_int_equal(dropped, 8);
	assert_false(q.lagged);
	assert_false(event_queue_take_lag(&q, &dropped));
	/* after the resync, events queue again, in order */
	e = publish(&b, "after");
	assert_int_equal(event_queue_push(&q, e), 0);
	event_unref(e);
	e = event_queue_pop(&q);
	assert_non_null(e);
	assert_int_equal(e->seq, b.seq);
	event_unref(e);
	event_queue_done(&q);
	event_bus_done(&b);
}

static void test_queue_default_bound(void **state)
{
	struct event_bus b;
	struct event_queue q;
	uint64_t dropped;
	int lagged_at = -1;

	assert_int_equal(event_bus_init(&b, 0, 1), 0);
	assert_int_equal(event_queue_init(&q, 0), 0);
	assert_int_equal(q.cap, EVENT_QUEUE_DEFAULT);
	for (int i = 0; i < EVENT_QUEUE_DEFAULT + 10; i++) {
		struct event *e = publish(&b, "x");
		if (event_queue_push(&q, e) == 1 && lagged_at < 0)
			lagged_at = i;
		event_unref(e);
	}
	assert_int_equal(lagged_at, EVENT_QUEUE_DEFAULT);
	assert_true(event_queue_take_lag(&q, &dropped));
	assert_int_equal(dropped, EVENT_QUEUE_DEFAULT + 10);
	event_queue_done(&q);
	event_bus_done(&b);
}

struct collect {
	uint64_t seqs[32];
	size_t n;
};

static int collect(struct event *e, void *userdata)
{
	struct collect *c = userdata;

	c->seqs[c->n++] = e->seq;
	return 0;
}

static void test_replay(void **state)
{
	struct event_bus b;
	struct collect c = {};

	assert_int_equal(event_bus_init(&b, 4, 1), 0);
	for (int i = 0; i < 10; i++)
		event_unref(publish(&b, "x"));
	/* the backlog holds 7..10 */
	assert_int_equal(event_bus_replay(&b, 6, collect, &c), 0);
	assert_int_equal(c.n, 4);
	assert_int_equal(c.seqs[0], 7);
	assert_int_equal(c.seqs[3], 10);
	c.n = 0;
	assert_int_equal(event_bus_replay(&b, 8, collect, &c), 0);
	assert_int_equal(c.n, 2);
	c.n = 0;
	assert_int_equal(event_bus_replay(&b, 10, collect, &c), 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(event_bus_replay(&b, 5, collect, &c), -ERANGE);
	assert_int_equal(event_bus_replay(&b, 11, collect, &c), -ERANGE);
	assert_int_equal(c.n, 0);
	event_bus_done(&b);
}

static void test_unnumbered(void **state)
{
	struct event *e = NULL;

	assert_int_equal(
		event_new_unnumbered("daemon.heartbeat", json_pack("{s:i}", "seq", 5), &e), 0);
	assert_int_equal(e->seq, 0);
	assert_non_null(strstr(e->line, "\"daemon.heartbeat\""));
	assert_int_equal(e->n_ref, 1);
	event_ref(e);
	event_unref(e);
	event_unref(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seq_and_line),
		cmocka_unit_test(test_queue_overflow_lags),
		cmocka_unit_test(test_queue_default_bound),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_unnumbered),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

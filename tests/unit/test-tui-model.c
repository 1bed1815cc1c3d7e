/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The VM model fed by event sequences: snapshot, patches, replays, lagged/resync, reconnect. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <errno.h>
#include <string.h>

#include "tui/vm-model.h"

static const struct console_limits limits = {1000, 1 << 20, 4096, 50, 8192};

/* Applies one ndjson notification line; returns the result flags. */
static unsigned feed(struct vm_model *m, const char *line)
{
	json_error_t e;
	json_t *msg = json_loads(line, 0, &e);
	struct model_result res;
	int r;

	assert_non_null(msg);
	r = vm_model_apply(m, json_string_value(json_object_get(msg, "method")),
		json_object_get(msg, "params"), &res);
	json_decref(msg);
	assert_int_equal(r, 0);
	return res.flags;
}

#define VM(id, name, state)                                                                        \
	"{\"id\":\"" id "\",\"name\":\"" name "\",\"state\":\"" state "\",\"vcpus\":2,"            \
	"\"memory_mib\":1024,\"ip\":null,\"pid\":null,\"boot_id\":null,\"started_at\":null}"

static void test_snapshot_and_patches(void **state)
{
	struct vm_model m;
	struct vm *vm;
	(void)state;

	vm_model_init(&m, &limits);
	assert_true(
		feed(&m, "{\"method\":\"events.snapshot\",\"params\":{\"seq\":5,\"vms\":[" VM(
				 "a1", "web-1", "stopped") "," VM("b2", "db-1", "created") "]}}") &
		MODEL_SNAPSHOT);
	assert_int_equal(m.n, 2);
	assert_int_equal(m.last_seq, 5);
	vm = vm_model_find(&m, "a1");
	assert_non_null(vm);
	assert_string_equal(vm->name, "web-1");
	assert_int_equal(vm->state, VM_STATE_STOPPED);
	assert_int_equal(vm->memory_mib, 1024);

	assert_true(feed(&m, "{\"method\":\"vm.state\",\"params\":{\"seq\":6,\"id\":\"a1\","
			     "\"name\":\"web-1\",\"old\":\"stopped\",\"new\":\"running\","
			     "\"reason\":null}}") &
		    MODEL_CHANGED_ROWS);
	assert_int_equal(vm->state, VM_STATE_RUNNING);
	assert_string_equal(json_string_value(json_object_get(vm->obj, "state")), "running");

	feed(&m, "{\"method\":\"vm.updated\",\"params\":{\"seq\":7,\"vm\":{\"id\":\"a1\","
		 "\"name\":\"web-1\",\"state\":\"running\",\"ip\":\"10.0.0.12\",\"pid\":4123,"
		 "\"vcpus\":2,\"memory_mib\":1024,\"started_at\":\"2026-01-01T00:00:00Z\"}}}");
	assert_ptr_equal(vm_model_find(&m, "a1"), vm); /* same object: selection by id holds */
	assert_string_equal(vm->ip, "10.0.0.12");
	assert_int_equal(vm->pid, 4123);
	assert_int_equal(vm->started_at, 1767225600);

	feed(&m,
		"{\"method\":\"vm.boot_id\",\"params\":{\"seq\":8,\"id\":\"a1\",\"name\":\"web-1\","
		"\"boot_id\":\"9f3c2a1e\"}}");
	assert_string_equal(vm->boot_id, "9f3c2a1e");

	feed(&m, "{\"method\":\"vm.created\",\"params\":{\"seq\":9,\"vm\":" VM(
			 "c3", "build-7", "created") "}}");
	assert_int_equal(m.n, 3);
	feed(&m, "{\"method\":\"vm.deleted\",\"params\":{\"seq\":10,\"id\":\"b2\",\"name\":\"db-"
		 "1\"}}");
	assert_int_equal(m.n, 2);
	assert_null(vm_model_find(&m, "b2"));
	assert_non_null(vm_model_find(&m, "c3"));
	assert_ptr_equal(vm_model_find_name(&m, "build-7"), vm_model_find(&m, "c3"));

	size_t counts[_VM_STATE_MAX];
	vm_model_count(&m, counts);
	assert_int_equal(counts[VM_STATE_RUNNING], 1);
	assert_int_equal(counts[VM_STATE_CREATED], 1);
	vm_model_done(&m);
}

/* A running VM whose guest halted carries "halted": the list shows it so (draw-list.c). */
/* The PORTS column's text: the default host and protocol left out, updated by vm.updated. */
static void test_ports(void **state)
{
	struct vm_model m;
	struct vm *vm;
	(void)state;

	vm_model_init(&m, &limits);
	feed(&m, "{\"method\":\"events.snapshot\",\"params\":{\"seq\":1,\"vms\":[" VM(
			 "a1", "web-1", "running") "]}}");
	vm = vm_model_find(&m, "a1");
	assert_non_null(vm);
	assert_null(vm->ports);
	feed(&m, "{\"method\":\"vm.updated\",\"params\":{\"seq\":2,\"vm\":{\"id\":\"a1\","
		 "\"name\":\"web-1\",\"state\":\"running\",\"vcpus\":2,\"memory_mib\":1024,"
		 "\"publish\":[\"127.0.0.1:8080:80/tcp\",\"0.0.0.0:5353:53/udp\"]}}}");
	vm = vm_model_find(&m, "a1");
	assert_string_equal(vm->ports, "8080:80,0.0.0.0:5353:53/udp");
	vm_model_done(&m);
}

static void test_halted(void **state)
{
	struct vm_model m;
	struct vm *vm;
	(void)state;

	vm_model_init(&m, &limits);
	feed(&m, "{\"method\":\"vm.created\",\"params\":{\"seq\":1,\"vm\":" VM(
			 "a1", "web-1", "running") "}}");
	vm = vm_model_find(&m, "a1");
	assert_false(vm->halted);
	feed(&m, "{\"method\":\"vm.updated\",\"params\":{\"seq\":2,\"vm\":{\"id\":\"a1\","
		 "\"name\":\"web-1\",\"state\":\"running\",\"halted\":true}}}");
	assert_true(vm->halted);
	feed(&m, "{\"method\":\"vm.updated\",\"params\":{\"seq\":3,\"vm\":{\"id\":\"a1\","
		 "\"name\":\"web-1\",\"state\":\"stopped\",\"halted\":false}}}");
	assert_false(vm->halted);
	vm_model_done(&m);
}

/* The states are the protocol's (protocol/vm.h), read by their wire names; one a newer daemon
 * invents is kept as unknown: labelled so, counted in no state, never an index out of range. */
static void test_states(void **state)
{
	size_t counts[_VM_STATE_MAX];
	struct vm_model m;
	(void)state;

	vm_model_init(&m, &limits);
	feed(&m, "{\"method\":\"vm.created\",\"params\":{\"seq\":1,\"vm\":" VM(
			 "a1", "web-1", "stopping") "}}");
	feed(&m, "{\"method\":\"vm.created\",\"params\":{\"seq\":2,\"vm\":" VM(
			 "b2", "web-2", "hibernating") "}}");
	assert_int_equal(vm_model_find(&m, "a1")->state, VM_STATE_STOPPING);
	assert_string_equal(vm_state_label(VM_STATE_STOPPING), "stopping");
	assert_int_equal(vm_model_find(&m, "b2")->state, _VM_STATE_INVALID);
	assert_string_equal(vm_state_label(vm_model_find(&m, "b2")->state), "unknown");
	vm_model_count(&m, counts);
	assert_int_equal(counts[VM_STATE_STOPPING], 1);
	for (int s = 0; s < _VM_STATE_MAX; s++)
		if (s != VM_STATE_STOPPING)
			assert_int_equal(counts[s], 0);
	feed(&m, "{\"method\":\"vm.state\",\"params\":{\"seq\":3,\"id\":\"b2\",\"name\":"
		 "\"web-2\",\"old\":\"hibernating\",\"new\":\"error\",\"reason\":null}}");
	assert_int_equal(vm_model_find(&m, "b2")->state, VM_STATE_ERROR);
	vm_model_done(&m);
}

static void test_replay_is_idempotent(void **state)
{
	struct vm_model m;
	(void)state;

	vm_model_init(&m, &limits);
	feed(&m, "{\"method\":\"events.snapshot\",\"params\":{\"seq\":1,\"vms\":[]}}");
	feed(&m, "{\"method\":\"vm.created\",\"params\":{\"seq\":2,\"vm\":" VM(
			 "a", "x", "created") "}}");
	feed(&m, "{\"method\":\"vm.log\",\"params\":{\"seq\":3,\"id\":\"a\",\"name\":\"x\","
		 "\"first_line\":1,\"lines\":[\"l1\",\"l2\"]}}");
	feed(&m, "{\"method\":\"vm.deleted\",\"params\":{\"seq\":4,\"id\":\"a\",\"name\":\"x\"}}");
	assert_int_equal(m.n, 0);
	/* The same events again (a replay overlapping what we saw) change nothing. */
	assert_true(feed(&m, "{\"method\":\"vm.created\",\"params\":{\"seq\":2,\"vm\":" VM(
				     "a", "x", "created") "}}") &
		    MODEL_IGNORED);
	assert_int_equal(m.n, 0);
	/* Unknown events advance seq without failing. */
	assert_true(feed(&m, "{\"method\":\"reconcile.started\",\"params\":{\"seq\":5}}") &
		    MODEL_IGNORED);
	assert_int_equal(m.last_seq, 5);
	/* Images: an import's progress, its end, a removal. */
	assert_true(feed(&m, "{\"method\":\"image.import_progress\",\"params\":{\"seq\":6,"
			     "\"name\":\"deb\",\"part\":\"rootfs\",\"done_bytes\":5,"
			     "\"total_bytes\":10}}") &
		    MODEL_CHANGED_IMAGES);
	assert_int_equal(json_integer_value(
				 json_object_get(json_object_get(m.imports, "deb"), "done_bytes")),
		5);
	feed(&m, "{\"method\":\"image.imported\",\"params\":{\"seq\":7,\"image\":{\"name\":"
		 "\"deb\"}}}");
	assert_non_null(json_object_get(m.images, "deb"));
	assert_int_equal(json_object_size(m.imports), 0);
	feed(&m, "{\"method\":\"image.deleted\",\"params\":{\"seq\":8,\"name\":\"deb\"}}");
	assert_int_equal(json_object_size(m.images), 0);
	/* Heartbeats carry the latest seq but are not new events. */
	assert_true(
		feed(&m,
			"{\"method\":\"daemon.heartbeat\",\"params\":{\"seq\":5,\"time\":\"x\"}}") &
		MODEL_HEARTBEAT);
	vm_model_done(&m);
}

static void test_lagged_resync(void **state)
{
	struct vm_model m;
	struct vm *keep;
	(void)state;

	vm_model_init(&m, &limits);
	feed(&m, "{\"method\":\"events.snapshot\",\"params\":{\"seq\":10,\"vms\":[" VM(
			 "a", "web-1", "running") "," VM("b", "web-2", "running") "]}}");
	keep = vm_model_find(&m, "a");
	feed(&m, "{\"method\":\"vm.log\",\"params\":{\"seq\":11,\"id\":\"a\",\"name\":\"web-1\","
		 "\"first_line\":1,\"lines\":[\"boot\"]}}");
	assert_true(
		feed(&m, "{\"method\":\"events.lagged\",\"params\":{\"seq\":12,\"dropped\":500}}") &
		MODEL_LAGGED);
	assert_true(m.lagged);
	/* The snapshot after lagged: b is gone, c is new, a keeps its object and console. */
	feed(&m, "{\"method\":\"events.snapshot\",\"params\":{\"seq\":600,\"vms\":[" VM(
			 "a", "web-1", "stopped") "," VM("c", "web-3", "created") "]}}");
	assert_false(m.lagged);
	assert_int_equal(m.last_seq, 600);
	assert_int_equal(m.n, 2);
	assert_ptr_equal(vm_model_find(&m, "a"), keep);
	assert_int_equal(keep->state, VM_STATE_STOPPED);
	assert_null(vm_model_find(&m, "b"));
	assert_non_null(keep->console);
	assert_int_equal(keep->console->n, 1);
	feed(&m, "{\"method\":\"vm.state\",\"params\":{\"seq\":601,\"id\":\"a\",\"name\":"
		 "\"web-1\",\"old\":\"running\",\"new\":\"error\",\"reason\":\"VMM exited "
		 "(137)\"}}");
	assert_string_equal(console_get(keep->console, keep->console->first_id + 1)->text,
		"VM failed: VMM exited (137)");
	assert_int_equal(keep->state, VM_STATE_ERROR);
	assert_string_equal(keep->reason, "VMM exited (137)");
	feed(&m, "{\"method\":\"vm.state\",\"params\":{\"seq\":602,\"id\":\"a\",\"name\":"
		 "\"web-1\",\"old\":\"error\",\"new\":\"stopped\",\"reason\":null}}");
	assert_null(keep->reason);
	assert_string_equal(
		console_get(keep->console, keep->console->first_id + 2)->text, "VM stopped");
	assert_true(
		feed(&m, "{\"method\":\"vm.state\",\"params\":{\"seq\":599,\"id\":\"a\",\"name\":"
			 "\"web-1\",\"old\":\"x\",\"new\":\"running\"}}") &
		MODEL_IGNORED);
	assert_int_equal(keep->state, VM_STATE_STOPPED);
	assert_int_equal(m.last_seq, 602);
	vm_model_done(&m);
}

static void test_reconnect(void **state)
{
	struct vm_model m;
	struct vm *a;
	(void)state;

	vm_model_init(&m, &limits);
	feed(&m, "{\"method\":\"events.snapshot\",\"params\":{\"seq\":50,\"vms\":[" VM(
			 "a", "web-1", "running") "]}}");
	feed(&m, "{\"method\":\"vm.log\",\"params\":{\"seq\":51,\"id\":\"a\",\"name\":\"web-1\","
		 "\"first_line\":1,\"lines\":[\"one\",\"two\"]}}");
	a = vm_model_find(&m, "a");

	/* Reconnect to the same daemon, which replays: a "reconnected" marker, seq kept. */
	assert_int_equal(vm_model_reconnected(&m, 53, true), 0);
	assert_int_equal(m.last_seq, 51);
	assert_string_equal(console_get(a->console, 2)->text, "reconnected");
	feed(&m, "{\"method\":\"vm.log\",\"params\":{\"seq\":52,\"id\":\"a\",\"name\":\"web-1\","
		 "\"first_line\":2,\"lines\":[\"two\",\"three\"]}}");
	assert_int_equal(a->console->n, 4);
	assert_string_equal(console_get(a->console, 3)->text, "three");

	/* The daemon restarted (its counter is behind ours): everything new is accepted. */
	assert_int_equal(vm_model_reconnected(&m, 3, false), 0);
	assert_int_equal(m.last_seq, 0);
	assert_string_equal(console_get(a->console, 4)->text, "reconnected; lines may be missing");
	feed(&m, "{\"method\":\"events.snapshot\",\"params\":{\"seq\":3,\"vms\":[" VM(
			 "a", "web-1", "running") "]}}");
	assert_ptr_equal(vm_model_find(&m, "a"), a);
	feed(&m, "{\"method\":\"vm.log\",\"params\":{\"seq\":4,\"id\":\"a\",\"name\":\"web-1\","
		 "\"first_line\":1,\"lines\":[\"fresh\"]}}");
	assert_string_equal(console_get(a->console, 5)->text, "fresh");
	vm_model_done(&m);
}

static int backlog(
	struct vm_model *m, const char *id, const char *result, uint64_t *at, uint64_t *shift)
{
	json_error_t e;
	json_t *r = json_loads(result, 0, &e);
	int ret;

	assert_non_null(r);
	ret = vm_model_apply_backlog(m, id, r, at, shift);
	json_decref(r);
	return ret;
}

static void test_backlog_after_live_lines(void **state)
{
	struct vm_model m;
	struct vm *a;
	uint64_t at, shift;
	(void)state;

	vm_model_init(&m, &limits);
	feed(&m, "{\"method\":\"events.snapshot\",\"params\":{\"seq\":50,\"vms\":[" VM(
			 "a", "web-1", "running") "]}}");
	a = vm_model_find(&m, "a");
	/* The console is shown (a marker), lines 41 and 42 arrive live, then vm.logs' answer:
	 * the last 4 lines with next_line 43, i.e. lines 39..42. */
	vm_model_watch_console(&m, a, true);
	assert_int_equal(console_append_marker(a->console, "attached"), 0);
	feed(&m, "{\"method\":\"vm.log\",\"params\":{\"seq\":51,\"id\":\"a\",\"name\":\"web-1\","
		 "\"first_line\":41,\"lines\":[\"l41\",\"l42\"]}}");
	assert_int_equal(
		backlog(&m, "a",
			"{\"id\":\"a\",\"name\":\"web-1\",\"lines\":[\"l39\",\"l40\",\"l41\","
			"\"l42\"],\"next_line\":43}",
			&at, &shift),
		0);
	assert_int_equal(at, 1);
	assert_int_equal(shift, 2);
	assert_int_equal(a->console->n, 5);
	assert_string_equal(console_get(a->console, 0)->text, "attached");
	assert_string_equal(console_get(a->console, 1)->text, "l39");
	assert_string_equal(console_get(a->console, 2)->text, "l40");
	assert_string_equal(console_get(a->console, 3)->text, "l41");
	assert_string_equal(console_get(a->console, 4)->text, "l42");
	/* The event stream goes on from 43; a replayed 42 is not shown twice. */
	feed(&m, "{\"method\":\"vm.log\",\"params\":{\"seq\":52,\"id\":\"a\",\"name\":\"web-1\","
		 "\"first_line\":42,\"lines\":[\"l42\",\"l43\"]}}");
	assert_int_equal(a->console->n, 6);
	assert_string_equal(console_get(a->console, 5)->text, "l43");

	/* Malformed answers change nothing; a VM that is gone is no error. */
	assert_int_equal(backlog(&m, "a", "{\"lines\":[\"x\",\"y\"],\"next_line\":2}", &at, &shift),
		-EBADMSG);
	assert_int_equal(
		backlog(&m, "a", "{\"lines\":\"x\",\"next_line\":9}", &at, &shift), -EBADMSG);
	assert_int_equal(
		backlog(&m, "gone", "{\"lines\":[\"x\"],\"next_line\":9}", &at, &shift), 0);
	assert_int_equal(a->console->n, 6);
	vm_model_done(&m);
}

static void test_bad_events(void **state)
{
	struct vm_model m;
	struct model_result res;
	json_t *p = json_pack("{s:i,s:s}", "seq", 1, "id", "a");
	json_t *q = json_pack("{s:i,s:{s:s}}", "seq", 2, "vm", "name", "no-id");
	(void)state;

	vm_model_init(&m, &limits);
	assert_int_equal(vm_model_apply(&m, "vm.state", p, &res), -EBADMSG);
	assert_int_equal(vm_model_apply(&m, "vm.created", q, &res), -EBADMSG);
	assert_int_equal(m.n, 0);
	json_decref(p);
	json_decref(q);
	vm_model_done(&m);
}

static void test_console_limits(void **state)
{
	struct vm_model m;
	struct vm *a;
	char line[256];
	(void)state;

	vm_model_init(&m, &limits);
	feed(&m, "{\"method\":\"events.snapshot\",\"params\":{\"seq\":1,\"vms\":[" VM(
			 "a", "w", "running") "]}}");
	for (int i = 0; i < 200; i++) {
		snprintf(line, sizeof(line),
			"{\"method\":\"vm.log\",\"params\":{\"seq\":%d,"
			"\"id\":\"a\",\"name\":\"w\",\"first_line\":%d,"
			"\"lines\":[\"x\"]}}",
			i + 2, i + 1);
		feed(&m, line);
	}
	a = vm_model_find(&m, "a");
	assert_int_equal(a->console->n, 50); /* nobody watches it: background bound */
	vm_model_watch_console(&m, a, true);
	assert_int_equal(a->console->max_lines, 1000);
	vm_model_done(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snapshot_and_patches),
		cmocka_unit_test(test_halted),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_replay_is_idempotent),
		cmocka_unit_test(test_lagged_resync),
		cmocka_unit_test(test_reconnect),
		cmocka_unit_test(test_backlog_after_live_lines),
		cmocka_unit_test(test_bad_events),
		cmocka_unit_test(test_console_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

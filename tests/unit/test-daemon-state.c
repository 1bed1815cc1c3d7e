/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* VM state changes: record on disk, record in memory and the published event agree; a failed
 * save keeps the truth in memory, says so, and lands once it can (save-retry.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/log.h"
#include "daemon/daemon.h"
#include "daemon/save-retry.h"
#include "daemon/vm-state.h"

#define ID "0123456789abcdef0123456789abcdef"

struct fixture {
	char root[64];
	struct daemon d;
	struct vm *vm;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->root, "/tmp/test-daemon-state.XXXXXX");
	assert_non_null(mkdtemp(f->root));
	assert_int_equal(layout_init(&f->d.layout, f->root), 0);
	store_init(&f->d.store, &f->d.layout);
	assert_int_equal(store_load(&f->d.store), 0);
	assert_int_equal(event_bus_init(&f->d.bus, 16, 100), 0);
	f->vm = calloc(1, sizeof(*f->vm));
	assert_non_null(f->vm);
	*f->vm = (struct vm){.id = ID,
		.name = "web",
		.state = VM_STATE_CREATED,
		.image = "minimal",
		.vcpus = 1,
		.memory_mib = 256,
		.disk_gib = 1,
		.created_at = "2026-01-01T00:00:00Z"};
	assert_int_equal(store_vm_save(&f->d.store, f->vm), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	save_retry_done(&f->d);
	event_bus_done(&f->d.bus);
	store_done(&f->d.store);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static json_t *last_event(struct fixture *f)
{
	struct event *e = f->d.bus.backlog[(f->d.bus.head + f->d.bus.n - 1) % f->d.bus.cap];
	json_t *o = json_loadb(e->line, e->len, 0, NULL);

	assert_non_null(o);
	return o;
}

static void test_set_state(void **state)
{
	struct fixture *f = *state;
	char path[8192];
	char *data = NULL;
	size_t len;
	json_t *ev;

	assert_int_equal(daemon_vm_set_state(&f->d, f->vm, VM_STATE_ERROR, "VMM exited"), 0);
	assert_int_equal(f->vm->state, VM_STATE_ERROR);
	snprintf(path, sizeof(path), "%s/%s/vm.json", f->d.layout.vms_dir, ID);
	assert_int_equal(read_file_full(path, 65536, &data, &len), 0);
	assert_non_null(strstr(data, "\"state\": \"error\""));
	assert_non_null(strstr(data, "\"reason\": \"VMM exited\""));
	free(data);
	assert_int_equal(f->d.bus.seq, 100);
	ev = last_event(f);
	assert_string_equal(json_string_value(json_object_get(ev, "method")), "vm.state");
	json_t *p = json_object_get(ev, "params");
	assert_string_equal(json_string_value(json_object_get(p, "old")), "created");
	assert_string_equal(json_string_value(json_object_get(p, "new")), "error");
	assert_string_equal(json_string_value(json_object_get(p, "reason")), "VMM exited");
	assert_int_equal(json_integer_value(json_object_get(p, "seq")), 100);
	json_decref(ev);
}

static json_t *event_back(struct fixture *f, size_t back)
{
	struct event *e = f->d.bus.backlog[(f->d.bus.head + f->d.bus.n - 1 - back) % f->d.bus.cap];
	json_t *o = json_loadb(e->line, e->len, 0, NULL);

	assert_non_null(o);
	return o;
}

static const char *method_of(json_t *ev)
{
	return json_string_value(json_object_get(ev, "method"));
}

/* the VM's directory replaced by a file: no save can land until it is a directory again */
static void block_saves(struct fixture *f, bool block)
{
	char dir[8192], file[8300];

	assert_int_equal(layout_vm_dir(&f->d.layout, ID, dir, sizeof(dir)), 0);
	snprintf(file, sizeof(file), "%s/vm.json", dir);
	if (block) {
		assert_int_equal(unlink(file), 0);
		assert_int_equal(rmdir(dir), 0);
		fclose(fopen(dir, "w"));
	} else {
		assert_int_equal(unlink(dir), 0);
		assert_int_equal(mkdir(dir, 0700), 0);
	}
}

static void test_failed_save_keeps_the_truth(void **state)
{
	struct fixture *f = *state;
	char path[8192];
	char *data = NULL;
	json_t *ev, *wire;
	size_t len;

	block_saves(f, true);
	assert_true(daemon_vm_set_state(&f->d, f->vm, VM_STATE_RUNNING, NULL) < 0);
	/* it runs: memory and the events say so, whatever the disk holds */
	assert_int_equal(f->vm->state, VM_STATE_RUNNING);
	assert_string_not_equal(f->vm->save_error, "");
	assert_int_equal(f->d.bus.n, 2);
	ev = event_back(f, 1);
	assert_string_equal(method_of(ev), "vm.state");
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(ev, "params"), "new")),
		"running");
	json_decref(ev);
	ev = event_back(f, 0);
	assert_string_equal(method_of(ev), "vm.save_failed");
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(ev, "params"), "error")),
		f->vm->save_error);
	json_decref(ev);
	wire = vm_to_json(f->vm);
	assert_string_equal(
		json_string_value(json_object_get(wire, "save_error")), f->vm->save_error);
	json_decref(wire);

	/* a later change stands too, and the failure is announced once, not per save */
	strcpy(f->vm->ip, "10.0.0.9");
	assert_true(daemon_vm_update(&f->d, f->vm) < 0);
	assert_string_equal(f->vm->ip, "10.0.0.9");
	assert_int_equal(f->d.bus.n, 3);
	ev = event_back(f, 0);
	assert_string_equal(method_of(ev), "vm.updated");
	json_decref(ev);
	assert_int_equal(save_retry_run(&f->d), 1);
	assert_int_equal(f->d.bus.n, 3);
	wire = save_retry_json(&f->d);
	assert_int_equal(json_integer_value(json_object_get(wire, "waiting")), 1);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(json_object_get(wire, "records"), 0), "name")),
		"web");
	json_decref(wire);

	/* the obstacle goes: the next try lands, with everything that happened meanwhile */
	block_saves(f, false);
	assert_int_equal(save_retry_run(&f->d), 0);
	assert_string_equal(f->vm->save_error, "");
	ev = event_back(f, 0);
	assert_string_equal(method_of(ev), "vm.saved");
	json_decref(ev);
	snprintf(path, sizeof(path), "%s/%s/vm.json", f->d.layout.vms_dir, ID);
	assert_int_equal(read_file_full(path, 65536, &data, &len), 0);
	assert_non_null(strstr(data, "\"state\": \"running\""));
	assert_non_null(strstr(data, "\"ip\": \"10.0.0.9\""));
	assert_null(strstr(data, "save_error"));
	free(data);
}

static void test_forgotten_record_is_not_written_back(void **state)
{
	struct fixture *f = *state;
	char dir[8192];

	block_saves(f, true);
	assert_true(daemon_vm_set_state(&f->d, f->vm, VM_STATE_STOPPED, NULL) < 0);
	save_retry_forget(&f->d, ID);
	block_saves(f, false);
	assert_int_equal(save_retry_run(&f->d), 0);
	assert_int_equal(layout_vm_dir(&f->d.layout, ID, dir, sizeof(dir)), 0);
	strcat(dir, "/vm.json");
	assert_int_equal(access(dir, F_OK), -1);
}

static void test_update(void **state)
{
	struct fixture *f = *state;
	json_t *ev;

	strcpy(f->vm->ip, "10.0.0.9");
	f->vm->pid = 4242;
	assert_int_equal(daemon_vm_update(&f->d, f->vm), 0);
	ev = last_event(f);
	assert_string_equal(json_string_value(json_object_get(ev, "method")), "vm.updated");
	json_t *vm = json_object_get(json_object_get(ev, "params"), "vm");
	assert_string_equal(json_string_value(json_object_get(vm, "ip")), "10.0.0.9");
	assert_int_equal(json_integer_value(json_object_get(vm, "pid")), 4242);
	json_decref(ev);
	assert_int_equal(store_load(&f->d.store), 0);
	assert_string_equal(store_vm_by_name(&f->d.store, "web")->ip, "10.0.0.9");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_set_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_save_keeps_the_truth, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_forgotten_record_is_not_written_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update, setup, teardown),
	};

	log_set_max_level(LOG_EMERG);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

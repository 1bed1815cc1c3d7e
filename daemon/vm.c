/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The VM record: its fields, states, validation rules and JSON form (vm.json and the wire). */
#include <stdio.h>
#include <string.h>
#include <systemd/sd-id128.h>
#include <time.h>

#include "common/macro.h"
#include "daemon/vm.h"

bool vm_state_is_inactive(enum vm_state s)
{
	switch (s) {
	case VM_STATE_CREATED:
	case VM_STATE_STOPPED:
	case VM_STATE_ERROR:
	case VM_STATE_SUSPENDED:
		return true;
	case VM_STATE_STARTING:
	case VM_STATE_RUNNING:
	case VM_STATE_STOPPING:
	case VM_STATE_PAUSED:
		return false;
	case _VM_STATE_MAX:
	case _VM_STATE_INVALID:
		break;
	}
	return false;
}

bool vm_id_is_valid(const char *id)
{
	size_t n;

	if (!id)
		return false;
	for (n = 0; id[n]; n++)
		if (!((id[n] >= '0' && id[n] <= '9') || (id[n] >= 'a' && id[n] <= 'f')))
			return false;
	return n == VM_ID_LEN;
}

int vm_id_generate(char ret[VM_ID_LEN + 1])
{
	sd_id128_t id;
	int r = sd_id128_randomize(&id);

	if (r < 0)
		return r;
	sd_id128_to_string(id, ret);
	return 0;
}

void rfc3339_now(char *buf, size_t size)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *str_or_null(const char *s)
{
	return s[0] ? json_string(s) : json_null();
}

json_t *vm_publish_json(const struct vm *vm)
{
	json_t *a = json_array();
	char text[PUBLISH_TEXT_MAX];

	for (size_t i = 0; a && i < vm->n_publish; i++) {
		publish_format(&vm->publish[i], text);
		if (json_array_append_new(a, json_string(text)) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

int vm_publish_from_json(
	const json_t *a, struct publish ret[PUBLISH_MAX], size_t *ret_n, char *why, size_t why_size)
{
	struct publish p[PUBLISH_MAX];
	size_t i, n = 0;
	json_t *v;

	if (!json_is_array(a)) {
		snprintf(why, why_size, "published ports must be a list");
		return -EINVAL;
	}
	if (json_array_size(a) > PUBLISH_MAX) {
		snprintf(why, why_size, "at most %d published ports per VM", PUBLISH_MAX);
		return -EINVAL;
	}
	json_array_foreach(a, i, v)
	{
		if (!json_is_string(v)) {
			snprintf(why, why_size, "a published port is a string");
			return -EINVAL;
		}
		if (publish_parse(json_string_value(v), &p[n], why, why_size) < 0)
			return -EINVAL;
		n++;
	}
	memcpy(ret, p, n * sizeof(p[0]));
	*ret_n = n;
	return 0;
}

json_t *vm_to_json(const struct vm *vm)
{
	return json_pack("{s:s, s:s, s:s, s:o, s:s, s:i, s:i, s:i, s:o, s:o, s:o, s:o, s:o, s:s,"
			 " s:o, s:i, s:b, s:o, s:o}",
		"id", vm->id, "name", vm->name, "state", vm_state_to_string(vm->state), "reason",
		str_or_null(vm->reason), "image", vm->image, "vcpus", (int)vm->vcpus, "memory_mib",
		(int)vm->memory_mib, "disk_gib", (int)vm->disk_gib, "ip", str_or_null(vm->ip),
		"mac", str_or_null(vm->mac), "pid",
		vm->pid > 0 ? json_integer(vm->pid) : json_null(), "boot_id",
		str_or_null(vm->boot_id), "disk_strategy", str_or_null(vm->disk_strategy),
		"created_at", vm->created_at, "started_at", str_or_null(vm->started_at),
		"schema_version", VM_SCHEMA_VERSION, "halted", vm->halted, "save_error",
		str_or_null(vm->save_error), "publish", vm_publish_json(vm));
}

static int bad(char *why, size_t why_size, const char *field, const char *what)
{
	snprintf(why, why_size, "field \"%s\" %s", field, what);
	return -EBADMSG;
}

/* Copies a string member; null and absent become "" when optional. */
static int get_str(const json_t *o, const char *key, bool required, char *buf, size_t size,
	char *why, size_t why_size)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v)) {
		if (required)
			return bad(why, why_size, key, "is missing");
		buf[0] = '\0';
		return 0;
	}
	if (!json_is_string(v))
		return bad(why, why_size, key, "is not a string");
	if (json_string_length(v) >= size)
		return bad(why, why_size, key, "is too long");
	memcpy(buf, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int get_uint(const json_t *o, const char *key, long long min, long long max, unsigned *ret,
	char *why, size_t why_size)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		return bad(why, why_size, key, "is missing or not an integer");
	if (json_integer_value(v) < min || json_integer_value(v) > max)
		return bad(why, why_size, key, "is out of range");
	*ret = (unsigned)json_integer_value(v);
	return 0;
}

int vm_from_json(const json_t *o, struct vm *ret, char *why, size_t why_size)
{
	struct vm vm = {};
	char state[16];
	json_t *pid;
	int r = 0;

	if (!json_is_object(o))
		return bad(why, why_size, "(record)", "is not an object");
	r = r ?: get_str(o, "id", true, vm.id, sizeof(vm.id), why, why_size);
	r = r ?: get_str(o, "name", true, vm.name, sizeof(vm.name), why, why_size);
	r = r ?: get_str(o, "state", true, state, sizeof(state), why, why_size);
	r = r ?: get_str(o, "reason", false, vm.reason, sizeof(vm.reason), why, why_size);
	r = r ?: get_str(o, "image", true, vm.image, sizeof(vm.image), why, why_size);
	r = r ?: get_uint(o, "vcpus", VM_VCPUS_MIN, VM_VCPUS_MAX, &vm.vcpus, why, why_size);
	r = r
		    ?: get_uint(o, "memory_mib", VM_MEMORY_MIN, VM_MEMORY_MAX, &vm.memory_mib, why,
			       why_size);
	r = r ?: get_uint(o, "disk_gib", VM_DISK_MIN, VM_DISK_MAX, &vm.disk_gib, why, why_size);
	r = r ?: get_str(o, "ip", false, vm.ip, sizeof(vm.ip), why, why_size);
	r = r ?: get_str(o, "mac", false, vm.mac, sizeof(vm.mac), why, why_size);
	r = r ?: get_str(o, "boot_id", false, vm.boot_id, sizeof(vm.boot_id), why, why_size);
	r = r
		    ?: get_str(o, "disk_strategy", false, vm.disk_strategy,
			       sizeof(vm.disk_strategy), why, why_size);
	r = r
		    ?: get_str(o, "created_at", true, vm.created_at, sizeof(vm.created_at), why,
			       why_size);
	r = r
		    ?: get_str(o, "started_at", false, vm.started_at, sizeof(vm.started_at), why,
			       why_size);
	if (r < 0)
		return r;
	if (!vm_id_is_valid(vm.id))
		return bad(why, why_size, "id", "is not 32 hex digits");
	if (!vm_name_is_valid(vm.name))
		return bad(why, why_size, "name", "is not a valid VM name");
	if (!vm_name_is_valid(vm.image))
		return bad(why, why_size, "image", "is not a valid image name");
	vm.state = vm_state_from_string(state);
	if (vm.state < 0)
		return bad(why, why_size, "state", "is not a known state");
	/* optional: records from before it was known are about guests that were not halted */
	if (json_object_get(o, "halted") && !json_is_boolean(json_object_get(o, "halted")))
		return bad(why, why_size, "halted", "is not a boolean");
	vm.halted = json_is_true(json_object_get(o, "halted"));
	/* optional: records from before it was known publish nothing */
	if (json_object_get(o, "publish") && !json_is_null(json_object_get(o, "publish"))) {
		char pwhy[128];
		if (vm_publish_from_json(json_object_get(o, "publish"), vm.publish, &vm.n_publish,
			    pwhy, sizeof(pwhy)) < 0)
			return bad(why, why_size, "publish", pwhy);
	}
	pid = json_object_get(o, "pid");
	if (pid && !json_is_null(pid)) {
		if (!json_is_integer(pid) || json_integer_value(pid) < 0 ||
			json_integer_value(pid) > INT32_MAX)
			return bad(why, why_size, "pid", "is not a process id");
		vm.pid = (int)json_integer_value(pid);
	}
	*ret = vm;
	return 0;
}

/* Version 0: records without "schema_version" (hand-written or from pre-release builds) that may
 * lack the optional fields and carry no state; they never ran under this daemon, so "stopped". */
static int vm_migrate_0_to_1(json_t *o)
{
	if (!json_object_get(o, "state") &&
		json_object_set_new(o, "state", json_string("stopped")) < 0)
		return -ENOMEM;
	if (!json_object_get(o, "vcpus") &&
		json_object_set_new(o, "vcpus", json_integer(VM_DEFAULT_VCPUS)) < 0)
		return -ENOMEM;
	if (!json_object_get(o, "memory_mib") &&
		json_object_set_new(o, "memory_mib", json_integer(VM_DEFAULT_MEMORY)) < 0)
		return -ENOMEM;
	if (!json_object_get(o, "disk_gib") &&
		json_object_set_new(o, "disk_gib", json_integer(VM_DEFAULT_DISK)) < 0)
		return -ENOMEM;
	if (!json_object_get(o, "image") &&
		json_object_set_new(o, "image", json_string(VM_DEFAULT_IMAGE)) < 0)
		return -ENOMEM;
	if (!json_object_get(o, "created_at")) {
		char now[32];
		rfc3339_now(now, sizeof(now));
		if (json_object_set_new(o, "created_at", json_string(now)) < 0)
			return -ENOMEM;
	}
	return 0;
}

typedef int (*migrate_fn)(json_t *o);
/* migrations[n] turns version n into n + 1. */
static const migrate_fn vm_migrations[VM_SCHEMA_VERSION] = {
	[0] = vm_migrate_0_to_1,
};

int vm_json_migrate(json_t *o, char *why, size_t why_size)
{
	json_t *v = json_object_get(o, "schema_version");
	json_int_t from = 0;

	if (v) {
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return bad(why, why_size, "schema_version", "is not a version number");
		from = json_integer_value(v);
	}
	if (from > VM_SCHEMA_VERSION) {
		snprintf(why, why_size,
			"written by a newer banger (schema_version %lld, this daemon knows up to "
			"%d)",
			(long long)from, VM_SCHEMA_VERSION);
		return -EPROTONOSUPPORT;
	}
	for (json_int_t n = from; n < VM_SCHEMA_VERSION; n++) {
		int r = vm_migrations[n](o);
		if (r < 0)
			return r;
	}
	if (json_object_set_new(o, "schema_version", json_integer(VM_SCHEMA_VERSION)) < 0)
		return -ENOMEM;
	return (int)from;
}

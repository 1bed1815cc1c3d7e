/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The TUI's model: VMs keyed by id, patched by daemon events, replaced by snapshots. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/macro.h"
#include "tui/vm-model.h"

const char *vm_state_label(enum vm_state s)
{
	return vm_state_to_string(s) ?: "unknown";
}

int64_t vm_parse_time(const char *s)
{
	struct tm tm = {};
	const char *end;

	if (!s)
		return -1;
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end)
		return -1;
	if (*end == '.')
		for (end++; *end >= '0' && *end <= '9'; end++)
			;
	if (!streq(end, "Z") && !streq(end, "+00:00"))
		return -1;
	return (int64_t)timegm(&tm);
}

static uint64_t hash_id(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

void vm_model_init(struct vm_model *m, const struct console_limits *limits)
{
	*m = (struct vm_model){
		.limits = *limits, .images = json_object(), .imports = json_object()};
}

static void vm_free(struct vm *vm)
{
	free(vm->id);
	free(vm->name);
	free(vm->ip);
	free(vm->boot_id);
	free(vm->reason);
	free(vm->image);
	free(vm->mac);
	free(vm->ports);
	json_decref(vm->obj);
	if (vm->console) {
		console_done(vm->console);
		free(vm->console);
	}
	free(vm);
}

void vm_model_done(struct vm_model *m)
{
	for (size_t i = 0; i < m->n; i++)
		vm_free(m->vms[i]);
	free(m->vms);
	free(m->buckets);
	free(m->daemon_version);
	json_decref(m->images);
	json_decref(m->imports);
	*m = (struct vm_model){};
}

struct vm *vm_model_find(const struct vm_model *m, const char *id)
{
	if (m->n_buckets == 0 || !id)
		return NULL;
	for (struct vm *vm = m->buckets[hash_id(id) % m->n_buckets]; vm; vm = vm->hash_next)
		if (streq(vm->id, id))
			return vm;
	return NULL;
}

struct vm *vm_model_find_name(const struct vm_model *m, const char *name)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->vms[i]->name && streq(m->vms[i]->name, name))
			return m->vms[i];
	return NULL;
}

static int rehash(struct vm_model *m, size_t n_buckets)
{
	struct vm **b = calloc(n_buckets, sizeof(*b));
	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < m->n; i++) {
		struct vm *vm = m->vms[i];
		size_t k = hash_id(vm->id) % n_buckets;
		vm->hash_next = b[k];
		b[k] = vm;
	}
	free(m->buckets);
	m->buckets = b;
	m->n_buckets = n_buckets;
	return 0;
}

static int model_insert(struct vm_model *m, struct vm *vm)
{
	size_t k;

	if (m->n == m->cap) {
		size_t ncap = m->cap ? m->cap * 2 : 64;
		struct vm **v = realloc(m->vms, ncap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		m->vms = v;
		m->cap = ncap;
	}
	if (m->n + 1 > m->n_buckets) {
		int r = rehash(m, MAX(m->n_buckets * 2, (size_t)64));
		if (r < 0)
			return r;
	}
	vm->index = m->n;
	m->vms[m->n++] = vm;
	k = hash_id(vm->id) % m->n_buckets;
	vm->hash_next = m->buckets[k];
	m->buckets[k] = vm;
	return 0;
}

static void model_remove(struct vm_model *m, struct vm *vm)
{
	struct vm **p = &m->buckets[hash_id(vm->id) % m->n_buckets];

	while (*p && *p != vm)
		p = &(*p)->hash_next;
	if (*p)
		*p = vm->hash_next;
	m->vms[vm->index] = m->vms[m->n - 1];
	m->vms[vm->index]->index = vm->index;
	m->n--;
	vm_free(vm);
}

static const char *str_member(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int set_str(char **field, const char *v)
{
	char *copy = NULL;

	if (v && *v) {
		if (*field && streq(*field, v))
			return 0;
		copy = strdup(v);
		if (!copy)
			return -ENOMEM;
	}
	free(*field);
	*field = copy;
	return 0;
}

/* The publish list, short: "8080:80,0.0.0.0:5353:53/udp" (the default host 127.0.0.1 and
 * protocol tcp left out), NULL for none. */
static int ports_text(const json_t *obj, char **ret)
{
	json_t *a = json_object_get(obj, "publish"), *v;
	char buf[512] = "";
	size_t i, len = 0;

	json_array_foreach(a, i, v)
	{
		const char *s = json_string_value(v);
		size_t n;
		int k;
		if (!s)
			continue;
		if (strncmp(s, "127.0.0.1:", 10) == 0)
			s += 10;
		n = strlen(s);
		if (n > 4 && streq(s + n - 4, "/tcp"))
			n -= 4;
		k = snprintf(buf + len, sizeof(buf) - len, "%s%.*s", len ? "," : "", (int)n, s);
		if (k < 0 || (size_t)k >= sizeof(buf) - len)
			break;
		len += (size_t)k;
	}
	return set_str(ret, buf[0] ? buf : NULL);
}

/* Copies a VM object's fields into vm (which keeps a reference to obj). */
static int vm_update_from(struct vm *vm, json_t *obj)
{
	json_t *pid;
	int r;

	r = ports_text(obj, &vm->ports);
	if (r < 0)
		return r;
	if ((r = set_str(&vm->name, str_member(obj, "name"))) < 0 ||
		(r = set_str(&vm->ip, str_member(obj, "ip"))) < 0 ||
		(r = set_str(&vm->boot_id, str_member(obj, "boot_id"))) < 0 ||
		(r = set_str(&vm->reason, str_member(obj, "reason"))) < 0 ||
		(r = set_str(&vm->image, str_member(obj, "image"))) < 0 ||
		(r = set_str(&vm->mac, str_member(obj, "mac"))) < 0)
		return r;
	vm->state = vm_state_from_string(str_member(obj, "state"));
	vm->halted = json_is_true(json_object_get(obj, "halted"));
	pid = json_object_get(obj, "pid");
	vm->pid = json_is_integer(pid) ? (int64_t)json_integer_value(pid) : 0;
	vm->vcpus = (int64_t)json_integer_value(json_object_get(obj, "vcpus"));
	vm->memory_mib = (int64_t)json_integer_value(json_object_get(obj, "memory_mib"));
	vm->started_at = vm_parse_time(str_member(obj, "started_at"));
	json_incref(obj);
	json_decref(vm->obj);
	vm->obj = obj;
	return 0;
}

/* Creates or updates the VM described by obj. */
static int upsert(struct vm_model *m, json_t *obj, struct vm **ret)
{
	const char *id = str_member(obj, "id");
	struct vm *vm;
	int r;

	if (!json_is_object(obj) || !id || !*id || !str_member(obj, "name"))
		return -EBADMSG;
	vm = vm_model_find(m, id);
	if (vm) {
		r = vm_update_from(vm, obj);
		if (r < 0)
			return r;
		*ret = vm;
		return 0;
	}
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->id = strdup(id);
	vm->order = UINT64_MAX / 2 + m->next_order++;
	r = vm->id ? vm_update_from(vm, obj) : -ENOMEM;
	if (r >= 0)
		r = model_insert(m, vm);
	if (r < 0) {
		vm_free(vm);
		return r;
	}
	*ret = vm;
	return 0;
}

static int console_of(struct vm_model *m, struct vm *vm, struct console **ret)
{
	if (!vm->console) {
		vm->console = malloc(sizeof(*vm->console));
		if (!vm->console)
			return -ENOMEM;
		console_init(
			vm->console, m->limits.bg_lines, m->limits.bg_bytes, m->limits.line_bytes);
	}
	*ret = vm->console;
	return 0;
}

void vm_model_watch_console(struct vm_model *m, struct vm *vm, bool watched)
{
	struct console *c;

	if (console_of(m, vm, &c) < 0)
		return;
	if (watched)
		console_set_limits(c, m->limits.lines, m->limits.bytes);
	else
		console_set_limits(c, m->limits.bg_lines, m->limits.bg_bytes);
}

int vm_model_apply_snapshot(struct vm_model *m, const json_t *vms, uint64_t seq)
{
	size_t i;
	json_t *obj;
	int r;

	if (!json_is_array(vms))
		return -EBADMSG;
	for (i = 0; i < m->n; i++)
		m->vms[i]->mark = false;
	json_array_foreach(vms, i, obj)
	{
		struct vm *vm;
		r = upsert(m, obj, &vm);
		if (r == -ENOMEM)
			return r;
		if (r >= 0)
			vm->mark = true;
	}
	for (i = m->n; i > 0; i--)
		if (!m->vms[i - 1]->mark)
			model_remove(m, m->vms[i - 1]);
	m->last_seq = seq;
	m->have_snapshot = true;
	m->lagged = false;
	return 0;
}

static struct vm *event_vm(struct vm_model *m, const json_t *params)
{
	return vm_model_find(m, str_member(params, "id"));
}

static int ev_created(struct vm_model *m, const json_t *p, struct model_result *res)
{
	struct vm *vm;
	int r = upsert(m, json_object_get(p, "vm"), &vm);
	if (r < 0)
		return r;
	res->vm = vm;
	res->flags |= MODEL_CHANGED_ROWS;
	return 0;
}

static int ev_state(struct vm_model *m, const json_t *p, struct model_result *res)
{
	struct vm *vm = event_vm(m, p);
	const char *new_state = str_member(p, "new");
	int r;

	if (!new_state)
		return -EBADMSG;
	if (!vm)
		return 0;
	vm->state = vm_state_from_string(new_state);
	if (vm->state != VM_STATE_STARTING)
		vm->progress.step[0] = '\0';
	r = set_str(&vm->reason, str_member(p, "reason"));
	if (r < 0)
		return r;
	if (vm->obj && json_object_set_new(vm->obj, "state", json_string(new_state)) < 0)
		return -ENOMEM;
	/* The console says when nothing more is coming (k9s's "stream exited"). */
	if (vm->console && (vm->state == VM_STATE_STOPPED || vm->state == VM_STATE_ERROR)) {
		char text[256];
		snprintf(text, sizeof(text), "VM %s%s%.200s",
			vm->state == VM_STATE_STOPPED ? "stopped" : "failed",
			vm->reason ? ": " : "", vm->reason ? vm->reason : "");
		r = console_append_marker(vm->console, text);
		if (r < 0)
			return r;
		res->flags |= MODEL_CHANGED_CONSOLE;
	}
	res->vm = vm;
	res->flags |= MODEL_CHANGED_ROWS;
	return 0;
}

static int ev_boot_id(struct vm_model *m, const json_t *p, struct model_result *res)
{
	struct vm *vm = event_vm(m, p);
	int r;

	if (!vm)
		return 0;
	r = set_str(&vm->boot_id, str_member(p, "boot_id"));
	if (r < 0)
		return r;
	if (vm->obj)
		json_object_set(vm->obj, "boot_id", json_object_get(p, "boot_id"));
	res->vm = vm;
	res->flags |= MODEL_CHANGED_ROWS;
	return 0;
}

static int ev_deleted(struct vm_model *m, const json_t *p, struct model_result *res)
{
	struct vm *vm = event_vm(m, p);

	if (!vm)
		return 0;
	model_remove(m, vm);
	res->flags |= MODEL_CHANGED_ROWS;
	return 0;
}

static int ev_log(struct vm_model *m, const json_t *p, struct model_result *res)
{
	struct vm *vm = event_vm(m, p);
	json_t *lines = json_object_get(p, "lines"), *first = json_object_get(p, "first_line");
	const char *texts[256];
	size_t lens[256];
	struct console *c;
	size_t i, n;
	int r;

	if (!json_is_array(lines) || !json_is_integer(first) || json_integer_value(first) < 1)
		return -EBADMSG;
	if (!vm)
		return 0;
	r = console_of(m, vm, &c);
	if (r < 0)
		return r;
	n = json_array_size(lines);
	/* In batches so a large event needs no allocation here. */
	for (i = 0; i < n;) {
		size_t k = 0, base = i;
		for (; i < n && k < ELEMENTSOF(texts); i++, k++) {
			json_t *l = json_array_get(lines, i);
			texts[k] = json_is_string(l) ? json_string_value(l) : "";
			lens[k] = json_is_string(l) ? json_string_length(l) : 0;
		}
		r = console_append_lines(
			c, (uint64_t)json_integer_value(first) + base, texts, lens, k);
		if (r < 0)
			return r;
	}
	res->vm = vm;
	res->flags |= MODEL_CHANGED_CONSOLE;
	return 0;
}

int vm_model_apply_backlog(struct vm_model *m, const char *id, const json_t *result,
	uint64_t *ret_at, uint64_t *ret_shift)
{
	struct vm *vm = vm_model_find(m, id);
	json_t *lines = json_object_get(result, "lines"),
	       *next = json_object_get(result, "next_line");
	_cleanup_free_ const char **texts = NULL;
	_cleanup_free_ size_t *lens = NULL;
	struct console *c;
	size_t n, i;
	json_t *l;
	int r;

	*ret_at = *ret_shift = 0;
	if (!json_is_array(lines) || !json_is_integer(next) || json_integer_value(next) < 1 ||
		(uint64_t)json_integer_value(next) <= json_array_size(lines))
		return -EBADMSG;
	n = json_array_size(lines);
	if (!vm || n == 0)
		return 0;
	r = console_of(m, vm, &c);
	if (r < 0)
		return r;
	texts = calloc(n, sizeof(*texts));
	lens = calloc(n, sizeof(*lens));
	if (!texts || !lens)
		return -ENOMEM;
	json_array_foreach(lines, i, l)
	{
		texts[i] = json_is_string(l) ? json_string_value(l) : "";
		lens[i] = json_is_string(l) ? json_string_length(l) : 0;
	}
	return console_merge_backlog(
		c, (uint64_t)json_integer_value(next) - n, texts, lens, n, ret_at, ret_shift);
}

static int ev_log_dropped(struct vm_model *m, const json_t *p, struct model_result *res)
{
	struct vm *vm = event_vm(m, p);
	json_t *first = json_object_get(p, "first_line"), *count = json_object_get(p, "count");
	struct console *c;
	int r;

	if (!json_is_integer(first) || !json_is_integer(count) || json_integer_value(count) < 0)
		return -EBADMSG;
	if (!vm)
		return 0;
	r = console_of(m, vm, &c);
	if (r < 0)
		return r;
	r = console_note_dropped(
		c, (uint64_t)json_integer_value(first), (uint64_t)json_integer_value(count));
	if (r < 0)
		return r;
	res->vm = vm;
	res->flags |= MODEL_CHANGED_CONSOLE;
	return 0;
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* vm.start_step: a step of the VM's start began; vm.start_done: the start is over. */
static int ev_start_step(struct vm_model *m, const json_t *p, struct model_result *res)
{
	struct vm *vm = event_vm(m, p);
	const char *step = str_member(p, "step");
	json_t *n = json_object_get(p, "n"), *of = json_object_get(p, "of"),
	       *elapsed = json_object_get(p, "elapsed_ms");

	if (!step || !json_is_integer(n) || !json_is_integer(of) || !json_is_integer(elapsed))
		return -EBADMSG;
	if (!vm)
		return 0;
	snprintf(vm->progress.step, sizeof(vm->progress.step), "%s", step);
	vm->progress.n = (int)json_integer_value(n);
	vm->progress.of = (int)json_integer_value(of);
	vm->progress.elapsed_ms = json_integer_value(elapsed);
	vm->progress.at_ms = mono_ms();
	res->vm = vm;
	res->flags |= MODEL_CHANGED_ROWS;
	return 0;
}

static int ev_start_done(struct vm_model *m, const json_t *p, struct model_result *res)
{
	struct vm *vm = event_vm(m, p);

	if (!vm)
		return 0;
	vm->progress.step[0] = '\0';
	res->vm = vm;
	res->flags |= MODEL_CHANGED_ROWS;
	return 0;
}

void vm_progress_format(const struct vm *vm, int64_t now_ms, char *buf, size_t size)
{
	int64_t ms;

	if (!vm->progress.step[0] || vm->state != VM_STATE_STARTING) {
		snprintf(buf, size, "%s", "");
		return;
	}
	ms = vm->progress.elapsed_ms + MAX(now_ms - vm->progress.at_ms, (int64_t)0);
	snprintf(buf, size, "%s %d/%d %lld.%llds", vm->progress.step, vm->progress.n,
		vm->progress.of, (long long)(ms / 1000), (long long)(ms % 1000 / 100));
}

static int ev_lagged(struct vm_model *m, const json_t *p, struct model_result *res)
{
	(void)p;
	m->lagged = true;
	res->flags |= MODEL_LAGGED;
	return 0;
}

static int ev_snapshot(struct vm_model *m, const json_t *p, struct model_result *res)
{
	int r = vm_model_apply_snapshot(m, json_object_get(p, "vms"),
		(uint64_t)json_integer_value(json_object_get(p, "seq")));
	const json_t *images = json_object_get(p, "images"), *img;
	size_t i;

	if (r < 0)
		return r;
	if (json_is_array(images)) {
		json_object_clear(m->images);
		json_array_foreach(images, i, img)
		{
			const char *name = str_member(img, "name");
			if (name && json_object_set(m->images, name, (json_t *)img) < 0)
				return -ENOMEM;
		}
	}
	res->flags |= MODEL_SNAPSHOT | MODEL_CHANGED_ROWS | MODEL_CHANGED_IMAGES;
	return 0;
}

/* image.imported, image.deleted, image.import_progress */
static int ev_image(struct vm_model *m, const json_t *p, struct model_result *res)
{
	const json_t *img = json_object_get(p, "image");
	const char *name = img ? str_member(img, "name") : str_member(p, "name");

	if (!name)
		return 0; /* nothing this view could show */
	if (img) {
		if (json_object_set(m->images, name, (json_t *)img) < 0)
			return -ENOMEM;
		json_object_del(m->imports, name);
	} else if (json_object_get(p, "total_bytes")) {
		if (json_object_set(m->imports, name, (json_t *)p) < 0)
			return -ENOMEM;
	} else
		json_object_del(m->images, name);
	res->flags |= MODEL_CHANGED_IMAGES;
	return 0;
}

static int ev_daemon(struct vm_model *m, const json_t *p, struct model_result *res)
{
	int r = set_str(&m->daemon_version, str_member(p, "version"));
	if (r < 0)
		return r;
	res->flags |= MODEL_DAEMON;
	return 0;
}

static int ev_heartbeat(struct vm_model *m, const json_t *p, struct model_result *res)
{
	(void)m;
	(void)p;
	res->flags |= MODEL_HEARTBEAT;
	return 0;
}

static const struct event_handler {
	const char *method;
	int (*apply)(struct vm_model *m, const json_t *params, struct model_result *res);
	bool sequenced; /* carries a new seq (the heartbeat repeats the latest) */
} event_handlers[] = {
	{"vm.created", ev_created, true},
	{"vm.updated", ev_created, true},
	{"vm.state", ev_state, true},
	{"vm.boot_id", ev_boot_id, true},
	{"vm.deleted", ev_deleted, true},
	{"vm.log", ev_log, true},
	{"vm.log_dropped", ev_log_dropped, true},
	{"vm.start_step", ev_start_step, true},
	{"vm.start_done", ev_start_done, true},
	{"events.lagged", ev_lagged, true},
	{"events.snapshot", ev_snapshot, false},
	{"image.imported", ev_image, true},
	{"image.deleted", ev_image, true},
	{"image.import_progress", ev_image, true},
	{"daemon.started", ev_daemon, true},
	{"daemon.stopping", ev_daemon, true},
	{"daemon.heartbeat", ev_heartbeat, false},
};

int vm_model_apply(
	struct vm_model *m, const char *method, const json_t *params, struct model_result *ret)
{
	struct model_result res = {};
	json_t *seq = json_object_get(params, "seq");
	int r;

	if (!json_is_object(params))
		return -EBADMSG;
	for (size_t i = 0; i < ELEMENTSOF(event_handlers); i++) {
		const struct event_handler *h = &event_handlers[i];
		if (!streq(h->method, method))
			continue;
		if (h->sequenced) {
			if (!json_is_integer(seq))
				return -EBADMSG;
			if ((uint64_t)json_integer_value(seq) <= m->last_seq) {
				ret->flags = MODEL_IGNORED;
				ret->vm = NULL;
				return 0;
			}
		}
		r = h->apply(m, params, &res);
		if (r < 0)
			return r;
		if (h->sequenced)
			m->last_seq = (uint64_t)json_integer_value(seq);
		*ret = res;
		return 0;
	}
	/* image.*, reconcile.*, update.*: advance seq so a replay can resume after them. */
	if (json_is_integer(seq) && (uint64_t)json_integer_value(seq) > m->last_seq)
		m->last_seq = (uint64_t)json_integer_value(seq);
	*ret = (struct model_result){.flags = MODEL_IGNORED};
	return 0;
}

int vm_model_mark_consoles(struct vm_model *m, const char *text)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->vms[i]->console) {
			int r = console_append_marker(m->vms[i]->console, text);
			if (r < 0)
				return r;
		}
	return 0;
}

int vm_model_reconnected(struct vm_model *m, uint64_t daemon_seq, bool replayed)
{
	/* A daemon whose counter is behind ours was restarted: its numbers start over. */
	if (!replayed || daemon_seq < m->last_seq) {
		m->last_seq = 0;
		/* Lines come back from the snapshot point on; accept whatever numbering follows. */
		for (size_t i = 0; i < m->n; i++)
			if (m->vms[i]->console)
				m->vms[i]->console->next_daemon_line = 0;
	}
	return vm_model_mark_consoles(
		m, replayed ? "reconnected" : "reconnected; lines may be missing");
}

void vm_model_count(const struct vm_model *m, size_t counts[static _VM_STATE_MAX])
{
	memset(counts, 0, sizeof(size_t) * _VM_STATE_MAX);
	for (size_t i = 0; i < m->n; i++)
		if (vm_state_to_string(m->vms[i]->state))
			counts[m->vms[i]->state]++;
}

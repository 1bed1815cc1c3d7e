/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* handles.json, typed: {"<vm id>": {"pid", "tap", "chroot", "api_sock", "link", "disk_kind",
 * "device", "next_line"}, ...}, keys sorted, indented. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fileio.h"
#include "common/handles.h"
#include "common/macro.h"

/* The string fields, in the struct and in the file. */
static const struct {
	const char *key;
	size_t offset, size;
} strings[] = {
#define S(f)                                                                                       \
	{                                                                                          \
#f, offsetof(struct vm_handles, f), sizeof(((struct vm_handles *)0)->f)            \
	}
	S(tap),
	S(chroot),
	S(api_sock),
	S(link),
	S(disk_kind),
	S(device),
#undef S
};

static int entry_from_json(const char *id, json_t *o, struct vm_handles *ret)
{
	struct vm_handles v = {};
	json_t *x;

	if (!json_is_object(o) || strlen(id) >= sizeof(v.vm_id))
		return -EBADMSG;
	snprintf(v.vm_id, sizeof(v.vm_id), "%s", id);
	x = json_object_get(o, "pid");
	if (x && !json_is_integer(x))
		return -EBADMSG;
	v.pid = (int)json_integer_value(x);
	x = json_object_get(o, "next_line");
	if (x && (!json_is_integer(x) || json_integer_value(x) < 0))
		return -EBADMSG;
	v.next_line = (uint64_t)json_integer_value(x);
	for (size_t i = 0; i < ELEMENTSOF(strings); i++) {
		x = json_object_get(o, strings[i].key);
		if (x && !json_is_string(x))
			return -EBADMSG;
		snprintf((char *)&v + strings[i].offset, strings[i].size, "%s",
			json_string_value(x) ?: "");
	}
	*ret = v;
	return 0;
}

static json_t *entry_to_json(const struct vm_handles *v)
{
	json_t *o = json_pack("{s:i, s:I}", "pid", v->pid, "next_line", (json_int_t)v->next_line);

	for (size_t i = 0; o && i < ELEMENTSOF(strings); i++)
		if (json_object_set_new(o, strings[i].key,
			    json_string((const char *)v + strings[i].offset)) < 0)
			o = (json_decref(o), NULL);
	return o;
}

int handles_file_add(struct handles_file *h, const struct vm_handles *v)
{
	struct vm_handles *n = realloc(h->vms, (h->n + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	h->vms = n;
	h->vms[h->n++] = *v;
	return 0;
}

int handles_file_load(const char *path, struct handles_file *ret)
{
	struct handles_file h = {};
	_cleanup_free_ char *data = NULL;
	const char *id;
	json_t *o, *e;
	int r;

	r = read_file_full(path, HANDLES_MAX_BYTES, &data, NULL);
	if (r < 0)
		return r;
	o = json_loads(data, 0, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		return -EBADMSG;
	}
	json_object_foreach(o, id, e)
	{
		struct vm_handles v;
		r = entry_from_json(id, e, &v);
		if (r >= 0)
			r = handles_file_add(&h, &v);
		if (r < 0)
			break;
	}
	json_decref(o);
	if (r < 0) {
		handles_file_done(&h);
		return r;
	}
	*ret = h;
	return 0;
}

int handles_file_save(const char *path, const struct handles_file *h)
{
	json_t *o = json_object();
	char *s;
	int r;

	for (size_t i = 0; o && i < h->n; i++)
		if (json_object_set_new(o, h->vms[i].vm_id, entry_to_json(&h->vms[i])) < 0)
			o = (json_decref(o), NULL);
	if (!o)
		return -ENOMEM;
	s = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(o);
	if (!s)
		return -ENOMEM;
	r = write_file_atomic(path, s, strlen(s), 0600);
	free(s);
	return r;
}

const struct vm_handles *handles_file_find(const struct handles_file *h, const char *vm_id)
{
	for (size_t i = 0; i < h->n; i++)
		if (streq(h->vms[i].vm_id, vm_id))
			return &h->vms[i];
	return NULL;
}

void handles_file_done(struct handles_file *h)
{
	free(h->vms);
	*h = (struct handles_file){};
}

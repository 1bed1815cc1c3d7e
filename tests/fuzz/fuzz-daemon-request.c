/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target for bangerd.sock's request decoding: NDJSON framing, JSON-RPC parsing, method
 * lookup and every method's parameter schema (protocol/methods.def). An accepted request must
 * obey its schema (checked here again, from the JSON, by rules written independently of
 * rpc_args_decode), and a refusal must be invalid_argument with a message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/jsonrpc.h"
#include "protocol/methods.h"
#include "protocol/ndjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool given(const json_t *params, const char *name)
{
	json_t *v = json_object_get(params, name);
	return v && !json_is_null(v);
}

/* What an accepted request must look like, from the schema and the JSON alone. */
static void check_accepted(enum rpc_method m, const json_t *params, const union rpc_args *args)
{
	const struct rpc_method_info *info = rpc_method_info(m);
	const char *key;
	size_t one_of = 0, one_of_given = 0;
	json_t *v;

	if (params && !json_is_object(params))
		abort();
	json_object_foreach((json_t *)params, key, v)
	{
		const struct rpc_arg *a = info->args;
		while (a->name && strcmp(a->name, key) != 0)
			a++;
		if (!a->name)
			abort(); /* an undeclared member got through */
	}
	for (const struct rpc_arg *a = info->args; a->name; a++) {
		if (a->one_of) {
			one_of++;
			one_of_given += given(params, a->name);
		}
		if (!given(params, a->name)) {
			if (a->required)
				abort();
			continue;
		}
		v = json_object_get(params, a->name);
		switch (a->type) {
		case RPC_ARG_STRING: {
			const char *s = json_string_value(v);
			if (!s || strlen(s) != json_string_length(v))
				abort();
			if (a->max_len && strlen(s) > a->max_len)
				abort();
			if (a->pattern == RPC_PATTERN_NAME && !vm_name_is_valid(s))
				abort();
			if (a->pattern == RPC_PATTERN_ABSOLUTE_PATH && s[0] != '/')
				abort();
			break;
		}
		case RPC_ARG_INT:
			if (!json_is_integer(v) || json_integer_value(v) < a->min ||
				json_integer_value(v) > a->max)
				abort();
			break;
		case RPC_ARG_BOOL:
			if (!json_is_boolean(v))
				abort();
			break;
		case RPC_ARG_STRINGS:
			if (!json_is_array(v) || json_array_size(v) > a->max_items)
				abort();
			break;
		case _RPC_ARG_TYPE_MAX:
		case _RPC_ARG_TYPE_INVALID:
			abort();
		}
	}
	if (one_of > 0 && one_of_given != 1)
		abort();

	/* and the typed members the handlers read */
	if (m == RPC_METHOD_VM_CREATE) {
		const struct rpc_vm_create_args *c = &args->rpc_vm_create;
		/* image, vcpus, memory_mib and disk_gib not given decode as NULL or 0: the daemon
		 * fills them from banger.conf */
		if (!vm_name_is_valid(c->name) || (c->image && !vm_name_is_valid(c->image)) ||
			(c->vcpus && (c->vcpus < VM_VCPUS_MIN || c->vcpus > VM_VCPUS_MAX)) ||
			(c->memory_mib &&
				(c->memory_mib < VM_MEMORY_MIN || c->memory_mib > VM_MEMORY_MAX)) ||
			(c->disk_gib && (c->disk_gib < VM_DISK_MIN || c->disk_gib > VM_DISK_MAX)))
			abort();
	} else if (m == RPC_METHOD_VM_LOGS) {
		const struct rpc_vm_logs_args *l = &args->rpc_vm_logs;
		if (!l->name == !l->id || l->tail < 0 || l->tail > 100000)
			abort();
	} else if (m == RPC_METHOD_VM_DELETE) {
		if (!args->rpc_vm_delete.name == !args->rpc_vm_delete.id)
			abort();
	} else if (m == RPC_METHOD_IMAGE_IMPORT) {
		const struct rpc_image_import_args *i = &args->rpc_image_import;
		if (!vm_name_is_valid(i->name) || i->kernel[0] != '/' || i->rootfs[0] != '/' ||
			(i->initrd && i->initrd[0] != '/'))
			abort();
	} else if (m == RPC_METHOD_EVENTS_SUBSCRIBE) {
		if (args->rpc_events_subscribe.since_seq < -1)
			abort();
	}
}

static void decode_as(enum rpc_method m, const json_t *params)
{
	struct rpc_error err = {};
	union rpc_args args;
	int r;

	r = rpc_args_decode(m, params, &args, &err);
	if (r >= 0)
		check_accepted(m, params, &args);
	else if (err.code != RPC_ERROR_INVALID_ARGUMENT || !err.message[0])
		abort(); /* every refusal says why, as invalid_argument */
}

static void decode_one(const char *line, size_t len)
{
	struct rpc_message msg = {};
	struct rpc_error err = {};
	enum rpc_method m;

	if (rpc_message_parse(line, len, &msg, &err) < 0) {
		if (!err.message[0])
			abort();
		return;
	}
	if (msg.type == RPC_MESSAGE_REQUEST || msg.type == RPC_MESSAGE_NOTIFICATION) {
		m = rpc_method_from_string(msg.method);
		if (m >= 0)
			decode_as(m, msg.params);
		/* the same params against every schema: each decoder meets every shape */
		for (int other = 0; other < _RPC_METHOD_MAX; other++)
			decode_as(other, msg.params);
	}
	rpc_message_done(&msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ndjson_reader rd;
	char *line;
	size_t len;

	/* As the server sees it: framed. */
	ndjson_reader_init(&rd, 1u << 16);
	if (ndjson_reader_feed(&rd, data, size) >= 0)
		while (ndjson_reader_next(&rd, &line, &len) > 0)
			decode_one(line, len);
	ndjson_reader_done(&rd);
	return 0;
}

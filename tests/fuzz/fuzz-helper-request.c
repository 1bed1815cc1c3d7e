/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target for root.sock's decoder: NDJSON framing, JSON-RPC parsing, op lookup, schema
 * and every field validator; checks that refusals always carry a message and that an accepted
 * request only ever names banger's objects. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "helper/helper.h"
#include "helper/request.h"
#include "helper/validate.h"
#include "protocol/jsonrpc.h"
#include "protocol/ndjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_accepted(const struct helper_request *req)
{
	json_t *v;

	if (req->op->needs_vm_id && (!req->vm_id || !vm_id_is_valid(req->vm_id)))
		abort();
	v = json_object_get(req->params, "tap");
	if (v && !tap_name_is_valid(json_string_value(v)))
		abort();
	v = json_object_get(req->params, "bridge");
	if (v && !bridge_name_is_valid(json_string_value(v)))
		abort();
	if (req->n_fds > HELPER_MAX_FDS)
		abort();
}

static void decode_one(const char *line, size_t len)
{
	struct rpc_message msg = {};
	struct helper_request req;
	struct rpc_error err = {};
	int r;

	r = rpc_message_parse(line, len, &msg, &err);
	if (r >= 0) {
		r = helper_request_decode(&msg, &req, &err);
		if (r >= 0)
			check_accepted(&req);
	}
	if (r < 0 && !err.message[0])
		abort(); /* every refusal says why */
	rpc_message_done(&msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ndjson_reader rd;
	char *line, *copy;
	size_t len;

	/* As the server sees it: framed. */
	ndjson_reader_init(&rd, 1u << 16);
	if (ndjson_reader_feed(&rd, data, size) >= 0)
		while (ndjson_reader_next(&rd, &line, &len) > 0)
			decode_one(line, len);
	ndjson_reader_done(&rd);

	/* The name and address validators on the raw bytes. */
	copy = malloc(size + 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	{
		struct in_addr a;
		unsigned prefix;
		if (ipv4_cidr_parse(copy, &a, &prefix) >= 0 && prefix > 32)
			abort();
		if (vm_id_is_valid(copy) && (strchr(copy, '/') || strchr(copy, '.')))
			abort();
		if (block_device_path_is_valid(copy) && strstr(copy, ".."))
			abort();
		(void)tap_name_is_valid(copy);
		(void)bridge_name_is_valid(copy);
		(void)drive_name_is_valid(copy);
		(void)signal_from_name(copy);
	}
	free(copy);
	return 0;
}

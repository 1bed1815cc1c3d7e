/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A JSON-RPC client's outstanding requests and the matching of answers to them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/calls.h"

void rpc_calls_init(struct rpc_calls *t, size_t max_calls)
{
	*t = (struct rpc_calls){.next_id = 1, .max_calls = max_calls};
}

void rpc_calls_done(struct rpc_calls *t)
{
	free(t->calls);
	t->calls = NULL;
	t->n_calls = t->n_allocated = 0;
}

static int reserve(struct rpc_calls *t)
{
	struct rpc_call *p;
	size_t n;

	if (t->n_calls < t->n_allocated)
		return 0;
	n = t->n_allocated ? t->n_allocated * 2 : 8;
	p = reallocarray(t->calls, MIN(n, t->max_calls), sizeof(*p));
	if (!p)
		return -ENOMEM;
	t->calls = p;
	t->n_allocated = MIN(n, t->max_calls);
	return 0;
}

int rpc_calls_add(struct rpc_calls *t, const char *method, json_t *params, void *userdata,
	char **ret_line, size_t *ret_len, json_int_t *ret_id)
{
	_cleanup_json_ json_t *id = NULL, *req = NULL;
	char *line;
	size_t len;
	int r;

	if (!method || !userdata) {
		json_decref(params);
		return -EINVAL;
	}
	if (t->n_calls >= t->max_calls) {
		json_decref(params);
		return -EBUSY;
	}
	id = json_integer(t->next_id);
	if (!id) {
		json_decref(params);
		return -ENOMEM;
	}
	req = rpc_request_new(id, method, params);
	if (!req)
		return -ENOMEM;
	r = reserve(t);
	if (r < 0)
		return r;
	r = rpc_message_serialize(req, &line, &len);
	if (r < 0)
		return r;
	t->calls[t->n_calls++] = (struct rpc_call){.id = t->next_id, .userdata = userdata};
	*ret_line = line;
	*ret_len = len;
	*ret_id = t->next_id++;
	return 0;
}

static void remove_at(struct rpc_calls *t, size_t i)
{
	memmove(t->calls + i, t->calls + i + 1, (t->n_calls - i - 1) * sizeof(*t->calls));
	t->n_calls--;
}

void *rpc_calls_take(struct rpc_calls *t, json_int_t id)
{
	for (size_t i = 0; i < t->n_calls; i++)
		if (t->calls[i].id == id) {
			void *userdata = t->calls[i].userdata;
			remove_at(t, i);
			return userdata;
		}
	return NULL;
}

void *rpc_calls_pop(struct rpc_calls *t)
{
	if (t->n_calls == 0)
		return NULL;
	return t->calls[--t->n_calls].userdata;
}

enum rpc_incoming rpc_calls_match(struct rpc_calls *t, const struct rpc_message *m,
	struct rpc_call *ret_call, struct rpc_error *err)
{
	switch (m->type) {
	case RPC_MESSAGE_NOTIFICATION:
		return RPC_INCOMING_NOTIFICATION;
	case RPC_MESSAGE_REQUEST:
		return RPC_INCOMING_REQUEST;
	case RPC_MESSAGE_RESPONSE:
	case RPC_MESSAGE_ERROR:
		break;
	case _RPC_MESSAGE_MAX:
	case _RPC_MESSAGE_INVALID:
		return _RPC_INCOMING_INVALID;
	}

	if (m->type == RPC_MESSAGE_ERROR && json_is_null(m->id)) {
		rpc_error_set(err, 0, m->error.code, "%s", m->error.message);
		return RPC_INCOMING_UNREADABLE;
	}
	if (json_is_integer(m->id))
		for (size_t i = 0; i < t->n_calls; i++)
			if (t->calls[i].id == json_integer_value(m->id)) {
				*ret_call = t->calls[i];
				remove_at(t, i);
				return RPC_INCOMING_REPLY;
			}
	if (json_is_integer(m->id))
		rpc_error_set(err, 0, RPC_ERROR_PROTOCOL_ERROR,
			"Answer to request %" JSON_INTEGER_FORMAT ", which is not outstanding",
			json_integer_value(m->id));
	else
		rpc_error_set(err, 0, RPC_ERROR_PROTOCOL_ERROR,
			"Answer to a request id this client never sends");
	return RPC_INCOMING_STRAY;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Is bangerd-root there? An asynchronous, shared hello for system.status (helper-probe.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/macro.h"
#include "daemon/helper-client.h"
#include "daemon/helper-probe.h"
#include "protocol/jsonrpc.h"

struct waiter {
	helper_probe_done_t done;
	void *userdata;
};

struct helper_probe {
	sd_event *event;
	char sock[108];
	struct helper_client *client;
	bool reset; /* a hello went unanswered: talk on a fresh connection next time */
	bool in_flight;
	json_t *last;
	uint64_t last_usec;
	struct waiter *waiters;
	size_t n_waiters;
};

int helper_probe_new(sd_event *e, const char *root_sock, struct helper_probe **ret)
{
	struct helper_probe *p;

	if (strlen(root_sock) >= sizeof(p->sock))
		return -ENAMETOOLONG;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->event = sd_event_ref(e);
	strcpy(p->sock, root_sock);
	*ret = p;
	return 0;
}

static void answer_all(struct helper_probe *p, json_t *helper)
{
	/* a callback may ask again: hand over the current list first */
	struct waiter *w = TAKE_PTR(p->waiters);
	size_t n = p->n_waiters;

	p->n_waiters = 0;
	for (size_t i = 0; i < n; i++)
		w[i].done(helper, w[i].userdata);
	free(w);
}

struct helper_probe *helper_probe_free(struct helper_probe *p)
{
	_cleanup_json_ json_t *bye = NULL;

	if (!p)
		return NULL;
	bye = json_pack("{s:s, s:b, s:n, s:n, s:s}", "socket", p->sock, "reachable", 0, "program",
		"version", "error", "the daemon is shutting down");
	answer_all(p, bye);
	/* its pending hello fails with "shutting down" and finds nobody waiting */
	helper_client_free(p->client);
	json_decref(p->last);
	sd_event_unref(p->event);
	free(p);
	return NULL;
}

json_t *helper_probe_fresh(struct helper_probe *p)
{
	uint64_t now;

	/* only a helper that answered is taken as still there: a failure is asked about again */
	if (!p->last || !json_is_true(json_object_get(p->last, "reachable")) ||
		sd_event_now(p->event, CLOCK_MONOTONIC, &now) < 0 ||
		now - p->last_usec >= HELPER_PROBE_FRESH_USEC)
		return NULL;
	return json_incref(p->last);
}

static void on_hello(
	struct helper_client *h, int r, json_t *result, const struct rpc_error *err, void *userdata)
{
	struct helper_probe *p = userdata;
	json_t *o;

	p->in_flight = false;
	if (r == 0)
		o = json_pack("{s:s, s:b, s:O?, s:O?, s:n}", "socket", p->sock, "reachable", 1,
			"program", json_object_get(result, "program"), "version",
			json_object_get(result, "version"), "error");
	else {
		o = json_pack("{s:s, s:b, s:n, s:n, s:s}", "socket", p->sock, "reachable", 0,
			"program", "version", "error",
			err && err->message[0] ? err->message : strerror(-r));
		/* a late answer to this hello must not be taken for the next one's */
		p->reset = r == -ETIMEDOUT;
	}
	json_decref(p->last);
	p->last = o;
	(void)sd_event_now(p->event, CLOCK_MONOTONIC, &p->last_usec);
	answer_all(p, o);
}

int helper_probe_ask(struct helper_probe *p, helper_probe_done_t done, void *userdata)
{
	struct waiter *w;
	int r;

	w = realloc(p->waiters, (p->n_waiters + 1) * sizeof(*w));
	if (!w)
		return -ENOMEM;
	p->waiters = w;
	p->waiters[p->n_waiters++] = (struct waiter){done, userdata};
	if (p->in_flight)
		return 0;
	if (p->reset)
		p->client = helper_client_free(p->client);
	p->reset = false;
	if (!p->client) {
		r = helper_client_new(p->event, p->sock, &p->client);
		if (r < 0)
			goto fail;
	}
	r = helper_client_call(p->client, "hello", rpc_hello_new("bangerd", PACKAGE_VERSION), NULL,
		NULL, 0, HELPER_PROBE_TIMEOUT_USEC, on_hello, p);
	if (r < 0)
		goto fail;
	p->in_flight = true;
	return 0;
fail:
	p->n_waiters--;
	return r;
}

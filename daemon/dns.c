/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The guests' resolver kept in step with the VMs (dns.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/macro.h"
#include "daemon/daemon.h"
#include "daemon/dns.h"
#include "daemon/helper-port.h"
#include "daemon/lifecycle.h"
#include "protocol/jsonrpc.h"

struct dns_watch {
	sd_event_source *timer;
	char *sent;         /* the hosts last sent, "\n"-joined; NULL: nothing sent yet */
	bool in_flight;     /* one dns.ensure at a time */
	bool again;         /* a change came while one was in flight */
	bool failing;       /* the last one failed (logged once until one lands) */
	long long pid;      /* dnsmasq's, from the last answer */
	char resolved[256]; /* the last answer's "resolved": how the host's side went */
	char error[256];    /* why the last one failed */
};

/* "IP NAME" for every running VM, in name order; *ret_joined is the same joined with "\n". */
static int dns_hosts(struct daemon *d, const char **ret, size_t *ret_n, char **ret_joined)
{
	size_t n = 0, len = 0;
	char *joined;

	for (size_t i = 0; i < d->store.n_vms; i++) {
		const struct vm *vm = d->store.vms[i];
		if (vm->state == VM_STATE_RUNNING && vm->ip[0])
			len += strlen(vm->ip) + strlen(vm->name) + 2;
	}
	joined = malloc(len + 1);
	if (!joined)
		return -ENOMEM;
	joined[0] = '\0';
	len = 0;
	for (size_t i = 0; i < d->store.n_vms; i++) {
		const struct vm *vm = d->store.vms[i];
		if (vm->state != VM_STATE_RUNNING || !vm->ip[0])
			continue;
		ret[n++] = joined + len;
		len += (size_t)sprintf(joined + len, "%s %s", vm->ip, vm->name) + 1;
	}
	*ret_n = n;
	*ret_joined = joined; /* NUL-separated entries, ret[] point into it */
	return (int)len;
}

static void dns_send(struct daemon *d);

static void on_answer(_unused_ struct helper_client *h, int k, json_t *result,
	const struct rpc_error *err, void *userdata)
{
	struct daemon *d = userdata;
	struct dns_watch *w = d->dns;

	if (!w)
		return;
	w->in_flight = false;
	if (k < 0) {
		snprintf(w->error, sizeof(w->error), "%.250s", err ? err->message : strerror(-k));
		if (!w->failing)
			log_warning("The guests' resolver is not running: %s",
				err ? err->message : strerror(-k));
		w->failing = true;
	} else {
		if (w->failing || json_is_true(json_object_get(result, "started")))
			log_info("The guests' resolver runs (dnsmasq, pid %lld)",
				(long long)json_integer_value(json_object_get(result, "pid")));
		w->failing = false;
		w->error[0] = '\0';
		w->pid = (long long)json_integer_value(json_object_get(result, "pid"));
		snprintf(w->resolved, sizeof(w->resolved), "%s",
			json_string_value(json_object_get(result, "resolved"))
				? json_string_value(json_object_get(result, "resolved"))
				: "");
	}
	if (w->again) {
		w->again = false;
		dns_send(d);
	}
}

static void dns_send(struct daemon *d)
{
	struct dns_watch *w = d->dns;
	const char *hosts[1024];
	_cleanup_free_ char *joined = NULL;
	struct helper_port hp;
	size_t n = 0;
	int len, r;

	if (!w || !d->lifecycle)
		return;
	if (w->in_flight) {
		w->again = true;
		return;
	}
	if (d->store.n_vms > ELEMENTSOF(hosts))
		return;
	len = dns_hosts(d, hosts, &n, &joined);
	if (len < 0)
		return;
	/* nothing runs and nothing was ever sent: no resolver is needed yet */
	if (n == 0 && !w->sent)
		return;
	hp = lifecycle_helper_port(d->lifecycle);
	r = helper_call_dns_ensure(
		&hp, &(struct helper_req_dns_ensure){.hosts = hosts, .n_hosts = n}, on_answer, d);
	if (r < 0) {
		log_debug("Cannot ask bangerd-root for the guests' resolver: %s", strerror(-r));
		return;
	}
	w->in_flight = true;
	free(w->sent);
	for (int i = 0; i < len; i++)
		if (joined[i] == '\0')
			joined[i] = '\n';
	w->sent = TAKE_PTR(joined); /* what this call sends; kept when it succeeds */
}

static bool any_running(struct daemon *d)
{
	for (size_t i = 0; i < d->store.n_vms; i++)
		if (d->store.vms[i]->state == VM_STATE_RUNNING)
			return true;
	return false;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct daemon *d = userdata;

	(void)usec;
	/* while a VM runs, ask again: dns.ensure restarts a dnsmasq that died */
	if (any_running(d))
		dns_send(d);
	(void)sd_event_source_set_time_relative(s, DNS_WATCH_USEC);
	return 0;
}

int dns_start(struct daemon *d)
{
	struct dns_watch *w = calloc(1, sizeof(*w));
	int r;

	if (!w)
		return -ENOMEM;
	r = sd_event_add_time_relative(
		d->event, &w->timer, CLOCK_MONOTONIC, DNS_WATCH_USEC, 0, on_timer, d);
	if (r >= 0)
		r = sd_event_source_set_enabled(w->timer, SD_EVENT_ON);
	if (r < 0) {
		sd_event_source_disable_unref(w->timer);
		free(w);
		return r;
	}
	d->dns = w;
	return 0;
}

void dns_stop(struct daemon *d)
{
	struct dns_watch *w = TAKE_PTR(d->dns);

	if (!w)
		return;
	sd_event_source_disable_unref(w->timer);
	free(w->sent);
	free(w);
}

void dns_changed(struct daemon *d)
{
	dns_send(d);
}

json_t *dns_status_json(struct daemon *d)
{
	struct dns_watch *w = d->dns;
	char gw[INET_ADDRSTRLEN];
	const char *state = "idle";

	inet_ntop(AF_INET, &d->config.subnet.gateway, gw, sizeof(gw));
	if (w && w->failing)
		state = "failing";
	else if (w && w->pid > 0)
		state = "running";
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:s?, s:s?}", "bridge", d->config.bridge,
		"gateway", gw, "subnet", d->config.subnet_text, "state", state, "pid",
		(json_int_t)(w ? w->pid : 0), "resolved", w && w->resolved[0] ? w->resolved : NULL,
		"error", w && w->error[0] ? w->error : NULL);
}

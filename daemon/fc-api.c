/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Firecracker API client: HTTP/1.1 over a VM's unix socket through libcurl's multi interface,
 * driven by sd-event so a slow or dead VMM never stalls the daemon. */
#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/macro.h"
#include "daemon/fc-api.h"
#include "protocol/jsonrpc.h"

/* A Firecracker API answer is small; anything bigger is a misbehaving VMM. */
#define FC_API_MAX_BODY (256u * 1024u)

struct fc_request {
	struct fc_request *next;
	struct fc_api *api;
	int64_t id;
	CURL *easy;
	struct curl_slist *headers;
	char *body_out;
	char *body_in;
	size_t body_in_len;
	bool too_big;
	char errbuf[CURL_ERROR_SIZE];
	uint64_t started;
	fc_api_done_t done;
	void *userdata;
	char what[128]; /* "PUT /drives/rootfs" for messages */
};

struct fc_api {
	sd_event *event;
	CURLM *multi;
	sd_event_source *timer;
	struct fc_request *requests;
	int64_t next_id;
	unsigned n;
};

static uint64_t now_usec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void request_free(struct fc_request *q)
{
	if (!q)
		return;
	if (q->easy) {
		curl_multi_remove_handle(q->api->multi, q->easy);
		curl_easy_cleanup(q->easy);
	}
	curl_slist_free_all(q->headers);
	free(q->body_out);
	free(q->body_in);
	free(q);
}

static void request_unlink(struct fc_api *api, struct fc_request *q)
{
	for (struct fc_request **p = &api->requests; *p; p = &(*p)->next)
		if (*p == q) {
			*p = q->next;
			api->n--;
			return;
		}
}

static void fault_from_body(const json_t *body, const char *what, long status, struct rpc_error *e)
{
	const char *fault = NULL;
	json_t *f;

	if (json_is_object(body)) {
		f = json_object_get(body, "fault_message");
		if (!json_is_string(f))
			f = json_object_get(body, "error");
		if (json_is_string(f))
			fault = json_string_value(f);
	}
	rpc_error_set(e, 0, status == 400 ? RPC_ERROR_INVALID_ARGUMENT : RPC_ERROR_INTERNAL,
		"VMM refused %s (HTTP %ld): %s", what, status, fault ? fault : "no fault message");
}

static void check_finished(struct fc_api *api)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(api->multi, &left))) {
		struct fc_request *q = NULL;
		struct fc_api_result res = {};

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&q);
		if (!q)
			continue;
		request_unlink(api, q);
		res.usec = now_usec() - q->started;

		if (q->too_big)
			res.r = rpc_error_set(&res.err, -EMSGSIZE, RPC_ERROR_INTERNAL,
				"VMM answer to %s exceeds %u bytes", q->what, FC_API_MAX_BODY);
		else if (msg->data.result != CURLE_OK) {
			CURLcode c = msg->data.result;
			int r = c == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT
				: c == CURLE_COULDNT_CONNECT  ? -ECONNREFUSED
							      : -EIO;
			res.r = rpc_error_set(&res.err, r,
				r == -ETIMEDOUT ? RPC_ERROR_TIMEOUT : RPC_ERROR_UNAVAILABLE,
				"Failed to reach the VMM for %s: %s", q->what,
				q->errbuf[0] ? q->errbuf : curl_easy_strerror(c));
		} else {
			curl_easy_getinfo(q->easy, CURLINFO_RESPONSE_CODE, &res.status);
			if (q->body_in_len > 0) {
				json_error_t jerr;
				res.body = json_loadb(q->body_in, q->body_in_len, 0, &jerr);
				if (!res.body && res.status < 300)
					res.r = rpc_error_set(&res.err, -EBADMSG,
						RPC_ERROR_INTERNAL,
						"VMM answered %s with invalid JSON: %s", q->what,
						jerr.text);
			}
			if (res.r == 0 && res.status >= 300)
				fault_from_body(res.body, q->what, res.status, &res.err);
		}
		if (q->done)
			q->done(api, &res, q->userdata);
		json_decref(res.body);
		request_free(q);
	}
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct fc_api *api = userdata;
	int action = 0, running;

	if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))
		action |= CURL_CSELECT_IN;
	if (revents & EPOLLOUT)
		action |= CURL_CSELECT_OUT;
	if (revents & EPOLLERR)
		action |= CURL_CSELECT_ERR;
	curl_multi_socket_action(api->multi, fd, action, &running);
	check_finished(api);
	return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct fc_api *api = userdata;
	int running;

	curl_multi_socket_action(api->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_finished(api);
	return 0;
}

/* curl tells us which sockets to watch; each gets an sd-event io source kept in socket data. */
static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct fc_api *api = userp;
	sd_event_source *io = socketp;
	uint32_t events = 0;

	if (what == CURL_POLL_REMOVE) {
		if (io) {
			sd_event_source_disable_unref(io);
			curl_multi_assign(api->multi, fd, NULL);
		}
		return 0;
	}
	if (what & CURL_POLL_IN)
		events |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		events |= EPOLLOUT;
	if (io) {
		if (sd_event_source_set_io_events(io, events) < 0)
			return -1;
		return sd_event_source_set_enabled(io, SD_EVENT_ON) < 0 ? -1 : 0;
	}
	if (sd_event_add_io(api->event, &io, fd, events, on_io, api) < 0)
		return -1;
	sd_event_source_set_description(io, "fc-api-io");
	curl_multi_assign(api->multi, fd, io);
	return 0;
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct fc_api *api = userp;
	uint64_t usec;

	if (timeout_ms < 0)
		return api->timer ? (sd_event_source_set_enabled(api->timer, SD_EVENT_OFF) < 0 ? -1
											       : 0)
				  : 0;
	if (sd_event_now(api->event, CLOCK_MONOTONIC, &usec) < 0)
		return -1;
	usec += (uint64_t)timeout_ms * 1000u;
	if (api->timer) {
		if (sd_event_source_set_time(api->timer, usec) < 0)
			return -1;
		return sd_event_source_set_enabled(api->timer, SD_EVENT_ONESHOT) < 0 ? -1 : 0;
	}
	/* accuracy 1 µs: sd-event's default (0 → 250 ms) would delay every request curl kicks
	 * off through a zero timeout by up to a quarter second */
	if (sd_event_add_time(api->event, &api->timer, CLOCK_MONOTONIC, usec, 1, on_timer, api) < 0)
		return -1;
	sd_event_source_set_description(api->timer, "fc-api-timer");
	return 0;
}

int fc_api_new(sd_event *event, struct fc_api **ret)
{
	struct fc_api *api;
	static bool global_done;

	if (!global_done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return -EIO;
		global_done = true;
	}
	api = calloc(1, sizeof(*api));
	if (!api)
		return -ENOMEM;
	api->multi = curl_multi_init();
	if (!api->multi) {
		free(api);
		return -ENOMEM;
	}
	api->event = sd_event_ref(event);
	api->next_id = 1;
	curl_multi_setopt(api->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(api->multi, CURLMOPT_SOCKETDATA, api);
	curl_multi_setopt(api->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(api->multi, CURLMOPT_TIMERDATA, api);
	*ret = api;
	return 0;
}

struct fc_api *fc_api_free(struct fc_api *api)
{
	if (!api)
		return NULL;
	while (api->requests) {
		struct fc_request *q = api->requests;
		api->requests = q->next;
		request_free(q);
	}
	curl_multi_cleanup(
		api->multi); /* after removing handles: REMOVE callbacks drop io sources */
	sd_event_source_disable_unref(api->timer);
	sd_event_unref(api->event);
	free(api);
	return NULL;
}

static size_t write_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	struct fc_request *q = userp;
	size_t n = size * nmemb;
	char *nb;

	if (q->body_in_len + n > FC_API_MAX_BODY) {
		q->too_big = true;
		return 0; /* aborts the transfer */
	}
	nb = realloc(q->body_in, q->body_in_len + n + 1);
	if (!nb)
		return 0;
	memcpy(nb + q->body_in_len, data, n);
	q->body_in = nb;
	q->body_in_len += n;
	q->body_in[q->body_in_len] = '\0';
	return n;
}

int64_t fc_api_request(struct fc_api *api, const char *sock_path, const char *method,
	const char *path, const json_t *body, uint64_t timeout_usec, fc_api_done_t done,
	void *userdata)
{
	struct fc_request *q;
	char url[512];

	if (!path || path[0] != '/' || strlen(path) > 400)
		return -EINVAL;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->api = api;
	q->done = done;
	q->userdata = userdata;
	q->started = now_usec();
	snprintf(q->what, sizeof(q->what), "%s %s", method, path);
	snprintf(url, sizeof(url), "http://localhost%s", path);
	q->easy = curl_easy_init();
	if (!q->easy)
		goto oom;
	if (body) {
		q->body_out = json_dumps(body, JSON_COMPACT);
		if (!q->body_out)
			goto oom;
	}
	/* "Expect:" off: Firecracker's micro_http does not do 100-continue. */
	q->headers = curl_slist_append(NULL, "Expect:");
	if (q->headers) {
		struct curl_slist *h = curl_slist_append(q->headers, "Accept: application/json");
		if (!h)
			goto oom;
		q->headers = h;
	}
	if (!q->headers)
		goto oom;
	if (body) {
		struct curl_slist *h =
			curl_slist_append(q->headers, "Content-Type: application/json");
		if (!h)
			goto oom;
		q->headers = h;
	}
	if (curl_easy_setopt(q->easy, CURLOPT_UNIX_SOCKET_PATH, sock_path) != CURLE_OK ||
		curl_easy_setopt(q->easy, CURLOPT_URL, url) != CURLE_OK ||
		curl_easy_setopt(q->easy, CURLOPT_CUSTOMREQUEST, method) != CURLE_OK ||
		curl_easy_setopt(q->easy, CURLOPT_HTTPHEADER, q->headers) != CURLE_OK ||
		curl_easy_setopt(q->easy, CURLOPT_WRITEFUNCTION, write_cb) != CURLE_OK ||
		curl_easy_setopt(q->easy, CURLOPT_WRITEDATA, q) != CURLE_OK ||
		curl_easy_setopt(q->easy, CURLOPT_PRIVATE, q) != CURLE_OK ||
		curl_easy_setopt(q->easy, CURLOPT_ERRORBUFFER, q->errbuf) != CURLE_OK ||
		curl_easy_setopt(q->easy, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
		curl_easy_setopt(q->easy, CURLOPT_PROTOCOLS_STR, "http") != CURLE_OK ||
		curl_easy_setopt(q->easy, CURLOPT_TIMEOUT_MS,
			(long)(timeout_usec ? timeout_usec / 1000 : 10000)) != CURLE_OK)
		goto oom;
	if (body) {
		curl_easy_setopt(q->easy, CURLOPT_POSTFIELDS, q->body_out);
		curl_easy_setopt(q->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(q->body_out));
	} else if (!streq(method, "GET"))
		curl_easy_setopt(q->easy, CURLOPT_POSTFIELDSIZE, 0L);
	if (curl_multi_add_handle(api->multi, q->easy) != CURLM_OK)
		goto oom;
	q->id = api->next_id++;
	q->next = api->requests;
	api->requests = q;
	api->n++;
	return q->id;
oom:
	if (q->easy) {
		curl_easy_cleanup(q->easy);
		q->easy = NULL;
	}
	request_free(q);
	return -ENOMEM;
}

int fc_api_cancel(struct fc_api *api, int64_t id)
{
	for (struct fc_request *q = api->requests; q; q = q->next)
		if (q->id == id) {
			request_unlink(api, q);
			request_free(q);
			return 0;
		}
	return -ENOENT;
}

unsigned fc_api_in_flight(const struct fc_api *api)
{
	return api->n;
}

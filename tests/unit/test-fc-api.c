/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for daemon/fc-api against a real HTTP server (libmicrohttpd) on a unix socket:
 * success and both fault shapes, invalid JSON, no listener, timeouts, cancel, oversize answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/fc-api.h"

struct fixture {
	char dir[64];
	char sock[128];
	struct MHD_Daemon *mhd;
	sd_event *event;
	struct fc_api *api;
	/* what the server saw last */
	char last_method[16];
	char last_url[128];
	char last_body[512];
	size_t last_body_len;
};

struct upload {
	char buf[512];
	size_t len;
};

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
	const char *method, const char *version, const char *data, size_t *data_size,
	void **con_cls)
{
	struct fixture *f = cls;
	struct upload *u = *con_cls;
	struct MHD_Response *r;
	const char *body = "";
	unsigned status = 204;
	enum MHD_Result ret;
	char *big = NULL;

	if (!u) {
		*con_cls = calloc(1, sizeof(struct upload));
		return MHD_YES;
	}
	if (*data_size) {
		size_t n = *data_size < sizeof(u->buf) - 1 - u->len ? *data_size
								    : sizeof(u->buf) - 1 - u->len;
		memcpy(u->buf + u->len, data, n);
		u->len += n;
		*data_size = 0;
		return MHD_YES;
	}
	snprintf(f->last_method, sizeof(f->last_method), "%s", method);
	snprintf(f->last_url, sizeof(f->last_url), "%s", url);
	memcpy(f->last_body, u->buf, u->len);
	f->last_body[u->len] = '\0';
	f->last_body_len = u->len;

	if (streq(url, "/")) {
		status = 200;
		body = "{\"id\":\"vm1\",\"state\":\"Not started\",\"app_name\":\"Firecracker\"}";
	} else if (streq(url, "/fault")) {
		status = 400;
		body = "{\"fault_message\":\"The requested operation is not supported after "
		       "starting the microVM.\"}";
	} else if (streq(url, "/parse-error")) {
		status = 400;
		body = "{\"error\":\"Invalid request method and/or path\"}";
	} else if (streq(url, "/garbage")) {
		status = 200;
		body = "{not json";
	} else if (streq(url, "/slow")) {
		usleep(1500 * 1000);
	} else if (streq(url, "/huge")) {
		size_t n = 300 * 1024;
		big = malloc(n + 1);
		memset(big, ' ', n);
		big[0] = '[';
		big[n - 1] = ']';
		big[n] = '\0';
		status = 200;
		body = big;
	}
	r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	free(big);
	return ret;
}

static void completed(
	void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	free(*con_cls);
	*con_cls = NULL;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	strcpy(f->dir, "/tmp/banger-fcapi-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->sock, sizeof(f->sock), "%s/api.sock", f->dir);
	strcpy(sa.sun_path, f->sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 16), 0);
	f->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION,
		0, NULL, NULL, answer, f, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_NOTIFY_COMPLETED,
		completed, NULL, MHD_OPTION_END);
	assert_non_null(f->mhd);
	assert_int_equal(sd_event_new(&f->event), 0);
	assert_int_equal(fc_api_new(f->event, &f->api), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	fc_api_free(f->api);
	sd_event_unref(f->event);
	MHD_stop_daemon(f->mhd);
	unlink(f->sock);
	rmdir(f->dir);
	free(f);
	return 0;
}

struct outcome {
	bool called;
	int r;
	long status;
	char *body;
	struct rpc_error err;
};

static void done_cb(struct fc_api *api, const struct fc_api_result *res, void *userdata)
{
	struct outcome *o = userdata;
	o->called = true;
	o->r = res->r;
	o->status = res->status;
	o->err = res->err;
	o->body = res->body ? json_dumps(res->body, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
}

static void run_until(struct fixture *f, struct outcome *o)
{
	for (int i = 0; i < 2000 && !o->called; i++)
		assert_true(sd_event_run(f->event, 10 * 1000) >= 0);
	assert_true(o->called);
}

static void test_put_204_sends_body(void **state)
{
	struct fixture *f = *state;
	struct outcome o = {};
	json_t *body = json_pack("{s:i,s:i}", "vcpu_count", 2, "mem_size_mib", 256);

	assert_true(fc_api_request(
			    f->api, f->sock, "PUT", "/machine-config", body, 0, done_cb, &o) > 0);
	json_decref(body);
	run_until(f, &o);
	assert_int_equal(o.r, 0);
	assert_int_equal(o.status, 204);
	assert_null(o.body);
	assert_string_equal(f->last_method, "PUT");
	assert_string_equal(f->last_url, "/machine-config");
	assert_string_equal(f->last_body, "{\"vcpu_count\":2,\"mem_size_mib\":256}");
	assert_int_equal(fc_api_in_flight(f->api), 0);
}

static void test_get_json(void **state)
{
	struct fixture *f = *state;
	struct outcome o = {};

	assert_true(fc_api_request(f->api, f->sock, "GET", "/", NULL, 0, done_cb, &o) > 0);
	run_until(f, &o);
	assert_int_equal(o.r, 0);
	assert_int_equal(o.status, 200);
	assert_string_equal(
		o.body, "{\"app_name\":\"Firecracker\",\"id\":\"vm1\",\"state\":\"Not started\"}");
	free(o.body);
}

static void test_fault_shapes(void **state)
{
	struct fixture *f = *state;
	struct outcome o = {}, p = {};

	assert_true(fc_api_request(f->api, f->sock, "PUT", "/fault", NULL, 0, done_cb, &o) > 0);
	assert_true(
		fc_api_request(f->api, f->sock, "PUT", "/parse-error", NULL, 0, done_cb, &p) > 0);
	run_until(f, &o);
	run_until(f, &p);
	assert_int_equal(o.r, 0);
	assert_int_equal(o.status, 400);
	assert_int_equal(o.err.code, RPC_ERROR_INVALID_ARGUMENT);
	assert_non_null(strstr(o.err.message, "not supported after starting the microVM"));
	assert_non_null(strstr(o.err.message, "PUT /fault"));
	assert_non_null(strstr(p.err.message, "Invalid request method and/or path"));
	free(o.body);
	free(p.body);
}

static void test_invalid_json(void **state)
{
	struct fixture *f = *state;
	struct outcome o = {};

	assert_true(fc_api_request(f->api, f->sock, "GET", "/garbage", NULL, 0, done_cb, &o) > 0);
	run_until(f, &o);
	assert_int_equal(o.r, -EBADMSG);
	assert_non_null(strstr(o.err.message, "invalid JSON"));
}

static void test_no_listener(void **state)
{
	struct fixture *f = *state;
	struct outcome o = {};
	char path[160];

	snprintf(path, sizeof(path), "%s/nobody.sock", f->dir);
	assert_true(fc_api_request(f->api, path, "GET", "/", NULL, 0, done_cb, &o) > 0);
	run_until(f, &o);
	assert_true(o.r < 0);
	assert_int_equal(o.err.code, RPC_ERROR_UNAVAILABLE);
	assert_non_null(strstr(o.err.message, "Failed to reach the VMM for GET /"));
}

static void test_timeout_does_not_block_others(void **state)
{
	struct fixture *f = *state;
	struct outcome slow = {}, fast = {};

	assert_true(fc_api_request(
			    f->api, f->sock, "GET", "/slow", NULL, 300 * 1000, done_cb, &slow) > 0);
	assert_true(fc_api_request(f->api, f->sock, "GET", "/", NULL, 0, done_cb, &fast) > 0);
	run_until(f, &fast);
	assert_false(slow.called); /* the fast answer came while the slow one was pending */
	assert_int_equal(fast.status, 200);
	free(fast.body);
	run_until(f, &slow);
	assert_int_equal(slow.r, -ETIMEDOUT);
	assert_int_equal(slow.err.code, RPC_ERROR_TIMEOUT);
}

static void test_cancel(void **state)
{
	struct fixture *f = *state;
	struct outcome o = {}, p = {};
	int64_t id = fc_api_request(f->api, f->sock, "GET", "/", NULL, 0, done_cb, &o);

	assert_true(id > 0);
	assert_int_equal(fc_api_cancel(f->api, id), 0);
	assert_int_equal(fc_api_cancel(f->api, id), -ENOENT);
	assert_true(fc_api_request(f->api, f->sock, "GET", "/", NULL, 0, done_cb, &p) > 0);
	run_until(f, &p);
	assert_false(o.called);
	free(p.body);
}

static void test_oversized_answer(void **state)
{
	struct fixture *f = *state;
	struct outcome o = {};

	assert_true(fc_api_request(f->api, f->sock, "GET", "/huge", NULL, 0, done_cb, &o) > 0);
	run_until(f, &o);
	assert_int_equal(o.r, -EMSGSIZE);
}

static void test_bad_path(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(fc_api_request(f->api, f->sock, "GET", "relative", NULL, 0, done_cb, NULL),
		-EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_put_204_sends_body, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_shapes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_listener, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_timeout_does_not_block_others, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversized_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_path, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

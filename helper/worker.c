/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Requests run off the loop: a thread per request in flight, the op locks (one net op at a time,
 * one op per VM id at a time), and the done queue the loop drains through an eventfd. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/log.h"
#include "common/macro.h"
#include "helper/audit.h"
#include "helper/request.h"
#include "helper/worker.h"

struct helper_workers {
	int event_fd;
	pthread_mutex_t lock; /* guards done and running: held only to link or unlink */
	struct helper_work *done, **done_tail;
	unsigned running;
};

/* Net and NAT ops read and change the same links, addresses, routes and table: one at a time,
 * so that two bridge_ensure never race to create the bridge and a bridge_remove never deletes
 * a bridge a tap is being added to. */
static pthread_mutex_t net_lock = PTHREAD_MUTEX_INITIALIZER;

/* One lock per VM id with an op in flight: a VM's stage, launch, cleanup and disk ops never
 * overlap, different VMs' run side by side. */
struct vm_lock {
	struct vm_lock *next;
	pthread_mutex_t m;
	unsigned users;
	char id[65];
};
static pthread_mutex_t vm_locks_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vm_lock *vm_locks;

static struct vm_lock *vm_lock_get(const char *id)
{
	struct vm_lock *l;

	pthread_mutex_lock(&vm_locks_lock);
	for (l = vm_locks; l; l = l->next)
		if (streq(l->id, id))
			break;
	if (!l) {
		l = calloc(1, sizeof(*l));
		if (l) {
			pthread_mutex_init(&l->m, NULL);
			snprintf(l->id, sizeof(l->id), "%s", id);
			l->next = vm_locks;
			vm_locks = l;
		}
	}
	if (l)
		l->users++;
	pthread_mutex_unlock(&vm_locks_lock);
	if (l)
		pthread_mutex_lock(&l->m);
	return l;
}

static void vm_lock_put(struct vm_lock *l)
{
	pthread_mutex_unlock(&l->m);
	pthread_mutex_lock(&vm_locks_lock);
	if (--l->users == 0) {
		for (struct vm_lock **p = &vm_locks; *p; p = &(*p)->next)
			if (*p == l) {
				*p = l->next;
				break;
			}
		pthread_mutex_destroy(&l->m);
		free(l);
	}
	pthread_mutex_unlock(&vm_locks_lock);
}

void helper_work_free(struct helper_work *w)
{
	if (!w)
		return;
	helper_request_close_fds(&w->req);
	rpc_message_done(&w->msg);
	free(w->answer);
	free(w);
}

static void answer(struct helper_work *w, json_t *msg)
{
	if (!msg || rpc_message_serialize(msg, &w->answer, &w->answer_len) < 0)
		w->answer = NULL;
	json_decref(msg);
}

void helper_work_run(struct helper_work *w)
{
	struct helper_ctx ctx = {.cfg = w->cfg, .caller_uid = w->uid, .caller_pid = w->pid};
	const struct helper_op *op = w->req.op;
	struct vm_lock *vl = NULL;
	struct rpc_error err = {};
	json_t *result = NULL;
	int r;

	switch (op->serial) {
	case HELPER_SERIAL_NET:
		pthread_mutex_lock(&net_lock);
		break;
	case HELPER_SERIAL_VM:
		vl = vm_lock_get(w->req.vm_id);
		if (!vl) {
			rpc_error_set(&err, -ENOMEM, RPC_ERROR_INTERNAL, "Out of memory");
			helper_audit(w->uid, w->pid, op->name, w->msg.params, "failed", &err);
			answer(w, rpc_error_response_new(w->msg.id, &err, NULL));
			return;
		}
		break;
	case HELPER_SERIAL_LOOP:
	case HELPER_SERIAL_NONE:
	case _HELPER_SERIAL_MAX:
	case _HELPER_SERIAL_INVALID:
		break;
	}
	r = op->run(&ctx, &w->req, &result, &err);
	if (op->serial == HELPER_SERIAL_NET)
		pthread_mutex_unlock(&net_lock);
	if (vl)
		vm_lock_put(vl);
	/* The descriptors are done with: close them before the answer goes out, so the caller
	 * never sees its file still held after the answer. */
	helper_request_close_fds(&w->req);

	if (r < 0) {
		json_decref(result);
		if (!err.message[0])
			rpc_error_set(&err, r, rpc_error_code_from_errno(r), "%s failed: %s",
				op->name, strerror(-r));
		helper_audit(w->uid, w->pid, op->name, w->msg.params, "failed", &err);
		answer(w, rpc_error_response_new(w->msg.id, &err, NULL));
	} else {
		helper_audit(w->uid, w->pid, op->name, w->msg.params, "ok", NULL);
		answer(w, rpc_response_new(w->msg.id, result ? result : json_object()));
	}
}

int helper_workers_new(struct helper_workers **ret)
{
	struct helper_workers *ws = calloc(1, sizeof(*ws));

	if (!ws)
		return -ENOMEM;
	ws->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (ws->event_fd < 0) {
		int r = negative_errno();
		free(ws);
		return r;
	}
	pthread_mutex_init(&ws->lock, NULL);
	ws->done_tail = &ws->done;
	*ret = ws;
	return 0;
}

void helper_workers_free(struct helper_workers *ws)
{
	if (!ws)
		return;
	for (struct helper_work *w = ws->done, *next; w; w = next) {
		next = w->next;
		helper_work_free(w);
	}
	safe_close(ws->event_fd);
	pthread_mutex_destroy(&ws->lock);
	free(ws);
}

int helper_workers_fd(const struct helper_workers *ws)
{
	return ws->event_fd;
}

struct start {
	struct helper_workers *ws;
	struct helper_work *w;
};

static void *worker_main(void *arg)
{
	struct start st = *(struct start *)arg;
	uint64_t one = 1;

	free(arg);
	helper_work_run(st.w);
	pthread_mutex_lock(&st.ws->lock);
	st.w->next = NULL;
	*st.ws->done_tail = st.w;
	st.ws->done_tail = &st.w->next;
	pthread_mutex_unlock(&st.ws->lock);
	(void)!write(st.ws->event_fd, &one, sizeof(one));
	return NULL;
}

int helper_workers_start(struct helper_workers *ws, struct helper_work *w)
{
	struct start *st = malloc(sizeof(*st));
	pthread_attr_t attr;
	pthread_t t;
	int r;

	if (!st)
		return -ENOMEM;
	*st = (struct start){ws, w};
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_mutex_lock(&ws->lock);
	ws->running++;
	pthread_mutex_unlock(&ws->lock);
	/* The thread inherits the loop's signal mask: every signal the helper handles stays blocked
	 * (they arrive through its signalfd), so none interrupts an op. */
	r = -pthread_create(&t, &attr, worker_main, st);
	pthread_attr_destroy(&attr);
	if (r < 0) {
		pthread_mutex_lock(&ws->lock);
		ws->running--;
		pthread_mutex_unlock(&ws->lock);
		free(st);
	}
	return r;
}

struct helper_work *helper_workers_take_done(struct helper_workers *ws)
{
	struct helper_work *list;
	uint64_t v;

	(void)!read(ws->event_fd, &v, sizeof(v));
	pthread_mutex_lock(&ws->lock);
	list = ws->done;
	for (struct helper_work *w = list; w; w = w->next)
		ws->running--;
	ws->done = NULL;
	ws->done_tail = &ws->done;
	pthread_mutex_unlock(&ws->lock);
	return list;
}

unsigned helper_workers_running(const struct helper_workers *ws)
{
	struct helper_workers *m = (struct helper_workers *)ws;
	unsigned n;

	pthread_mutex_lock(&m->lock);
	n = m->running;
	pthread_mutex_unlock(&m->lock);
	return n;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* root.sock: the listening socket, the owner check at accept, one poll loop that is never blocked
 * by an op (one request per client per round, ops on workers), the idle timeout, and systemd's
 * notifications (READY=1, STOPPING=1, WATCHDOG=1 from the loop itself). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "common/log.h"
#include "common/macro.h"
#include "common/version.h"
#include "helper/audit.h"
#include "helper/request.h"
#include "helper/server.h"
#include "helper/worker.h"
#include "protocol/jsonrpc.h"
#include "protocol/ndjson.h"

#define CLIENT_MAX_QUEUED (4u * 1024u * 1024u)
#define USEC_PER_SEC 1000000ull
#define DRAIN_TIMEOUT_USEC (30ull * USEC_PER_SEC)
#define ACCEPTS_PER_ROUND 8
/* A turned-away connection is kept, in a list of its own that holds no slot, until its peer has
 * sent its request (read and dropped) or LINGER_USEC passed: a client's write then succeeds and it
 * reads why it was refused, rather than failing on EPIPE before it can. */
#define LINGER_MAX 32
#define LINGER_USEC (1000ull * 1000u)

struct client {
	int fd;
	uid_t uid;
	pid_t pid;
	bool closing;        /* flush what is queued, then close */
	bool busy;           /* its request is on a worker: nothing else of it is read or run */
	uint64_t idle_since; /* when its last request came or was answered */
	struct ndjson_reader rd;
	struct ndjson_writer wr;
};

struct helper_server {
	const struct helper_config *cfg;
	int listen_fd;
	int signal_fd;
	struct helper_workers *workers;
	struct client *clients[HELPER_MAX_CLIENTS];
	size_t first; /* where this round's dispatch starts: no client always goes first */
	struct {
		int fd;
		uint64_t until;
	} linger[LINGER_MAX];   /* turned away, told why, closed soon: fd -1 when free */
	uint64_t watchdog_usec; /* WATCHDOG_USEC, 0 when systemd wants no keep-alives */
	uint64_t watchdog_next;
	bool stopping;
	uint64_t drain_deadline;
	int reexec_fd; /* SIGHUP: the listening socket kept for the program that takes over */
};

static uint64_t now_usec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000u;
}

int helper_server_new(const struct helper_config *cfg, struct helper_server **ret)
{
	struct helper_server *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	s->cfg = cfg;
	s->listen_fd = -1;
	s->signal_fd = -1;
	s->reexec_fd = -1;
	for (size_t i = 0; i < LINGER_MAX; i++)
		s->linger[i].fd = -1;
	r = helper_workers_new(&s->workers);
	if (r < 0) {
		free(s);
		return r;
	}
	*ret = s;
	return 0;
}

static void client_free(struct client *c)
{
	if (!c)
		return;
	ndjson_reader_done(&c->rd);
	ndjson_writer_done(&c->wr);
	safe_close(c->fd);
	free(c);
}

void helper_server_free(struct helper_server *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < HELPER_MAX_CLIENTS; i++)
		if (!s->clients[i] || !s->clients[i]->busy)
			client_free(s->clients[i]);
	/* A worker still running at exit owns its work and points at its client: both go with the
	 * process. */
	if (helper_workers_running(s->workers) == 0)
		helper_workers_free(s->workers);
	for (size_t i = 0; i < LINGER_MAX; i++)
		safe_close(s->linger[i].fd);
	safe_close(s->listen_fd);
	safe_close(s->signal_fd);
	safe_close(s->reexec_fd);
	free(s);
}

/* system.posix_acl_access in the kernel's xattr format (linux/posix_acl_xattr.h). */
struct acl_entry {
	uint16_t tag, perm;
	uint32_t id;
};

static int socket_grant_owner(const struct helper_config *cfg, const char *path)
{
	struct {
		uint32_t version;
		struct acl_entry e[5];
	} __attribute__((packed)) acl = {
		.version = 2,
		.e =
			{
				{0x01, 06, UINT32_MAX},               /* ACL_USER_OBJ rw */
				{0x02, 06, (uint32_t)cfg->owner_uid}, /* ACL_USER owner rw */
				{0x04, 00, UINT32_MAX},               /* ACL_GROUP_OBJ --- */
				{0x10, 06, UINT32_MAX},               /* ACL_MASK rw */
				{0x20, 00, UINT32_MAX},               /* ACL_OTHER --- */
			},
	};

	if (lsetxattr(path, "system.posix_acl_access", &acl, sizeof(acl), 0) >= 0)
		return 0;
	if (errno != EOPNOTSUPP)
		return log_error_errno(negative_errno(), "Failed to set the ACL on %s: %m", path);
	/* No ACLs here: the owner's own group, which install made for this owner alone. Any other
	 * member of it is turned away at accept (client_new), before it holds a slot. */
	if (lchown(path, 0, cfg->owner_gid) < 0 || chmod(path, 0660) < 0)
		return log_error_errno(negative_errno(), "Failed to hand %s to gid %u: %m", path,
			(unsigned)cfg->owner_gid);
	log_warning("No ACL support for %s: reachable through gid %u instead", path,
		(unsigned)cfg->owner_gid);
	return 0;
}

int helper_server_listen(struct helper_server *s)
{
	const char *path = s->cfg->layout.root_sock;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	mode_t old;
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return log_error_errno(-ENAMETOOLONG, "Socket path %s is too long", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);

	/* Re-executed in place (SIGHUP, after an update): the socket clients know stays. Only
	 * root.sock itself is taken, bound where this helper's configuration says. */
	if (sd_listen_fds(1) == 1 &&
		sd_is_socket_unix(SD_LISTEN_FDS_START, SOCK_STREAM, 1, path, 0) > 0) {
		fd = SD_LISTEN_FDS_START;
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 ||
			fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
			return log_error_errno(
				negative_errno(), "Failed to take over %s: %m", path);
		r = socket_grant_owner(s->cfg, path);
		if (r < 0)
			return r;
		log_info("Took over the listening socket %s", path);
		s->listen_fd = fd;
		return 0;
	}

	/* Replace a stale socket, never anything else. */
	if (lstat(path, &st) >= 0) {
		if (!S_ISSOCK(st.st_mode))
			return log_error_errno(-EEXIST, "%s exists and is not a socket", path);
		if (unlink(path) < 0)
			return log_error_errno(
				negative_errno(), "Failed to remove stale %s: %m", path);
	}

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return log_error_errno(negative_errno(), "Failed to create a socket: %m");
	old = umask(0177);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0) {
		r = negative_errno();
		safe_close(fd);
		return log_error_errno(r, "Failed to bind %s: %m", path);
	}
	r = socket_grant_owner(s->cfg, path);
	if (r >= 0 && listen(fd, 16) < 0)
		r = log_error_errno(negative_errno(), "Failed to listen on %s: %m", path);
	if (r < 0) {
		unlink(path);
		safe_close(fd);
		return r;
	}
	s->listen_fd = fd;
	return 0;
}

static void client_queue(struct client *c, json_t *msg)
{
	_cleanup_free_ char *data = NULL;
	size_t len;

	if (!msg || rpc_message_serialize(msg, &data, &len) < 0 ||
		ndjson_writer_append(&c->wr, data, len) < 0) {
		log_error(
			"Dropping connection of uid %u: cannot queue an answer", (unsigned)c->uid);
		c->closing = true;
	}
	json_decref(msg);
}

static void client_queue_error(struct client *c, json_t *id, const struct rpc_error *e)
{
	client_queue(c, rpc_error_response_new(id, e, NULL));
}

/* Says why in one line, best effort and without blocking, and hangs up soon (the linger list):
 * for connections that never get a slot (not the owner, no slot left). */
static void refuse_connection(
	struct helper_server *s, int fd, const struct ucred *cred, const struct rpc_error *e)
{
	_cleanup_(json_decrefp) json_t *msg = rpc_error_response_new(NULL, e, NULL);
	_cleanup_free_ char *data = NULL;
	size_t len, slot = 0;

	helper_audit(cred->uid, cred->pid, NULL, NULL, "refused", e);
	if (msg && rpc_message_serialize(msg, &data, &len) >= 0)
		(void)!send(fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	(void)shutdown(fd, SHUT_WR);
	/* a free entry, else the one closest to its end */
	for (size_t i = 0; i < LINGER_MAX; i++) {
		if (s->linger[i].fd < 0) {
			slot = i;
			break;
		}
		if (s->linger[i].until < s->linger[slot].until)
			slot = i;
	}
	safe_close(s->linger[slot].fd);
	s->linger[slot].fd = fd;
	s->linger[slot].until = now_usec() + LINGER_USEC;
}

/* Drops what a turned-away peer sends; closes it at EOF or when its time is up. */
static void linger_step(struct helper_server *s, size_t i, short revents, uint64_t now)
{
	char buf[4096];

	/* a bounded amount per round: a peer that never stops writing gets no more of the loop */
	for (int k = 0; k < 16 && (revents & POLLIN); k++)
		if (recv(s->linger[i].fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0)
			break;
	if ((revents & (POLLHUP | POLLERR)) || now >= s->linger[i].until ||
		((revents & POLLIN) && recv(s->linger[i].fd, buf, 1, MSG_DONTWAIT | MSG_PEEK) == 0))
		s->linger[i].fd = safe_close(s->linger[i].fd);
}

static void client_new(struct helper_server *s, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct rpc_error e = {};
	struct client *c;
	size_t slot;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		log_error_errno(negative_errno(), "Failed to read peer credentials: %m");
		safe_close(fd);
		return;
	}
	/* Anyone but the owner is turned away here, before it holds a slot: where the socket is
	 * reachable through a group rather than an ACL, other members of that group could
	 * otherwise fill every slot and lock the owner out. */
	if (cred.uid != s->cfg->owner_uid) {
		rpc_error_set(&e, -EPERM, RPC_ERROR_PERMISSION_DENIED,
			"Connection refused: uid %u is not the banger owner", (unsigned)cred.uid);
		refuse_connection(s, fd, &cred, &e);
		return;
	}
	for (slot = 0; slot < HELPER_MAX_CLIENTS && s->clients[slot]; slot++)
		;
	if (slot == HELPER_MAX_CLIENTS || s->stopping) {
		rpc_error_set(&e, -EBUSY, RPC_ERROR_UNAVAILABLE,
			s->stopping ? "Connection refused: bangerd-root is stopping"
				    : "Connection refused: all %u connections are in use",
			HELPER_MAX_CLIENTS);
		refuse_connection(s, fd, &cred, &e);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		log_oom();
		safe_close(fd);
		return;
	}
	c->fd = fd;
	c->uid = cred.uid;
	c->pid = cred.pid;
	c->idle_since = now_usec();
	ndjson_reader_init(&c->rd, NDJSON_MAX_MESSAGE);
	ndjson_writer_init(&c->wr, CLIENT_MAX_QUEUED);
	s->clients[slot] = c;
}

static void client_protocol_error(struct client *c, int r)
{
	struct rpc_error e;

	rpc_error_set(&e, r, RPC_ERROR_PROTOCOL_ERROR,
		r == -EMSGSIZE ? "Message over %u bytes" : "Too many descriptors passed (over %u)",
		r == -EMSGSIZE ? NDJSON_MAX_MESSAGE : (unsigned)NDJSON_MAX_FDS);
	helper_audit(c->uid, c->pid, NULL, NULL, "refused", &e);
	client_queue_error(c, NULL, &e);
	c->closing = true;
}

static void client_read(struct client *c)
{
	int r = ndjson_reader_fill(&c->rd, c->fd);

	if (r == -EAGAIN)
		return;
	if (r == -EMSGSIZE || r == -EMFILE) {
		client_protocol_error(c, r);
		return;
	}
	if (r <= 0)
		c->closing = true;
	/* idle_since moves with requests, not bytes: a peer trickling a line that never ends is
	 * as idle as a silent one */
}

static void refuse(struct client *c, const struct rpc_message *msg, const struct rpc_error *err)
{
	bool parsed = msg && msg->root;

	helper_audit(c->uid, c->pid, parsed ? msg->method : NULL, parsed ? msg->params : NULL,
		"refused", err);
	client_queue_error(c, parsed && msg->type == RPC_MESSAGE_REQUEST ? msg->id : NULL, err);
}

/* One line of one client: refused here, answered here (an op of the loop's), or handed to a
 * worker, after which nothing more of this client runs until it is answered. */
static void client_dispatch(struct helper_server *s, struct client *c)
{
	_cleanup_free_ struct helper_work *w = calloc(1, sizeof(*w));
	struct rpc_error err = {};
	int fds[HELPER_MAX_FDS + 1];
	size_t n_fds;
	char *line;
	size_t len;
	int r;

	r = ndjson_reader_next(&c->rd, &line, &len);
	if (r == -EMSGSIZE) {
		client_protocol_error(c, r);
		return;
	}
	if (r <= 0)
		return;
	c->idle_since = now_usec();
	/* Descriptors belong to their line: taken now, or closed with it. */
	n_fds = ndjson_reader_take_line_fds(&c->rd, fds, ELEMENTSOF(fds));
	if (!w) {
		for (size_t i = 0; i < n_fds; i++)
			safe_close(fds[i]);
		rpc_error_set(&err, -ENOMEM, RPC_ERROR_INTERNAL, "Out of memory");
		refuse(c, NULL, &err);
		return;
	}
	for (size_t i = 0; i < HELPER_MAX_FDS; i++)
		w->req.fds[i] = -1;
	w->cfg = s->cfg;
	w->uid = c->uid;
	w->pid = c->pid;
	w->client = c;

	r = rpc_message_parse(line, len, &w->msg, &err);
	if (r >= 0)
		r = helper_request_decode(&w->msg, &w->req, &err);
	if (r >= 0 && n_fds != w->req.n_fds)
		r = n_fds < w->req.n_fds
			    ? rpc_error_set(&err, -EBADF, RPC_ERROR_INVALID_ARGUMENT,
				      "The request names %zu descriptors but only %zu arrived with "
				      "it",
				      w->req.n_fds, n_fds)
			    : rpc_error_set(&err, -EBADF, RPC_ERROR_INVALID_ARGUMENT,
				      "%s takes %zu descriptors but %zu arrived with the request",
				      w->req.op->name, w->req.n_fds, n_fds);
	if (r < 0) {
		for (size_t i = 0; i < n_fds; i++)
			safe_close(fds[i]);
		refuse(c, &w->msg, &err);
		helper_request_close_fds(&w->req);
		rpc_message_done(&w->msg);
		return;
	}
	memcpy(w->req.fds, fds, n_fds * sizeof(int));

	if (w->req.op->serial == HELPER_SERIAL_LOOP) {
		helper_work_run(w);
	} else {
		c->busy = true;
		r = helper_workers_start(s->workers, w);
		if (r >= 0) {
			TAKE_PTR(w);
			return;
		}
		c->busy = false;
		rpc_error_set(&err, r, RPC_ERROR_UNAVAILABLE, "Cannot start %s now: %s",
			w->req.op->name, strerror(-r));
		refuse(c, &w->msg, &err);
		helper_request_close_fds(&w->req);
		rpc_message_done(&w->msg);
		return;
	}
	if (w->answer && ndjson_writer_append(&c->wr, w->answer, w->answer_len) < 0)
		c->closing = true;
	helper_request_close_fds(&w->req);
	rpc_message_done(&w->msg);
	free(w->answer);
}

/* Bytes waiting in the socket or a line in the buffer: a request that arrived just as the idle
 * timeout ran out is served, not cut off. */
static bool client_has_input(const struct client *c)
{
	char b;

	return ndjson_reader_has_line(&c->rd) || recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

static void take_done(struct helper_server *s)
{
	struct helper_work *list = helper_workers_take_done(s->workers), *next;

	for (struct helper_work *w = list; w; w = next) {
		struct client *c = w->client;
		next = w->next;
		c->busy = false;
		c->idle_since = now_usec();
		if (!c->closing) {
			if (w->answer) {
				if (ndjson_writer_append(&c->wr, w->answer, w->answer_len) < 0)
					c->closing = true;
			} else {
				struct rpc_error e;
				rpc_error_set(&e, -ENOMEM, RPC_ERROR_INTERNAL,
					"The answer to %s could not be built", w->req.op->name);
				client_queue_error(c, w->msg.id, &e);
			}
		}
		helper_work_free(w);
	}
}

static int setup_signals(struct helper_server *s)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	/* Before any worker starts: threads inherit the mask, so these reach only the signalfd. */
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return negative_errno();
	s->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (s->signal_fd < 0)
		return negative_errno();
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static bool client_runnable(const struct helper_server *s, const struct client *c)
{
	return !s->stopping && !c->closing && !c->busy && ndjson_reader_has_line(&c->rd);
}

/* Milliseconds poll() may sleep: until the next keep-alive, idle deadline or drain deadline;
 * not at all while a client has a request waiting for its turn. */
static int poll_timeout(const struct helper_server *s, uint64_t now)
{
	uint64_t until = UINT64_MAX;

	for (size_t i = 0; i < HELPER_MAX_CLIENTS; i++) {
		const struct client *c = s->clients[i];
		if (!c)
			continue;
		if (client_runnable(s, c))
			return 0;
		if (!c->busy && !c->closing && s->cfg->idle_timeout_sec)
			until = MIN(until,
				c->idle_since + (uint64_t)s->cfg->idle_timeout_sec * USEC_PER_SEC);
	}
	for (size_t i = 0; i < LINGER_MAX; i++)
		if (s->linger[i].fd >= 0)
			until = MIN(until, s->linger[i].until);
	if (s->watchdog_usec)
		until = MIN(until, s->watchdog_next);
	if (s->stopping)
		until = MIN(until, s->drain_deadline);
	if (until == UINT64_MAX)
		return -1;
	if (until <= now)
		return 0;
	return (int)MIN((until - now + 999) / 1000, (uint64_t)INT32_MAX);
}

static void begin_stopping(struct helper_server *s, unsigned signo)
{
	s->stopping = true;
	s->drain_deadline = now_usec() + DRAIN_TIMEOUT_USEC;
	if (signo == SIGHUP) {
		/* re-execute in place: the socket stays bound and is handed on; connections
		 * queue in its backlog meanwhile */
		log_info("Received SIGHUP, re-executing once %u request(s) in flight are answered",
			helper_workers_running(s->workers));
		(void)sd_notify(0, "RELOADING=1");
		s->reexec_fd = TAKE_FD(s->listen_fd);
		s->listen_fd = -1;
		return;
	}
	log_info("Received signal %u, exiting once %u request(s) in flight are answered", signo,
		helper_workers_running(s->workers));
	(void)sd_notify(0, "STOPPING=1");
	unlink(s->cfg->layout.root_sock);
	s->listen_fd = safe_close(s->listen_fd);
}

int helper_server_take_reexec_fd(struct helper_server *s)
{
	return TAKE_FD(s->reexec_fd);
}

static bool drained(const struct helper_server *s, uint64_t now)
{
	if (now >= s->drain_deadline) {
		log_warning("Exiting with %u request(s) still running",
			helper_workers_running(s->workers));
		return true;
	}
	if (helper_workers_running(s->workers) > 0)
		return false;
	for (size_t i = 0; i < HELPER_MAX_CLIENTS; i++)
		if (s->clients[i] && ndjson_writer_pending(&s->clients[i]->wr))
			return false;
	return true;
}

int helper_server_run(struct helper_server *s)
{
	int r = setup_signals(s);
	if (r < 0)
		return log_error_errno(r, "Failed to set up signal handling: %m");
	if (sd_watchdog_enabled(0, &s->watchdog_usec) <= 0)
		s->watchdog_usec = 0;
	s->watchdog_next = now_usec();
	(void)sd_notifyf(0, "READY=1\nSTATUS=Serving uid %u on %s", (unsigned)s->cfg->owner_uid,
		s->cfg->layout.root_sock);

	for (;;) {
		struct pollfd p[3 + HELPER_MAX_CLIENTS + LINGER_MAX];
		struct client *who[3 + HELPER_MAX_CLIENTS + LINGER_MAX] = {};
		size_t n = 0, n_clients;
		uint64_t now = now_usec();

		/* The keep-alive comes from here and only here: it proves this loop turns. */
		if (s->watchdog_usec && now >= s->watchdog_next) {
			(void)sd_notify(0, "WATCHDOG=1");
			s->watchdog_next = now + s->watchdog_usec / 2;
		}
		if (s->stopping && drained(s, now))
			return 0;

		p[n++] = (struct pollfd){.fd = s->signal_fd, .events = POLLIN};
		p[n++] = (struct pollfd){.fd = helper_workers_fd(s->workers), .events = POLLIN};
		p[n++] = (struct pollfd){
			.fd = s->listen_fd, .events = POLLIN}; /* -1 once stopping */
		for (size_t i = 0; i < HELPER_MAX_CLIENTS; i++) {
			struct client *c = s->clients[i];
			bool read = c && !s->stopping && !c->closing && !c->busy &&
				    !ndjson_reader_has_line(&c->rd);
			if (!c)
				continue;
			who[n] = c;
			/* A closing client whose answer a worker still computes: not polled at all
			 * (its hangup would wake us for nothing) until the worker is done. */
			p[n++] = (struct pollfd){.fd = c->closing && c->busy ? -1 : c->fd,
				.events = (short)((read ? POLLIN : 0) |
						  (ndjson_writer_pending(&c->wr) ? POLLOUT : 0))};
		}
		n_clients = n;
		for (size_t i = 0; i < LINGER_MAX; i++)
			p[n++] = (struct pollfd){.fd = s->linger[i].fd, .events = POLLIN};
		if (poll(p, n, poll_timeout(s, now)) < 0) {
			if (errno == EINTR)
				continue;
			return log_error_errno(negative_errno(), "poll() failed: %m");
		}
		now = now_usec();
		if (p[0].revents) {
			struct signalfd_siginfo si;
			if (read(s->signal_fd, &si, sizeof(si)) == sizeof(si) && !s->stopping)
				begin_stopping(s, si.ssi_signo);
		}
		if (p[1].revents)
			take_done(s);
		for (int k = 0;
			k < ACCEPTS_PER_ROUND && s->listen_fd >= 0 && (p[2].revents & POLLIN);
			k++) {
			int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
			if (fd < 0)
				break;
			client_new(s, fd);
		}
		for (size_t i = 3; i < n_clients; i++) {
			struct client *c = who[i];
			if (p[i].revents & POLLIN)
				client_read(c);
			else if (p[i].revents & (POLLHUP | POLLERR))
				c->closing = true;
		}
		for (size_t i = 0; i < LINGER_MAX; i++)
			if (s->linger[i].fd >= 0)
				linger_step(s, i, p[n_clients + i].revents, now);
		/* One request per client per round, starting with a different client each round. */
		for (size_t k = 0; k < HELPER_MAX_CLIENTS; k++) {
			struct client *c = s->clients[(s->first + k) % HELPER_MAX_CLIENTS];
			if (c && client_runnable(s, c))
				client_dispatch(s, c);
		}
		s->first = (s->first + 1) % HELPER_MAX_CLIENTS;

		for (size_t i = 0; i < HELPER_MAX_CLIENTS; i++) {
			struct client *c = s->clients[i];
			if (!c)
				continue;
			if (!c->busy && !c->closing && s->cfg->idle_timeout_sec &&
				now >= c->idle_since +
						(uint64_t)s->cfg->idle_timeout_sec * USEC_PER_SEC &&
				!client_has_input(c)) {
				struct rpc_error e;
				rpc_error_set(&e, -ETIMEDOUT, RPC_ERROR_TIMEOUT,
					"Closing the connection: no request for %u s",
					s->cfg->idle_timeout_sec);
				helper_audit(c->uid, c->pid, NULL, NULL, "closed", &e);
				client_queue_error(c, NULL, &e);
				c->closing = true;
			}
			if (ndjson_writer_pending(&c->wr) &&
				ndjson_writer_flush(&c->wr, c->fd) < 0) {
				ndjson_writer_done(&c->wr);
				ndjson_writer_init(&c->wr, CLIENT_MAX_QUEUED);
				c->closing = true;
			}
			if (c->closing && !c->busy && !ndjson_writer_pending(&c->wr)) {
				client_free(c);
				s->clients[i] = NULL;
			}
		}
	}
}

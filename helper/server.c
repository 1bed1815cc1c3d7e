/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* root.sock: the listening socket, the owner check, one poll loop, request dispatch and the log
 * line for every accepted and refused request. */
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

#include "common/log.h"
#include "common/macro.h"
#include "common/version.h"
#include "helper/request.h"
#include "helper/server.h"
#include "protocol/jsonrpc.h"
#include "protocol/ndjson.h"

#define CLIENT_MAX_QUEUED (4u * 1024u * 1024u)

struct client {
	int fd;
	uid_t uid;
	pid_t pid;
	bool closing; /* flush what is queued, then close */
	bool refused; /* not the owner: its first request is answered with permission_denied */
	struct ndjson_reader rd;
	struct ndjson_writer wr;
};

struct helper_server {
	const struct helper_config *cfg;
	int listen_fd;
	int signal_fd;
	struct client *clients[HELPER_MAX_CLIENTS];
};

int helper_server_new(const struct helper_config *cfg, struct helper_server **ret)
{
	struct helper_server *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->cfg = cfg;
	s->listen_fd = -1;
	s->signal_fd = -1;
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
		client_free(s->clients[i]);
	safe_close(s->listen_fd);
	safe_close(s->signal_fd);
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
	/* No ACLs here: the owner's own group, which install made for this owner alone. */
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

/* One log line per request: who, which op, what arguments, and how it ended. */
static void log_request(const struct client *c, const char *op, const json_t *params,
        const char *outcome, const struct rpc_error *e)
{
	_cleanup_free_ char *args =
	        params ? json_dumps(params, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	char uidf[32], opf[96];
	const char *fields[] = {uidf, opf, NULL};

	snprintf(uidf, sizeof(uidf), "BANGER_CALLER_UID=%u", (unsigned)c->uid);
	snprintf(opf, sizeof(opf), "BANGER_OP=%.64s", op ? op : "");
	log_internal(e ? LOG_WARNING : LOG_INFO, 0, fields,
	        "caller uid=%u pid=%d op=%.64s args=%.512s outcome=%s%s%s", (unsigned)c->uid,
	        (int)c->pid, op ? op : "-", args ? args : "{}", outcome, e ? ": " : "",
	        e ? e->message : "");
}

static void handle_line(struct helper_server *s, struct client *c, const char *line, size_t len)
{
	struct rpc_message msg = {};
	struct helper_request req;
	struct rpc_error err = {};
	struct helper_ctx ctx = {.cfg = s->cfg, .caller_uid = c->uid, .caller_pid = c->pid};
	json_t *result = NULL;
	int r;

	for (size_t i = 0; i < HELPER_MAX_FDS; i++)
		req.fds[i] = -1;
	r = rpc_message_parse(line, len, &msg, &err);
	if (c->refused) {
		/* Answer the request it sent (so its client reads why), then hang up. */
		rpc_error_set(&err, -EPERM, RPC_ERROR_PERMISSION_DENIED,
		        "Connection refused: uid %u is not the banger owner", (unsigned)c->uid);
		log_request(
		        c, r < 0 ? NULL : msg.method, r < 0 ? NULL : msg.params, "refused", &err);
		client_queue_error(
		        c, r >= 0 && msg.type == RPC_MESSAGE_REQUEST ? msg.id : NULL, &err);
		c->closing = true;
		rpc_message_done(&msg);
		return;
	}
	if (r < 0) {
		log_request(c, NULL, NULL, "refused", &err);
		client_queue_error(c, NULL, &err);
		return;
	}
	r = helper_request_decode(&msg, &req, &err);
	if (r < 0) {
		log_request(c, msg.method, msg.params, "refused", &err);
		client_queue_error(c, msg.type == RPC_MESSAGE_REQUEST ? msg.id : NULL, &err);
		goto finish;
	}
	for (size_t i = 0; i < req.n_fds; i++) {
		req.fds[i] = ndjson_reader_take_fd(&c->rd);
		if (req.fds[i] < 0) {
			rpc_error_set(&err, -EBADF, RPC_ERROR_INVALID_ARGUMENT,
			        "The request names %zu descriptors but only %zu arrived", req.n_fds,
			        i);
			log_request(c, msg.method, msg.params, "refused", &err);
			client_queue_error(c, msg.id, &err);
			goto finish;
		}
	}

	r = req.op->run(&ctx, &req, &result, &err);
	if (r < 0) {
		if (!err.message[0])
			rpc_error_set(&err, r, rpc_error_code_from_errno(r), "%s failed: %s",
			        req.op->name, strerror(-r));
		log_request(c, msg.method, msg.params, "failed", &err);
		client_queue_error(c, msg.id, &err);
	} else {
		log_request(c, msg.method, msg.params, "ok", NULL);
		client_queue(c, rpc_response_new(msg.id, result ? result : json_object()));
	}
finish:
	helper_request_close_fds(&req);
	rpc_message_done(&msg);
}

static int client_new(struct helper_server *s, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct client *c;
	size_t slot;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		int r = log_error_errno(negative_errno(), "Failed to read peer credentials: %m");
		safe_close(fd);
		return r;
	}
	for (slot = 0; slot < HELPER_MAX_CLIENTS && s->clients[slot]; slot++)
		;
	if (slot == HELPER_MAX_CLIENTS) {
		log_warning("caller uid=%u pid=%d refused: too many connections",
		        (unsigned)cred.uid, (int)cred.pid);
		safe_close(fd);
		return 0;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		safe_close(fd);
		return log_oom();
	}
	c->fd = fd;
	c->uid = cred.uid;
	c->pid = cred.pid;
	c->refused = cred.uid != s->cfg->owner_uid;
	if (c->refused)
		log_warning("caller uid=%u pid=%d op=- args={} outcome=refused: Connection "
		            "refused: uid %u is not the banger owner",
		        (unsigned)cred.uid, (int)cred.pid, (unsigned)cred.uid);
	ndjson_reader_init(&c->rd, NDJSON_MAX_MESSAGE);
	ndjson_writer_init(&c->wr, CLIENT_MAX_QUEUED);
	s->clients[slot] = c;
	return 0;
}

static void client_read(struct helper_server *s, struct client *c)
{
	char *line;
	size_t len;
	int r;

	r = ndjson_reader_fill(&c->rd, c->fd);
	if (r == -EAGAIN)
		return;
	if (r == 0) {
		c->closing = true;
		return;
	}
	if (r == -EMSGSIZE || r == -EMFILE) {
		struct rpc_error e;
		rpc_error_set(&e, r, RPC_ERROR_PROTOCOL_ERROR,
		        r == -EMSGSIZE ? "Message over %u bytes"
		                       : "Too many descriptors passed (over %u)",
		        r == -EMSGSIZE ? NDJSON_MAX_MESSAGE : (unsigned)NDJSON_MAX_FDS);
		log_request(c, NULL, NULL, "refused", &e);
		client_queue_error(c, NULL, &e);
		c->closing = true;
		return;
	}
	if (r < 0) {
		c->closing = true;
		return;
	}
	/* Answer one request at a time, in order; a hostile client gets no more than its share. */
	while (!c->closing && (r = ndjson_reader_next(&c->rd, &line, &len)) > 0)
		handle_line(s, c, line, len);
	if (r == -EMSGSIZE) {
		struct rpc_error e;
		rpc_error_set(&e, r, RPC_ERROR_PROTOCOL_ERROR, "Message over %u bytes",
		        NDJSON_MAX_MESSAGE);
		log_request(c, NULL, NULL, "refused", &e);
		client_queue_error(c, NULL, &e);
		c->closing = true;
	}
}

static int setup_signals(struct helper_server *s)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return negative_errno();
	s->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (s->signal_fd < 0)
		return negative_errno();
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

int helper_server_run(struct helper_server *s)
{
	int r = setup_signals(s);
	if (r < 0)
		return log_error_errno(r, "Failed to set up signal handling: %m");

	for (;;) {
		struct pollfd p[2 + HELPER_MAX_CLIENTS];
		struct client *who[2 + HELPER_MAX_CLIENTS] = {};
		size_t n = 0;

		p[n++] = (struct pollfd){.fd = s->signal_fd, .events = POLLIN};
		p[n++] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
		for (size_t i = 0; i < HELPER_MAX_CLIENTS; i++) {
			struct client *c = s->clients[i];
			if (!c)
				continue;
			who[n] = c;
			p[n++] = (struct pollfd){.fd = c->fd,
			        .events = (short)((c->closing ? 0 : POLLIN) |
			                          (ndjson_writer_pending(&c->wr) ? POLLOUT : 0))};
		}
		if (poll(p, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			return log_error_errno(negative_errno(), "poll() failed: %m");
		}
		if (p[0].revents) {
			struct signalfd_siginfo si;
			if (read(s->signal_fd, &si, sizeof(si)) == sizeof(si)) {
				log_info("Received signal %u, exiting", si.ssi_signo);
				unlink(s->cfg->layout.root_sock);
				return 0;
			}
		}
		if (p[1].revents & POLLIN) {
			int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
			if (fd >= 0)
				(void)client_new(s, fd);
		}
		for (size_t i = 2; i < n; i++) {
			struct client *c = who[i];
			if (p[i].revents & POLLIN)
				client_read(s, c);
			else if (p[i].revents & (POLLHUP | POLLERR))
				c->closing = true;
			if (ndjson_writer_pending(&c->wr) &&
			        ndjson_writer_flush(&c->wr, c->fd) < 0) {
				ndjson_writer_done(&c->wr);
				ndjson_writer_init(&c->wr, CLIENT_MAX_QUEUED);
				c->closing = true;
			}
		}
		for (size_t i = 0; i < HELPER_MAX_CLIENTS; i++) {
			struct client *c = s->clients[i];
			if (c && c->closing && !ndjson_writer_pending(&c->wr)) {
				client_free(c);
				s->clients[i] = NULL;
			}
		}
	}
}

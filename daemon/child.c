/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Runs a helper program (ssh, scp, ssh-keygen), or a function in a forked child (a long file
 * copy), from the event loop without blocking it: output captured up to a cap, a deadline after
 * which the child is killed, one callback at the end. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/macro.h"
#include "daemon/child.h"

extern char **environ;

struct stream {
	sd_event_source *src;
	char *buf;
	size_t len;
	bool eof;
};

struct child {
	pid_t pid;
	sd_event_source *child_src;
	sd_event_source *timer;
	struct stream out, err;
	bool exited, timed_out;
	int status;
	child_done_t done;
	void *userdata;
};

int child_init(void)
{
	sigset_t ss;

	sigemptyset(&ss);
	sigaddset(&ss, SIGCHLD);
	return sigprocmask(SIG_BLOCK, &ss, NULL) < 0 ? negative_errno() : 0;
}

static void child_free(struct child *c)
{
	sd_event_source_disable_unref(c->child_src);
	sd_event_source_disable_unref(c->timer);
	sd_event_source_disable_unref(c->out.src);
	sd_event_source_disable_unref(c->err.src);
	free(c->out.buf);
	free(c->err.buf);
	free(c);
}

static void maybe_finish(struct child *c)
{
	struct child_result res = {};

	if (!c->exited || !c->out.eof || !c->err.eof)
		return;
	res.r = c->timed_out ? -ETIMEDOUT : 0;
	res.status = c->status;
	res.out = c->out.buf ? c->out.buf : (char *)"";
	res.out_len = c->out.len;
	res.err = c->err.buf ? c->err.buf : (char *)"";
	res.err_len = c->err.len;
	if (c->done)
		c->done(c, &res, c->userdata);
	child_free(c);
}

static int on_output(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct child *c = userdata;
	struct stream *st = s == c->out.src ? &c->out : &c->err;
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		st->eof = true;
		sd_event_source_set_enabled(s, SD_EVENT_OFF);
		maybe_finish(c);
		return 0;
	}
	if (st->len < CHILD_MAX_OUTPUT) {
		size_t take = MIN((size_t)n, CHILD_MAX_OUTPUT - st->len);
		char *nb = realloc(st->buf, st->len + take + 1);
		if (nb) {
			memcpy(nb + st->len, buf, take);
			st->buf = nb;
			st->len += take;
			st->buf[st->len] = '\0';
		}
	}
	return 0;
}

static int on_exit_cb(sd_event_source *s, const siginfo_t *si, void *userdata)
{
	struct child *c = userdata;

	c->exited = true;
	c->status = si->si_code == CLD_EXITED ? si->si_status : 128 + si->si_status;
	sd_event_source_disable_unref(c->timer);
	c->timer = NULL;
	maybe_finish(c);
	return 0;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct child *c = userdata;

	c->timed_out = true;
	kill(c->pid, SIGKILL);
	return 0;
}

/* Follows a started child (pid set, out[0]/err[0] our read ends, taken over). */
static int child_follow(sd_event *e, struct child *c, int out, int err, uint64_t timeout_usec)
{
	int r;

	r = sd_event_add_child(e, &c->child_src, c->pid, WEXITED, on_exit_cb, c);
	if (r >= 0)
		r = sd_event_add_io(e, &c->out.src, out, EPOLLIN, on_output, c);
	if (r < 0) {
		safe_close(out);
		safe_close(err);
		return r;
	}
	sd_event_source_set_io_fd_own(c->out.src, 1);
	r = sd_event_add_io(e, &c->err.src, err, EPOLLIN, on_output, c);
	if (r < 0) {
		safe_close(err);
		return r;
	}
	sd_event_source_set_io_fd_own(c->err.src, 1);
	if (timeout_usec > 0) {
		uint64_t now;
		sd_event_now(e, CLOCK_MONOTONIC, &now);
		r = sd_event_add_time(
			e, &c->timer, CLOCK_MONOTONIC, now + timeout_usec, 0, on_timeout, c);
	}
	return r;
}

static int child_pipes(int out[2], int err[2])
{
	/* Only our read ends are non-blocking: the child writes to ordinary blocking pipes. */
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 ||
		fcntl(out[0], F_SETFL, O_NONBLOCK) < 0 || fcntl(err[0], F_SETFL, O_NONBLOCK) < 0)
		return negative_errno();
	return 0;
}

static int child_started(sd_event *e, struct child *c, int out[2], int err[2],
	uint64_t timeout_usec, child_done_t done, void *userdata, struct child **ret)
{
	int r;

	out[1] = safe_close(out[1]);
	err[1] = safe_close(err[1]);
	r = child_follow(e, c, TAKE_FD(out[0]), TAKE_FD(err[0]), timeout_usec);
	if (r < 0) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, NULL, 0);
		child_free(c);
		return r;
	}
	c->done = done;
	c->userdata = userdata;
	if (ret)
		*ret = c;
	return 0;
}

static int child_fail(struct child *c, int out[2], int err[2], int r)
{
	safe_close(out[0]);
	safe_close(out[1]);
	safe_close(err[0]);
	safe_close(err[1]);
	child_free(c);
	return r;
}

int child_run(sd_event *e, const char *const *argv, int stdin_fd, uint64_t timeout_usec,
	child_done_t done, void *userdata, struct child **ret)
{
	int out[2] = {-1, -1}, err[2] = {-1, -1};
	posix_spawn_file_actions_t fa;
	struct child *c;
	int r;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	r = child_pipes(out, err);
	if (r < 0)
		return child_fail(c, out, err, r);
	posix_spawn_file_actions_init(&fa);
	if (stdin_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, stdin_fd, STDIN_FILENO);
	else
		posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, err[1], STDERR_FILENO);
	{
		/* The child must not inherit our blocked SIGCHLD mask. */
		posix_spawnattr_t attr;
		sigset_t none;
		sigemptyset(&none);
		posix_spawnattr_init(&attr);
		posix_spawnattr_setsigmask(&attr, &none);
		posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
		r = -posix_spawnp(&c->pid, argv[0], &fa, &attr, (char *const *)argv, environ);
		posix_spawnattr_destroy(&attr);
	}
	posix_spawn_file_actions_destroy(&fa);
	if (r < 0)
		return child_fail(c, out, err, r);
	return child_started(e, c, out, err, timeout_usec, done, userdata, ret);
}

/* In the forked child: only system calls from here on (the parent may hold locks no one will
 * release here), and nothing of the daemon's kept open (sockets, locks, the loop's epoll). */
_noreturn_ static void child_forked(pid_t parent, int out, int err, child_fn_t fn, void *arg)
{
	sigset_t none;
	int null;

	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	/* the daemon's end ends the copy: a new daemon sweeps what it was writing */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
		dup2(err, STDERR_FILENO) < 0)
		_exit(127);
	(void)close_range(3, ~0U, 0);
	_exit(fn(arg) & 0xff);
}

int child_fork(sd_event *e, child_fn_t fn, void *arg, uint64_t timeout_usec, child_done_t done,
	void *userdata, struct child **ret)
{
	int out[2] = {-1, -1}, err[2] = {-1, -1};
	pid_t parent = getpid();
	struct child *c;
	int r;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	r = child_pipes(out, err);
	if (r < 0)
		return child_fail(c, out, err, r);
	c->pid = fork();
	if (c->pid < 0)
		return child_fail(c, out, err, negative_errno());
	if (c->pid == 0)
		child_forked(parent, out[1], err[1], fn, arg);
	return child_started(e, c, out, err, timeout_usec, done, userdata, ret);
}

void child_cancel(struct child *c)
{
	if (!c)
		return;
	if (!c->exited) {
		kill(c->pid, SIGKILL);
		/* sd-event reaps through the source; without it the zombie would stay, so reap
		 * here. */
		sd_event_source_disable_unref(c->child_src);
		c->child_src = NULL;
		waitpid(c->pid, NULL, 0);
	}
	child_free(c);
}

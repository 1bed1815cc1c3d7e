/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Live start progress for vm start, run and restart: the daemon's vm.start_step events shown
 * while the call waits (one updating line on a terminal, a line per step otherwise), then a
 * summary of where the time went. The call itself blocks, so a child process with a
 * subscription of its own does the showing. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/progress.h"
#include "common/macro.h"
#include "protocol/client.h"
#include "protocol/methods.h"

#define READY_TIMEOUT_MS 3000
#define EXIT_WAIT_MS 1000

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void show(
	bool tty, const char *name, const char *step, json_int_t n, json_int_t of, int64_t ms)
{
	if (tty)
		fprintf(stderr, "\r\033[K%s: [%lld/%lld] %s %lld.%llds", name, (long long)n,
			(long long)of, step, (long long)(ms / 1000), (long long)(ms % 1000 / 100));
	else
		fprintf(stderr, "%s: step %lld/%lld %s (at %lld.%llds)\n", name, (long long)n,
			(long long)of, step, (long long)(ms / 1000), (long long)(ms % 1000 / 100));
	fflush(stderr);
}

/* The child: subscribe, say so on ready_fd, show name's steps until its start is done. */
static _noreturn_ void follow(const char *socket, const char *name, bool tty, int ready_fd)
{
	struct rpc_client *c = NULL;
	struct rpc_error err = {};
	char step[64] = "";
	json_int_t n = 0, of = 0;
	int64_t base_ms = 0, at = 0;

	signal(SIGINT, SIG_IGN); /* Ctrl-C is the parent's to handle */
	if (rpc_client_connect(socket, &c) < 0 ||
		rpc_client_hello(c, "banger", READY_TIMEOUT_MS, NULL, &err) < 0 ||
		rpc_client_call(c, rpc_method_to_string(RPC_METHOD_EVENTS_SUBSCRIBE), json_object(),
			READY_TIMEOUT_MS, NULL, &err) < 0)
		_exit(1);
	(void)!write(ready_fd, "r", 1);
	close(ready_fd);
	for (;;) {
		struct rpc_message m = {};
		int r = rpc_client_read_notification(c, tty && step[0] ? 100 : -1, &m, &err);
		const json_t *p;

		if (r < 0)
			_exit(1);
		if (r == 0) {
			show(tty, name, step, n, of, base_ms + (mono_ms() - at));
			continue;
		}
		p = m.params;
		if (streq(json_string_value(json_object_get(p, "name")) ?: "", name)) {
			if (streq(m.method, "vm.start_step")) {
				snprintf(step, sizeof(step), "%s",
					json_string_value(json_object_get(p, "step")) ?: "?");
				n = json_integer_value(json_object_get(p, "n"));
				of = json_integer_value(json_object_get(p, "of"));
				base_ms = json_integer_value(json_object_get(p, "elapsed_ms"));
				at = mono_ms();
				show(tty, name, step, n, of, base_ms);
			} else if (streq(m.method, "vm.start_done") ||
				   streq(m.method, "vm.deleted")) {
				if (tty && step[0])
					fputs("\r\033[K", stderr);
				_exit(0);
			}
		}
		rpc_message_done(&m);
	}
}

void cli_progress_begin(struct cli *cli, const char *name, struct cli_progress *ret)
{
	int p[2];
	pid_t pid;
	struct pollfd pfd;
	char c;

	*ret = (struct cli_progress){.tty = isatty(STDERR_FILENO) == 1};
	if (cli->json || cli_opt(cli, "quiet") || cli_connect(cli) != 0)
		return;
	if (pipe2(p, O_CLOEXEC) < 0)
		return;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return;
	}
	if (pid == 0) {
		close(p[0]);
		follow(cli->socket, name, ret->tty, p[1]);
	}
	close(p[1]);
	pfd = (struct pollfd){.fd = p[0], .events = POLLIN};
	/* without a subscription in time, the start goes ahead unshown */
	if (poll(&pfd, 1, READY_TIMEOUT_MS) == 1 && read(p[0], &c, 1) == 1)
		ret->pid = pid;
	else {
		kill(pid, SIGKILL);
		(void)waitpid(pid, NULL, 0);
	}
	close(p[0]);
}

void cli_progress_end(struct cli_progress *p)
{
	int64_t until = mono_ms() + EXIT_WAIT_MS;

	if (p->pid <= 0)
		return;
	/* the child ends by itself at vm.start_done, which may come after our answer */
	while (waitpid(p->pid, NULL, WNOHANG) == 0) {
		if (mono_ms() >= until) {
			kill(p->pid, SIGTERM);
			(void)waitpid(p->pid, NULL, 0);
			if (p->tty)
				fputs("\r\033[K", stderr);
			break;
		}
		(void)poll(NULL, 0, 20);
	}
	p->pid = 0;
}

struct step_time {
	const char *name;
	uint64_t us;
};

static int by_time_desc(const void *a, const void *b)
{
	const struct step_time *x = a, *y = b;
	return x->us < y->us ? 1 : x->us > y->us ? -1 : 0;
}

void cli_progress_summary(const json_t *vm, char *buf, size_t size)
{
	const json_t *timings = json_object_get(vm, "start_timings_us");
	struct step_time steps[32];
	size_t n = 0, o;
	uint64_t total = 0, rest = 0;
	const char *key;
	json_t *v;

	buf[0] = '\0';
	if (!json_is_object(timings))
		return;
	json_object_foreach((json_t *)timings, key, v)
	{
		if (n < ELEMENTSOF(steps))
			steps[n++] = (struct step_time){key, (uint64_t)json_integer_value(v)};
		total += (uint64_t)json_integer_value(v);
	}
	qsort(steps, n, sizeof(steps[0]), by_time_desc);
	o = (size_t)snprintf(buf, size, " in %.1f s (", (double)total / 1e6);
	for (size_t i = 0; i < n && o < size; i++) {
		if (i >= 3) {
			rest += steps[i].us;
			continue;
		}
		o += (size_t)snprintf(buf + o, size - o, "%s%s %.1f s", i ? ", " : "",
			steps[i].name, (double)steps[i].us / 1e6);
	}
	if (n > 3 && o < size)
		o += (size_t)snprintf(
			buf + o, size - o, ", %zu more %.1f s", n - 3, (double)rest / 1e6);
	if (o < size)
		snprintf(buf + o, size - o, ")");
}

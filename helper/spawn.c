/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Starting a program detached from the helper: two vfork-style clones + setsid, stdio given,
 * nobody's child.
 *
 * Both clones share the helper's memory (CLONE_VM | CLONE_VFORK, as glibc's posix_spawn does) and
 * run on stacks of their own, so starting a VMM copies no page tables of a helper that has
 * threads and libraries mapped (two fork()s were ~5 ms of each start here). The parent is
 * suspended until the first clone exits, and that one until the program's exec succeeded or
 * failed; the shared struct spawn_ctx carries the grandchild's pid and the exec's errno back,
 * and is final when clone() returns. The clones call only async-signal-safe functions and write
 * nothing but the context. */
#define _GNU_SOURCE 1
#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/macro.h"
#include "helper/spawn.h"

/* Each clone's stack: what execve and the few calls before it need, and a guard page below. */
#define SPAWN_STACK_SIZE (64 * 1024)

struct spawn_ctx {
	char *const *argv;
	char *const *envp;
	int out_fd;
	char *grandchild_stack; /* top of the grandchild's stack */
	pid_t grandchild;
	int step_errno; /* set by whichever clone failed, before it exits */
	bool exec_failed;
};

static int grandchild_main(void *arg)
{
	struct spawn_ctx *c = arg;
	int null;

	null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(c->out_fd, STDOUT_FILENO) < 0 ||
		dup2(c->out_fd, STDERR_FILENO) < 0 || chdir("/") < 0)
		goto fail;
	/* Other threads run other ops meanwhile, and a library may open a descriptor without
	 * O_CLOEXEC: nothing but stdio reaches the program. */
	if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		goto fail;
	execve(c->argv[0], c->argv, c->envp);
fail:
	c->step_errno = errno;
	c->exec_failed = true;
	_exit(127);
}

static int child_main(void *arg)
{
	struct spawn_ctx *c = arg;
	sigset_t none;
	pid_t pid;

	/* The helper blocks its signals for signalfd; the new program must not inherit that. The
	 * dispositions are this process's own (no CLONE_SIGHAND). */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (setsid() < 0) {
		c->step_errno = errno;
		_exit(127);
	}
	pid = clone(grandchild_main, c->grandchild_stack, CLONE_VM | CLONE_VFORK | SIGCHLD, c);
	if (pid < 0)
		c->step_errno = errno;
	else
		c->grandchild = pid;
	_exit(0);
}

int spawn_detached(
	char *const argv[], int out_fd, pid_t *ret_pid, int *ret_pidfd, struct rpc_error *err)
{
	return spawn_detached_env(argv, NULL, out_fd, ret_pid, ret_pidfd, err);
}

int spawn_detached_env(char *const argv[], char *const extra_env[], int out_fd, pid_t *ret_pid,
	int *ret_pidfd, struct rpc_error *err)
{
	static char path_env[] =
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	char *envp[4] = {path_env, extra_env && extra_env[0] ? extra_env[0] : NULL, NULL, NULL};
	struct spawn_ctx c = {.argv = argv, .envp = envp, .out_fd = out_fd};
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t size = 2 * (page + SPAWN_STACK_SIZE);
	char *stacks;
	pid_t child;
	int status;

	/* [guard][child's stack][guard][grandchild's stack]: stacks grow down from their top. */
	stacks = mmap(
		NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stacks == MAP_FAILED)
		return rpc_error_set(err, negative_errno(), RPC_ERROR_INTERNAL, "mmap: %m");
	if (mprotect(stacks, page, PROT_NONE) < 0 ||
		mprotect(stacks + page + SPAWN_STACK_SIZE, page, PROT_NONE) < 0) {
		int r = rpc_error_set(err, negative_errno(), RPC_ERROR_INTERNAL, "mprotect: %m");
		munmap(stacks, size);
		return r;
	}
	c.grandchild_stack = stacks + size;
	child = clone(
		child_main, stacks + page + SPAWN_STACK_SIZE, CLONE_VM | CLONE_VFORK | SIGCHLD, &c);
	if (child < 0) {
		int r = rpc_error_set(err, negative_errno(), RPC_ERROR_INTERNAL, "clone: %m");
		munmap(stacks, size);
		return r;
	}
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	munmap(stacks, size);
	if (c.grandchild <= 0 || c.exec_failed) {
		errno = c.step_errno ? c.step_errno : EIO;
		return rpc_error_set(err, negative_errno(), RPC_ERROR_INTERNAL,
			c.exec_failed ? "Failed to run %s: %m" : "Failed to start %s: %m", argv[0]);
	}
	*ret_pidfd = (int)syscall(SYS_pidfd_open, c.grandchild, 0);
	*ret_pid = c.grandchild;
	return 0;
}

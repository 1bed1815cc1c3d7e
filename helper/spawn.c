/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Starting a program detached from the helper: double fork + setsid, stdio given, nobody's child.
 */
#define _GNU_SOURCE 1
#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/macro.h"
#include "helper/spawn.h"

static void child_fail(int fd, int e)
{
	(void)!write(fd, &e, sizeof(e));
	_exit(127);
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
	_cleanup_close_ int pid_r = -1, pid_w = -1, err_r = -1, err_w = -1;
	int p[2], e = 0, status;
	pid_t child, grandchild = 0;
	ssize_t n;

	if (pipe2(p, O_CLOEXEC) < 0)
		return rpc_error_set(err, negative_errno(), RPC_ERROR_INTERNAL, "pipe: %m");
	pid_r = p[0], pid_w = p[1];
	if (pipe2(p, O_CLOEXEC) < 0)
		return rpc_error_set(err, negative_errno(), RPC_ERROR_INTERNAL, "pipe: %m");
	err_r = p[0], err_w = p[1];

	child = fork();
	if (child < 0)
		return rpc_error_set(err, negative_errno(), RPC_ERROR_INTERNAL, "fork: %m");
	if (child == 0) {
		sigset_t none;
		int null;

		/* The helper blocks its signals for signalfd; the new program must not inherit
		 * that. */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		if (setsid() < 0)
			child_fail(err_w, errno);
		grandchild = fork();
		if (grandchild < 0)
			child_fail(err_w, errno);
		if (grandchild > 0) {
			(void)!write(pid_w, &grandchild, sizeof(grandchild));
			_exit(0);
		}
		null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
			dup2(out_fd, STDERR_FILENO) < 0 || chdir("/") < 0)
			child_fail(err_w, errno);
		/* Other threads run other ops meanwhile, and a library may open a descriptor
		 * without O_CLOEXEC: nothing but stdio reaches the program. */
		if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
			child_fail(err_w, errno);
		execve(argv[0], argv, envp);
		child_fail(err_w, errno);
	}
	pid_w = safe_close(pid_w);
	err_w = safe_close(err_w);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	n = read(pid_r, &grandchild, sizeof(grandchild));
	if (n != sizeof(grandchild) || grandchild <= 0) {
		n = read(err_r, &e, sizeof(e));
		errno = n == sizeof(e) ? e : EIO;
		return rpc_error_set(err, negative_errno(), RPC_ERROR_INTERNAL,
			"Failed to start %s: %m", argv[0]);
	}
	/* EOF means the exec succeeded (close-on-exec); an int means it failed. */
	n = read(err_r, &e, sizeof(e));
	if (n == sizeof(e)) {
		errno = e;
		return rpc_error_set(err, -e, RPC_ERROR_INTERNAL, "Failed to run %s: %m", argv[0]);
	}
	*ret_pidfd = (int)syscall(SYS_pidfd_open, grandchild, 0);
	*ret_pid = grandchild;
	return 0;
}

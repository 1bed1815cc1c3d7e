/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The launch itself (upstream's Env::run): netns, rlimits, cgroups, the jail, daemonize or a
 * new pid namespace, the pid file, and the exec as the target uid/gid. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "vmm/jailer-jail.h"
#include "vmm/jailer-launch.h"

uint64_t jailer_time_us(clockid_t clock)
{
	struct timespec ts;

	if (clock_gettime(clock, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int join_netns(const char *path, struct jailer_error *e)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return jailer_error_io(e, errno, "FileOpen", path, "Failed to open file %s", path);
	if (setns(fd, CLONE_NEWNET) < 0)
		return jailer_error_io(
			e, errno, "SetNetNs", NULL, "Failed to join network namespace: netns");
	return 0;
}

static int set_rlimit(int resource, uint64_t value, struct jailer_error *e)
{
	struct rlimit rl = {.rlim_cur = value, .rlim_max = value};

	if (setrlimit(resource, &rl) < 0) {
		char io[256], dbg[512];

		jailer_io_display(errno, io, sizeof(io));
		snprintf(dbg, sizeof(dbg), "Setrlimit(\"%s\")", io);
		return jailer_error_set(e, -errno, dbg, "Failed to set limit for resource: %s", io);
	}
	return 0;
}

static int install_rlimits(const struct jailer_env *env, struct jailer_error *e)
{
	int r = set_rlimit(RLIMIT_NOFILE, env->no_file, e);

	if (r < 0 || !env->has_fsize)
		return r;
	return set_rlimit(RLIMIT_FSIZE, env->fsize, e);
}

static int setup_cgroups(const struct jailer_env *env, struct jailer_error *e)
{
	int r;

	/* All values first (cpuset needs cpus and mems before a task may join), then the pids. */
	for (size_t i = 0; i < env->n_cgroups; i++) {
		r = jailer_cgroup_write_value(&env->cgroups[i], e);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < env->n_cgroups; i++) {
		r = jailer_cgroup_attach(&env->cgroups[i], getpid(), e);
		if (r < 0)
			return r;
	}
	return 0;
}

static int write_pid_file(const struct jailer_env *env, pid_t pid, struct jailer_error *e)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;
	char buf[32];
	int len;

	if (asprintf(&path, "/%s.pid", env->exec_file_name) < 0) {
		path = NULL;
		return jailer_error_set(e, -ENOMEM, "OutOfMemory", "Out of memory");
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd < 0)
		return jailer_error_io(e, errno, "FileOpen", path, "Failed to open file %s", path);
	len = snprintf(buf, sizeof(buf), "%d", (int)pid);
	if (write(fd, buf, (size_t)len) != len)
		return jailer_error_io(e, errno, "Write", path, "Failed to write to %s", path);
	return 0;
}

/* Fork; the parent exits 0 at once (its caller sees the jailer done). */
static int fork_and_exit_parent(struct jailer_error *e)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return jailer_error_io(e, errno, "Daemonize", NULL, "Failed to daemonize");
	if (pid > 0)
		_exit(EXIT_SUCCESS);
	return 0;
}

static int daemonize(int dev_null, struct jailer_error *e)
{
	int r = fork_and_exit_parent(e);

	if (r < 0)
		return r;
	if (setsid() < 0)
		return jailer_error_io(e, errno, "SetSid", NULL, "Failed to daemonize: setsid");
	r = fork_and_exit_parent(e);
	if (r < 0)
		return r;
	for (int fd = 0; fd <= 2; fd++)
		if (dup2(dev_null, fd) < 0)
			return jailer_error_io(e, errno, "Dup2", NULL, "Failed to duplicate fd");
	if (close(dev_null) < 0)
		return jailer_error_io(
			e, errno, "CloseDevNullFd", NULL, "Failed to close /dev/null fd");
	return 0;
}

static int exec_target(const struct jailer_env *env, uint64_t start_time_cpu_us,
	uint64_t parent_cpu_time_us, struct jailer_error *e)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ const char **argv = NULL;
	char start_us[32], start_cpu_us[32], parent_cpu_us[32];
	char *const envp[] = {NULL};
	sigset_t all;
	size_t n = 0;

	if (asprintf(&path, "/%s", env->exec_file_name) < 0) {
		path = NULL;
		return jailer_error_set(e, -ENOMEM, "OutOfMemory", "Out of memory");
	}
	argv = calloc(10 + env->n_extra_args, sizeof(char *));
	if (!argv)
		return jailer_error_set(e, -ENOMEM, "OutOfMemory", "Out of memory");
	snprintf(start_us, sizeof(start_us), "%" PRIu64, env->start_time_us);
	snprintf(start_cpu_us, sizeof(start_cpu_us), "%" PRIu64, start_time_cpu_us);
	snprintf(parent_cpu_us, sizeof(parent_cpu_us), "%" PRIu64, parent_cpu_time_us);
	argv[n++] = path;
	argv[n++] = "--id";
	argv[n++] = env->id;
	argv[n++] = "--start-time-us";
	argv[n++] = start_us;
	argv[n++] = "--start-time-cpu-us";
	argv[n++] = start_cpu_us;
	argv[n++] = "--parent-cpu-time-us";
	argv[n++] = parent_cpu_us;
	for (size_t i = 0; i < env->n_extra_args; i++)
		argv[n++] = env->extra_args[i];
	argv[n] = NULL;

	fflush(NULL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	signal(SIGPIPE, SIG_DFL);

	/* The order of Rust's Command::exec with .uid()/.gid(): group first, supplementary groups
	 * dropped (EPERM ignored), then the user. */
	if (setgid(env->gid) < 0)
		return jailer_error_io(e, errno, "Exec", NULL, "Failed to exec into Firecracker");
	if (getuid() == 0)
		(void)setgroups(0, NULL);
	if (setuid(env->uid) < 0)
		return jailer_error_io(e, errno, "Exec", NULL, "Failed to exec into Firecracker");
	execve(path, (char *const *)argv, envp);
	return jailer_error_io(e, errno, "Exec", NULL, "Failed to exec into Firecracker");
}

static uint64_t cpu_since(uint64_t start)
{
	uint64_t now = jailer_time_us(CLOCK_PROCESS_CPUTIME_ID);
	return now > start ? now - start : 0;
}

int jailer_run(struct jailer_env *env, struct jailer_error *e)
{
	_cleanup_close_ int dev_null = -1;
	uint64_t parent_cpu_us;
	int r;

	r = jailer_jail_copy_exec(env, e);
	if (r < 0)
		return r;
	if (env->netns) {
		r = join_netns(env->netns, e);
		if (r < 0)
			return r;
	}
	r = install_rlimits(env, e);
	if (r < 0)
		return r;
	r = setup_cgroups(env, e);
	if (r < 0)
		return r;
	if (env->daemonize) {
		/* Opened while the host's /dev is still visible. */
		dev_null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (dev_null < 0)
			return jailer_error_io(
				e, errno, "OpenDevNull", NULL, "Failed to open /dev/null");
	}

	r = jailer_jail_pivot(env, e);
	if (r < 0)
		return r;
	r = jailer_jail_populate(env, e);
	if (r < 0)
		return r;

	if (env->daemonize) {
		/* The grandchild's CPU clock restarts: carry what the jailer used so far. */
		parent_cpu_us = cpu_since(env->start_time_cpu_us);
		r = daemonize(TAKE_FD(dev_null), e);
		if (r < 0)
			return r;
		env->start_time_cpu_us = 0;
	} else
		parent_cpu_us = 0;

	if (env->new_pid_ns) {
		bool leader = getsid(0) == getpid();
		pid_t pid;

		parent_cpu_us += cpu_since(env->start_time_cpu_us);
		fflush(NULL);
		/* fork-like clone: no CLONE_VM, so no stack is needed; the child is pid 1 inside.
		 */
		pid = (pid_t)syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, NULL, NULL, NULL, 0);
		if (pid < 0)
			return jailer_error_io(
				e, errno, "Clone", NULL, "Failed cloning into a new child process");
		if (pid > 0) {
			r = write_pid_file(env, pid, e);
			if (r < 0)
				return r;
			exit(EXIT_SUCCESS);
		}
		/* Keep the VMM out of the jailer's session, which ends (SIGHUP) when we exit. */
		if (leader)
			(void)setsid();
		return exec_target(env, 0, parent_cpu_us, e);
	}

	/* Same process after exec: its CPU clock goes on, nothing to carry but a daemonize's. */
	r = write_pid_file(env, getpid(), e);
	if (r < 0)
		return r;
	return exec_target(env, env->start_time_cpu_us, parent_cpu_us, e);
}

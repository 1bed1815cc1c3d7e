/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* banger system restart (as root: systemd, or the daemons spawned directly) and status (from
 * the daemon and systemd), with the probes and daemon handling install and uninstall share
 * (cmd-system-install.c); also banger reconcile, which the daemon answers. */
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/system-internal.h"
#include "cli/output.h"
#include "cli/sysunits.h"
#include "common/acl.h"
#include "common/fileio.h"
#include "common/install.h"
#include "common/layout.h"
#include "common/macro.h"
#include "common/pidfile.h"
#include "protocol/client.h"
#include "protocol/jsonrpc.h"

const struct daemon_spec helper_spec = {"bangerd-root", false, SBINDIR};
const struct daemon_spec daemon_spec = {"bangerd", true, BINDIR};

static int need_root(const char *what)
{
	if (geteuid() == 0)
		return 0;
	fprintf(stderr, "banger system %s: must run as root (try: sudo banger system %s)\n", what,
		what);
	return -EPERM;
}

void sys_change(struct sys *s, const char *fmt, ...) _printf_(2, 3);
void sys_change(struct sys *s, const char *fmt, ...)
{
	va_list ap;

	s->changes++;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

int sys_init(struct sys *s, const char *what)
{
	char exe[PATH_MAX];
	ssize_t n;
	int r;

	*s = (struct sys){};
	if (need_root(what) < 0)
		return -EPERM;
	r = layout_init(&s->l, NULL);
	if (r < 0) {
		fprintf(stderr, "banger system %s: invalid $%s: %s\n", what, BANGER_ROOT_ENV,
			strerror(-r));
		return r;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		fprintf(stderr, "banger system %s: cannot tell where banger is installed: %m\n",
			what);
		return -errno;
	}
	exe[n] = '\0';
	snprintf(s->self_dir, sizeof(s->self_dir), "%s", dirname(exe));
	/* systemd only manages the real system: a relocated root never touches its units */
	s->systemd = !s->l.root[0] && access("/run/systemd/system", F_OK) == 0;
	umask(0022);
	return 0;
}

/* buf = a "/" b suffix; an empty string when it does not fit (every later use then fails). */
void sys_join(char *buf, size_t size, const char *a, const char *b, const char *suffix)
{
	int n = snprintf(buf, size, "%s/%s%s", a, b, suffix);

	if (n < 0 || (size_t)n >= size)
		buf[0] = '\0';
}

/* The program next to the running banger, else in ../sbin next to it (an installed prefix:
 * an update puts new programs there), else in its configured directory. */
void sys_program_path(
	const struct sys *s, const char *name, const char *fallback_dir, char *buf, size_t size)
{
	sys_join(buf, size, s->self_dir, name, "");
	if (access(buf, X_OK) >= 0)
		return;
	sys_join(buf, size, s->self_dir, "../sbin/", name);
	if (access(buf, X_OK) < 0)
		sys_join(buf, size, fallback_dir, name, "");
}

static void pid_file(const struct sys *s, const char *name, char *buf, size_t size)
{
	sys_join(buf, size, s->l.run_dir, name, ".pid");
}

/* ---- probes ---------------------------------------------------------------------------------- */

static bool socket_answers(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = -1;

	if (strlen(path) >= sizeof(sa.sun_path))
		return false;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	return fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
}

/* system.status from the daemon, NULL when it does not answer. */
json_t *sys_daemon_status(const struct sys *s)
{
	_cleanup_rpc_client_ struct rpc_client *c = NULL;
	struct rpc_error err = {};
	json_t *res = NULL;

	if (rpc_client_connect(s->l.daemon_sock, &c) < 0 ||
		rpc_client_hello(c, "banger", PROBE_TIMEOUT_MS, NULL, &err) < 0 ||
		rpc_client_call(c, rpc_method_to_string(RPC_METHOD_SYSTEM_STATUS), NULL,
			PROBE_TIMEOUT_MS, &res, &err) < 0)
		return NULL;
	return res;
}

bool sys_daemon_ready(const struct sys *s)
{
	_cleanup_json_ json_t *st = sys_daemon_status(s);

	return st && json_is_true(json_object_get(json_object_get(st, "helper"), "reachable"));
}

/* The pid recorded for name, when that process still runs that program; else 0. */
static pid_t recorded_pid(const struct sys *s, const char *name)
{
	char path[PATH_MAX];

	pid_file(s, name, path, sizeof(path));
	return pidfile_running(path, name);
}

static bool pid_running(pid_t pid)
{
	(void)waitpid(pid, NULL, WNOHANG); /* our own child (restart): reap it */
	return proc_running(pid);
}

void sys_sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- running programs ------------------------------------------------------------------------ */

int sys_run_wait(const char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "banger: cannot run %s: %m\n", argv[0]);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "banger: %s %s failed\n", argv[0], argv[1] ? argv[1] : "");
		return -EIO;
	}
	return 0;
}

int sys_systemctl(const char *verb, const char *extra)
{
	const char *argv[] = {"systemctl", verb, extra, "bangerd-root.service", "bangerd.socket",
		"bangerd.service", NULL};

	if (!extra) /* shift the units left */
		memmove(&argv[2], &argv[3], 4 * sizeof(argv[0]));
	return sys_run_wait(argv);
}

static _noreturn_ void child_exec(
	const struct sys *s, const struct daemon_spec *d, const char *prog, int log_fd)
{
	const char *argv[] = {prog, d->as_owner ? "--foreground" : NULL, NULL};
	int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (setsid() < 0 || null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(log_fd, 1) < 0 ||
		dup2(log_fd, 2) < 0)
		_exit(126);
	if (d->as_owner) {
		if (initgroups(s->m.owner_name, s->m.owner_gid) < 0 &&
			setgroups(1, &s->m.owner_gid) < 0)
			_exit(126);
		if (setresgid(s->m.owner_gid, s->m.owner_gid, s->m.owner_gid) < 0 ||
			setresuid(s->m.owner_uid, s->m.owner_uid, s->m.owner_uid) < 0 ||
			getuid() != s->m.owner_uid || geteuid() != s->m.owner_uid)
			_exit(126);
		setenv("HOME", s->m.owner_home, 1);
		setenv("USER", s->m.owner_name, 1);
		setenv("LOGNAME", s->m.owner_name, 1);
	}
	/* As its unit does (ProtectSystem= and friends): bangerd-root gets a mount namespace of its
	 * own, a slave of ours, so the jails' mounts stay out of everyone else's view. */
	if (!d->as_owner &&
		(unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0))
		_exit(126);
	if (chdir("/") < 0)
		_exit(126);
	execv(prog, (char *const *)argv);
	fprintf(stderr, "banger: cannot run %s: %m\n", prog);
	_exit(127);
}

/* Starts one daemon detached, records its pid and waits until ready() says it answers. */
int sys_spawn(struct sys *s, const struct daemon_spec *d, bool (*ready)(const struct sys *))
{
	char prog[PATH_MAX], log[PATH_MAX], pidf[PATH_MAX], buf[32];
	_cleanup_close_ int log_fd = -1;
	pid_t pid;
	int r;

	sys_program_path(s, d->name, d->fallback_dir, prog, sizeof(prog));
	if (access(prog, X_OK) < 0) {
		fprintf(stderr, "banger: cannot find %s (looked next to banger and in %s)\n",
			d->name, d->fallback_dir);
		return -ENOENT;
	}
	sys_join(log, sizeof(log), s->l.log_dir, d->name, ".log");
	log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0640);
	if (log_fd < 0) {
		fprintf(stderr, "banger: cannot open %s: %m\n", log);
		return -errno;
	}
	if (d->as_owner && fchown(log_fd, s->m.owner_uid, s->m.owner_gid) < 0) {
		fprintf(stderr, "banger: cannot chown %s: %m\n", log);
		return -errno;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		child_exec(s, d, prog, log_fd);
	pid_file(s, d->name, pidf, sizeof(pidf));
	snprintf(buf, sizeof(buf), "%ld\n", (long)pid);
	r = write_file_atomic(pidf, buf, strlen(buf), 0644);
	if (r < 0)
		fprintf(stderr, "banger: cannot record the pid in %s: %s\n", pidf, strerror(-r));
	for (int i = 0; i < READY_TIMEOUT_SEC * 10; i++) {
		if (ready(s)) {
			sys_change(s, "started %s (pid %ld, log %s)", d->name, (long)pid, log);
			return 0;
		}
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			(void)unlink(pidf);
			fprintf(stderr, "banger: %s exited at once; see %s\n", d->name, log);
			return -ECHILD;
		}
		sys_sleep_ms(100);
	}
	fprintf(stderr, "banger: %s (pid %ld) did not answer within %d s; see %s\n", d->name,
		(long)pid, READY_TIMEOUT_SEC, log);
	return -ETIMEDOUT;
}

bool sys_helper_ready(const struct sys *s)
{
	return socket_answers(s->l.root_sock);
}

/* TERM (then, after STOP_TIMEOUT_SEC, KILL) the process itself, never its children. */
static int stop_pid(struct sys *s, const char *name, pid_t pid)
{
	if (kill(pid, SIGTERM) < 0 && errno != ESRCH)
		return -errno;
	for (int i = 0; i < STOP_TIMEOUT_SEC * 10 && pid_running(pid); i++)
		sys_sleep_ms(100);
	if (pid_running(pid)) {
		fprintf(stderr, "banger: %s (pid %ld) ignored SIGTERM for %d s, killing it\n", name,
			(long)pid, STOP_TIMEOUT_SEC);
		(void)kill(pid, SIGKILL);
		for (int i = 0; i < 50 && pid_running(pid); i++)
			sys_sleep_ms(100);
	}
	sys_change(s, "stopped %s (pid %ld)", name, (long)pid);
	return 0;
}

/* Stops the daemon recorded for d; the daemon without a pid file by the pid it reports. */
int sys_stop_recorded(struct sys *s, const struct daemon_spec *d)
{
	char pidf[PATH_MAX];
	pid_t pid = recorded_pid(s, d->name);
	int r = 0;

	if (pid == 0 && d->as_owner) {
		_cleanup_json_ json_t *st = sys_daemon_status(s);
		json_int_t p = json_integer_value(json_object_get(st, "pid"));

		if (p > 1)
			pid = (pid_t)p;
	}
	if (pid > 0)
		r = stop_pid(s, d->name, pid);
	pid_file(s, d->name, pidf, sizeof(pidf));
	if (unlink(pidf) < 0 && errno != ENOENT)
		return -errno;
	if (r >= 0 && !d->as_owner && sys_helper_ready(s)) {
		fprintf(stderr,
			"banger: %s still answers on %s but was not started by banger system "
			"install (no pid file); stop it yourself\n",
			d->name, s->l.root_sock);
		return -EBUSY;
	}
	return r;
}

int cmd_system_restart(struct cli *cli)
{
	char why[512] = "";
	struct sys s;
	int r;

	(void)cli;
	if (sys_init(&s, "restart") < 0)
		return CLI_EXIT_ERROR;
	r = install_meta_load(&s.l, &s.m, why, sizeof(why));
	if (r < 0) {
		fprintf(stderr, "banger system restart: %s\n",
			r == -ENOENT ? "banger is not installed (run banger system install first)"
				     : why);
		return CLI_EXIT_ERROR;
	}
	if (s.systemd)
		return sys_run_wait((const char *const[]){"systemctl", "restart",
			       "bangerd-root.service", "bangerd.service", NULL}) < 0
			       ? CLI_EXIT_ERROR
			       : 0;
	r = sys_stop_recorded(&s, &helper_spec);
	if (r >= 0)
		r = sys_spawn(&s, &helper_spec, sys_helper_ready);
	if (r >= 0)
		r = sys_stop_recorded(&s, &daemon_spec);
	if (r >= 0)
		r = sys_spawn(&s, &daemon_spec, sys_daemon_ready);
	if (r < 0)
		return CLI_EXIT_ERROR;
	printf("bangerd-root and bangerd restarted; running VMs kept running\n");
	return 0;
}

static long long get_int(const json_t *o, const char *a, const char *b)
{
	return json_integer_value(json_object_get(json_object_get(o, a), b));
}

static void print_units(const struct cli *cli, const struct sysunit *u)
{
	for (size_t i = 0; i < SYSUNITS_N; i++) {
		bool good = streq(u[i].active, "active");
		printf("%-14s%-22s %s%s (%s)%s", i == 0 ? "Units:" : "", u[i].name,
			cli->color ? (good ? COLOR_GREEN : COLOR_RED) : "", u[i].active, u[i].sub,
			cli->color ? COLOR_RESET : "");
		if (u[i].main_pid)
			printf(", pid %u", u[i].main_pid);
		if (u[i].file_state[0])
			printf(", %s", u[i].file_state);
		if (u[i].n_restarts)
			printf(", restarted %u time%s after failures", u[i].n_restarts,
				u[i].n_restarts == 1 ? "" : "s");
		if (!streq(u[i].load, "loaded"))
			printf(" [%s]", u[i].load);
		putchar('\n');
	}
}

static json_t *units_json(const struct sysunit *u)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < SYSUNITS_N; i++)
		json_array_append_new(
			a, json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:i}", "name", u[i].name,
				   "load", u[i].load, "active", u[i].active, "sub", u[i].sub,
				   "unit_file_state", u[i].file_state, "main_pid",
				   (int)u[i].main_pid, "restarts", (int)u[i].n_restarts));
	return a;
}

int cmd_system_status(struct cli *cli)
{
	_cleanup_json_ json_t *st = NULL;
	struct sysunit units[SYSUNITS_N];
	struct banger_layout l;
	const json_t *helper, *by_state;
	bool have_units = false;
	char up[32], why[256] = "";
	const char *key;
	json_t *v;
	int r;

	/* Under systemd the units' own state comes first: it is what to look at when the daemon
	 * does not answer. A relocated root ($BANGER_ROOT) is never systemd's. */
	if (layout_init(&l, NULL) >= 0 && !l.root[0] && sysunits_systemd_running()) {
		if (sysunits_query(units, why, sizeof(why)) >= 0)
			have_units = true;
		else if (!cli->json)
			printf("Units:        unknown (%s)\n", why);
		if (have_units && !cli->json)
			print_units(cli, units);
	}
	r = cli_call(cli, RPC_METHOD_SYSTEM_STATUS, NULL, CALL_TIMEOUT_MS, &st);
	if (r)
		return r;
	if (cli->json) {
		if (have_units)
			json_object_set_new(st, "units", units_json(units));
		cli_print_json(st);
		return 0;
	}
	format_duration(
		(uint64_t)json_integer_value(json_object_get(st, "uptime_sec")), up, sizeof(up));
	helper = json_object_get(st, "helper");
	printf("bangerd:      %s (protocol %lld, pid %lld)\n", json_str(st, "version", "?"),
		(long long)json_integer_value(json_object_get(st, "protocol")),
		(long long)json_integer_value(json_object_get(st, "pid")));
	printf("Up:           %s (since %s)\n", up, json_str(st, "started_at", "?"));
	printf("Owner:        %s (uid %lld)\n", json_str(json_object_get(st, "owner"), "name", "?"),
		get_int(st, "owner", "uid"));
	printf("State:        %s\n", json_str(json_object_get(st, "paths"), "state_dir", "?"));
	printf("VMs:          %lld", get_int(st, "counts", "vms"));
	by_state = json_object_get(json_object_get(st, "counts"), "vms_by_state");
	json_object_foreach((json_t *)by_state, key, v) if (json_integer_value(v) > 0)
		printf(", %lld %s", (long long)json_integer_value(v), key);
	printf("\nImages:       %lld\n", get_int(st, "counts", "images"));
	printf("Clients:      %lld (%lld subscribed to events)\n", get_int(st, "counts", "clients"),
		get_int(st, "counts", "subscribers"));
	if (json_is_true(json_object_get(helper, "reachable")))
		printf("Helper:       %sreachable%s (%s %s)\n", cli->color ? COLOR_GREEN : "",
			cli->color ? COLOR_RESET : "", json_str(helper, "program", "?"),
			json_str(helper, "version", "?"));
	else
		printf("Helper:       %snot reachable%s: %s\n", cli->color ? COLOR_RED : "",
			cli->color ? COLOR_RESET : "", json_str(helper, "error", "?"));
	if (get_int(st, "store", "quarantined") || get_int(st, "store", "refused"))
		printf("Store:        %lld corrupt record(s) quarantined, %lld refused (see the "
		       "daemon log)\n",
			get_int(st, "store", "quarantined"), get_int(st, "store", "refused"));
	return 0;
}

static void print_names(const char *title, const json_t *list)
{
	size_t i;
	json_t *v;

	printf("%s:%s\n", title, json_array_size(list) ? "" : " nothing");
	json_array_foreach(list, i, v)
	{
		if (json_is_string(v))
			printf("  %s\n", json_string_value(v));
		else
			printf("  %s: %s\n", json_string_value(json_object_get(v, "what")) ?: "?",
				json_string_value(json_object_get(v, "error")) ?: "?");
	}
}

int cmd_reconcile(struct cli *cli)
{
	_cleanup_json_ json_t *res = NULL;
	bool dry = cli_opt(cli, "dry-run") != NULL;
	int r;

	r = cli_call(cli, RPC_METHOD_RECONCILE, json_pack("{s:b}", "dry_run", dry), -1, &res);
	if (r)
		return r;
	if (cli->json) {
		cli_print_json(res);
		return 0;
	}
	if (dry) {
		print_names("Would re-adopt or release", json_object_get(res, "readopt"));
		print_names("Would sweep", json_object_get(res, "sweep"));
		return 0;
	}
	print_names("Re-adopting or releasing", json_object_get(res, "readopted"));
	print_names("Swept", json_object_get(res, "swept"));
	if (json_array_size(json_object_get(res, "failed"))) {
		print_names("Failed", json_object_get(res, "failed"));
		return CLI_EXIT_ERROR;
	}
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* banger vm ...: create, list, get, delete, start, stop, restart, ssh, ssh-config, logs, run. */
#include <errno.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "cli/progress.h"
#include "common/install.h"
#include "common/layout.h"
#include "common/sshcmd.h"
#include "common/sshconfig.h"
#include "protocol/publish.h"
#include "common/macro.h"
#include "protocol/client.h"
#include "protocol/jsonrpc.h"

#define CALL_TIMEOUT_MS 60000
/* start waits for SSH (bangerd's ssh_timeout_sec, 120 s by default) and stop for the guest's
 * shutdown; the daemon bounds both, this only guards against a daemon that never answers */
#define LIFECYCLE_TIMEOUT_MS (15 * 60 * 1000)

static int parse_int_opt(struct cli *cli, const char *name, long min, long max, long *ret)
{
	const char *v = cli_opt(cli, name);
	char *end;
	long n;

	if (!v)
		return 0;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < min || n > max)
		return cli_usage_error(
			cli, "--%s wants a number from %ld to %ld, not \"%s\"", name, min, max, v);
	*ret = n;
	return 0;
}

static void vm_uptime(const json_t *vm, char *buf, size_t size)
{
	time_t started;

	if (!streq(json_str(vm, "state", ""), "running") ||
		parse_rfc3339(json_str(vm, "started_at", NULL), &started) < 0) {
		snprintf(buf, size, "-");
		return;
	}
	format_duration((uint64_t)MAX(0, time(NULL) - started), buf, size);
}

static bool vm_halted(const json_t *vm)
{
	return json_is_true(json_object_get(vm, "halted")) &&
	       streq(json_str(vm, "state", ""), "running");
}

/* "127.0.0.1:8080:80/tcp, 0.0.0.0:5353:53/udp", or "-". */
static void vm_ports(const json_t *vm, char *buf, size_t size)
{
	json_t *a = json_object_get(vm, "publish"), *v;
	size_t i, len = 0;

	buf[0] = '\0';
	json_array_foreach(a, i, v)
	{
		int n = snprintf(buf + len, size - len, "%s%s", i ? ", " : "",
			json_string_value(v) ? json_string_value(v) : "?");
		if (n < 0 || (size_t)n >= size - len)
			break;
		len += (size_t)n;
	}
	if (!buf[0])
		snprintf(buf, size, "-");
}

static void print_vm(struct cli *cli, const json_t *vm)
{
	char ports[PUBLISH_MAX * (PUBLISH_TEXT_MAX + 2)];
	char mem[32], disk[32], up[32];
	const char *state = json_str(vm, "state", "?");
	json_t *pid = json_object_get(vm, "pid");

	format_size((uint64_t)json_integer_value(json_object_get(vm, "memory_mib")) << 20, mem,
		sizeof(mem));
	format_size((uint64_t)json_integer_value(json_object_get(vm, "disk_gib")) << 30, disk,
		sizeof(disk));
	vm_uptime(vm, up, sizeof(up));
	printf("Name:          %s\n", json_str(vm, "name", "?"));
	printf("ID:            %s\n", json_str(vm, "id", "?"));
	if (cli->color && color_for_state(state)[0])
		printf("State:         %s%s%s%s\n", color_for_state(state), state, COLOR_RESET,
			vm_halted(vm) ? " (the guest halted)" : "");
	else
		printf("State:         %s%s\n", state, vm_halted(vm) ? " (the guest halted)" : "");
	if (json_str(vm, "reason", NULL))
		printf("Reason:        %s\n", json_str(vm, "reason", ""));
	if (json_str(vm, "save_error", NULL))
		printf("Not saved:     %s (bangerd keeps this record in memory and retries)\n",
			json_str(vm, "save_error", ""));
	printf("Image:         %s\n", json_str(vm, "image", "?"));
	printf("vCPUs:         %lld\n",
		(long long)json_integer_value(json_object_get(vm, "vcpus")));
	printf("Memory:        %s\n", mem);
	printf("Disk:          %s (%s)\n", disk, json_str(vm, "disk_strategy", "not prepared yet"));
	printf("IP:            %s\n", json_str(vm, "ip", "-"));
	printf("MAC:           %s\n", json_str(vm, "mac", "-"));
	vm_ports(vm, ports, sizeof(ports));
	printf("Published:     %s%s\n", ports,
		streq(ports, "-") || streq(state, "running") ? "" : " (while it runs)");
	if (json_is_integer(pid))
		printf("PID:           %lld\n", (long long)json_integer_value(pid));
	else
		printf("PID:           -\n");
	printf("Boot ID:       %s\n", json_str(vm, "boot_id", "-"));
	printf("Created:       %s\n", json_str(vm, "created_at", "-"));
	printf("Started:       %s\n", json_str(vm, "started_at", "-"));
	printf("Uptime:        %s\n", up);
}

/* --publish, each checked here as the daemon will (a typo is a usage error, before any call). */
static int publish_param(struct cli *cli, json_t *params)
{
	size_t n;
	const char *const *v = cli_opt_all(cli, "publish", &n);
	json_t *a;

	if (n == 0)
		return 0;
	a = json_array();
	for (size_t i = 0; a && i < n; i++) {
		struct publish p;
		char why[160];
		if (publish_parse(v[i], &p, why, sizeof(why)) < 0) {
			json_decref(a);
			return cli_usage_error(cli, "--publish %s", why);
		}
		json_array_append_new(a, json_string(v[i]));
	}
	if (!a || json_object_set_new(params, "publish", a) < 0)
		return cli_error("out of memory");
	return 0;
}

int cmd_vm_set(struct cli *cli)
{
	_cleanup_json_ json_t *params = NULL, *vm = NULL;
	size_t n;
	int r;

	(void)cli_opt_all(cli, "publish", &n);
	if (n == 0 && !cli_opt(cli, "no-publish"))
		return cli_usage_error(cli, "nothing to change: give --publish or --no-publish");
	if (n > 0 && cli_opt(cli, "no-publish"))
		return cli_usage_error(cli, "--publish and --no-publish exclude each other");
	params = json_pack("{s:s}", "name", cli->args[0]);
	if (!params)
		return cli_error("out of memory");
	r = n > 0 ? publish_param(cli, params)
		  : (json_object_set_new(params, "publish", json_array()) < 0 ? 1 : 0);
	if (r)
		return r;
	r = cli_call(cli, RPC_METHOD_VM_UPDATE, TAKE_PTR(params), CALL_TIMEOUT_MS, &vm);
	if (r)
		return r;
	if (cli->json)
		cli_print_json(vm);
	else
		printf("Updated VM %s\n", json_str(vm, "name", "?"));
	return 0;
}

/* vm.create's parameters from --image, --vcpus, --memory, --disk and --publish (vm create's and
 * vm run's); a bad value is a usage error before any call. */
static int create_params(struct cli *cli, const char *name, json_t **ret)
{
	_cleanup_json_ json_t *params = NULL;
	long vcpus = 0, mem = 0, disk = 0;
	int r;

	r = parse_int_opt(cli, "vcpus", 1, 32, &vcpus);
	r = r ?: parse_int_opt(cli, "memory", 128, 65536, &mem);
	r = r ?: parse_int_opt(cli, "disk", 1, 1024, &disk);
	if (r)
		return r;
	params = json_pack("{s:s}", "name", name);
	if (!params)
		return cli_error("out of memory");
	if (cli_opt(cli, "image"))
		json_object_set_new(params, "image", json_string(cli_opt(cli, "image")));
	if (vcpus)
		json_object_set_new(params, "vcpus", json_integer(vcpus));
	if (mem)
		json_object_set_new(params, "memory_mib", json_integer(mem));
	if (disk)
		json_object_set_new(params, "disk_gib", json_integer(disk));
	r = publish_param(cli, params);
	if (r)
		return r;
	*ret = TAKE_PTR(params);
	return 0;
}

int cmd_vm_create(struct cli *cli)
{
	_cleanup_json_ json_t *params = NULL, *vm = NULL;
	int r;

	r = create_params(cli, cli->args[0], &params);
	if (r)
		return r;
	r = cli_call(cli, RPC_METHOD_VM_CREATE, TAKE_PTR(params), CALL_TIMEOUT_MS, &vm);
	if (r)
		return r;
	if (cli->json)
		cli_print_json(vm);
	else
		printf("Created VM %s (id %s, image %s)\n", json_str(vm, "name", "?"),
			json_str(vm, "id", "?"), json_str(vm, "image", "?"));
	return 0;
}

int cmd_vm_list(struct cli *cli)
{
	static const char *const headers[] = {
		"NAME", "STATE", "IP", "VCPUS", "MEM", "IMAGE", "UPTIME", "BOOT-ID", "PORTS"};
	_cleanup_json_ json_t *res = NULL;
	struct table t;
	size_t i;
	json_t *vm;
	int r;

	r = cli_call(cli, RPC_METHOD_VM_LIST, NULL, CALL_TIMEOUT_MS, &res);
	if (r)
		return r;
	if (cli->json) {
		cli_print_json(res);
		return 0;
	}
	table_init(&t, ELEMENTSOF(headers), headers);
	json_array_foreach(json_object_get(res, "vms"), i, vm)
	{
		char vcpus[16], mem[32], up[32], boot[16];
		char ports[PUBLISH_MAX * (PUBLISH_TEXT_MAX + 2)];
		const char *state = json_str(vm, "state", "?");

		snprintf(vcpus, sizeof(vcpus), "%lld",
			(long long)json_integer_value(json_object_get(vm, "vcpus")));
		format_size((uint64_t)json_integer_value(json_object_get(vm, "memory_mib")) << 20,
			mem, sizeof(mem));
		vm_uptime(vm, up, sizeof(up));
		snprintf(boot, sizeof(boot), "%.8s", json_str(vm, "boot_id", "-"));
		vm_ports(vm, ports, sizeof(ports));
		if (vm_halted(vm))
			state = "halted";
		const char *cells[] = {json_str(vm, "name", "?"), state, json_str(vm, "ip", "-"),
			vcpus, mem, json_str(vm, "image", "?"), up, boot, ports};
		if (table_add_row(&t, cells, 1, color_for_state(state)) < 0) {
			table_done(&t);
			return cli_error("out of memory");
		}
	}
	if (t.n_rows == 0 && !cli->json)
		printf("No VMs. Create one with \"banger vm create NAME\".\n");
	else
		table_print(&t, cli->color);
	table_done(&t);
	return 0;
}

int cmd_vm_get(struct cli *cli)
{
	_cleanup_json_ json_t *vm = NULL;
	int r;

	r = cli_call(cli, RPC_METHOD_VM_GET, json_pack("{s:s}", "name", cli->args[0]),
		CALL_TIMEOUT_MS, &vm);
	if (r)
		return r;
	if (cli->json)
		cli_print_json(vm);
	else
		print_vm(cli, vm);
	return 0;
}

/* Runs method for every NAME, going on after failures; the exit code is the last failure's.
 * With progress (starts), each start's steps are shown live and the time summed up after. */
static int each_vm(
	struct cli *cli, enum rpc_method method, const char *done, json_t *extra, bool progress)
{
	int ret = 0;

	for (int i = 0; i < cli->n_args; i++) {
		_cleanup_json_ json_t *res = NULL;
		json_t *params = json_pack("{s:s}", "name", cli->args[i]);
		struct cli_progress prog = {};
		char summary[256] = "";
		int r;

		if (params && extra)
			json_object_update(params, extra);
		if (progress)
			cli_progress_begin(cli, cli->args[i], &prog);
		r = cli_call(cli, method, params, LIFECYCLE_TIMEOUT_MS, &res);
		cli_progress_end(&prog);
		if (r == CLI_EXIT_UNREACHABLE)
			return r;
		if (r) {
			ret = r;
			continue;
		}
		if (progress)
			cli_progress_summary(res, summary, sizeof(summary));
		if (cli->json)
			cli_print_json(res);
		else if (!progress || !cli_opt(cli, "quiet"))
			printf("%s VM %s%s\n", done, cli->args[i], summary);
	}
	return ret;
}

int cmd_vm_delete(struct cli *cli)
{
	_cleanup_json_ json_t *extra = NULL;

	if (cli_opt(cli, "force"))
		extra = json_pack("{s:b}", "force", 1);
	return each_vm(cli, RPC_METHOD_VM_DELETE, "Deleted", extra, false);
}

int cmd_vm_start(struct cli *cli)
{
	_cleanup_json_ json_t *extra = NULL;

	if (cli_opt(cli, "cold"))
		extra = json_pack("{s:b}", "cold", 1);
	return each_vm(cli, RPC_METHOD_VM_START, "Started", extra, true);
}

int cmd_vm_stop(struct cli *cli)
{
	_cleanup_json_ json_t *extra = NULL;

	if (cli_opt(cli, "force") && cli_opt(cli, "snapshot"))
		return cli_usage_error(cli, "--force and --snapshot exclude each other");
	if (cli_opt(cli, "force"))
		extra = json_pack("{s:b}", "force", 1);
	else if (cli_opt(cli, "snapshot"))
		extra = json_pack("{s:b}", "snapshot", 1);
	return each_vm(cli, RPC_METHOD_VM_STOP,
		cli_opt(cli, "force")      ? "Killed"
		: cli_opt(cli, "snapshot") ? "Suspended"
					   : "Stopped",
		extra, false);
}

int cmd_vm_restart(struct cli *cli)
{
	return each_vm(cli, RPC_METHOD_VM_RESTART, "Restarted", NULL, true);
}

int cmd_vm_pause(struct cli *cli)
{
	return each_vm(cli, RPC_METHOD_VM_PAUSE, "Paused", NULL, false);
}

int cmd_vm_resume(struct cli *cli)
{
	return each_vm(cli, RPC_METHOD_VM_RESUME, "Resumed", NULL, false);
}

static void print_log_lines(const json_t *lines)
{
	size_t i;
	json_t *l;

	json_array_foreach(lines, i, l) puts(json_string_value(l) ? json_string_value(l) : "");
}

/* The last --tail lines (default 100), then with -f the live vm.log events from the line number
 * vm.logs says comes next, so nothing is printed twice or skipped. */
int cmd_vm_logs(struct cli *cli)
{
	_cleanup_json_ json_t *params = NULL, *res = NULL, *sub = NULL;
	long tail = -1;
	json_int_t next;
	const char *id;
	int r;

	r = parse_int_opt(cli, "tail", 0, 100000, &tail);
	if (r)
		return r;
	params = json_pack("{s:s}", "name", cli->args[0]);
	if (params && tail >= 0)
		json_object_set_new(params, "tail", json_integer(tail));
	if (cli_opt(cli, "follow")) {
		/* subscribe first: lines logged between the two calls arrive as events */
		r = cli_call(
			cli, RPC_METHOD_EVENTS_SUBSCRIBE, json_object(), CALL_TIMEOUT_MS, &sub);
		if (r)
			return r;
	}
	r = cli_call(cli, RPC_METHOD_VM_LOGS, TAKE_PTR(params), CALL_TIMEOUT_MS, &res);
	if (r)
		return r;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (cli->json && !cli_opt(cli, "follow")) {
		cli_print_json(res);
		return 0;
	}
	print_log_lines(json_object_get(res, "lines"));
	if (!cli_opt(cli, "follow"))
		return 0;
	next = json_integer_value(json_object_get(res, "next_line"));
	id = json_str(res, "id", "");
	signal(SIGINT, SIG_DFL);
	for (;;) {
		struct rpc_message m = {};
		struct rpc_error err = {};
		json_t *p;

		r = rpc_client_read_notification(cli->client, -1, &m, &err);
		if (r < 0)
			return cli_error("lost the daemon while following: %s",
				err.message[0] ? err.message : strerror(-r));
		if (r == 0)
			continue;
		p = m.params;
		if (!streq(json_str(p, "id", ""), id)) {
			rpc_message_done(&m);
			continue;
		}
		if (streq(m.method, "vm.log")) {
			json_int_t first = json_integer_value(json_object_get(p, "first_line"));
			json_t *lines = json_object_get(p, "lines");
			for (size_t i = 0; i < json_array_size(lines); i++) {
				if (first + (json_int_t)i < next)
					continue; /* already printed from the tail */
				puts(json_string_value(json_array_get(lines, i)) ?: "");
				next = first + (json_int_t)i + 1;
			}
		} else if (streq(m.method, "vm.log_dropped"))
			fprintf(stderr,
				"banger: %lld console lines were dropped by the daemon (rate "
				"limit)\n",
				(long long)json_integer_value(json_object_get(p, "count")));
		else if (streq(m.method, "vm.deleted")) {
			rpc_message_done(&m);
			return cli_error("VM %s was deleted", cli->args[0]);
		}
		rpc_message_done(&m);
		if (ferror(stdout))
			return CLI_EXIT_ERROR;
	}
}

int cli_find_ssh_dir(char *dir, size_t size)
{
	struct banger_layout layout;
	struct install_meta meta;
	int r;

	r = layout_init(&layout, NULL);
	if (r >= 0 && install_meta_load(&layout, &meta, NULL, 0) < 0)
		r = install_meta_from_self(&meta);
	if (r >= 0)
		r = layout_ssh_dir(&layout, meta.owner_home, dir, size);
	if (r < 0)
		return cli_error("cannot find banger's SSH key directory: %s", strerror(-r));
	return 0;
}

/* The OpenSSH command line for a running VM at ip, as banger vm ssh runs it. */
static int ssh_command(const char *ip, char *const *cmd, struct sshcmd *ret)
{
	char dir[PATH_MAX];
	int r;

	r = cli_find_ssh_dir(dir, sizeof(dir));
	if (r)
		return r;
	r = sshcmd_build(ret, dir, ip, !isatty(STDIN_FILENO), 10, cmd);
	if (r < 0)
		return cli_error("cannot build the ssh command: %s", strerror(-r));
	return 0;
}

/* vm run --rm: a signal asks for the throwaway VM to go. The call in flight blocks (and retries
 * on EINTR), so the handler shuts the connection down, which ends it; the delete then goes on a
 * fresh connection. */
static volatile sig_atomic_t run_interrupted;
static volatile int run_fd = -1;

static void on_run_signal(int sig)
{
	run_interrupted = sig;
	if (run_fd >= 0)
		shutdown(run_fd, SHUT_RDWR);
}

static void run_signals(bool catch)
{
	struct sigaction sa = {.sa_handler = catch ? on_run_signal : SIG_DFL};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* Runs the ssh command line as a child with our stdin, stdout and stderr, ignoring SIGINT and
 * SIGQUIT meanwhile as system(3) does (the terminal sends them to ssh too). Returns the
 * command's exit status (ssh's own 255 for a connection failure, 128+N for a signal). */
static int run_ssh(const struct sshcmd *sc)
{
	struct sigaction ign = {.sa_handler = SIG_IGN}, old_int, old_quit;
	int status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	sigemptyset(&ign.sa_mask);
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	pid = fork();
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		execvp("ssh", (char *const *)sc->argv);
		fprintf(stderr, "banger: cannot run ssh: %s\n", strerror(errno));
		_exit(127);
	}
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	if (pid < 0)
		return cli_error("cannot run ssh: %s", strerror(errno));
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Deletes the throwaway VM on a fresh connection (the old one may be shut down or busy with a
 * start that is still going: the delete stops it first). */
static int run_rm(struct cli *cli, const char *name, FILE *out)
{
	int r;

	run_fd = -1;
	if (cli->client) {
		rpc_client_free(cli->client);
		cli->client = NULL;
	}
	r = cli_call(cli, RPC_METHOD_VM_DELETE, json_pack("{s:s, s:b}", "name", name, "force", 1),
		LIFECYCLE_TIMEOUT_MS, NULL);
	if (r == 0 && !cli_opt(cli, "quiet"))
		fprintf(out, "Deleted VM %s\n", name);
	return r;
}

/* Create when needed, then start and wait until SSH answers (vm.start answers at "running").
 * Running it again on a running VM is not an error: the VM is there, which is what was asked.
 * With CMD, runs it over SSH and exits with its status; with --rm, the VM is a throwaway: it must
 * not exist yet, and is deleted at the end whatever happened, Ctrl-C included. banger's own lines
 * go to stderr when CMD runs, so stdout is CMD's. */
int cmd_vm_run(struct cli *cli)
{
	_cleanup_json_ json_t *params = NULL, *vm = NULL, *res = NULL;
	const char *name = cli->args[0];
	bool rm = cli_opt(cli, "rm"), quiet = cli_opt(cli, "quiet");
	FILE *out = rm || cli->n_rest > 0 ? stderr : stdout;
	struct rpc_error err = {};
	struct cli_progress prog;
	struct sshcmd sc;
	const char *ip;
	char summary[256];
	int r, status = 0;

	/* checked before anything is asked, as vm create checks them */
	r = create_params(cli, name, &params);
	if (r)
		return r;
	r = cli_connect(cli);
	if (r)
		return r;
	r = rpc_client_call(cli->client, rpc_method_to_string(RPC_METHOD_VM_GET),
		json_pack("{s:s}", "name", name), CALL_TIMEOUT_MS, &vm, &err);
	if (r == -EREMOTEIO && err.code == RPC_ERROR_NOT_FOUND) {
		r = cli_call(cli, RPC_METHOD_VM_CREATE, TAKE_PTR(params), CALL_TIMEOUT_MS, &vm);
		if (r)
			return r;
		if (!cli->json && !quiet)
			fprintf(out, "Created VM %s (id %s)\n", json_str(vm, "name", "?"),
				json_str(vm, "id", "?"));
	} else if (r < 0)
		return cli_call(cli, RPC_METHOD_VM_GET, json_pack("{s:s}", "name", name),
			CALL_TIMEOUT_MS, NULL); /* reports the error the usual way */
	else if (rm)
		return cli_error("VM %s already exists: --rm runs a VM of its own and deletes it "
				 "afterwards; choose a name no VM has",
			name);
	else {
		/* run again on a VM that exists: fine, but what only a creation takes is not
		 * applied, and is not dropped in silence */
		if (cli_opt(cli, "vcpus") || cli_opt(cli, "memory") || cli_opt(cli, "disk") ||
			cli_opt(cli, "publish"))
			fprintf(stderr,
				"banger: note: VM %s exists already: --vcpus, --memory, --disk and "
				"--publish apply only to a VM that vm run creates (its ports: "
				"banger "
				"vm set %s --publish ...)\n",
				name, name);
		if (streq(json_str(vm, "state", ""), "running")) {
			if (cli->n_rest == 0) {
				if (cli->json)
					cli_print_json(vm);
				else if (!quiet)
					printf("VM %s is already running (%s)\n", name,
						json_str(vm, "ip", "-"));
				return 0;
			}
			res = json_incref(vm);
		}
	}
	if (rm) {
		run_fd = rpc_client_fd(cli->client);
		run_signals(true);
	}
	if (!res) {
		if (!cli->json && !quiet)
			fprintf(out, "Starting VM %s (waiting until SSH answers)...\n", name);
		cli_progress_begin(cli, name, &prog);
		r = rpc_client_call(cli->client, rpc_method_to_string(RPC_METHOD_VM_START),
			json_pack("{s:s}", "name", name), LIFECYCLE_TIMEOUT_MS, &res, &err);
		cli_progress_end(&prog);
		/* the daemon's error as cli_call() reports it, unless a signal cut the call short
		 */
		if (r == -EREMOTEIO && !run_interrupted) {
			fprintf(stderr, "banger: %s\n", err.message);
			r = cli_exit_for_error(&err);
		} else if (r < 0 && !run_interrupted)
			r = cli_error(
				"vm.start failed: %s", err.message[0] ? err.message : strerror(-r));
		if (r || run_interrupted) {
			if (rm) {
				if (run_interrupted)
					fprintf(stderr, "banger: interrupted: deleting VM %s\n",
						name);
				run_rm(cli, name, out);
				run_signals(false);
			}
			return run_interrupted ? 128 + run_interrupted : r;
		}
		cli_progress_summary(res, summary, sizeof(summary));
		if (cli->json && cli->n_rest == 0)
			cli_print_json(res);
		else if (!quiet)
			fprintf(out, "VM %s is running at %s (boot id %s), started%s\n", name,
				json_str(res, "ip", "-"), json_str(res, "boot_id", "-"), summary);
	}
	if (cli->n_rest > 0 || rm) {
		/* CMD, or a shell in a throwaway VM */
		ip = json_str(res, "ip", NULL);
		r = ip ? ssh_command(ip, cli->n_rest > 0 ? cli->rest : NULL, &sc)
		       : cli_error("VM %s has no IP address", name);
		status = r ? r : run_ssh(&sc);
	}
	if (rm) {
		if (run_interrupted)
			fprintf(stderr, "banger: interrupted: deleting VM %s\n", name);
		r = run_rm(cli, name, out);
		run_signals(false);
		if (r && status == 0)
			status = r; /* the command went well, but the VM is left behind */
	}
	return status;
}

/* execs the OpenSSH client with the owner's key and the daemon-managed known_hosts
 * (StrictHostKeyChecking=yes): its exit status is the remote command's. */
int cmd_vm_ssh(struct cli *cli)
{
	_cleanup_json_ json_t *vm = NULL;
	struct sshcmd sc;
	const char *ip;
	int r;

	r = cli_call(cli, RPC_METHOD_VM_GET, json_pack("{s:s}", "name", cli->args[0]),
		CALL_TIMEOUT_MS, &vm);
	if (r)
		return r;
	ip = json_str(vm, "ip", NULL);
	if (streq(json_str(vm, "state", ""), "paused"))
		return cli_error("VM %s is paused: it cannot answer; resume it with \"banger vm "
				 "resume %s\"",
			cli->args[0], cli->args[0]);
	if (!streq(json_str(vm, "state", ""), "running") || !ip)
		return cli_error("VM %s is %s, not running; start it with \"banger vm start %s\"",
			cli->args[0], json_str(vm, "state", "?"), cli->args[0]);
	r = ssh_command(ip, cli->n_rest > 0 ? cli->rest : NULL, &sc);
	if (r)
		return r;
	fflush(stdout);
	execvp("ssh", (char *const *)sc.argv);
	return cli_error("cannot run ssh: %s", strerror(errno));
}

/* Prints the Host blocks bangerd keeps in ~/.config/banger/ssh/config, from the same records
 * and the same formatter (common/sshconfig.h), so what it shows is what ssh reads. */
int cmd_vm_ssh_config(struct cli *cli)
{
	_cleanup_json_ json_t *res = NULL;
	char dir[PATH_MAX];
	struct sshconfig c;
	json_t *vms, *one = NULL, *vm;
	size_t i;
	int r;

	r = cli_find_ssh_dir(dir, sizeof(dir));
	if (r)
		return r;
	if (cli->n_args > 0) {
		r = cli_call(cli, RPC_METHOD_VM_GET, json_pack("{s:s}", "name", cli->args[0]),
			CALL_TIMEOUT_MS, &res);
		if (r)
			return r;
		if (!json_str(res, "ip", NULL))
			return cli_error(
				"VM %s has no address yet: it gets one when it first starts",
				cli->args[0]);
		vms = one = json_pack("[O]", res);
	} else {
		r = cli_call(cli, RPC_METHOD_VM_LIST, NULL, CALL_TIMEOUT_MS, &res);
		if (r)
			return r;
		vms = json_object_get(res, "vms");
	}
	r = sshconfig_begin(&c);
	json_array_foreach(vms, i, vm)
	{
		const char *ip = json_str(vm, "ip", NULL);
		if (r < 0)
			break;
		if (ip)
			r = sshconfig_add_host(&c, dir, json_str(vm, "name", ""), ip);
	}
	json_decref(one);
	if (r < 0) {
		sshconfig_free(&c);
		return cli_error("cannot write the SSH config: %s", strerror(-r));
	}
	fputs(c.buf, stdout);
	sshconfig_free(&c);
	return ferror(stdout) ? CLI_EXIT_ERROR : 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* banger-vmm: Firecracker's command line and API, running the guest on QEMU microvm. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "common/macro.h"
#include "vmm/vmm-api.h"
#include "vmm/vmm-config.h"
#include "vmm/vmm-log.h"
#include "vmm/vmm-qemu.h"
#include "vmm/vmm.h"

static const char usage[] =
	"Usage: banger-vmm [OPTIONS]\n"
	"\n"
	"A Firecracker-compatible VMM: serves the Firecracker API and runs the guest on QEMU's\n"
	"microvm machine. Options take their value as the next word, as Firecracker's do.\n"
	"\n"
	"Firecracker options:\n"
	"  --api-sock PATH          API socket (default /run/firecracker.socket)\n"
	"  --id ID                  instance id (default anonymous-instance)\n"
	"  --config-file FILE       configure from a JSON file and boot\n"
	"  --no-api                 no API socket (needs --config-file)\n"
	"  --log-path PATH          log file or FIFO (default: stdout)\n"
	"  --level LEVEL            Off, Trace, Debug, Info (default), Warning, Error\n"
	"  --module PREFIX, --show-level, --show-log-origin   log line options\n"
	"  --metrics-path PATH      metrics file or FIFO\n"
	"  --boot-timer             accepted; banger-vmm has no boot-timer device\n"
	"  --start-time-us N, --start-time-cpu-us N, --parent-cpu-time-us N   set by the jailer\n"
	"  --http-api-max-payload-size N   largest request body (default 51200)\n"
	"  --no-seccomp, --seccomp-filter FILE   accepted; banger-vmm installs no seccomp filter\n"
	"  --version                print the version\n"
	"  -h --help                show this help\n"
	"\n"
	"banger-vmm options:\n"
	"  --no-boot                do everything but start QEMU (control-plane benchmarks)\n"
	"  --accel auto|kvm|tcg     acceleration (default auto: KVM only if a probe guest runs;\n"
	"                           BANGER_VMM_ACCEL sets the default)\n"
	"  --qemu PATH              QEMU binary (default /usr/bin/qemu-system-x86_64)\n"
	"  --print-jail-deps        list what the VMM needs inside a jail, then exit\n"
	"\n"
	"Like Firecracker, the kernel command line gets root=/dev/vda (or root=PARTUUID=) and\n"
	"ro/rw for the root drive; under TCG banger-vmm also appends tsc_early_khz=<host TSC\n"
	"rate>, as the guest cannot calibrate its TSC against an emulated PIT on a busy host.\n";

enum opt_id {
	OPT_API_SOCK,
	OPT_ID,
	OPT_CONFIG_FILE,
	OPT_NO_API,
	OPT_LOG_PATH,
	OPT_LEVEL,
	OPT_MODULE,
	OPT_SHOW_LEVEL,
	OPT_SHOW_LOG_ORIGIN,
	OPT_METRICS_PATH,
	OPT_BOOT_TIMER,
	OPT_START_TIME_US,
	OPT_START_TIME_CPU_US,
	OPT_PARENT_CPU_TIME_US,
	OPT_MAX_PAYLOAD,
	OPT_MMDS_SIZE_LIMIT,
	OPT_METADATA,
	OPT_SECCOMP_FILTER,
	OPT_NO_SECCOMP,
	OPT_ENABLE_PCI,
	OPT_VERSION,
	OPT_HELP,
	OPT_NO_BOOT,
	OPT_ACCEL,
	OPT_QEMU,
	OPT_PRINT_JAIL_DEPS,
	_OPT_MAX,
};

static const struct {
	const char *name;
	bool takes_value;
} opt_table[_OPT_MAX] = {
	[OPT_API_SOCK] = {"api-sock", true},
	[OPT_ID] = {"id", true},
	[OPT_CONFIG_FILE] = {"config-file", true},
	[OPT_NO_API] = {"no-api", false},
	[OPT_LOG_PATH] = {"log-path", true},
	[OPT_LEVEL] = {"level", true},
	[OPT_MODULE] = {"module", true},
	[OPT_SHOW_LEVEL] = {"show-level", false},
	[OPT_SHOW_LOG_ORIGIN] = {"show-log-origin", false},
	[OPT_METRICS_PATH] = {"metrics-path", true},
	[OPT_BOOT_TIMER] = {"boot-timer", false},
	[OPT_START_TIME_US] = {"start-time-us", true},
	[OPT_START_TIME_CPU_US] = {"start-time-cpu-us", true},
	[OPT_PARENT_CPU_TIME_US] = {"parent-cpu-time-us", true},
	[OPT_MAX_PAYLOAD] = {"http-api-max-payload-size", true},
	[OPT_MMDS_SIZE_LIMIT] = {"mmds-size-limit", true},
	[OPT_METADATA] = {"metadata", true},
	[OPT_SECCOMP_FILTER] = {"seccomp-filter", true},
	[OPT_NO_SECCOMP] = {"no-seccomp", false},
	[OPT_ENABLE_PCI] = {"enable-pci", false},
	[OPT_VERSION] = {"version", false},
	[OPT_HELP] = {"help", false},
	[OPT_NO_BOOT] = {"no-boot", false},
	[OPT_ACCEL] = {"accel", true},
	[OPT_QEMU] = {"qemu", true},
	[OPT_PRINT_JAIL_DEPS] = {"print-jail-deps", false},
};

struct args {
	bool seen[_OPT_MAX];
	const char *value[_OPT_MAX];
};

/* Firecracker's arg_parser rules: "--name value" as two words, no "--name=value", a value may
 * not start with "--", no option twice. */
static int args_parse(int argc, char **argv, struct args *a)
{
	for (int i = 1; i < argc; i++) {
		const char *w = argv[i];
		int id = -1;

		if (streq(w, "-h"))
			w = "--help";
		if (!strneq(w, "--", 2)) {
			fprintf(stderr,
				"Arguments parsing error: Found argument '%s' which wasn't "
				"expected, or isn't valid in this context.\n",
				w);
			return -EINVAL;
		}
		for (int k = 0; k < _OPT_MAX; k++)
			if (streq(opt_table[k].name, w + 2))
				id = k;
		if (id < 0) {
			fprintf(stderr,
				"Arguments parsing error: Found argument '%s' which wasn't "
				"expected, or isn't valid in this context.\n",
				w);
			return -EINVAL;
		}
		if (a->seen[id]) {
			fprintf(stderr,
				"Arguments parsing error: The argument '%s' was provided more "
				"than once.\n",
				w);
			return -EINVAL;
		}
		a->seen[id] = true;
		if (!opt_table[id].takes_value)
			continue;
		if (i + 1 >= argc || strneq(argv[i + 1], "--", 2)) {
			fprintf(stderr,
				"Arguments parsing error: The argument '%s' requires a value, "
				"but none was supplied.\n",
				w);
			return -EINVAL;
		}
		a->value[id] = argv[++i];
	}
	return 0;
}

static int parse_u64(const char *opt, const char *s, uint64_t *ret)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-') {
		fprintf(stderr, "Arguments parsing error: --%s: '%s' is not an unsigned integer.\n",
			opt, s);
		return -EINVAL;
	}
	*ret = x;
	return 0;
}

static uint64_t clock_us(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void print_version(void)
{
	/* Firecracker parsers read "Firecracker vX.Y.Z" from the first line; the second says what
	 * this really is. */
	printf("Firecracker v%s\nbanger-vmm %s (Firecracker API %s on QEMU microvm)\n\n",
		VMM_FIRECRACKER_VERSION, PACKAGE_VERSION, VMM_FIRECRACKER_VERSION);
}

static int apply_args(struct vmm *v, const struct args *a)
{
	uint64_t n;
	int r;

	if (a->value[OPT_ID]) {
		if (!vmm_instance_id_valid(a->value[OPT_ID])) {
			fprintf(stderr, "Invalid instance ID: %s\n", a->value[OPT_ID]);
			return -EINVAL;
		}
		free(v->id);
		v->id = strdup(a->value[OPT_ID]);
		if (!v->id)
			return -ENOMEM;
	}
	vmm_log_set_id(v->id);
	if (a->seen[OPT_METADATA] || a->seen[OPT_ENABLE_PCI]) {
		fprintf(stderr, "Arguments parsing error: --%s is not supported by banger-vmm.\n",
			a->seen[OPT_METADATA] ? "metadata" : "enable-pci");
		return -EINVAL;
	}
	if (a->seen[OPT_NO_API] && !a->seen[OPT_CONFIG_FILE]) {
		fprintf(stderr, "Arguments parsing error: --no-api requires --config-file.\n");
		return -EINVAL;
	}
	static const struct {
		enum opt_id opt;
		size_t offset;
	} times[] = {
		{OPT_START_TIME_US, offsetof(struct vmm, start_time_us)},
		{OPT_START_TIME_CPU_US, offsetof(struct vmm, start_time_cpu_us)},
		{OPT_PARENT_CPU_TIME_US, offsetof(struct vmm, parent_cpu_time_us)},
	};
	for (size_t i = 0; i < ELEMENTSOF(times); i++)
		if (a->value[times[i].opt]) {
			r = parse_u64(opt_table[times[i].opt].name, a->value[times[i].opt], &n);
			if (r < 0)
				return r;
			*(uint64_t *)((char *)v + times[i].offset) = n;
		}
	if (a->value[OPT_MAX_PAYLOAD]) {
		r = parse_u64("http-api-max-payload-size", a->value[OPT_MAX_PAYLOAD], &n);
		if (r < 0)
			return r;
		v->max_payload = (size_t)n;
	}
	if (a->value[OPT_MMDS_SIZE_LIMIT]) {
		r = parse_u64("mmds-size-limit", a->value[OPT_MMDS_SIZE_LIMIT], &n);
		if (r < 0)
			return r;
	}
	v->no_boot = a->seen[OPT_NO_BOOT];
	{
		const char *accel = a->value[OPT_ACCEL] ?: getenv("BANGER_VMM_ACCEL");

		if (accel) {
			v->accel = vmm_accel_from_string(accel);
			if (v->accel == _VMM_ACCEL_INVALID) {
				fprintf(stderr,
					"Arguments parsing error: --accel must be auto, kvm or "
					"tcg, not '%s'.\n",
					accel);
				return -EINVAL;
			}
		}
	}
	if (a->value[OPT_QEMU]) {
		free(v->qemu_binary);
		v->qemu_binary = strdup(a->value[OPT_QEMU]);
		if (!v->qemu_binary)
			return -ENOMEM;
	}
	if (!a->seen[OPT_NO_API]) {
		v->api_sock = strdup(a->value[OPT_API_SOCK] ?: "/run/firecracker.socket");
		if (!v->api_sock)
			return -ENOMEM;
	}
	return 0;
}

static int configure_logging(struct vmm *v, const struct args *a)
{
	int r;

	if (a->value[OPT_LEVEL] && vmm_log_level_from_string(a->value[OPT_LEVEL]) == -EINVAL) {
		fprintf(stderr, "Invalid value for --level: %s\n", a->value[OPT_LEVEL]);
		return -EINVAL;
	}
	r = vmm_log_configure(a->value[OPT_LOG_PATH], a->value[OPT_LEVEL], a->seen[OPT_SHOW_LEVEL],
		a->seen[OPT_SHOW_LOG_ORIGIN]);
	if (r < 0) {
		fprintf(stderr, "Failed to open the log target %s: %s\n", a->value[OPT_LOG_PATH],
			strerror(-r));
		return r;
	}
	if (a->value[OPT_METRICS_PATH]) {
		json_t *m = json_pack("{s:s}", "metrics_path", a->value[OPT_METRICS_PATH]);
		struct vmm_fault f;

		if (!m)
			return -ENOMEM;
		r = vmm_config_put_metrics(v, NULL, m, &f);
		json_decref(m);
		if (r < 0) {
			fprintf(stderr, "%s\n", f.message);
			return r;
		}
	}
	return 0;
}

/* Serves the API and watches QEMU until the guest stops or a signal arrives. */
static int run_loop(struct vmm *v, struct MHD_Daemon *api, int sigfd)
{
	int exit_polls = 0;

	for (;;) {
		struct pollfd p[5];
		size_t n = 0;
		int timeout = -1;

		/* A request that ends the process (a failed snapshot load) is answered first:
		 * a few more short rounds let its reply leave. */
		if (v->exit_requested && exit_polls++ >= 5)
			return v->exit_code;

		p[n++] = (struct pollfd){.fd = sigfd, .events = POLLIN};
		if (api) {
			p[n++] = (struct pollfd){.fd = vmm_api_fd(api), .events = POLLIN};
			timeout = vmm_api_timeout_ms(api);
		}
		p[n++] = (struct pollfd){.fd = v->qemu.pidfd, .events = POLLIN};
		p[n++] = (struct pollfd){.fd = v->qemu.qmp_fd, .events = POLLIN};
		p[n++] = (struct pollfd){.fd = v->qemu.stderr_fd, .events = POLLIN};
		if (v->exit_requested)
			timeout = 20;
		if (poll(p, n, timeout) < 0 && errno != EINTR)
			return vmm_log_error_errno(-errno, "poll: %m");

		if (p[0].revents) {
			struct signalfd_siginfo si;

			if (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
				vmm_log_info("Received signal %u, stopping.", si.ssi_signo);
				vmm_qemu_kill(v, 2000);
				return -(int)si.ssi_signo - 1000;
			}
		}
		if (api)
			vmm_api_run(api);
		if (v->qemu.qmp_fd >= 0 || v->qemu.stderr_fd >= 0)
			vmm_qemu_drain(v);
		if (v->qemu.pidfd >= 0 && p[n - 3].fd >= 0 && p[n - 3].revents)
			return vmm_qemu_reap(v);
	}
}

int main(int argc, char **argv)
{
	_cleanup_(vmm_freep) struct vmm *v = NULL;
	struct MHD_Daemon *api = NULL;
	struct args a = {};
	sigset_t mask;
	int r, sigfd, listen_fd = -1, exit_code;
	uint64_t start_us = clock_us(CLOCK_MONOTONIC),
		 start_cpu_us = clock_us(CLOCK_PROCESS_CPUTIME_ID);

	if (args_parse(argc, argv, &a) < 0)
		return VMM_EXIT_ARG_PARSING;
	if (a.seen[OPT_HELP]) {
		fputs(usage, stdout);
		return VMM_EXIT_OK;
	}
	if (a.seen[OPT_VERSION]) {
		print_version();
		return VMM_EXIT_OK;
	}
	if (vmm_new(&v) < 0)
		return VMM_EXIT_UNEXPECTED;
	v->start_time_us = start_us;
	v->start_time_cpu_us = start_cpu_us;
	/* the start of the TSC measurement InstanceStart finishes (TCG only, when it boots) */
	vmm_qemu_tsc_sample(&v->tsc_mark);
	r = apply_args(v, &a);
	if (r < 0)
		return r == -ENOMEM ? VMM_EXIT_UNEXPECTED : VMM_EXIT_ARG_PARSING;
	if (a.seen[OPT_PRINT_JAIL_DEPS]) {
		vmm_qemu_print_jail_deps(v);
		return VMM_EXIT_OK;
	}
	if (configure_logging(v, &a) < 0)
		return VMM_EXIT_BAD_CONFIGURATION;
	vmm_log_info("Running Firecracker v%s (banger-vmm %s)", VMM_FIRECRACKER_VERSION,
		PACKAGE_VERSION);
	if (a.seen[OPT_SECCOMP_FILTER])
		vmm_log_warning("--seccomp-filter ignored: banger-vmm installs no seccomp filter.");
	if (a.seen[OPT_BOOT_TIMER])
		vmm_log_warning("--boot-timer accepted; banger-vmm has no boot-timer device.");

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sigfd < 0)
		return vmm_log_error_errno(-errno, "signalfd: %m"), VMM_EXIT_UNEXPECTED;

	if (a.value[OPT_CONFIG_FILE]) {
		struct vmm_fault f = {};

		r = vmm_config_load_file(v, a.value[OPT_CONFIG_FILE], &f);
		if (r < 0) {
			vmm_log_error(
				"Configuration for VMM from one single json failed: %s", f.message);
			return VMM_EXIT_BAD_CONFIGURATION;
		}
		if (!v->no_boot) {
			if (!v->boot_source) {
				vmm_log_error("Cannot start microvm without kernel configuration.");
				return VMM_EXIT_BAD_CONFIGURATION;
			}
			r = vmm_qemu_start(v, &f);
			if (r < 0) {
				vmm_log_error("%s", f.message);
				return VMM_EXIT_BAD_CONFIGURATION;
			}
		}
		v->state = VMM_RUNNING;
	}

	if (v->api_sock) {
		r = vmm_api_listen(v->api_sock, &listen_fd);
		if (r < 0) {
			vmm_log_error_errno(r,
				"Failed to open the API socket at: %s. Check that it is "
				"not already used. (%m)",
				v->api_sock);
			vmm_qemu_kill(v, 2000);
			return VMM_EXIT_GENERIC;
		}
		r = vmm_api_start(v, listen_fd, &api);
		if (r < 0) {
			vmm_log_error("Failed to start the API server.");
			unlink(v->api_sock);
			vmm_qemu_kill(v, 2000);
			return VMM_EXIT_GENERIC;
		}
		vmm_log_info("API server started.");
	}

	r = run_loop(v, api, sigfd);
	vmm_api_stop(api);
	if (v->api_sock)
		unlink(v->api_sock);
	close(sigfd);
	if (r <= -1000) {
		/* Die of the signal, as Firecracker (which does not handle it) would. */
		int sig = -r - 1000;

		vmm_free(TAKE_PTR(v));
		signal(sig, SIG_DFL);
		sigprocmask(SIG_UNBLOCK, &mask, NULL);
		raise(sig);
		return VMM_EXIT_GENERIC;
	}
	exit_code = r < 0 ? VMM_EXIT_GENERIC : r;
	if (exit_code == VMM_EXIT_OK)
		vmm_log_info("Firecracker exiting successfully. exit_code=0");
	else
		vmm_log_error("Firecracker exiting with error. exit_code=%d", exit_code);
	return exit_code;
}

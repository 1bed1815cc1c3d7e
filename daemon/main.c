/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bangerd: the banger daemon, run as the owner user. Start-up order, signals and shutdown. */
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "common/install.h"
#include "common/log.h"
#include "common/reexec.h"
#include "common/macro.h"
#include "common/version.h"
#include "daemon/conn-limit.h"
#include "daemon/daemon.h"
#include "daemon/helper-probe.h"
#include "daemon/lifecycle.h"
#include "daemon/import.h"
#include "daemon/reconcile.h"
#include "daemon/rpc-vm.h"
#include "daemon/rpc-update.h"
#include "daemon/save-retry.h"
#include "daemon/server.h"
#include "daemon/space-watch.h"
#include "daemon/ssh-config.h"
#include "daemon/publish.h"
#include "daemon/dns.h"

static const char usage[] =
	"Usage: bangerd [OPTIONS]\n"
	"\n"
	"The banger daemon: keeps VM and image records and serves bangerd.sock.\n"
	"Runs as the owner user, in the foreground (systemd Type=notify).\n"
	"\n"
	"  -h --help               Show this help\n"
	"     --version            Show the version\n"
	"     --foreground         Stay in the foreground (always the case; for scripts)\n"
	"  -v --verbose            Log debug messages too\n"
	"     --allow-root         Run even as root (tests only; production never does)\n"
	"     --heartbeat SEC      Seconds between daemon.heartbeat events (default 5)\n"
	"     --event-queue N      Events queued per subscriber before it lags (default 4096)\n"
	"\n"
	"Paths follow $BANGER_ROOT (default /): the socket is <root>/run/banger/bangerd.sock.\n";

struct options {
	bool verbose, allow_root;
	unsigned heartbeat_sec;
	size_t event_queue;
};

static int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* 1: answered (--help/--version), 0: run, <0: usage error. */
static int parse_args(int argc, char **argv, struct options *o)
{
	enum { ARG_VERSION = 0x100, ARG_FOREGROUND, ARG_ALLOW_ROOT, ARG_HEARTBEAT, ARG_QUEUE };
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, ARG_VERSION},
		{"foreground", no_argument, NULL, ARG_FOREGROUND},
		{"verbose", no_argument, NULL, 'v'},
		{"allow-root", no_argument, NULL, ARG_ALLOW_ROOT},
		{"heartbeat", required_argument, NULL, ARG_HEARTBEAT},
		{"event-queue", required_argument, NULL, ARG_QUEUE},
		{},
	};
	unsigned long v;
	int c;

	while ((c = getopt_long(argc, argv, "hv", longopts, NULL)) >= 0)
		switch (c) {
		case 'h':
			fputs(usage, stdout);
			return 1;
		case ARG_VERSION:
			version_print("bangerd");
			return 1;
		case ARG_FOREGROUND:
			break;
		case 'v':
			o->verbose = true;
			break;
		case ARG_ALLOW_ROOT:
			o->allow_root = true;
			break;
		case ARG_HEARTBEAT:
			if (parse_uint(optarg, 1, 3600, &v) < 0) {
				fprintf(stderr, "bangerd: --heartbeat wants 1-3600 seconds\n");
				return -EINVAL;
			}
			o->heartbeat_sec = (unsigned)v;
			break;
		case ARG_QUEUE:
			if (parse_uint(optarg, 1, 1u << 20, &v) < 0) {
				fprintf(stderr, "bangerd: --event-queue wants 1-1048576\n");
				return -EINVAL;
			}
			o->event_queue = v;
			break;
		default:
			fputs(usage, stderr);
			return -EINVAL;
		}
	if (optind < argc) {
		fprintf(stderr, "bangerd: unexpected argument \"%s\"\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

static uint64_t now_usec(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int on_heartbeat(sd_event_source *src, uint64_t usec, void *userdata)
{
	struct daemon *d = userdata;
	_cleanup_(event_unrefp) struct event *e = NULL;
	char now[32];
	int r;

	rfc3339_now(now, sizeof(now));
	r = event_new_unnumbered("daemon.heartbeat",
		json_pack("{s:I, s:s}", "seq", (json_int_t)d->bus.seq, "time", now), &e);
	if (r >= 0)
		server_heartbeat(d->server, e);
	(void)sd_notifyf(0, "STATUS=Serving %zu VMs, %zu images to %zu clients", d->store.n_vms,
		d->store.n_images, server_n_clients(d->server));
	(void)sd_event_source_set_time_relative(src, (uint64_t)d->heartbeat_sec * 1000000);
	/* a vm.list or snapshot of many records leaves megabytes of freed heap behind; hand it
	 * back rather than keep the peak resident for the daemon's lifetime */
	malloc_trim(0);
	return 0;
}

/* SIGHUP: re-execute in place (an update replaced the program; without systemd this is how the
 * new one takes over: same pid, same listening socket, VMs re-adopted as after any restart). */
static int reexec_fd = -1;
static bool reexec_wanted;

static int on_signal(sd_event_source *src, const struct signalfd_siginfo *si, void *userdata)
{
	struct daemon *d = userdata;

	if (si->ssi_signo == SIGHUP) {
		log_info("Received SIGHUP, re-executing in place");
		reexec_wanted = true;
		(void)sd_notify(0, "RELOADING=1\nSTATUS=Re-executing");
		return sd_event_exit(d->event, 0);
	}
	log_info("Received signal %u, stopping", si->ssi_signo);
	(void)sd_notify(0, "STOPPING=1\nSTATUS=Stopping");
	return sd_event_exit(d->event, 0);
}

static void load_owner(struct daemon *d)
{
	char why[256] = "";
	int r;

	r = install_meta_load(&d->layout, &d->owner, why, sizeof(why));
	if (r >= 0) {
		d->owner_from_install = true;
		if (d->owner.owner_uid != getuid() && getuid() != 0)
			log_warning(
				"install.json names uid %u as the owner, but bangerd runs as uid "
				"%u",
				(unsigned)d->owner.owner_uid, (unsigned)getuid());
		return;
	}
	if (r != -ENOENT)
		log_warning("Ignoring %s: %s", d->layout.install_json, why[0] ? why : strerror(-r));
	r = install_meta_from_self(&d->owner);
	if (r < 0)
		log_warning_errno(r, "Cannot tell who the owner is: %m");
}

/* The listening socket: the one systemd passed, else our own at the layout's path. */
static int take_socket(struct daemon *d, bool *ret_ours, int *ret_fd)
{
	int n = sd_listen_fds(1), r, fd;

	if (n < 0)
		return log_error_errno(n, "Failed to read passed sockets: %m");
	if (n > 1)
		return log_error_errno(-EINVAL, "Expected one passed socket, got %d", n);
	if (n == 1) {
		fd = SD_LISTEN_FDS_START;
		if (sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) <= 0)
			return log_error_errno(-EINVAL, "The passed socket is not a listening unix "
							"stream socket");
		if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
			return log_error_errno(negative_errno(), "Failed to make the socket "
								 "non-blocking: %m");
		log_info("Using the passed listening socket (systemd's, or our own across a "
			 "re-exec)");
		*ret_ours = false;
		*ret_fd = fd;
		return 0;
	}
	r = server_listen(d->layout.daemon_sock, &fd);
	if (r == -EADDRINUSE)
		return log_error_errno(
			r, "Another bangerd already answers on %s", d->layout.daemon_sock);
	if (r < 0)
		return log_error_errno(r, "Failed to listen on %s: %m", d->layout.daemon_sock);
	*ret_ours = true;
	*ret_fd = fd;
	return 0;
}

static int run(struct daemon *d, const struct options *o)
{
	sigset_t mask;
	bool ours = false;
	int r, fd = -1;

	r = layout_init(&d->layout, NULL);
	if (r < 0)
		return log_error_errno(r, "Invalid $%s: %m", BANGER_ROOT_ENV);
	load_owner(d);

	/* Clients, VMs and the helper all take descriptors; 1024 runs out first. */
	r = conn_limit_raise_nofile();
	if (r < 0)
		log_warning_errno(r, "Failed to raise the descriptor limit: %m");

	r = sd_event_default(&d->event);
	if (r < 0)
		return log_error_errno(r, "Failed to create the event loop: %m");
	/* WATCHDOG=1 from the loop itself when the unit sets WatchdogSec=: a hung loop is restarted
	 * by systemd, and with KillMode=process the VMs keep running through it. */
	r = sd_event_set_watchdog(d->event, true);
	if (r < 0)
		return log_error_errno(r, "Failed to set up the watchdog: %m");
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	r = sd_event_add_signal(d->event, NULL, SIGTERM, on_signal, d);
	if (r >= 0)
		r = sd_event_add_signal(d->event, NULL, SIGINT, on_signal, d);
	if (r >= 0)
		r = sd_event_add_signal(d->event, NULL, SIGHUP, on_signal, d);
	if (r < 0)
		return log_error_errno(r, "Failed to watch signals: %m");

	r = take_socket(d, &ours, &fd);
	if (r < 0)
		return r;

	store_init(&d->store, &d->layout);
	r = store_load(&d->store);
	if (r < 0) {
		if (ours)
			unlink(d->layout.daemon_sock);
		safe_close(fd);
		return log_error_errno(
			r, "Failed to load the state in %s: %m", d->layout.state_dir);
	}
	log_info("Loaded %zu VMs and %zu images from %s", d->store.n_vms, d->store.n_images,
		d->layout.state_dir);

	r = config_load(&d->config, d->layout.config);
	if (r < 0)
		log_warning_errno(r, "Failed to read %s: %m; using the defaults", d->layout.config);

	/* Numbering from the wall clock: seqs from an earlier run are always below this run's, so
	 * a client's stale since_seq gets a snapshot rather than a wrong replay. */
	r = event_bus_init(&d->bus, EVENT_BACKLOG_DEFAULT, now_usec(CLOCK_REALTIME));
	if (r >= 0)
		r = server_new(d, fd, &d->server);
	if (r < 0) {
		safe_close(fd);
		return log_error_errno(r, "Failed to set up the server: %m");
	}
	r = sd_event_add_time_relative(d->event, &d->heartbeat, CLOCK_MONOTONIC,
		(uint64_t)d->heartbeat_sec * 1000000, 0, on_heartbeat, d);
	if (r >= 0)
		r = sd_event_source_set_enabled(d->heartbeat, SD_EVENT_ON);
	if (r < 0)
		return log_error_errno(r, "Failed to set up the heartbeat: %m");

	r = space_watch_start(d);
	if (r < 0)
		return log_error_errno(r, "Failed to watch the state directory: %m");
	r = ssh_config_start(d);
	if (r < 0)
		return log_error_errno(r, "Failed to set up the VMs' SSH config: %m");

	/* After the bus (the lifecycle publishes), before READY: re-adopt what still runs. */
	r = lifecycle_new(d, &d->config, NULL, rpc_vm_lifecycle_notify, d, &d->lifecycle);
	if (r < 0)
		return log_error_errno(r, "Failed to set up the VM lifecycle: %m");
	lifecycle_readopt(d->lifecycle);
	publish_sync_all(d);
	r = dns_start(d);
	if (r < 0)
		return log_error_errno(r, "Failed to watch the guests' resolver: %m");
	dns_changed(d);
	reconcile_at_start(d);
	/* An update the owner started goes on while we restart: follow its steps. A run directory
	 * we cannot watch costs only the update events. */
	r = update_watch_start(d, &d->update_watch);
	if (r < 0)
		log_warning_errno(r, "Cannot follow updates in %s: %m", d->layout.run_dir);

	daemon_publish(d, "daemon.started", json_pack("{s:s}", "version", PACKAGE_VERSION));
	log_info("bangerd %s listening on %s", PACKAGE_VERSION, d->layout.daemon_sock);
	(void)sd_notifyf(0, "READY=1\nSTATUS=Serving %zu VMs, %zu images", d->store.n_vms,
		d->store.n_images);

	r = sd_event_loop(d->event);

	daemon_publish(d, "daemon.stopping", json_pack("{s:s}", "version", PACKAGE_VERSION));
	import_cancel_all(d);
	/* Running VMs keep running: their VMMs are nobody's children. */
	update_watch_free(TAKE_PTR(d->update_watch));
	d->lifecycle = lifecycle_free(d->lifecycle);
	reconcile_at_start_cancel();
	d->helper_probe = helper_probe_free(d->helper_probe);
	if (reexec_wanted && d->server)
		reexec_fd = server_release_listen_fd(d->server);
	server_free(TAKE_PTR(d->server));
	if (ours && reexec_fd < 0)
		unlink(d->layout.daemon_sock);
	if (r < 0)
		return log_error_errno(r, "Event loop failed: %m");
	return 0;
}

int main(int argc, char **argv)
{
	struct options o = {
		.heartbeat_sec = DAEMON_HEARTBEAT_DEFAULT_SEC, .event_queue = EVENT_QUEUE_DEFAULT};
	struct daemon d = {};
	struct timespec ts;
	int r;

	r = parse_args(argc, argv, &o);
	if (r != 0)
		return r > 0 ? EXIT_SUCCESS : 2;
	log_open("bangerd");
	log_set_max_level(o.verbose ? LOG_DEBUG : LOG_INFO);
	if (geteuid() == 0 && !o.allow_root) {
		log_error("bangerd runs as the owner user, never as root (root's work is "
			  "bangerd-root's); use --allow-root only for tests");
		return EXIT_FAILURE;
	}

	d.heartbeat_sec = o.heartbeat_sec;
	d.event_queue_size = o.event_queue;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	d.started_usec = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
	rfc3339_now(d.started_at, sizeof(d.started_at));

	r = run(&d, &o);
	(void)sd_notify(0, "STOPPING=1");
	d.heartbeat = sd_event_source_disable_unref(d.heartbeat);
	space_watch_stop(&d);
	ssh_config_stop(&d);
	dns_stop(&d);
	save_retry_done(&d);
	event_bus_done(&d.bus);
	store_done(&d.store);
	config_done(&d.config);
	d.event = sd_event_unref(d.event);
	if (r >= 0 && reexec_fd >= 0) {
		r = reexec_with_socket(argv, reexec_fd);
		log_error_errno(r, "Failed to re-execute: %m");
		return EXIT_FAILURE;
	}
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

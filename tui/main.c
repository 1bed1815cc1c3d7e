/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* banger-tui: live terminal dashboard for banger. One thread, one poll() over the terminal, the
 * daemon socket and a signalfd; keys paint at once, streamed updates at most cfg.fps a second. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/layout.h"
#include "common/version.h"
#include "tui/app.h"

static const char usage[] =
	"Usage: banger-tui [OPTIONS]\n"
	"\n"
	"Live terminal dashboard for banger: VMs, their consoles, and actions.\n"
	"\n"
	"  -s --socket PATH     Daemon socket (default: the install layout's bangerd.sock)\n"
	"  -t --theme NAME|PATH Theme (default: from tui.conf, else \"default\")\n"
	"     --color WHEN      auto, always or never (NO_COLOR also means never)\n"
	"  -c --config PATH     Config file (default: $XDG_CONFIG_HOME/banger/tui.conf)\n"
	"  -r --readonly        No actions that change VMs or the daemon\n"
	"     --print-keys      Print the effective key bindings and exit\n"
	"  -h --help            Show this help\n"
	"     --version         Show the version\n";

static struct app app;
static bool curses_up;

static void restore_terminal(void)
{
	if (curses_up && !isendwin())
		endwin();
}

static void fatal_signal(int sig)
{
	restore_terminal();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void print_keys(const struct keymap *km)
{
	for (int a = 1; a < _KEY_ACTION_MAX; a++) {
		char keys[128];
		keymap_keys_of(km, (enum key_action)a, keys, sizeof(keys));
		printf("%-20s = %s\n", key_action_to_string((enum key_action)a), keys);
	}
}

static enum theme_mode pick_mode(const struct tui_config *cfg)
{
	const char *no_color = getenv("NO_COLOR"), *term = getenv("TERM");

	if (cfg->color == TUI_COLOR_NEVER || (no_color && *no_color) ||
		(term && streq(term, "dumb")))
		return THEME_MODE_MONO;
	if (!has_colors())
		return THEME_MODE_MONO;
	return COLORS >= 256 ? THEME_MODE_256 : THEME_MODE_8;
}

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* "<key> <painted ns> <read ns>" per key, for benchmarks. */
static void keylog(struct app *a, const int *keys, size_t n, int64_t read_ns)
{
	int64_t painted = mono_ns();
	char line[80];

	if (a->keylog_fd < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		int len = snprintf(line, sizeof(line), "%d %lld %lld\n", keys[i],
			(long long)painted, (long long)read_ns);
		if (write(a->keylog_fd, line, (size_t)len) < 0)
			break;
	}
}

static void handle_message(struct app *a, struct rpc_message *m)
{
	struct conn_call call;

	switch (conn_match(&a->conn, m, &call)) {
	case RPC_INCOMING_NOTIFICATION:
		app_on_event(a, m->method, m->params);
		break;
	case RPC_INCOMING_REPLY:
		app_on_answer(a, &call, m);
		break;
	case RPC_INCOMING_STRAY:      /* answers on a connection since replaced */
	case RPC_INCOMING_UNREADABLE: /* the daemon could not read a request: nothing to route */
	case RPC_INCOMING_REQUEST:
	case _RPC_INCOMING_MAX:
	case _RPC_INCOMING_INVALID:
		break;
	}
}

static void service_socket(struct app *a, short revents, int64_t now)
{
	struct conn *c = &a->conn;
	char why[160];
	int r;

	if (revents & POLLOUT) {
		r = conn_flush(c);
		if (r < 0) {
			conn_lost(c, now, conn_reason_for(-r, why, sizeof(why)));
			goto lost;
		}
	}
	if (!(revents & (POLLIN | POLLHUP | POLLERR)))
		return;
	r = conn_fill(c, 256 * 1024);
	if (r > 0)
		c->last_rx = now;
	for (;;) {
		struct rpc_message m;
		struct rpc_error err;
		int k = conn_next(c, &m, &err);
		if (k == 0)
			break;
		if (k < 0) {
			if (k == -EMSGSIZE) {
				conn_lost(c, now, "protocol error: message too large");
				goto lost;
			}
			continue; /* one unparseable line: skip it */
		}
		handle_message(a, &m);
		rpc_message_done(&m);
		if (c->fd < 0)
			goto lost;
	}
	if (r < 0) {
		conn_lost(c, now, conn_reason_for(-r, why, sizeof(why)));
		goto lost;
	}
	if (a->frame_due == 0)
		a->frame_due = MAX(now, a->last_frame + 1000 / (int64_t)a->cfg.fps);
	return;
lost:
	vm_model_mark_consoles(&a->model, "disconnected");
	a->dirty |= DIRTY_CLEAR;
}

static void service_timers(struct app *a, int64_t now)
{
	struct conn *c = &a->conn;
	static int64_t last_second;

	if (c->fd < 0 && now >= c->retry_at) {
		bool was_down = c->state != CONN_CONNECTED;
		conn_connect(c, now, a->model.last_seq);
		if (was_down)
			a->dirty |= DIRTY_BANNER | DIRTY_HEADER;
	}
	/* Silence: three heartbeat intervals without a byte (only once heartbeats were seen). */
	if (c->fd >= 0 && c->state == CONN_CONNECTED && c->heartbeat_gap > 0 &&
		now - c->last_rx > MAX(3 * c->heartbeat_gap, (int64_t)1500)) {
		char why[160];
		conn_lost(c, now, conn_reason_for(ETIMEDOUT, why, sizeof(why)));
		vm_model_mark_consoles(&a->model, "disconnected");
		a->dirty |= DIRTY_CLEAR;
	}
	if (c->expect_restart_until && now > c->expect_restart_until) {
		c->expect_restart_until = 0;
		app_status(
			a, STATUS_ERROR, "the daemon did not come back within 60 s after updating");
	}
	/* A daemon that accepted the connection but never answers hello. */
	if (c->fd >= 0 && c->state != CONN_CONNECTED && now - c->last_rx > 5000) {
		conn_lost(c, now, "no answer to hello within 5 s");
		a->dirty |= DIRTY_CLEAR;
	}
	if (now / 1000 != last_second) {
		size_t counts[_VM_STATE_MAX];
		last_second = now / 1000;
		/* Once a second: the clock, the banner's countdown, uptimes when any VM runs
		 * and the elapsed time of starts. */
		a->dirty |= DIRTY_HEADER | DIRTY_BANNER;
		vm_model_count(&a->model, counts);
		if (counts[VM_STATE_RUNNING] > 0)
			a->dirty |= DIRTY_LIST;
		if (counts[VM_STATE_STARTING] > 0) /* start progress: the elapsed time runs */
			a->dirty |= DIRTY_LIST | DIRTY_CONSOLE;
		if (a->build.pid > 0 && a->view_mode == VIEW_IMAGES) /* and a build's */
			a->dirty |= DIRTY_LIST;
	}
	/* Errors stay until a key or their 15 s are up; the others go after 3 or 6 s. */
	if (a->status[0] && now > a->status_until) {
		a->status[0] = '\0';
		a->status_sticky = false;
		a->dirty |= DIRTY_STATUS;
	}
	if (a->view_dirty)
		app_rebuild_view(a, now);
	else if (a->sort_frozen_until && now >= a->sort_frozen_until) {
		a->sort_frozen_until = 0;
		a->view_dirty = true; /* navigation paused: apply the sort */
	}
}

static int next_timeout(struct app *a, int64_t now)
{
	int64_t next = (now / 1000 + 1) * 1000;

	if (a->conn.fd < 0)
		next = MIN(next, a->conn.retry_at);
	if (a->frame_due)
		next = MIN(next, a->frame_due);
	if (a->sort_frozen_until)
		next = MIN(next, a->sort_frozen_until);
	if (a->view_dirty)
		next = now;
	return (int)MAX(next - now, (int64_t)0);
}

static int setup_signals(void)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGQUIT);
	sigaddset(&mask, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return negative_errno();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGSEGV, fatal_signal);
	signal(SIGABRT, fatal_signal);
	signal(SIGBUS, fatal_signal);
	signal(SIGFPE, fatal_signal);
	return signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
}

static void handle_signals(struct app *a)
{
	struct signalfd_siginfo si;

	while (read(a->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			int status;
			pid_t pid;
			while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
				if (pid == a->ssh_pid && a->ssh == SSH_RUNNING)
					app_ssh_child_exited(a, status);
				else if (pid == a->build.pid)
					app_build_exited(a, status);
		} else if ((si.ssi_signo == SIGINT || si.ssi_signo == SIGQUIT) &&
			   a->ssh != SSH_NONE)
			continue; /* meant for the child */
		else
			a->quit = true;
	}
}

static int run(struct app *a)
{
	int stdin_errs = 0;

	for (;;) {
		int64_t now = now_ms();
		struct pollfd p[4] = {
			{.fd = a->ssh == SSH_RUNNING ? -1 : STDIN_FILENO, .events = POLLIN},
			{.fd = a->conn.fd,
				.events = POLLIN | (conn_want_write(&a->conn) ? POLLOUT : 0)},
			{.fd = a->sigfd, .events = POLLIN},
			{.fd = a->build.fd, .events = POLLIN},
		};
		int keys[64];
		size_t n_keys = 0;
		int64_t read_ns = 0;
		int r;

		if (a->quit)
			return 0;
		r = poll(p, ELEMENTSOF(p), next_timeout(a, now));
		if (r < 0 && errno != EINTR)
			return negative_errno();
		now = now_ms();
		if (a->keylog_fd >= 0)
			read_ns = mono_ns();
		if (r > 0 && p[2].revents)
			handle_signals(a);
		/* Input first: keys are handled and painted before any streamed data. */
		if (a->ssh == SSH_WAIT_KEY && r > 0 && (p[0].revents & POLLIN))
			app_ssh_key(a);
		else if (a->ssh == SSH_NONE) {
			int ch;
			while (n_keys < ELEMENTSOF(keys) && (ch = getch()) != ERR) {
				keys[n_keys++] = ch;
				a->dirty |= app_handle_key(a, ch); /* drawn below */
			}
			if (r > 0 && (p[0].revents & (POLLHUP | POLLERR)))
				return 0; /* the terminal went away */
			if (r > 0 && (p[0].revents & POLLIN) && n_keys == 0 && ++stdin_errs > 100)
				return 0;
			if (n_keys > 0)
				stdin_errs = 0;
		}
		if (a->quit)
			return 0;
		if (n_keys > 0 && a->ssh == SSH_NONE) {
			if (a->view_dirty)
				app_rebuild_view(a, now);
			draw_frame(a);
			a->last_frame = now;
			keylog(a, keys, n_keys, read_ns);
		}
		if (r > 0 && p[1].fd >= 0 && p[1].revents)
			service_socket(a, p[1].revents, now);
		if (r > 0 && p[3].fd >= 0 && p[3].revents && a->build.fd == p[3].fd) {
			app_build_input(a);
			if (a->frame_due == 0)
				a->frame_due = MAX(now, a->last_frame + 1000 / (int64_t)a->cfg.fps);
		}
		service_timers(a, now);
		if (a->conn.fd >= 0 && conn_want_write(&a->conn))
			conn_flush(&a->conn);
		if (a->ssh != SSH_NONE)
			continue; /* curses is suspended: keep the model fresh, draw nothing */
		if (a->dirty && (a->frame_due == 0 || now >= a->frame_due)) {
			draw_frame(a);
			a->last_frame = now;
			a->frame_due = 0;
		} else if (a->frame_due && now >= a->frame_due)
			a->frame_due = 0;
	}
}

static int parse_args(int argc, char **argv, char *socket, size_t socket_size, char **theme,
	char **config, int *color, bool *print)
{
	static const struct option opts[] = {
		{"socket", required_argument, NULL, 's'},
		{"theme", required_argument, NULL, 't'},
		{"color", required_argument, NULL, 'C'},
		{"config", required_argument, NULL, 'c'},
		{"readonly", no_argument, NULL, 'r'},
		{"print-keys", no_argument, NULL, 'P'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{},
	};
	int o;

	while ((o = getopt_long(argc, argv, "s:t:c:rh", opts, NULL)) >= 0) {
		switch (o) {
		case 's':
			snprintf(socket, socket_size, "%s", optarg);
			break;
		case 't':
			*theme = optarg;
			break;
		case 'C':
			*color = streq(optarg, "never")    ? TUI_COLOR_NEVER
				 : streq(optarg, "always") ? TUI_COLOR_ALWAYS
				 : streq(optarg, "auto")   ? TUI_COLOR_AUTO
							   : -1;
			if (*color < 0) {
				fprintf(stderr,
					"banger-tui: --color takes auto, always or never\n");
				return -EINVAL;
			}
			break;
		case 'c':
			*config = optarg;
			break;
		case 'r':
			app.readonly = true;
			break;
		case 'P':
			*print = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 1;
		case 'V':
			version_print("banger-tui");
			return 1;
		default:
			fputs(usage, stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "banger-tui: unexpected argument '%s'\n%s", argv[optind], usage);
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct app *a = &app;
	struct banger_layout layout;
	char socket[PATH_MAX] = "", config_path[PATH_MAX];
	char *theme = NULL, *config = NULL, *env;
	int color = -1, r;
	bool print = false;
	struct console_limits limits;

	setlocale(LC_ALL, "");
	r = parse_args(argc, argv, socket, sizeof(socket), &theme, &config, &color, &print);
	if (r != 0)
		return r > 0 ? EXIT_SUCCESS : 2;

	tui_config_defaults(&a->cfg);
	keymap_init_defaults(&a->keys);
	if (config)
		snprintf(config_path, sizeof(config_path), "%s", config);
	else if ((env = getenv("XDG_CONFIG_HOME")) && *env)
		snprintf(config_path, sizeof(config_path), "%s/banger/tui.conf", env);
	else
		snprintf(config_path, sizeof(config_path), "%s/.config/banger/tui.conf",
			getenv("HOME") ?: "/");
	if (tui_config_load(&a->cfg, &a->keys, config_path) < 0)
		return EXIT_FAILURE;
	if (print) {
		print_keys(&a->keys);
		for (size_t i = 0; i < a->keys.n_warnings; i++)
			fprintf(stderr, "warning: %s\n", a->keys.warnings[i]);
		return EXIT_SUCCESS;
	}
	if (color >= 0)
		a->cfg.color = (enum tui_color)color;
	if (!theme && (env = getenv("BANGER_TUI_THEME")) && *env)
		theme = env;
	if (!socket[0]) {
		r = layout_init(&layout, NULL);
		if (r < 0) {
			fprintf(stderr, "banger-tui: bad %s: %s\n", BANGER_ROOT_ENV, strerror(-r));
			return EXIT_FAILURE;
		}
		snprintf(socket, sizeof(socket), "%s", layout.daemon_sock);
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "banger-tui: needs a terminal\n");
		return EXIT_FAILURE;
	}
	if (theme_search_path(PKGDATADIR, &a->theme_dirs) < 0)
		return EXIT_FAILURE;
	if ((env = getenv("BANGER_TUI_THEME_PATH")) && *env) {
		/* Extra directories searched first (development trees, tests). */
		size_t n = 0;
		char **dirs;
		while (a->theme_dirs[n])
			n++;
		dirs = calloc(n + 2, sizeof(char *));
		if (!dirs)
			return EXIT_FAILURE;
		dirs[0] = strdup(env);
		memcpy(dirs + 1, a->theme_dirs, n * sizeof(char *));
		free(a->theme_dirs);
		a->theme_dirs = dirs;
	}

	limits = (struct console_limits){
		.lines = a->cfg.scrollback,
		.bytes = a->cfg.max_bytes,
		.line_bytes = a->cfg.max_line_bytes,
		/* Consoles nobody looks at keep a short tail, so 1,000 chatty VMs cost at
		 * most ~16 MiB; the shown one and 3 recent ones get the full bounds. */
		.bg_lines = MIN(a->cfg.scrollback, (size_t)200),
		.bg_bytes = MIN(a->cfg.max_bytes, (size_t)16 << 10),
	};
	vm_model_init(&a->model, &limits);
	vm_filter_compile("", &a->filter, NULL, 0);
	a->view.sort = a->cfg.sort;
	a->view.descending = a->cfg.sort_descending;
	a->wrap = a->cfg.wrap;
	a->timestamps = a->cfg.timestamps;
	a->con_sel = UINT64_MAX;
	a->osc_fd = STDOUT_FILENO;
	a->follow = true;
	a->split = a->cfg.split;
	a->match_id = UINT64_MAX;
	a->keylog_fd = -1;
	a->build.fd = -1;
	if ((env = getenv("BANGER_TUI_KEYLOG")) && *env)
		a->keylog_fd = open(env, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (gethostname(a->host, sizeof(a->host)) < 0)
		snprintf(a->host, sizeof(a->host), "localhost");
	a->host[sizeof(a->host) - 1] = '\0';
	a->utf8 = streq(nl_langinfo(CODESET), "UTF-8");
	conn_init(&a->conn, socket);
	srand48((long)getpid() ^ (long)time(NULL));

	a->sigfd = setup_signals();
	if (a->sigfd < 0) {
		fprintf(stderr, "banger-tui: signalfd: %s\n", strerror(-a->sigfd));
		return EXIT_FAILURE;
	}
	atexit(restore_terminal);
	if (!initscr()) {
		fprintf(stderr, "banger-tui: cannot initialise the terminal\n");
		return EXIT_FAILURE;
	}
	curses_up = true;
	raw();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	if (a->cfg.mouse && !app_mouse_enable(a, true))
		app_status(a, STATUS_WARN, "mouse: this terminal reports no mouse events");
	/* COLORS is known only once colours are started. */
	if (pick_mode(&a->cfg) != THEME_MODE_MONO && start_color() == OK) {
		a->colors_started = true;
		if (use_default_colors() == ERR)
			assume_default_colors(COLOR_WHITE, COLOR_BLACK);
	}
	a->mode = a->colors_started ? pick_mode(&a->cfg) : THEME_MODE_MONO;
	if (ui_theme_apply(a, theme ? theme : a->cfg.theme) < 0 &&
		!streq(theme ? theme : a->cfg.theme, "default"))
		ui_theme_apply(a, "default");
	for (size_t i = 0; i < a->cfg.n_warnings; i++)
		app_status(a, STATUS_WARN, "%s", a->cfg.warnings[i]);
	for (size_t i = 0; i < a->keys.n_warnings; i++)
		app_status(a, STATUS_WARN, "%s", a->keys.warnings[i]);

	/* First frame before the socket is even tried. */
	a->dirty = DIRTY_ALL;
	app_rebuild_view(a, now_ms());
	draw_frame(a);
	conn_connect(&a->conn, now_ms(), 0);

	r = run(a);
	restore_terminal();
	curses_up = false;
	if (a->ssh_pid > 0)
		kill(a->ssh_pid, SIGHUP);
	if (a->build.pid > 0) /* quitting was confirmed, or a signal asked us to go */
		kill(a->build.pid, SIGTERM);
	conn_done(&a->conn);
	vm_view_done(&a->view);
	vm_filter_done(&a->filter);
	vm_model_done(&a->model);
	theme_free(a->theme);
	theme_strv_free(a->theme_dirs);
	keymap_done(&a->keys);
	tui_config_done(&a->cfg);
	if (r < 0) {
		fprintf(stderr, "banger-tui: %s\n", strerror(-r));
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}

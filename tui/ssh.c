/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Leaving curses for a child in the same terminal (ssh, or Ctrl-Z to the shell) and coming back
 * with a full repaint. The daemon socket keeps being serviced meanwhile; nothing is drawn. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "tui/app.h"

static struct termios saved_tio;
static bool have_saved_tio;

void app_banger_path(char *buf, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			if (snprintf(buf, size, "%s/banger", self) < (int)size &&
				access(buf, X_OK) == 0)
				return;
		}
	}
	snprintf(buf, size, "banger");
}

static void leave_curses(struct app *a)
{
	if (a->mouse)
		mousemask(0, NULL); /* the shell gets a terminal without mouse reporting */
	curs_set(1);
	def_prog_mode();
	endwin();
}

void app_resume_screen(struct app *a)
{
	struct winsize ws;

	if (have_saved_tio) {
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
		have_saved_tio = false;
	}
	reset_prog_mode();
	/* The terminal may have been resized while we were away. */
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
		resize_term(ws.ws_row, ws.ws_col);
	clearok(curscr, TRUE); /* never trust the old screen: full repaint */
	if (a->mouse)
		app_mouse_enable(a, true);
	a->ssh = SSH_NONE;
	a->dirty |= DIRTY_CLEAR;
}

void app_ssh_start(struct app *a, struct vm *vm)
{
	const char *override = getenv("BANGER_TUI_SSH");
	char banger[PATH_MAX];
	sigset_t all;
	pid_t pid;

	if (a->ssh != SSH_NONE)
		return;
	if (!vm->name)
		return;
	app_banger_path(banger, sizeof(banger));
	leave_curses(a);
	printf("banger: ssh %s (%s): exit the shell to return%s\n", vm->name,
		vm->ip ? vm->ip : "no address yet",
		a->conn.state == CONN_CONNECTED ? ""
						: " [daemon not connected: data may be stale]");
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		app_resume_screen(a);
		app_status(a, STATUS_ERROR, "ssh: cannot fork: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		static const int sigs[] = {SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU, SIGPIPE,
			SIGCHLD, SIGTERM, SIGHUP, SIGWINCH};
		for (size_t i = 0; i < ELEMENTSOF(sigs); i++)
			signal(sigs[i], SIG_DFL);
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		if (override && *override)
			execlp(override, override, vm->name, (char *)NULL);
		else if (strchr(banger, '/'))
			execl(banger, banger, "vm", "ssh", vm->name, (char *)NULL);
		else /* from PATH only: execl() would run a ./banger of the current directory */
			execlp("banger", "banger", "vm", "ssh", vm->name, (char *)NULL);
		fprintf(stderr, "banger-tui: cannot run %s: %s\n",
			override && *override ? override : banger, strerror(errno));
		_exit(127);
	}
	a->ssh = SSH_RUNNING;
	a->ssh_pid = pid;
	snprintf(a->status, sizeof(a->status), "ssh %s", vm->name);
}

void app_ssh_child_exited(struct app *a, int status)
{
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	bool failed = code != 0;
	struct termios raw;

	a->ssh_pid = 0;
	a->ssh_status = code;
	if ((failed && a->cfg.ssh_pause != SSH_PAUSE_NEVER) ||
		a->cfg.ssh_pause == SSH_PAUSE_ALWAYS) {
		/* Keep the child's last words on screen until a key. */
		printf("\nbanger-tui: ssh exited with %d: press any key to return", code);
		fflush(stdout);
		if (tcgetattr(STDIN_FILENO, &saved_tio) == 0) {
			have_saved_tio = true;
			raw = saved_tio;
			raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
			raw.c_cc[VMIN] = 1;
			raw.c_cc[VTIME] = 0;
			tcsetattr(STDIN_FILENO, TCSANOW, &raw);
		}
		tcflush(STDIN_FILENO, TCIFLUSH);
		a->ssh = SSH_WAIT_KEY;
		return;
	}
	app_resume_screen(a);
	app_status(a, STATUS_INFO, "ssh exited (status %d)", code);
}

void app_ssh_key(struct app *a)
{
	char buf[64];

	if (read(STDIN_FILENO, buf, sizeof(buf)) < 0 && errno == EAGAIN)
		return;
	app_resume_screen(a);
	app_status(
		a, a->ssh_status ? STATUS_ERROR : STATUS_INFO, "ssh exited with %d", a->ssh_status);
}

void app_suspend_self(struct app *a)
{
	leave_curses(a);
	raise(SIGTSTP); /* stops here until fg / SIGCONT */
	app_resume_screen(a);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Building an image from the images view: the recipe picker, then `banger image build RECIPE`
 * as a child whose output is read through a non-blocking pipe in the loop (never waited on),
 * its newest line shown as the progress, its exit reported; the new image itself arrives as the
 * daemon's image events, like any import. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tui/app.h"

#define READ_MAX (64 * 1024) /* per wakeup: the loop stays responsive to a chatty recipe */

static bool is_recipe(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	if (snprintf(path, sizeof(path), "%s/%s/build", dir, name) >= (int)sizeof(path))
		return false;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

static int by_name(const void *x, const void *y)
{
	return strcmp((const char *)x, (const char *)y);
}

static void add_dir(const char *dir, char (*names)[64], size_t *n, size_t max)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)) && *n < max) {
		bool dup = false;
		if (de->d_name[0] == '.' || strlen(de->d_name) >= 64 || !is_recipe(dir, de->d_name))
			continue;
		for (size_t i = 0; i < *n && !dup; i++)
			dup = streq(names[i], de->d_name);
		if (!dup)
			snprintf(names[(*n)++], 64, "%s", de->d_name);
	}
	closedir(d);
}

/* Where cli/cmd-image.c's find_recipe() looks: $BANGER_IMAGES_DIR alone when set, else the
 * installed recipes and, for a build tree (a Makefile next to the program), the source's. */
size_t app_build_recipes(char (*names)[64], size_t max)
{
	const char *env = getenv("BANGER_IMAGES_DIR");
	char exe[PATH_MAX], mk[PATH_MAX + 16];
	size_t n = 0;
	ssize_t len;

	if (env && env[0])
		add_dir(env, names, &n, max);
	else {
		add_dir(PKGDATADIR "/images", names, &n, max);
		len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (len > 0) {
			exe[len] = '\0';
			if (strrchr(exe, '/'))
				*strrchr(exe, '/') = '\0';
			snprintf(mk, sizeof(mk), "%s/Makefile", exe);
			if (access(mk, F_OK) == 0)
				add_dir(BANGER_SRCDIR "/images", names, &n, max);
		}
	}
	qsort(names, n, 64, by_name);
	return n;
}

const char *app_build_line(const struct app *a)
{
	const struct image_build *b = &a->build;

	return b->n_lines ? b->tail[(b->n_lines - 1) % BUILD_TAIL] : "";
}

static int64_t elapsed_s(const struct app *a)
{
	return (now_ms() - a->build.started) / 1000;
}

/* The message line follows the build without filling the message history with every line; an
 * error waiting to be read is left alone. */
static void show_progress(struct app *a)
{
	if (a->status[0] && a->status_level != STATUS_INFO)
		return;
	snprintf(a->status, sizeof(a->status), "build %s (%llds): %s", a->build.recipe,
		(long long)elapsed_s(a), app_build_line(a));
	a->status_level = STATUS_INFO;
	a->status_until = now_ms() + 3000;
	a->dirty |= DIRTY_STATUS;
}

static int build_start(struct app *a, const char *recipe)
{
	struct image_build *b = &a->build;
	char banger[PATH_MAX];
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	/* only our end is non-blocking: the child writes as to any pipe */
	if (fcntl(p[0], F_SETFL, O_NONBLOCK) < 0) {
		int r = -errno;
		close(p[0]);
		close(p[1]);
		return r;
	}
	app_banger_path(banger, sizeof(banger));
	pid = fork();
	if (pid < 0) {
		int r = -errno;
		close(p[0]);
		close(p[1]);
		return r;
	}
	if (pid == 0) {
		static const int sigs[] = {SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU, SIGPIPE,
			SIGCHLD, SIGTERM, SIGHUP, SIGWINCH};
		sigset_t none;
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

		for (size_t i = 0; i < ELEMENTSOF(sigs); i++)
			signal(sigs[i], SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL); /* our SIGTERM must reach it */
		/* never the terminal: curses owns it */
		if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(p[1], STDOUT_FILENO) < 0 ||
			dup2(p[1], STDERR_FILENO) < 0)
			_exit(127);
		/* "banger" alone is PATH's, never a file of that name in our directory */
		if (strchr(banger, '/'))
			execl(banger, banger, "--socket", a->conn.path, "image", "build", recipe,
				(char *)NULL);
		else
			execlp(banger, banger, "--socket", a->conn.path, "image", "build", recipe,
				(char *)NULL);
		fprintf(stderr, "banger-tui: cannot run %s: %s\n", banger, strerror(errno));
		_exit(127);
	}
	close(p[1]);
	*b = (struct image_build){.pid = pid, .fd = p[0], .started = now_ms()};
	snprintf(b->recipe, sizeof(b->recipe), "%s", recipe);
	return 0;
}

unsigned app_build_open(struct app *a, const char *recipe)
{
	struct image_build *b = &a->build;
	int r;

	if (b->pid > 0) {
		app_status(a, STATUS_WARN, "build %s is running: one at a time (X cancels it)",
			b->recipe);
		return 0;
	}
	a->view_mode = VIEW_IMAGES;
	if (!recipe || !*recipe) {
		b->n_recipes = app_build_recipes(b->recipes, MAX_RECIPES);
		if (b->n_recipes == 0) {
			app_status(a, STATUS_ERROR,
				"build: no recipes found (images/NAME/build in "
				"$BANGER_IMAGES_DIR or %s/images)",
				PKGDATADIR);
			return DIRTY_CLEAR;
		}
		b->pick = 0;
		for (size_t i = 0; i < b->n_recipes; i++)
			if (streq(b->recipes[i], "minimal"))
				b->pick = i;
		a->overlay = OVERLAY_BUILD;
		return DIRTY_CLEAR;
	}
	r = build_start(a, recipe);
	if (r < 0)
		app_status(
			a, STATUS_ERROR, "build %s: cannot start banger: %s", recipe, strerror(-r));
	else
		app_status(a, STATUS_INFO, "build %s: started (banger image build %s)", recipe,
			recipe);
	return DIRTY_CLEAR;
}

unsigned app_build_key(struct app *a, int key)
{
	struct image_build *b = &a->build;
	char recipe[64];

	switch (key) {
	case 27: /* Esc */
	case 3:  /* C-c */
	case 'q':
	case 'n':
		app_status(a, STATUS_INFO, "build: cancelled");
		a->overlay = OVERLAY_NONE;
		return DIRTY_ALL;
	case 'j':
	case KEY_DOWN:
		b->pick = MIN(b->pick + 1, b->n_recipes - 1);
		return DIRTY_OVERLAY;
	case 'k':
	case KEY_UP:
		b->pick = b->pick > 0 ? b->pick - 1 : 0;
		return DIRTY_OVERLAY;
	case '\n':
	case '\r':
	case KEY_ENTER:
	case 'y':
		a->overlay = OVERLAY_NONE;
		snprintf(recipe, sizeof(recipe), "%s", b->recipes[b->pick]);
		return DIRTY_ALL | app_build_open(a, recipe);
	default:
		return 0;
	}
}

/* A line of output as the status line can show it: control characters and escape sequences
 * (a recipe's colours) dropped. */
static void add_line(struct app *a, const char *s, size_t len)
{
	struct image_build *b = &a->build;
	char *dst = b->tail[b->n_lines % BUILD_TAIL];
	size_t o = 0;

	for (size_t i = 0; i < len && o + 1 < BUILD_LINE_MAX; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == 0x1b) { /* ESC [ ... final byte */
			if (i + 1 < len && s[i + 1] == '[')
				for (i += 2; i < len && !(s[i] >= 0x40 && s[i] <= 0x7e); i++)
					;
			continue;
		}
		if (c == '\t')
			c = ' ';
		if (c < 0x20 || c == 0x7f)
			continue;
		dst[o++] = (char)c;
	}
	dst[o] = '\0';
	if (o == 0)
		return; /* blank lines are no progress */
	b->n_lines++;
	show_progress(a);
	a->dirty |= DIRTY_LIST;
}

/* Splits what came on newlines and on carriage returns (a progress bar redrawing itself). */
static void take(struct app *a, const char *buf, size_t n)
{
	struct image_build *b = &a->build;

	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n' || buf[i] == '\r') {
			add_line(a, b->partial, b->partial_len);
			b->partial_len = 0;
		} else if (b->partial_len < sizeof(b->partial))
			b->partial[b->partial_len++] = buf[i];
	}
}

static void close_output(struct app *a)
{
	struct image_build *b = &a->build;

	if (b->fd < 0)
		return;
	close(b->fd);
	b->fd = -1;
	if (b->partial_len) {
		add_line(a, b->partial, b->partial_len);
		b->partial_len = 0;
	}
}

void app_build_input(struct app *a)
{
	struct image_build *b = &a->build;
	char buf[4096];
	size_t total = 0;

	while (b->fd >= 0 && total < READ_MAX) {
		ssize_t n = read(b->fd, buf, sizeof(buf));
		if (n > 0) {
			take(a, buf, (size_t)n);
			total += (size_t)n;
		} else if (n < 0 && errno == EINTR)
			continue;
		else if (n < 0 && errno == EAGAIN)
			return;
		else
			close_output(a); /* EOF, or an error that will not go away */
	}
}

void app_build_exited(struct app *a, int status)
{
	struct image_build *b = &a->build;
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	const char *lines[BUILD_TAIL];
	char title[160];
	size_t n, first;

	/* what it wrote just before exiting is still in the pipe */
	app_build_input(a);
	close_output(a);
	b->pid = 0;
	a->dirty |= DIRTY_LIST | DIRTY_HINTS | DIRTY_STATUS;
	if (b->cancelling) {
		app_status(a, STATUS_INFO, "build %s: cancelled after %llds", b->recipe,
			(long long)elapsed_s(a));
		return;
	}
	if (code == 0) {
		app_status(a, STATUS_INFO, "build %s: done in %llds, image %s imported", b->recipe,
			(long long)elapsed_s(a), b->recipe);
		snprintf(a->img_sel, sizeof(a->img_sel), "%s", b->recipe);
		return;
	}
	app_status(a, STATUS_ERROR, "build %s failed with exit status %d: %s", b->recipe, code,
		app_build_line(a)[0] ? app_build_line(a) : "(no output)");
	if (a->overlay != OVERLAY_NONE || a->prompt != PROMPT_NONE)
		return; /* the message history (M) keeps the reason */
	n = MIN(b->n_lines, (size_t)BUILD_TAIL);
	first = b->n_lines - n;
	for (size_t i = 0; i < n; i++)
		lines[i] = b->tail[(first + i) % BUILD_TAIL];
	snprintf(title, sizeof(title), "build %s failed (exit status %d): its last lines",
		b->recipe, code);
	app_inspect_text(a, title, lines, n);
	a->overlay = OVERLAY_INSPECT;
	a->overlay_scroll = 100000; /* the newest at the bottom; clamped when drawn */
	a->dirty |= DIRTY_OVERLAY;
}

void app_build_cancel(struct app *a)
{
	struct image_build *b = &a->build;

	if (b->pid <= 0 || b->cancelling)
		return;
	if (kill(b->pid, SIGTERM) < 0) {
		app_status(a, STATUS_ERROR, "build %s: cannot stop pid %d: %s", b->recipe,
			(int)b->pid, strerror(errno));
		return;
	}
	b->cancelling = true;
	app_status(
		a, STATUS_INFO, "build %s: cancelling (SIGTERM to pid %d)", b->recipe, (int)b->pid);
}

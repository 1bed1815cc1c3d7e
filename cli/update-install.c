/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* banger update's hands: the installed files (saved, swapped), the units (rendered from the
 * release's templates), and restarting the daemons (systemd's RestartUnit, or SIGHUP to detached
 * daemons, which re-execute in place) until they answer as the version wanted. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/update-internal.h"
#include "common/bus.h"
#include "common/fileio.h"
#include "common/pidfile.h"
#include "protocol/jsonrpc.h"

/* ---- files ------------------------------------------------------------------------------------
 */

int update_rm_rf_at(int dir_fd, const char *name)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	int fd, r = 0;

	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dir_fd, name, 0) < 0 ? -errno : 0;
	fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	while (r >= 0 && (de = readdir(d)))
		if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
			r = update_rm_rf_at(dirfd(d), de->d_name);
	closedir(d);
	return r < 0 ? r : unlinkat(dir_fd, name, AT_REMOVEDIR) < 0 ? -errno : 0;
}

int update_work_subdir(struct update *u, const char *name, bool fresh, int *ret_fd)
{
	_cleanup_close_ int w = open(u->work, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int r;

	if (w < 0)
		return -errno;
	if (fresh && (r = update_rm_rf_at(w, name)) < 0)
		return r;
	if (mkdirat(w, name, 0700) < 0 && errno != EEXIST)
		return -errno;
	*ret_fd = openat(w, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return *ret_fd < 0 ? -errno : 0;
}

/* Calls fn(u, rel) for each regular file below base (relative paths, sorted by readdir). */
int update_walk(struct update *u, const char *base, const char *rel,
	int (*fn)(struct update *, const char *base, const char *rel))
{
	char path[PATH_MAX * 2];
	DIR *d;
	struct dirent *de;
	int r = 0;

	snprintf(path, sizeof(path), "%s%s%s", base, rel[0] ? "/" : "", rel);
	d = opendir(path);
	if (!d)
		return -errno;
	while (r >= 0 && (de = readdir(d))) {
		char sub[PATH_MAX];
		struct stat st;
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s%s%s", rel, rel[0] ? "/" : "", de->d_name);
		if (!rel[0] && (streq(de->d_name, "units") || streq(de->d_name, "VERSION")))
			continue; /* not installed as they are */
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = -errno;
			break;
		}
		if (S_ISDIR(st.st_mode))
			r = update_walk(u, base, sub, fn);
		else if (S_ISREG(st.st_mode))
			r = fn(u, base, sub);
	}
	closedir(d);
	return r;
}

static int copy_file(const char *src, const char *dst, mode_t mode)
{
	_cleanup_close_ int in = -1, out = -1;
	char buf[1 << 16];
	ssize_t n;

	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	(void)unlink(dst);
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (out < 0)
		return -errno;
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (write(out, buf, (size_t)n) != n)
			return -errno ?: -EIO;
	}
	if (fchmod(out, mode) < 0 || fsync(out) < 0)
		return -errno;
	return 0;
}

/* The installed path of a release file. */
static void target_of(const struct update *u, const char *rel, char *buf, size_t size)
{
	(void)update_pathf(buf, size, "%s/%s", u->prefix, rel);
}

/* previous/<rel>: the installed file, as it is (a hard link when the file systems allow). */
int update_save_one(struct update *u, const char *base, const char *rel)
{
	char target[PATH_MAX], dst[PATH_MAX * 2], dir[PATH_MAX * 2];
	struct stat st;
	int r;

	(void)base;
	target_of(u, rel, target, sizeof(target));
	if (lstat(target, &st) < 0)
		return errno == ENOENT ? 0 : -errno; /* new in this release: nothing to keep */
	if (!S_ISREG(st.st_mode))
		return update_fail(
			u, -EPERM, "%s is not a regular file; refusing to replace it", target);
	snprintf(dst, sizeof(dst), "%s/previous/%s", u->work, rel);
	snprintf(dir, sizeof(dir), "%s", dst);
	r = mkdir_parents(dirname(dir), 0700);
	if (r < 0)
		return r;
	if (link(target, dst) == 0)
		return 0;
	return copy_file(target, dst, st.st_mode & 07777);
}

/* Replaces one installed file with base/rel: a copy next to it, then rename(2) over it. */
int update_swap_one(struct update *u, const char *base, const char *rel)
{
	char src[PATH_MAX * 2], target[PATH_MAX], tmp[PATH_MAX + 32], dir[PATH_MAX];
	struct stat st;
	int r;

	snprintf(src, sizeof(src), "%s/%s", base, rel);
	target_of(u, rel, target, sizeof(target));
	snprintf(dir, sizeof(dir), "%s", target);
	r = mkdir_parents(dirname(dir), 0755);
	if (r < 0)
		return update_fail(
			u, r, "cannot create the folder of %s: %s", target, strerror(-r));
	if (stat(src, &st) < 0)
		return update_fail(u, -errno, "cannot read %s: %m", src);
	snprintf(tmp, sizeof(tmp), "%s.banger-new", target);
	r = copy_file(src, tmp, st.st_mode & 0755);
	if (r < 0)
		return update_fail(u, r, "cannot stage %s: %s", tmp, strerror(-r));
	if (rename(tmp, target) < 0) {
		r = -errno;
		(void)unlink(tmp);
		return update_fail(u, r, "cannot replace %s: %m", target);
	}
	return 0;
}

/* ---- units ------------------------------------------------------------------------------------
 */

static const char *const unit_names[] = {
	"bangerd-root.service", "bangerd.service", "bangerd.socket", "banger-update.service"};

/* Where systemd loaded name from ("" when it does not know it). */
static void unit_path(sd_bus *bus, const char *name, char *buf, size_t size)
{
	_cleanup_free_ char *path = NULL, *frag = NULL;
	sd_bus_error e = SD_BUS_ERROR_NULL;

	buf[0] = '\0';
	if (sd_bus_path_encode("/org/freedesktop/systemd1/unit", name, &path) >= 0 &&
		sd_bus_get_property_string(bus, "org.freedesktop.systemd1", path,
			"org.freedesktop.systemd1.Unit", "FragmentPath", &e, &frag) >= 0 &&
		frag && frag[0] == '/')
		snprintf(buf, size, "%s", frag);
	sd_bus_error_free(&e);
}

static char *render(const char *tmpl, const struct update *u)
{
	char bindir[PATH_MAX + 8], sbindir[PATH_MAX + 8];
	size_t cap = strlen(tmpl) * 2 + 2 * PATH_MAX + 1, n = 0;
	char *out = malloc(cap);

	if (!out)
		return NULL;
	snprintf(bindir, sizeof(bindir), "%s/bin", u->prefix);
	snprintf(sbindir, sizeof(sbindir), "%s/sbin", u->prefix);
	for (const char *p = tmpl; *p;) {
		const char *rep = strneq(p, "@bindir@", 8)    ? bindir
				  : strneq(p, "@sbindir@", 9) ? sbindir
							      : NULL;
		if (rep) {
			size_t k = strlen(rep);
			if (n + k + 1 >= cap)
				break;
			memcpy(out + n, rep, k);
			n += k;
			p += streq(rep, bindir) ? 8 : 9;
		} else {
			if (n + 2 >= cap)
				break;
			out[n++] = *p++;
		}
	}
	out[n] = '\0';
	return out;
}

/* Renders base/units/NAME.in into where systemd has NAME; reloads systemd when one changed.
 * The installed units are saved to previous/units/ first (when save). */
int update_units_apply(struct update *u, const char *base, bool save, unsigned *ret_changed)
{
	_cleanup_bus_ sd_bus *bus = NULL;
	char dir[PATH_MAX] = "";
	unsigned changed = 0;
	int r;

	*ret_changed = 0;
	if (!u->systemd)
		return 0;
	r = bus_open_systemd(&bus);
	if (r < 0)
		return update_fail(u, r, "cannot reach systemd: %s", strerror(-r));
	for (size_t i = 0; i < ELEMENTSOF(unit_names); i++) {
		_cleanup_free_ char *tmpl = NULL, *old = NULL, *new = NULL;
		char path[PATH_MAX], src[PATH_MAX * 2], saved[PATH_MAX * 2];

		unit_path(bus, unit_names[i], path, sizeof(path));
		if (!path[0] && i > 0 && dir[0]) /* new in this release: next to the others */
			(void)update_pathf(path, sizeof(path), "%s/%s", dir, unit_names[i]);
		if (!path[0])
			return update_fail(u, -ENOENT, "systemd does not know %s", unit_names[i]);
		if (i == 0) {
			char tmp[PATH_MAX];
			(void)update_pathf(tmp, sizeof(tmp), "%s", path);
			(void)update_pathf(dir, sizeof(dir), "%s", dirname(tmp));
		}
		snprintf(src, sizeof(src), "%s/units/%s.in", base, unit_names[i]);
		if (read_file_full(src, 1u << 20, &tmpl, NULL) < 0) {
			/* a set saved by an earlier update holds the rendered units themselves */
			snprintf(src, sizeof(src), "%s/units/%s", base, unit_names[i]);
			if (read_file_full(src, 1u << 20, &new, NULL) < 0)
				return update_fail(
					u, -ENOENT, "the release has no unit %s", unit_names[i]);
		} else if (!(new = render(tmpl, u)))
			return -ENOMEM;
		(void)read_file_full(path, 1u << 20, &old, NULL);
		if (save && old) {
			snprintf(saved, sizeof(saved), "%s/previous/units", u->work);
			(void)mkdir_parents(saved, 0700);
			snprintf(saved, sizeof(saved), "%s/previous/units/%s", u->work,
				unit_names[i]);
			r = write_file_atomic(saved, old, strlen(old), 0600);
			if (r < 0)
				return update_fail(u, r, "cannot keep %s: %s", path, strerror(-r));
		}
		if (old && streq(old, new))
			continue;
		r = write_file_atomic(path, new, strlen(new), 0644);
		if (r < 0)
			return update_fail(u, r, "cannot write %s: %s", path, strerror(-r));
		changed++;
	}
	if (changed) {
		sd_bus_error e = SD_BUS_ERROR_NULL;
		r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
			"org.freedesktop.systemd1.Manager", "Reload", &e, NULL, NULL);
		if (r < 0) {
			update_fail(u, r, "systemctl daemon-reload failed: %s",
				e.message ?: strerror(-r));
			sd_bus_error_free(&e);
			return r;
		}
	}
	*ret_changed = changed;
	return 0;
}

/* ---- restarting -------------------------------------------------------------------------------
 */

/* RestartUnit and wait for its job (JobRemoved with its path). */
static int restart_unit(struct update *u, sd_bus *bus, const char *name)
{
	sd_bus_message *reply = NULL;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	const char *job = NULL;
	char want[256] = "";
	struct timespec t0, t;
	int r;

	r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
		"org.freedesktop.systemd1.Manager", "Subscribe", &e, NULL, NULL);
	sd_bus_error_free(&e);
	r = sd_bus_match_signal(bus, NULL, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
		"org.freedesktop.systemd1.Manager", "JobRemoved", NULL, NULL);
	if (r < 0)
		return update_fail(u, r, "cannot watch systemd's jobs: %s", strerror(-r));
	r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
		"org.freedesktop.systemd1.Manager", "RestartUnit", &e, &reply, "ss", name,
		"replace");
	if (r < 0) {
		update_fail(
			u, r, "systemd refused to restart %s: %s", name, e.message ?: strerror(-r));
		sd_bus_error_free(&e);
		return r;
	}
	if (sd_bus_message_read(reply, "o", &job) >= 0 && job)
		snprintf(want, sizeof(want), "%s", job);
	sd_bus_message_unref(reply);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		sd_bus_message *m = NULL;
		r = sd_bus_process(bus, &m);
		if (r < 0)
			return update_fail(u, r, "lost systemd while restarting %s", name);
		if (m && sd_bus_message_is_signal(
				 m, "org.freedesktop.systemd1.Manager", "JobRemoved")) {
			uint32_t id;
			const char *path, *unit, *result;
			if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) >= 0 &&
				streq(path, want)) {
				bool ok = streq(result, "done");
				if (!ok)
					update_fail(u, -EIO, "restarting %s ended with \"%s\"",
						name, result);
				sd_bus_message_unref(m);
				return ok ? 0 : -EIO;
			}
		}
		sd_bus_message_unref(m);
		if (r > 0)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > ANSWER_TIMEOUT_SEC)
			return update_fail(u, -ETIMEDOUT, "restarting %s took over %d s", name,
				ANSWER_TIMEOUT_SEC);
		(void)sd_bus_wait(bus, 1000000);
	}
}

/* The pid in <run dir>/NAME.pid when that process runs NAME; else 0. */
static pid_t daemon_pid(struct update *u, const char *name)
{
	char path[PATH_MAX + 16];

	if (update_pathf(path, sizeof(path), "%s/%s.pid", u->l.run_dir, name) < 0)
		return 0;
	return pidfile_running(path, name);
}

/* Helper first, then the daemon; each keeps its VMs. */
int update_restart_daemons(struct update *u, const char *version)
{
	if (u->systemd) {
		_cleanup_bus_ sd_bus *bus = NULL;
		int r = bus_open_systemd(&bus);
		if (r < 0)
			return update_fail(u, r, "cannot reach systemd: %s", strerror(-r));
		r = restart_unit(u, bus, "bangerd-root.service");
		if (r >= 0)
			r = restart_unit(u, bus, "bangerd.service");
		return r;
	}
	/* Detached daemons re-execute in place on SIGHUP: the same pids, the same listening
	 * sockets, the program now installed. Without their pid files, the banger now installed
	 * restarts them. */
	pid_t helper = daemon_pid(u, "bangerd-root"), daemon = daemon_pid(u, "bangerd");
	if (helper > 0 && daemon > 0) {
		/* (not /proc/PID/exe: an updater the helper started lacks CAP_SYS_PTRACE to read
		 * the owner's daemon's) */
		struct timespec ts = {.tv_nsec = 200 * 1000 * 1000};
		if (kill(helper, SIGHUP) < 0)
			return update_fail(
				u, -errno, "cannot signal bangerd-root (pid %d): %m", (int)helper);
		for (int i = 0; !update_daemons_at(u, version, false); i++, nanosleep(&ts, NULL))
			if (i >= ANSWER_TIMEOUT_SEC * 5)
				return update_fail(u, -ETIMEDOUT,
					"bangerd-root (pid %d) did not come back as %s within %d s",
					(int)helper, version, ANSWER_TIMEOUT_SEC);
		if (kill(daemon, SIGHUP) < 0)
			return update_fail(
				u, -errno, "cannot signal bangerd (pid %d): %m", (int)daemon);
		u->hupped = daemon;
		return 0; /* the next step waits for the daemon */
	}
	char exe[PATH_MAX], out[2048];
	const char *argv[] = {exe, "system", "restart", NULL};
	int rc;

	(void)update_pathf(exe, sizeof(exe), "%s/bin/banger", u->prefix);
	rc = update_run_capture(u, argv, false, out, sizeof(out), ANSWER_TIMEOUT_SEC * 2);
	if (rc != 0)
		return update_fail(u, -EIO, "banger system restart failed (%d): %s", rc, out);
	return 0;
}

int update_wait_answer(struct update *u, const char *version)
{
	struct timespec ts = {.tv_nsec = 200 * 1000 * 1000};

	for (int i = 0; i < ANSWER_TIMEOUT_SEC * 5; i++) {
		if (update_daemons_at(u, version, true)) {
			u->hupped = 0;
			return 0;
		}
		/* re-executing keeps the pid: a bangerd gone meanwhile will not answer at all */
		if (u->hupped > 0 && daemon_pid(u, "bangerd") != u->hupped) {
			pid_t pid = u->hupped;
			u->hupped = 0;
			return update_fail(u, -ESRCH,
				"bangerd (pid %d) exited instead of starting as %s", (int)pid,
				version);
		}
		nanosleep(&ts, NULL);
	}
	u->hupped = 0;
	return update_fail(u, -ETIMEDOUT,
		"bangerd and bangerd-root did not both answer as version %s within %d s", version,
		ANSWER_TIMEOUT_SEC);
}

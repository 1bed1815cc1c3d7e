/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* banger update as root. The steps, each published in <run dir>/update.json (the daemon turns it
 * into update.progress / update.finished events; the owner's `banger update` follows it):
 *   check → download → verify → unpack → test → snapshot → swap → units → restart → wait →
 *   reconcile → confirm
 * Before the swap nothing installed has changed; after it, any failure (a daemon that does not
 * come back, a VM not re-adopted with its VMM pid and boot id) puts the previous set back and
 * restarts again. The previous set stays in <lib dir>/update/previous for --rollback.
 * The programs go where the running installation has them: <prefix>/bin, /sbin, /share, with
 * <prefix> the parent of the folder this banger runs from. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <ini.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/update-fetch.h"
#include "cli/update-internal.h"
#include "cli/update-release.h"
#include "cli/update-unpack.h"
#include "common/bus.h"
#include "common/fileio.h"
#include "common/install.h"
#include "common/layout.h"
#include "common/macro.h"
#include "protocol/client.h"
#include "protocol/jsonrpc.h"
#include "protocol/methods.h"

static const char *const step_names[N_STEPS] = {"check", "download", "verify", "unpack", "test",
	"snapshot", "swap", "units", "restart", "wait", "reconcile", "confirm"};

/* ---- what the user and the daemon see ---------------------------------------------------------
 */

static void status(struct update *u, const char *state, const char *fmt, ...) _printf_(3, 4);
static void status(struct update *u, const char *state, const char *fmt, ...)
{
	char msg[1024];
	_cleanup_json_ json_t *o = NULL;
	_cleanup_free_ char *s = NULL;
	time_t now = time(NULL);
	struct tm tm;
	char when[32];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (streq(state, "running"))
		printf("[%d/%d] %s: %s\n", u->step + 1, N_STEPS, step_names[u->step], msg);
	else
		printf("%s\n", msg);
	fflush(stdout);
	o = json_pack("{s:s, s:s, s:i, s:i, s:s, s:s, s:s, s:s, s:b, s:s}", "state", state, "step",
		step_names[u->step], "n", u->step + 1, "of", N_STEPS, "message", msg, "from",
		u->running_s, "to", u->target_s, "time", when, "unattended", u->o->unattended,
		"run", u->run);
	s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	if (s)
		(void)write_file_atomic(u->status, s, strlen(s), 0644);
}

static int step(struct update *u, int i, const char *fmt, ...) _printf_(3, 4);
static int step(struct update *u, int i, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	u->step = i;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	status(u, "running", "%s", msg);
	return 0;
}

int update_fail(struct update *u, int r, const char *fmt, ...) _printf_(3, 4);
int update_fail(struct update *u, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(u->why, sizeof(u->why), fmt, ap);
	va_end(ap);
	return r;
}

/* snprintf for paths: truncation is an error, never a shorter path. */
int update_pathf(char *buf, size_t size, const char *fmt, ...) _printf_(3, 4);
int update_pathf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size) {
		buf[0] = '\0';
		return -ENAMETOOLONG;
	}
	return 0;
}

/* ---- running things -------------------------------------------------------------------------- */

/* Runs argv (as the owner when as_owner), its stdout into out (NUL-terminated, may be NULL);
 * returns its exit status, or -errno. */
int update_run_capture(struct update *u, const char *const argv[], bool as_owner, char *out,
	size_t out_size, int timeout_sec)
{
	int p[2], status = 0;
	pid_t pid;
	size_t n = 0;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null < 0 || dup2(null, 0) < 0 || dup2(p[1], 1) < 0 || dup2(null, 2) < 0)
			_exit(126);
		if (as_owner &&
			(setgroups(1, &u->m.owner_gid) < 0 ||
				setresgid(u->m.owner_gid, u->m.owner_gid, u->m.owner_gid) < 0 ||
				setresuid(u->m.owner_uid, u->m.owner_uid, u->m.owner_uid) < 0))
			_exit(126);
		if (as_owner) {
			char home[PATH_MAX * 2];
			snprintf(home, sizeof(home), "%s%s", u->l.root, u->m.owner_home);
			setenv("HOME", home, 1);
		}
		alarm((unsigned)timeout_sec);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	for (;;) {
		char buf[512];
		ssize_t k = read(p[0], buf, sizeof(buf));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		if (out && n + 1 < out_size) {
			size_t c = MIN((size_t)k, out_size - 1 - n);
			memcpy(out + n, buf, c);
			n += c;
		}
	}
	close(p[0]);
	if (out && out_size)
		out[n] = '\0';
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ---- the daemon -------------------------------------------------------------------------------
 */

int update_daemon_call(struct update *u, enum rpc_method method, json_t *params, json_t **ret)
{
	_cleanup_rpc_client_ struct rpc_client *c = NULL;
	struct rpc_error err = {};
	int r;

	r = rpc_client_connect(u->l.daemon_sock, &c);
	if (r >= 0)
		r = rpc_client_hello(c, "banger-update", CALL_TIMEOUT_MS, NULL, &err);
	if (r >= 0)
		r = rpc_client_call(
			c, rpc_method_to_string(method), params, CALL_TIMEOUT_MS, ret, &err);
	else
		json_decref(params);
	if (r < 0 && err.message[0])
		snprintf(u->why, sizeof(u->why), "%s", err.message);
	return r;
}

/* The daemon answers and reaches the helper, which runs version want; so does the daemon when
 * daemon_too (during a restart the daemon may still be the old one). */
bool update_daemons_at(struct update *u, const char *want, bool daemon_too)
{
	_cleanup_json_ json_t *st = NULL;
	const json_t *h;

	if (update_daemon_call(u, RPC_METHOD_SYSTEM_STATUS, NULL, &st) < 0)
		return false;
	h = json_object_get(st, "helper");
	return json_is_true(json_object_get(h, "reachable")) &&
	       (!daemon_too ||
		       streq(json_string_value(json_object_get(st, "version")) ?: "", want)) &&
	       streq(json_string_value(json_object_get(h, "version")) ?: "", want);
}

static int boot_id_of(struct update *u, const char *name, char ret[40])
{
	char exe[PATH_MAX], out[256];
	const char *argv[] = {
		exe, "vm", "ssh", name, "--", "cat", "/proc/sys/kernel/random/boot_id", NULL};
	int r;

	(void)update_pathf(exe, sizeof(exe), "%s/bin/banger", u->prefix);
	r = update_run_capture(u, argv, true, out, sizeof(out), 30);
	if (r != 0 || strlen(out) < 36)
		return -EIO;
	memcpy(ret, out, 36);
	ret[36] = '\0';
	return 0;
}

/* Every running or paused VM, with its VMM pid and its guest's boot id as the guest itself says
 * (a paused guest cannot say: its VMM pid alone must not change). */
static int fleet_read(struct update *u, struct vm_before **ret, size_t *ret_n)
{
	_cleanup_json_ json_t *res = NULL;
	_cleanup_free_ struct vm_before *v = NULL;
	size_t i, n = 0;
	json_t *vm;
	int r;

	r = update_daemon_call(u, RPC_METHOD_VM_LIST, NULL, &res);
	if (r < 0)
		return r;
	v = calloc(json_array_size(json_object_get(res, "vms")) + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	json_array_foreach(json_object_get(res, "vms"), i, vm)
	{
		const char *state = json_string_value(json_object_get(vm, "state")) ?: "";

		if (!streq(state, "running") && !streq(state, "paused"))
			continue;
		snprintf(v[n].name, sizeof(v[n].name), "%s",
			json_string_value(json_object_get(vm, "name")) ?: "");
		snprintf(v[n].id, sizeof(v[n].id), "%s",
			json_string_value(json_object_get(vm, "id")) ?: "");
		v[n].pid = (long)json_integer_value(json_object_get(vm, "pid"));
		if (streq(state, "paused") || boot_id_of(u, v[n].name, v[n].boot_id) < 0)
			v[n].boot_id[0] = '\0'; /* compared as "", still must not change */
		n++;
	}
	*ret = TAKE_PTR(v);
	*ret_n = n;
	return 0;
}

/* Every VM that ran before runs now, with the same VMM pid and boot id. */
static int fleet_confirm(struct update *u)
{
	_cleanup_free_ struct vm_before *now = NULL;
	size_t n = 0;
	int r;

	r = fleet_read(u, &now, &n);
	if (r < 0)
		return update_fail(u, r, "cannot list the VMs: %s", u->why);
	for (size_t i = 0; i < u->n_vms; i++) {
		const struct vm_before *b = &u->vms[i], *a = NULL;
		for (size_t j = 0; j < n; j++)
			if (streq(now[j].id, b->id))
				a = &now[j];
		if (!a)
			return update_fail(u, -ESRCH, "VM %s is no longer running", b->name);
		if (a->pid != b->pid)
			return update_fail(u, -ESRCH, "VM %s's VMM is pid %ld, it was %ld", b->name,
				a->pid, b->pid);
		if (!streq(a->boot_id, b->boot_id))
			return update_fail(u, -ESRCH,
				"VM %s's guest booted again (boot id %s, was %s)", b->name,
				a->boot_id[0] ? a->boot_id : "unreadable", b->boot_id);
	}
	return 0;
}

/* ---- configuration ----------------------------------------------------------------------------
 */

static int on_conf(void *user, const char *section, const char *name, const char *value)
{
	struct update *u = user;

	if (name && streq(section, "update") && streq(name, "url"))
		snprintf(u->url, sizeof(u->url), "%s", value);
	return 1;
}

static int load(struct update *u)
{
	char exe[PATH_MAX], why[512] = "";
	ssize_t n;
	FILE *f;
	int r;

	r = layout_init(&u->l, NULL);
	if (r < 0)
		return update_fail(u, r, "invalid $%s: %s", BANGER_ROOT_ENV, strerror(-r));
	r = install_meta_load(&u->l, &u->m, why, sizeof(why));
	if (r < 0)
		return update_fail(u, r, "%s",
			r == -ENOENT ? "banger is not installed (banger system install first)"
				     : why);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return update_fail(u, -errno, "cannot tell where banger is installed: %m");
	exe[n] = '\0';
	snprintf(u->prefix, sizeof(u->prefix), "%s", dirname(dirname(exe)));
	if (snprintf(u->work, sizeof(u->work), "%s/update", u->l.lib_dir) >= (int)sizeof(u->work) ||
		snprintf(u->status, sizeof(u->status), "%s/update.json", u->l.run_dir) >=
			(int)sizeof(u->status))
		return update_fail(u, -ENAMETOOLONG, "paths too long");
	u->systemd = !u->l.root[0] && access("/run/systemd/system", F_OK) == 0;
	if (u->o->from)
		snprintf(u->url, sizeof(u->url), "%s", u->o->from);
	else if ((f = fopen(u->l.config, "re"))) {
		(void)ini_parse_file(f, on_conf, u);
		fclose(f);
	}
	if (version_parse(u->m.version, &u->running) < 0 &&
		version_parse(PACKAGE_VERSION, &u->running) < 0)
		return update_fail(u, -EINVAL, "cannot tell which version is installed");
	version_format(&u->running, u->running_s, sizeof(u->running_s));
	return 0;
}

/* <lib dir>/update, root 0700, and a lock nobody else holds. */
static int work_open(struct update *u, int *ret_lock)
{
	char lock[PATH_MAX + 8];
	struct stat st;
	int fd;

	if (mkdir(u->work, 0700) < 0 && errno != EEXIST)
		return update_fail(u, -errno, "cannot create %s: %m", u->work);
	if (lstat(u->work, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 077))
		return update_fail(u, -EPERM, "%s must be a root-owned 0700 directory", u->work);
	snprintf(lock, sizeof(lock), "%s/lock", u->work);
	fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return update_fail(u, -errno, "cannot open %s: %m", lock);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		return update_fail(u, -EBUSY, "another update is running");
	}
	*ret_lock = fd;
	return 0;
}

/* ---- the steps --------------------------------------------------------------------------------
 */

static int fetch_release(struct update *u, char *key_path, char **ret_manifest, size_t *ret_len)
{
	struct fetch_opts fo = {.insecure = u->o->insecure, .progress = u->o->progress};
	_cleanup_free_ char *manifest = NULL, *sig = NULL;
	char sig_url[2048 + 16], why[1024];
	size_t mlen, slen;
	int r;

	if (!u->url[0])
		return update_fail(u, -ENOENT,
			"no release URL: set [update] url in %s, or give --from URL-OF-MANIFEST",
			u->l.config);
	if (u->o->unattended && u->o->from)
		return update_fail(
			u, -EPERM, "an update for the owner uses only the configured URL");
	if (!u->m.release_key[0])
		return update_fail(u, -ENOKEY,
			"no release key is installed (banger system install --release-key "
			"KEY.pem): "
			"releases cannot be verified");
	if (update_pathf(key_path, PATH_MAX, "%s%s", u->l.root, u->m.release_key) < 0)
		return update_fail(u, -ENAMETOOLONG, "the release key's path is too long");
	r = fetch_to_memory(u->url, &fo, MANIFEST_MAX, &manifest, &mlen, why, sizeof(why));
	if (r < 0)
		return update_fail(u, r, "%s", why);
	snprintf(sig_url, sizeof(sig_url), "%s.sig", u->url);
	r = fetch_to_memory(sig_url, &(struct fetch_opts){.insecure = fo.insecure}, SIG_MAX, &sig,
		&slen, why, sizeof(why));
	if (r < 0)
		return update_fail(u, r, "no signature: %s", why);
	r = manifest_verify(manifest, mlen, (unsigned char *)sig, slen, key_path, why, sizeof(why));
	if (r < 0)
		return update_fail(u, r, "%s", why);
	r = manifest_parse(manifest, mlen, &u->man, why, sizeof(why));
	if (r < 0)
		return update_fail(u, r, "%s", why);
	u->target = u->man.version;
	version_format(&u->target, u->target_s, sizeof(u->target_s));
	*ret_manifest = TAKE_PTR(manifest);
	*ret_len = mlen;
	return 0;
}

static int check_versions(struct update *u)
{
	int c = version_compare(&u->target, &u->running);

	if (version_compare(&u->running, &u->man.min_version) < 0) {
		char min[48];
		version_format(&u->man.min_version, min, sizeof(min));
		return update_fail(u, -EPERM, "%s updates only from %s or newer; this is %s",
			u->target_s, min, u->running_s);
	}
	if (c == 0)
		return update_fail(u, -EALREADY, "banger %s is already installed", u->running_s);
	if (c < 0 && (u->o->unattended || !u->o->allow_downgrade))
		return update_fail(u, -EPERM, "%s is older than the installed %s%s", u->target_s,
			u->running_s,
			u->o->unattended ? " (a downgrade needs root)"
					 : "; --allow-downgrade installs it anyway");
	return 0;
}

static int download_verify(struct update *u, int stage_fd)
{
	struct fetch_opts fo = {.insecure = u->o->insecure, .progress = u->o->progress};
	char url[2048 + 160], why[1024], hex[65];
	uint64_t size = 0, kept = 0;
	int r;

	step(u, 1, "%s (%.1f MiB)", u->man.file, (double)u->man.size / (1 << 20));
	r = url_sibling(u->url, u->man.file, url, sizeof(url));
	if (r < 0)
		return update_fail(u, r, "cannot name the tarball's URL next to %s", u->url);
	for (int attempt = 0;; attempt++) {
		_cleanup_close_ int fd = -1;

		r = fetch_to_file(
			url, &fo, stage_fd, u->man.file, u->man.size, &kept, why, sizeof(why));
		if (r < 0)
			return update_fail(u, r, "%s", why);
		if (attempt == 0)
			step(u, 2, "size and SHA-256 of %s", u->man.file);
		fd = openat(stage_fd, u->man.file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return update_fail(u, -errno, "cannot read the download: %m");
		r = file_sha256(fd, hex, &size);
		if (r < 0)
			return update_fail(u, r, "cannot hash the download: %s", strerror(-r));
		if (size == u->man.size && streq(hex, u->man.sha256))
			return 0;
		/* a bad file is never resumed from */
		(void)unlinkat(stage_fd, u->man.file, 0);
		/* what an earlier download left may belong to another release of this name: once
		 * more from scratch */
		if (kept == 0 || attempt > 0)
			break;
	}
	return update_fail(u, -EBADMSG,
		"the download does not match the signed manifest (%llu bytes, sha256 %.16s…; "
		"expected %llu bytes, %.16s…)",
		(unsigned long long)size, hex, (unsigned long long)u->man.size, u->man.sha256);
}

static int unpack_test(struct update *u, int stage_fd)
{
	_cleanup_close_ int tar = -1, new_fd = -1;
	char top[64], base[PATH_MAX + 8], exe[PATH_MAX + 32], out[512], why[1024];
	const char *progs[][2] = {{"bin/bangerd", "bangerd"}, {"sbin/bangerd-root", "bangerd-root"},
		{"bin/banger", "banger"}};
	int r;

	step(u, 3, "into %s/new", u->work);
	tar = openat(stage_fd, u->man.file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (tar < 0)
		return update_fail(u, -errno, "cannot read the download: %m");
	r = update_work_subdir(u, "new", true, &new_fd);
	if (r < 0)
		return update_fail(u, r, "cannot create %s/new: %s", u->work, strerror(-r));
	snprintf(top, sizeof(top), "banger-%s", u->target_s);
	r = release_unpack(tar, new_fd, top, why, sizeof(why));
	if (r < 0)
		return update_fail(u, r, "%s", why);
	snprintf(base, sizeof(base), "%s/new", u->work);
	step(u, 4, "the new programs say they are %s", u->target_s);
	for (size_t i = 0; i < ELEMENTSOF(progs); i++) {
		const char *argv[] = {exe, "--version", NULL};
		struct version v;

		snprintf(exe, sizeof(exe), "%s/%s", base, progs[i][0]);
		r = update_run_capture(u, argv, false, out, sizeof(out), 10);
		if (r != 0)
			return update_fail(u, -ENOEXEC,
				"the new %s does not run (%s --version: exit %d)", progs[i][1],
				progs[i][0], r);
		if (version_from_program_output(out, progs[i][1], &v) < 0 ||
			version_compare(&v, &u->target) != 0)
			return update_fail(u, -ENOEXEC,
				"the new %s answers \"%.80s\" to --version, not \"%s %s\"",
				progs[i][1], strtok(out, "\n") ?: "", progs[i][1], u->target_s);
	}
	return 0;
}

/* Puts base's files in place and its units, restarts, waits for version, reconciles and
 * confirms the fleet. */
static int switch_to(struct update *u, const char *base, const char *version, bool save_units)
{
	unsigned changed = 0;
	int r;

	step(u, 6, "replacing the programs in %s", u->prefix);
	r = update_walk(u, base, "", update_swap_one);
	if (r < 0)
		return r;
	step(u, 7, "the units");
	r = update_units_apply(u, base, save_units, &changed);
	if (r < 0)
		return r;
	step(u, 8, "bangerd-root, then bangerd%s",
		u->systemd ? (changed ? " (units changed: reloaded)" : "") : " (detached)");
	r = update_restart_daemons(u, version);
	if (r < 0)
		return r;
	step(u, 9, "until both answer as %s", version);
	r = update_wait_answer(u, version);
	if (r < 0)
		return r;
	step(u, 10, "re-adopting the running VMs");
	{
		_cleanup_json_ json_t *res = NULL;
		r = update_daemon_call(
			u, RPC_METHOD_RECONCILE, json_pack("{s:b}", "dry_run", false), &res);
		if (r < 0)
			return update_fail(u, r, "reconcile failed: %s", u->why);
	}
	step(u, 11, "%zu VM%s running with the same VMM and boot id", u->n_vms,
		u->n_vms == 1 ? "" : "s");
	return fleet_confirm(u);
}

static int record_version(struct update *u, const char *version)
{
	if (update_pathf(u->m.version, sizeof(u->m.version), "%s", version) < 0)
		return -EINVAL;
	return install_meta_save(&u->l, &u->m);
}

/* After a failure past the swap: the previous set back in place. Says what happened; returns
 * -ECANCELED (rolled back) or -EIO (the rollback failed too). */
static int roll_back(struct update *u, const char *why_first)
{
	char base[PATH_MAX + 16], first[1024];
	int r;

	snprintf(first, sizeof(first), "%s", why_first);
	snprintf(base, sizeof(base), "%s/previous", u->work);
	status(u, "running", "rolling back to %s: %s", u->running_s, first);
	u->reported = true;
	r = switch_to(u, base, u->running_s, false);
	if (r < 0) {
		status(u, "failed",
			"Update to %s failed (%s) and the rollback to %s failed too (%s); see "
			"journalctl -u bangerd -u bangerd-root",
			u->target_s, first, u->running_s, u->why);
		return -EIO;
	}
	(void)record_version(u, u->running_s);
	status(u, "rolled_back", "Update to %s failed and was rolled back; %s runs again: %s",
		u->target_s, u->running_s, first);
	return -ECANCELED;
}

static int do_update(struct update *u)
{
	_cleanup_close_ int stage = -1, prev = -1;
	_cleanup_free_ char *manifest = NULL;
	char key[PATH_MAX], base[PATH_MAX + 8], path[PATH_MAX + 32];
	size_t mlen = 0;
	int r;

	step(u, 0, "%s", u->url[0] ? u->url : "(no URL)");
	r = fetch_release(u, key, &manifest, &mlen);
	if (r < 0)
		return r;
	r = check_versions(u);
	if (u->o->check_only) {
		if (r == -EALREADY)
			printf("banger %s is installed; no newer release at %s\n", u->running_s,
				u->url);
		else if (r >= 0)
			printf("banger %s is available (installed: %s); sudo banger update "
			       "installs "
			       "it\n",
				u->target_s, u->running_s);
		return r == -EALREADY ? 0 : r;
	}
	if (r < 0)
		return r;
	r = update_work_subdir(u, "download", false, &stage);
	if (r < 0)
		return update_fail(u, r, "cannot create the staging directory: %s", strerror(-r));
	/* the verified manifest next to what it describes */
	snprintf(path, sizeof(path), "%s/download/manifest.json", u->work);
	r = write_file_atomic(path, manifest, mlen, 0600);
	if (r < 0)
		return update_fail(u, r, "cannot keep the manifest: %s", strerror(-r));
	r = download_verify(u, stage);
	if (r >= 0)
		r = unpack_test(u, stage);
	if (r < 0)
		return r;

	step(u, 5, "the running VMs and the installed %s", u->running_s);
	r = fleet_read(u, &u->vms, &u->n_vms);
	if (r < 0)
		return update_fail(u, r, "cannot list the running VMs: %s", u->why);
	r = update_work_subdir(u, "previous", true, &prev);
	if (r < 0)
		return update_fail(u, r, "cannot create %s/previous: %s", u->work, strerror(-r));
	snprintf(base, sizeof(base), "%s/new", u->work);
	r = update_walk(u, base, "", update_save_one);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s/previous/VERSION", u->work);
	r = write_file_atomic(path, u->running_s, strlen(u->running_s), 0600);
	if (r < 0)
		return update_fail(u, r, "cannot keep the previous version: %s", strerror(-r));

	/* From here on a failure puts the previous set back. */
	r = switch_to(u, base, u->target_s, true);
	if (r < 0)
		return roll_back(u, u->why);
	(void)record_version(u, u->target_s);
	status(u, "finished", "Updated banger from %s to %s; %zu VM%s kept running", u->running_s,
		u->target_s, u->n_vms, u->n_vms == 1 ? "" : "s");
	return 0;
}

/* --rollback: the previous set becomes current, the current one previous (so a second
 * --rollback goes forward again). */
static int do_rollback(struct update *u)
{
	char prev[PATH_MAX + 16], back[PATH_MAX + 16], verfile[PATH_MAX + 16];
	_cleanup_free_ char *ver = NULL;
	int r;

	snprintf(prev, sizeof(prev), "%s/previous", u->work);
	snprintf(back, sizeof(back), "%s/rollback", u->work);
	(void)update_pathf(verfile, sizeof(verfile), "%s/VERSION", prev);
	if (read_file_full(verfile, 64, &ver, NULL) < 0 || version_parse(ver, &u->target) < 0)
		return update_fail(
			u, -ENOENT, "there is no previous version to roll back to (%s)", prev);
	version_format(&u->target, u->target_s, sizeof(u->target_s));
	step(u, 5, "the running VMs; %s stays as the previous version", u->running_s);
	r = fleet_read(u, &u->vms, &u->n_vms);
	if (r < 0)
		return update_fail(u, r, "cannot list the running VMs: %s", u->why);
	{
		_cleanup_close_ int w = open(u->work, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (w < 0 || ((r = update_rm_rf_at(w, "rollback")) < 0 && (errno = -r)))
			return update_fail(u, -errno, "cannot clear %s: %m", back);
	}
	if (rename(prev, back) < 0 || mkdir(prev, 0700) < 0)
		return update_fail(u, -errno, "cannot set the previous set aside: %m");
	r = update_walk(u, back, "", update_save_one);
	if (r < 0)
		return r;
	r = write_file_atomic(verfile, u->running_s, strlen(u->running_s), 0600);
	if (r < 0)
		return update_fail(u, r, "cannot note %s: %s", verfile, strerror(-r));
	r = switch_to(u, back, u->target_s, true);
	if (r < 0)
		return roll_back(u, u->why); /* previous/ holds what ran: back to it */
	(void)record_version(u, u->target_s);
	status(u, "finished", "Rolled banger back from %s to %s; %zu VM%s kept running",
		u->running_s, u->target_s, u->n_vms, u->n_vms == 1 ? "" : "s");
	return 0;
}

int update_run(const struct update_opts *o)
{
	struct update u = {.o = o};
	_cleanup_close_ int lock = -1;
	struct timespec now;
	int r;

	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(u.run, sizeof(u.run), "%lld.%09ld-%d", (long long)now.tv_sec, now.tv_nsec,
		(int)getpid());
	r = load(&u);
	if (r >= 0 && !o->check_only)
		r = work_open(&u, &lock);
	if (r >= 0)
		r = o->rollback ? do_rollback(&u) : do_update(&u);
	free(u.vms);
	if (r == -EALREADY) {
		if (lock >= 0) /* someone may be following (the owner, banger-tui) */
			status(&u, "finished", "banger %s is already installed: nothing to do",
				u.running_s);
		else
			printf("banger %s is already installed: nothing to do\n", u.running_s);
		return 0;
	}
	if (u.reported)
		return r; /* rolled back (or not), and said so */
	/* Whoever follows update.json (the owner who asked, the daemon's events) hears of every
	 * failure; a check, or a failure before the status file is known, only tells the caller. */
	if (r < 0 && (o->check_only || !u.status[0] || lock < 0))
		fprintf(stderr, "banger update: %s\n", u.why);
	else if (r < 0)
		status(&u, "failed",
			"Update failed at step \"%s\": %s (banger %s is still installed, "
			"nothing was changed)",
			step_names[u.step], u.why, u.running_s);
	return r;
}

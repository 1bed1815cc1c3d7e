/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* banger system install and uninstall, as root: the owner, directories with their ACLs, the
 * release key, install.json, banger.conf, and either systemd drop-ins or the daemons spawned
 * directly; uninstall refuses while VMs run and --purge asks bangerd-root to remove its objects. */
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
#include "common/handles.h"
#include "common/install.h"
#include "common/layout.h"
#include "common/macro.h"
#include "protocol/client.h"
#include "protocol/jsonrpc.h"

static const char default_config[] =
	"# banger.conf: bangerd's settings. Every setting below is commented out and shows its\n"
	"# default; uncomment what you sys_change, then run \"banger system restart\".\n"
	"\n"
	"[network]\n"
	"# subnet = 172.30.0.0/24       # the bridge gets .1, VMs the addresses after it\n"
	"# bridge = banger0\n"
	"\n"
	"[vm]\n"
	"# ssh_timeout_sec = 120        # InstanceStart until SSH answers\n"
	"# stop_timeout_sec = 10        # Ctrl-Alt-Del until SIGTERM\n"
	"# console_max_bytes = 4194304\n"
	"\n"
	"[state]\n"
	"# min_free_mib = 1024          # free space below this: doctor warns, daemon.low_space\n"
	"\n"
	"[daemon]\n"
	"# client_silent_timeout_sec = 10  # a client that sends no request by then is closed\n"
	"\n"
	"[file_sync]\n"
	"# path = ~/.gitconfig          # repeatable; copied into each VM, must be inside the "
	"owner's home\n"
	"\n"
	"[update]\n"
	"# url = https://example.org/banger/manifest.json   # where banger update looks\n";

/* ---- install --------------------------------------------------------------------------------- */

static int resolve_owner(struct cli *cli, struct sys *s)
{
	const char *name = cli_opt(cli, "owner");
	struct passwd *pw;

	if (!name || !name[0])
		name = getenv("SUDO_USER");
	if (!name || !name[0]) {
		fprintf(stderr,
			"banger system install: who owns the VMs? Pass --owner USER (or run "
			"it through sudo as that user)\n");
		return -EINVAL;
	}
	errno = 0;
	pw = getpwnam(name);
	if (!pw) {
		fprintf(stderr, "banger system install: unknown user \"%s\"\n", name);
		return -ENOENT;
	}
	if (pw->pw_uid == 0) {
		fprintf(stderr,
			"banger system install: the owner must not be root (\"%s\" has uid 0); "
			"name "
			"an unprivileged user with --owner\n",
			name);
		return -EPERM;
	}
	if (strlen(pw->pw_name) >= sizeof(s->m.owner_name) || !pw->pw_dir || pw->pw_dir[0] != '/' ||
		strlen(pw->pw_dir) >= sizeof(s->m.owner_home)) {
		fprintf(stderr, "banger system install: user \"%s\" has no usable name or home\n",
			name);
		return -EINVAL;
	}
	s->m.owner_uid = pw->pw_uid;
	s->m.owner_gid = pw->pw_gid;
	strcpy(s->m.owner_name, pw->pw_name);
	strcpy(s->m.owner_home, pw->pw_dir);
	return 0;
}

static int resolve_programs(struct sys *s)
{
	static const char *const names[] = {"banger-vmm", "banger-jailer"};
	char *dst[] = {s->m.vmm_path, s->m.jailer_path};

	for (size_t i = 0; i < ELEMENTSOF(names); i++) {
		sys_join(dst[i], PATH_MAX, s->self_dir, names[i], "");
		if (access(dst[i], X_OK) < 0) {
			fprintf(stderr,
				"banger system install: %s is missing (it must be installed next "
				"to banger, in %s)\n",
				dst[i], s->self_dir);
			return -ENOENT;
		}
	}
	return 0;
}

/* The directory with exactly this owner and mode; refuses anything but a real directory. */
static int ensure_dir(struct sys *s, const char *path, uid_t uid, gid_t gid, mode_t mode)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *parent = strdup(path);
	bool created = false;
	struct stat st;

	if (!parent)
		return -ENOMEM;
	if (mkdir_parents(dirname(parent), 0755) < 0) {
		fprintf(stderr, "banger: cannot create %s: %m\n", parent);
		return -errno;
	}
	if (mkdir(path, mode) == 0)
		created = true;
	else if (errno != EEXIST) {
		fprintf(stderr, "banger: cannot create %s: %m\n", path);
		return -errno;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "banger: %s is not a directory (or a symlink): refusing it\n",
			path);
		return -ENOTDIR;
	}
	if (st.st_uid == uid && st.st_gid == gid && (st.st_mode & 07777) == mode) {
		if (created)
			sys_change(s, "created %s", path);
		return 0;
	}
	if (fchown(fd, uid, gid) < 0 || fchmod(fd, mode) < 0) {
		fprintf(stderr, "banger: cannot set the owner or mode of %s: %m\n", path);
		return -errno;
	}
	sys_change(s, "%s %s (uid %u, gid %u, mode %04o)", created ? "created" : "fixed", path,
		(unsigned)uid, (unsigned)gid, (unsigned)mode);
	return 0;
}

static int ensure_dirs(struct sys *s)
{
	const struct {
		const char *path;
		bool owner_uid, owner_gid;
		mode_t mode;
	} dirs[] = {
		{s->l.etc_dir, false, false, 0755},
		{s->l.lib_dir, false, false, 0755},
		{s->l.state_dir, true, true, 0700},
		{s->l.jail_base, false, false, 0755},
		{s->l.log_dir, false, false, 0755},
		{s->l.run_dir, false, false, 01770},
	};
	int r;

	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		r = ensure_dir(s, dirs[i].path, dirs[i].owner_uid ? s->m.owner_uid : 0,
			dirs[i].owner_gid ? s->m.owner_gid : 0, dirs[i].mode);
		if (r < 0)
			return r;
	}
	/* The run directory holds root.sock, bangerd.sock and the VM socket links: root's, sticky,
	 * and the owner's through an ACL entry. Not through its group: systemd's RuntimeDirectory=
	 * would take a group it does not expect back, recursively, bangerd.sock with it. */
	r = acl_grant_user(s->l.run_dir, s->m.owner_uid, 07);
	if (r == -EOPNOTSUPP)
		r = ensure_dir(s, s->l.run_dir, 0, s->m.owner_gid, 01770);
	if (r < 0) {
		fprintf(stderr, "banger: cannot give %s to the owner: %s\n", s->l.run_dir,
			strerror(-r));
		return r;
	}
	return 0;
}

/* The owner's SSH directory, which bangerd needs at start: the home (root creates it, for the
 * owner, when it is missing), then everything inside it as the owner, so that no symlink the
 * owner planted can steer root. */
static int ensure_owner_dirs(struct sys *s)
{
	char home[PATH_MAX], ssh[PATH_MAX];
	_cleanup_free_ char *parent = NULL;
	struct stat st;
	int status, n;
	pid_t pid;

	n = snprintf(home, sizeof(home), "%s%s", s->l.root, s->m.owner_home);
	if (n < 0 || (size_t)n >= sizeof(home) ||
		layout_ssh_dir(&s->l, s->m.owner_home, ssh, sizeof(ssh)) < 0)
		return -ENAMETOOLONG;
	if (lstat(home, &st) < 0) {
		parent = strdup(home);
		if (!parent)
			return -ENOMEM;
		if (mkdir_parents(dirname(parent), 0755) < 0 || mkdir(home, 0700) < 0 ||
			chown(home, s->m.owner_uid, s->m.owner_gid) < 0) {
			fprintf(stderr, "banger: cannot create the owner's home %s: %m\n", home);
			return -errno;
		}
		sys_change(s, "created %s (the owner's home)", home);
	}
	if (stat(ssh, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (setgroups(1, &s->m.owner_gid) < 0 ||
			setresgid(s->m.owner_gid, s->m.owner_gid, s->m.owner_gid) < 0 ||
			setresuid(s->m.owner_uid, s->m.owner_uid, s->m.owner_uid) < 0)
			_exit(126);
		umask(0077);
		_exit(mkdir_parents(ssh, 0700) < 0 ? 1 : 0);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "banger: cannot create %s as %s\n", ssh, s->m.owner_name);
		return -EACCES;
	}
	sys_change(s, "created %s", ssh);
	return 0;
}

static bool same_meta(const struct install_meta *a, const struct install_meta *b)
{
	return a->owner_uid == b->owner_uid && a->owner_gid == b->owner_gid &&
	       streq(a->owner_name, b->owner_name) && streq(a->owner_home, b->owner_home) &&
	       streq(a->version, b->version) && streq(a->vmm_path, b->vmm_path) &&
	       streq(a->jailer_path, b->jailer_path) && streq(a->release_key, b->release_key);
}

/* --release-key PEM: an Ed25519 public key, installed root 0644 as <etc>/release-key.pem (the
 * path install.json names); without the option, the one an earlier install set stays. */
static int install_release_key(struct cli *cli, struct sys *s)
{
	const char *src = cli_opt(cli, "release-key");
	struct install_meta old = {};
	_cleanup_free_ char *data = NULL, *cur = NULL;
	char dst[PATH_MAX];
	EVP_PKEY *key;
	BIO *bio;
	size_t len;
	int r;

	if (!src) {
		if (install_meta_load(&s->l, &old, NULL, 0) >= 0)
			memcpy(s->m.release_key, old.release_key, sizeof(old.release_key));
		return 0;
	}
	r = read_file_full(src, 64 * 1024, &data, &len);
	if (r < 0) {
		fprintf(stderr, "banger system install: cannot read %s: %s\n", src, strerror(-r));
		return r;
	}
	bio = BIO_new_mem_buf(data, (int)len);
	key = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	if (!key || EVP_PKEY_id(key) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(key);
		fprintf(stderr,
			"banger system install: %s is not an Ed25519 public key in PEM (openssl "
			"pkey "
			"-in PRIVATE.pem -pubout makes one)\n",
			src);
		return -EINVAL;
	}
	EVP_PKEY_free(key);
	sys_join(dst, sizeof(dst), s->l.etc_dir, "release-key.pem", "");
	if (read_file_full(dst, 64 * 1024, &cur, NULL) < 0 || !streq(cur, data)) {
		r = write_file_atomic(dst, data, len, 0644);
		if (r < 0) {
			fprintf(stderr, "banger: cannot write %s: %s\n", dst, strerror(-r));
			return r;
		}
		sys_change(s, "installed the release key %s", dst);
	}
	/* install.json names it as the real system sees it, without a test's $BANGER_ROOT */
	snprintf(s->m.release_key, sizeof(s->m.release_key), "%s", dst + strlen(s->l.root));
	return 0;
}

static int write_meta(struct sys *s)
{
	struct install_meta old = {};
	struct stat st;
	time_t now = time(NULL);
	struct tm tm;
	int r;

	snprintf(s->m.version, sizeof(s->m.version), "%s", PACKAGE_VERSION);
	if (install_meta_load(&s->l, &old, NULL, 0) >= 0 && same_meta(&old, &s->m) &&
		lstat(s->l.install_json, &st) == 0 && st.st_uid == 0 &&
		(st.st_mode & 07777) == 0644) {
		memcpy(s->m.installed_at, old.installed_at, sizeof(old.installed_at));
		return 0;
	}
	gmtime_r(&now, &tm);
	strftime(s->m.installed_at, sizeof(s->m.installed_at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	r = install_meta_save(&s->l, &s->m);
	if (r < 0) {
		fprintf(stderr, "banger: cannot write %s: %s\n", s->l.install_json, strerror(-r));
		return r;
	}
	sys_change(s, "wrote %s (owner %s, uid %u)", s->l.install_json, s->m.owner_name,
		(unsigned)s->m.owner_uid);
	return 0;
}

static int write_config(struct sys *s)
{
	struct stat st;
	int r;

	if (lstat(s->l.config, &st) == 0)
		return 0;
	if (errno != ENOENT) {
		fprintf(stderr, "banger: cannot check %s: %m\n", s->l.config);
		return -errno;
	}
	r = write_file_atomic(s->l.config, default_config, strlen(default_config), 0644);
	if (r < 0) {
		fprintf(stderr, "banger: cannot write %s: %s\n", s->l.config, strerror(-r));
		return r;
	}
	sys_change(s, "wrote %s (defaults, commented out)", s->l.config);
	return 0;
}

/* A small file with exactly this content. */
static int ensure_file(struct sys *s, const char *path, const char *content)
{
	_cleanup_free_ char *old = NULL;
	_cleanup_free_ char *dir = strdup(path);
	int r;

	if (!dir)
		return -ENOMEM;
	if (read_file_full(path, 4096, &old, NULL) >= 0 && streq(old, content))
		return 0;
	r = mkdir_parents(dirname(dir), 0755);
	if (r >= 0)
		r = write_file_atomic(path, content, strlen(content), 0644);
	if (r < 0) {
		fprintf(stderr, "banger: cannot write %s: %s\n", path, strerror(-r));
		return r;
	}
	sys_change(s, "wrote %s", path);
	return 0;
}

static int install_systemd(struct sys *s)
{
	struct group *gr = getgrgid(s->m.owner_gid);
	char group[64], buf[PATH_MAX + 256];
	int r;

	snprintf(group, sizeof(group), "%s", gr ? gr->gr_name : "");
	if (!group[0])
		snprintf(group, sizeof(group), "%u", (unsigned)s->m.owner_gid);
	/* ProtectHome=read-only in the unit: the owner's SSH key and known_hosts stay writable */
	snprintf(buf, sizeof(buf),
		"[Service]\nUser=%s\nGroup=%s\nReadWritePaths=-%s/.config/banger\n",
		s->m.owner_name, group, s->m.owner_home);
	r = ensure_file(s, SYSTEMD_UNIT_DIR "/bangerd.service.d/owner.conf", buf);
	if (r < 0)
		return r;
	snprintf(buf, sizeof(buf), "[Socket]\nSocketUser=%s\nSocketGroup=%s\n", s->m.owner_name,
		group);
	r = ensure_file(s, SYSTEMD_UNIT_DIR "/bangerd.socket.d/owner.conf", buf);
	if (r < 0)
		return r;
	if (s->changes > 0)
		r = sys_run_wait((const char *const[]){"systemctl", "daemon-reload", NULL});
	if (r >= 0)
		r = sys_systemctl("enable", "--now");
	if (r < 0)
		return r;
	for (int i = 0; i < READY_TIMEOUT_SEC * 10 && !sys_daemon_ready(s); i++)
		sys_sleep_ms(100);
	if (!sys_daemon_ready(s)) {
		fprintf(stderr,
			"banger: bangerd does not answer or does not reach bangerd-root; see "
			"journalctl -u bangerd -u bangerd-root\n");
		return -ETIMEDOUT;
	}
	return 0;
}

static int start_direct(struct sys *s)
{
	_cleanup_json_ json_t *st = NULL;
	int r;

	if (!sys_helper_ready(s)) {
		r = sys_spawn(s, &helper_spec, sys_helper_ready);
		if (r < 0)
			return r;
	}
	st = sys_daemon_status(s);
	if (!st) {
		r = sys_spawn(s, &daemon_spec, sys_daemon_ready);
		if (r < 0)
			return r;
	}
	/* both answered before (or were just started): wait for the daemon to see the helper */
	for (int i = 0; i < READY_TIMEOUT_SEC * 10 && !sys_daemon_ready(s); i++)
		sys_sleep_ms(100);
	if (!sys_daemon_ready(s)) {
		fprintf(stderr, "banger: bangerd does not reach bangerd-root; see %s\n",
			s->l.log_dir);
		return -ETIMEDOUT;
	}
	return 0;
}

int cmd_system_install(struct cli *cli)
{
	struct sys s;
	int r;

	if (sys_init(&s, "install") < 0)
		return CLI_EXIT_ERROR;
	r = resolve_owner(cli, &s);
	if (r >= 0)
		r = resolve_programs(&s);
	if (r >= 0)
		r = ensure_dirs(&s);
	if (r >= 0)
		r = ensure_owner_dirs(&s);
	if (r >= 0)
		r = install_release_key(cli, &s);
	if (r >= 0)
		r = write_meta(&s);
	if (r >= 0)
		r = write_config(&s);
	if (r >= 0)
		r = s.systemd ? install_systemd(&s) : start_direct(&s);
	if (r < 0)
		return CLI_EXIT_ERROR;
	if (s.changes == 0)
		printf("banger is already installed for %s (uid %u) and running: nothing to "
		       "change\n",
			s.m.owner_name, (unsigned)s.m.owner_uid);
	else
		printf("banger is installed for %s (uid %u) and running%s\n", s.m.owner_name,
			(unsigned)s.m.owner_uid,
			s.systemd ? " (systemd: journalctl -u bangerd -u bangerd-root)" : "");
	return 0;
}

/* ---- uninstall, restart ---------------------------------------------------------------------- */

static bool vm_active(const char *state)
{
	/* a paused VM's VMM runs too */
	return state && (streq(state, "starting") || streq(state, "running") ||
				streq(state, "stopping") || streq(state, "paused"));
}

/* For --purge: refuses while any VM runs (asking the daemon, else its handles.json). */
static int refuse_running_vms(struct sys *s)
{
	_cleanup_rpc_client_ struct rpc_client *c = NULL;
	_cleanup_json_ json_t *res = NULL;
	struct handles_file handles = {};
	struct rpc_error err = {};
	size_t i, n = 0;
	json_t *vm;

	if (rpc_client_connect(s->l.daemon_sock, &c) >= 0 &&
		rpc_client_hello(c, "banger", PROBE_TIMEOUT_MS, NULL, &err) >= 0 &&
		rpc_client_call(c, rpc_method_to_string(RPC_METHOD_VM_LIST), NULL, PROBE_TIMEOUT_MS,
			&res, &err) >= 0) {
		json_array_foreach(json_object_get(res, "vms"), i, vm)
		{
			if (!vm_active(json_str(vm, "state", NULL)))
				continue;
			if (n++ == 0)
				fprintf(stderr, "banger system uninstall --purge: refused, VMs are "
						"running:");
			fprintf(stderr, " %s", json_str(vm, "name", "?"));
		}
		if (n) {
			fprintf(stderr,
				"\nStop them first (banger vm stop NAME...), then run it again.\n");
			return -EBUSY;
		}
		return 0;
	}
	(void)handles_file_load(s->l.handles_json, &handles);
	n = handles.n;
	handles_file_done(&handles);
	if (n > 0) {
		fprintf(stderr,
			"banger system uninstall --purge: refused: bangerd does not answer and %s "
			"still records %zu running VM(s). Start banger (banger system install), "
			"stop them, then purge.\n",
			s->l.handles_json, n);
		return -EBUSY;
	}
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? -1 : 0;
}

static int remove_file(struct sys *s, const char *path)
{
	if (unlink(path) == 0) {
		sys_change(s, "removed %s", path);
		return 0;
	}
	if (errno == ENOENT)
		return 0;
	fprintf(stderr, "banger: cannot remove %s: %m\n", path);
	return -errno;
}

/* rm -r, never following symlinks; "" when it did not exist. */
static int remove_tree(struct sys *s, const char *path, const char *what)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (S_ISDIR(st.st_mode) ? nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) < 0
				: unlink(path) < 0) {
		fprintf(stderr, "banger: cannot remove %s: %m\n", path);
		return -errno;
	}
	sys_change(s, "removed %s%s", path, what);
	return 0;
}

/* What root made in the kernel and under the jail base: bangerd-root --purge knows it. */
static int purge_helper_objects(struct sys *s)
{
	char prog[PATH_MAX];
	const char *argv[] = {prog, "--purge", NULL};
	int r;

	sys_program_path(s, helper_spec.name, helper_spec.fallback_dir, prog, sizeof(prog));
	fflush(stdout);
	r = sys_run_wait(argv);
	if (r < 0)
		fprintf(stderr, "banger: %s --purge could not remove everything (see above)\n",
			prog);
	else
		s->changes++;
	return r;
}

int cmd_system_uninstall(struct cli *cli)
{
	bool purge = cli_opt(cli, "purge") != NULL;
	char home_cfg[PATH_MAX] = "";
	struct sys s;
	int r;

	if (sys_init(&s, "uninstall") < 0)
		return CLI_EXIT_ERROR;
	if (purge && refuse_running_vms(&s) < 0)
		return CLI_EXIT_ERROR;
	if (purge && install_meta_load(&s.l, &s.m, NULL, 0) >= 0)
		sys_join(home_cfg, sizeof(home_cfg), s.m.owner_home, ".config/banger", "");
	if (s.systemd) {
		r = sys_systemctl("disable", "--now");
		if (r < 0)
			return CLI_EXIT_ERROR;
		s.changes++;
		if (remove_file(&s, SYSTEMD_UNIT_DIR "/bangerd.service.d/owner.conf") < 0 ||
			remove_file(&s, SYSTEMD_UNIT_DIR "/bangerd.socket.d/owner.conf") < 0)
			return CLI_EXIT_ERROR;
		(void)rmdir(SYSTEMD_UNIT_DIR "/bangerd.service.d");
		(void)rmdir(SYSTEMD_UNIT_DIR "/bangerd.socket.d");
		(void)sys_run_wait((const char *const[]){"systemctl", "daemon-reload", NULL});
	} else if (sys_stop_recorded(&s, &daemon_spec) < 0 ||
		   sys_stop_recorded(&s, &helper_spec) < 0)
		return CLI_EXIT_ERROR;
	/* needs install.json (the owner, the VMM's name): before it goes */
	if (purge && access(s.l.install_json, F_OK) == 0 && purge_helper_objects(&s) < 0)
		return CLI_EXIT_ERROR;
	if (remove_file(&s, s.l.install_json) < 0)
		return CLI_EXIT_ERROR;
	if (purge) {
		r = remove_tree(&s, s.l.state_dir, " (VM records, disks and images)");
		if (r >= 0)
			r = remove_tree(&s, s.l.lib_dir, "");
		if (r >= 0)
			r = remove_tree(&s, s.l.etc_dir, " (banger.conf)");
		if (r >= 0)
			r = remove_tree(&s, s.l.log_dir, "");
		if (r >= 0)
			r = remove_tree(&s, s.l.run_dir, "");
		if (r < 0)
			return CLI_EXIT_ERROR;
	}
	if (s.changes == 0) {
		printf("banger is not installed: nothing to remove\n");
		return 0;
	}
	if (!purge) {
		printf("banger is uninstalled; kept %s, %s and the network setup (uninstall "
		       "--purge "
		       "removes them); running VMs, if any, were left alone\n",
			s.l.state_dir, s.l.config);
		return 0;
	}
	printf("banger is uninstalled and purged. Kept:\n");
	if (home_cfg[0])
		printf("  %s: the owner's own files (SSH key, known_hosts, settings); remove it as "
		       "the owner if you want\n",
			home_cfg);
	printf("  net.ipv4.ip_forward: left as it is, other software may rely on it now\n");
	printf("  the programs, units and man pages: remove them with the tool that installed "
	       "them (make uninstall)\n");
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The helper's root-owned configuration: layout, owner, VMM and jailer, and the safety checks on
 * every path the helper uses itself. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/acl.h"
#include "common/install.h"
#include "common/macro.h"
#include "helper/config.h"
#include "helper/provider.h"

static bool writable_by_owner(const struct helper_config *cfg, const struct stat *st)
{
	if (st->st_uid == cfg->owner_uid && (st->st_mode & S_IWUSR))
		return true;
	if (st->st_gid != 0 && (st->st_mode & S_IWGRP))
		return true;
	/* A sticky directory owned by root lets nobody but an entry's owner rename or remove it,
	 * and every entry below is checked to be root's. */
	if ((st->st_mode & S_IWOTH) && !(S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX)))
		return true;
	return false;
}

static int check_trusted(const struct helper_config *cfg, const char *path, bool allow_missing,
        struct rpc_error *err)
{
	char buf[PATH_MAX];
	struct stat st;
	size_t n = strlen(path);

	if (path[0] != '/' || n >= sizeof(buf))
		return rpc_error_set(
		        err, -EINVAL, RPC_ERROR_INTERNAL, "Path \"%s\" is not absolute", path);
	for (size_t i = 1; i <= n; i++) {
		if (i < n && path[i] != '/')
			continue;
		memcpy(buf, path, i);
		buf[i] = '\0';
		if (i == 1 && buf[0] == '/')
			buf[1] = '\0';
		if (lstat(i == 1 ? "/" : buf, &st) < 0 && errno == ENOENT && allow_missing)
			return 0; /* what exists so far is sound; the rest will be created by root
			           */
		if (lstat(i == 1 ? "/" : buf, &st) < 0)
			return rpc_error_set(err, negative_errno(), RPC_ERROR_UNAVAILABLE,
			        "Failed to check \"%s\": %m", buf);
		if (S_ISLNK(st.st_mode))
			return rpc_error_set(err, -EPERM, RPC_ERROR_PERMISSION_DENIED,
			        "Refusing \"%s\": \"%s\" is a symlink", path, buf);
		if (st.st_uid != 0)
			return rpc_error_set(err, -EPERM, RPC_ERROR_PERMISSION_DENIED,
			        "Refusing \"%s\": \"%s\" is owned by uid %u, not root", path, buf,
			        (unsigned)st.st_uid);
		if (writable_by_owner(cfg, &st))
			return rpc_error_set(err, -EPERM, RPC_ERROR_PERMISSION_DENIED,
			        "Refusing \"%s\": \"%s\" is writable by the owner (mode %04o)",
			        path, buf, (unsigned)(st.st_mode & 07777));
	}
	return 0;
}

int helper_path_check_trusted(
        const struct helper_config *cfg, const char *path, struct rpc_error *err)
{
	return check_trusted(cfg, path, false, err);
}

/* mkdir -p, root 0755: the helper's own directories. */
static int mkdir_root(const char *path)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (i < n && buf[i] != '/')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return negative_errno();
		if (i < n)
			buf[i] = '/';
	}
	return 0;
}

static int run_dir_prepare(const struct helper_config *cfg)
{
	const char *p = cfg->layout.run_dir;
	struct stat st;
	int r;

	if (lstat(p, &st) < 0)
		return negative_errno();
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0)
		return -EPERM;
	if (chown(p, 0, 0) < 0 || chmod(p, 01770) < 0)
		return negative_errno();
	r = acl_grant_user(p, cfg->owner_uid, 07);
	if (r == -EOPNOTSUPP && chown(p, 0, cfg->owner_gid) < 0)
		return negative_errno();
	return r == -EOPNOTSUPP ? 0 : r;
}

int helper_config_load(struct helper_config *cfg, const char *root, long owner_uid, long owner_gid,
        char *why, size_t why_size)
{
	struct install_meta meta = {};
	struct rpc_error e = {};
	int r;

	*cfg = (struct helper_config){};
	r = layout_init(&cfg->layout, root);
	if (r < 0) {
		snprintf(why, why_size, "bad BANGER_ROOT: %s", strerror(-r));
		return r;
	}
	r = install_meta_load(&cfg->layout, &meta, why, why_size);
	if (r == -ENOENT && owner_uid >= 0)
		r = 0;
	else if (r == -ENOENT) {
		snprintf(why, why_size, "%s is missing and no --owner-uid was given",
		        cfg->layout.install_json);
		return r;
	} else if (r < 0) {
		if (r != -EBADMSG)
			snprintf(why, why_size, "cannot read %s: %s", cfg->layout.install_json,
			        strerror(-r));
		return r;
	}
	cfg->owner_uid = owner_uid >= 0 ? (uid_t)owner_uid : meta.owner_uid;
	cfg->owner_gid = owner_gid >= 0   ? (gid_t)owner_gid
	                 : owner_uid >= 0 ? (gid_t)owner_uid
	                                  : meta.owner_gid;
	if (cfg->owner_uid == 0) {
		snprintf(why, why_size, "the owner must not be root");
		return -EINVAL;
	}

	/* The metadata file itself steers the helper: it must be root's. */
	if (meta.vmm_path[0] || meta.jailer_path[0]) {
		r = helper_path_check_trusted(cfg, cfg->layout.install_json, &e);
		if (r < 0) {
			snprintf(why, why_size, "%s", e.message);
			return r;
		}
	}
	if (meta.vmm_path[0]) {
		const char *b = strrchr(meta.vmm_path, '/');
		b = b ? b + 1 : meta.vmm_path;
		if (meta.vmm_path[0] != '/' || layout_check_component(b) < 0) {
			snprintf(why, why_size, "install.json: vmm \"%s\" is not an absolute path",
			        meta.vmm_path);
			return -EINVAL;
		}
		snprintf(cfg->vmm_path, sizeof(cfg->vmm_path), "%s", meta.vmm_path);
		memcpy(cfg->exec_name, b, strlen(b) + 1); /* checked: at most 64 bytes */
		cfg->provider = vmm_provider_find(cfg->exec_name);
	}
	if (meta.jailer_path[0]) {
		if (meta.jailer_path[0] != '/') {
			snprintf(why, why_size,
			        "install.json: jailer \"%s\" is not an absolute path",
			        meta.jailer_path);
			return -EINVAL;
		}
		snprintf(cfg->jailer_path, sizeof(cfg->jailer_path), "%s", meta.jailer_path);
	}

	/* Never create anything inside a directory the owner could change. */
	r = check_trusted(cfg, cfg->layout.jail_base, true, &e);
	if (r < 0) {
		snprintf(why, why_size, "%s", e.message);
		return r;
	}
	if (mkdir_root(cfg->layout.run_dir) < 0 || mkdir_root(cfg->layout.lib_dir) < 0 ||
	        mkdir_root(cfg->layout.jail_base) < 0) {
		snprintf(why, why_size, "cannot create %s, %s or %s: %m", cfg->layout.run_dir,
		        cfg->layout.lib_dir, cfg->layout.jail_base);
		return -errno;
	}
	/* The run directory holds root.sock and the owner's bangerd.sock and VM socket links: root's,
	 * sticky so the owner cannot replace root's socket, and the owner's through an ACL entry.
	 * Not through its group where ACLs work: systemd's RuntimeDirectory= takes a group it does
	 * not expect back at the next start, recursively, and bangerd.sock with it. */
	r = run_dir_prepare(cfg);
	if (r < 0) {
		snprintf(why, why_size, "cannot make %s root's, 1770, with the owner's access: %s",
		        cfg->layout.run_dir, strerror(-r));
		return r;
	}
	r = helper_path_check_trusted(cfg, cfg->layout.jail_base, &e);
	if (r >= 0 && cfg->vmm_path[0])
		r = helper_path_check_trusted(cfg, cfg->vmm_path, &e);
	if (r >= 0 && cfg->jailer_path[0])
		r = helper_path_check_trusted(cfg, cfg->jailer_path, &e);
	if (r < 0) {
		snprintf(why, why_size, "%s", e.message);
		return r;
	}
	return 0;
}

int helper_config_require_vmm(const struct helper_config *cfg, struct rpc_error *err)
{
	if (!cfg->vmm_path[0] || !cfg->jailer_path[0])
		return rpc_error_set(err, -EHOSTDOWN, RPC_ERROR_UNAVAILABLE,
		        "No VMM or jailer is configured in %s", cfg->layout.install_json);
	return 0;
}

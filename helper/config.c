/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The helper's root-owned configuration: layout, owner, VMM and jailer, and the safety checks on
 * every path the helper uses itself. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "common/acl.h"
#include "common/install.h"
#include "common/log.h"
#include "common/macro.h"
#include "helper/config.h"
#include "helper/provider.h"
#include "helper/validate.h"
#include "protocol/publish.h"

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

/* The mode's group bits are an ACL's mask, and a named entry's grant does not show in them at all
 * when the owning group is root's: an access ACL is read for what it grants. 1 with who set
 * when it lets anyone but root write (a named user or group, or a group other than root's
 * owning it), through the mask. */
static int acl_grants_write(const char *path, const struct stat *st, char *who, size_t who_size)
{
	uint8_t buf[4 + 8 * 64];
	ssize_t n = lgetxattr(path, "system.posix_acl_access", buf, sizeof(buf));
	unsigned mask = 07;

	if (n < 0)
		return errno == ENODATA || errno == EOPNOTSUPP ? 0 : negative_errno();
	if (n < 4 || (n - 4) % 8)
		return -EBADMSG;
	for (ssize_t o = 4; o < n; o += 8)
		if ((buf[o] | buf[o + 1] << 8) == 0x10) /* ACL_MASK */
			mask = (buf[o + 2] | buf[o + 3] << 8) & 07;
	for (ssize_t o = 4; o < n; o += 8) {
		unsigned tag = buf[o] | buf[o + 1] << 8, perm = buf[o + 2] | buf[o + 3] << 8;
		uint32_t id = (uint32_t)buf[o + 4] | (uint32_t)buf[o + 5] << 8 |
			      (uint32_t)buf[o + 6] << 16 | (uint32_t)buf[o + 7] << 24;
		const char *kind = NULL;

		if (!(perm & mask & 02))
			continue;
		if (tag == 0x02 && id != 0) /* ACL_USER */
			kind = "uid";
		else if (tag == 0x08 && id != 0) /* ACL_GROUP */
			kind = "gid";
		else if (tag == 0x04 && st->st_gid != 0) { /* ACL_GROUP_OBJ */
			kind = "gid";
			id = st->st_gid;
		}
		if (kind) {
			snprintf(who, who_size, "%s %u", kind, (unsigned)id);
			return 1;
		}
	}
	return 0;
}

static int check_trusted(const struct helper_config *cfg, const char *path, bool allow_missing,
	struct rpc_error *err)
{
	char buf[PATH_MAX], who[32];
	struct stat st;
	size_t n = strlen(path);
	int r;

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
		r = acl_grants_write(i == 1 ? "/" : buf, &st, who, sizeof(who));
		if (r < 0)
			return rpc_error_set(err, r, RPC_ERROR_PERMISSION_DENIED,
				"Refusing \"%s\": cannot read the ACL of \"%s\": %s", path, buf,
				strerror(-r));
		if (r > 0)
			return rpc_error_set(err, -EPERM, RPC_ERROR_PERMISSION_DENIED,
				"Refusing \"%s\": \"%s\" has an ACL entry letting %s write to it",
				path, buf, who);
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

/* "a.b.c.d/n", prefix 8-30, host bits clear: the daemon's own rule (daemon/netalloc.c), so the
 * two read the same pool from the same file. */
static int pool_parse(const char *s, struct helper_pool *p)
{
	struct in_addr a;
	unsigned prefix;
	uint32_t h, mask;
	char gw[INET_ADDRSTRLEN];

	if (ipv4_cidr_parse(s, &a, &prefix) < 0 || prefix < 8 || prefix > 30)
		return -EINVAL;
	h = ntohl(a.s_addr);
	mask = ~0u << (32 - prefix);
	if (h & ~mask)
		return -EINVAL;
	p->network = a;
	p->prefix = prefix;
	p->gateway.s_addr = htonl(h + 1);
	snprintf(p->text, sizeof(p->text), "%s", s);
	inet_ntop(AF_INET, &p->gateway, gw, sizeof(gw));
	snprintf(p->gateway_text, sizeof(p->gateway_text), "%s/%u", gw, prefix);
	return 0;
}

struct conf_state {
	struct helper_pool *pool;
	const char *path;
	char bad[256];
};

static int on_conf(void *user, const char *section, const char *name, const char *value)
{
	struct conf_state *st = user;

	if (!name || !streq(section, "network"))
		return 1; /* the rest is the daemon's */
	if (streq(name, "subnet")) {
		struct helper_pool p = *st->pool;
		/* the daemon keeps its default for what it cannot parse; so does the helper */
		if (pool_parse(value, &p) < 0)
			log_warning("%s: [network] subnet = \"%s\" is not an IPv4 subnet like "
				    "172.30.0.0/24 (keeping the default)",
				st->path, value);
		else
			*st->pool = p;
	} else if (streq(name, "bridge")) {
		if (strlen(value) > 15 || strncmp(value, "banger", 6) != 0 ||
			strpbrk(value, "/ \t"))
			log_warning("%s: [network] bridge = \"%s\" must start with \"banger\" and "
				    "fit 15 characters (keeping the default)",
				st->path, value);
		else if (!bridge_name_is_valid(value))
			snprintf(st->bad, sizeof(st->bad),
				"%s: [network] bridge = \"%s\": the helper manages only bridges "
				"named "
				"\"banger\" and up to 9 of [a-z0-9-]",
				st->path, value);
		else
			snprintf(st->pool->bridge, sizeof(st->pool->bridge), "%s", value);
	} else if (streq(name, "publish_min_port")) {
		char *end;
		unsigned long n;
		errno = 0;
		n = strtoul(value, &end, 10);
		if (errno || end == value || *end || n < 1 || n > PUBLISH_MIN_PORT_DEFAULT)
			log_warning("%s: [network] publish_min_port = \"%s\" must be 1..1024 "
				    "(keeping 1024)",
				st->path, value);
		else
			st->pool->publish_min_port = (unsigned)n;
	}
	return 1;
}

/* banger.conf [network]: root's file (it chooses what root configures on the host), read once. */
static int pool_load(struct helper_config *cfg, char *why, size_t why_size)
{
	struct conf_state st = {.pool = &cfg->pool, .path = cfg->layout.config};
	struct rpc_error e = {};
	uint32_t h;
	FILE *f;
	int r;

	(void)pool_parse(HELPER_POOL_DEFAULT, &cfg->pool);
	snprintf(cfg->pool.bridge, sizeof(cfg->pool.bridge), "%s", HELPER_BRIDGE_DEFAULT);
	cfg->pool.publish_min_port = PUBLISH_MIN_PORT_DEFAULT;
	f = fopen(cfg->layout.config, "re");
	if (!f && errno == ENOENT)
		return 0;
	if (!f) {
		snprintf(why, why_size, "cannot read %s: %m", cfg->layout.config);
		return -errno;
	}
	r = helper_path_check_trusted(cfg, cfg->layout.config, &e);
	if (r >= 0 && ini_parse_file(f, on_conf, &st) < 0)
		r = -ENOMEM;
	fclose(f);
	if (r < 0) {
		snprintf(why, why_size, "%s", e.message[0] ? e.message : "out of memory");
		return r;
	}
	if (st.bad[0]) {
		snprintf(why, why_size, "%s", st.bad);
		return -EINVAL;
	}
	/* What the kernel would take on a bridge is not all fit for one: never loopback,
	 * link-local, multicast or reserved space. */
	h = ntohl(cfg->pool.network.s_addr);
	if ((h >> 24) == 0 || (h >> 24) == 127 || (h >> 16) == 0xa9fe || (h >> 28) >= 0xe) {
		snprintf(why, why_size,
			"%s: [network] subnet = %s is not ordinary unicast space (0/8, 127/8, "
			"169.254/16 and 224/3 are refused)",
			cfg->layout.config, cfg->pool.text);
		return -EINVAL;
	}
	return 0;
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
	/* The jailer runs the VMM with this group, and root.sock falls back to it without ACLs. */
	if (cfg->owner_gid == 0) {
		snprintf(why, why_size, "the owner's group must not be root's (gid 0)");
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
	/* The run directory holds root.sock and the owner's bangerd.sock and VM socket links:
	 * root's, sticky so the owner cannot replace root's socket, and the owner's through an ACL
	 * entry. Not through its group where ACLs work: systemd's RuntimeDirectory= takes a group
	 * it does not expect back at the next start, recursively, and bangerd.sock with it. */
	r = run_dir_prepare(cfg);
	if (r < 0) {
		snprintf(why, why_size, "cannot make %s root's, 1770, with the owner's access: %s",
			cfg->layout.run_dir, strerror(-r));
		return r;
	}
	r = pool_load(cfg, why, why_size);
	if (r < 0)
		return r;
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

int helper_pool_bridge(const struct helper_config *cfg, const json_t *param, const char **ret,
	struct rpc_error *err)
{
	const char *name = param ? json_string_value(param) : cfg->pool.bridge;

	if (!name || !streq(name, cfg->pool.bridge))
		return rpc_error_set(err, -EPERM, RPC_ERROR_PERMISSION_DENIED,
			"Refusing bridge \"%s\": banger's bridge is \"%s\" (%s [network] bridge)",
			name ? name : "", cfg->pool.bridge, cfg->layout.config);
	*ret = cfg->pool.bridge;
	return 0;
}

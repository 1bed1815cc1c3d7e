/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* resources.list: everything with banger's names the kernel shows (taps, bridges, the nftables
 * table, dm devices, loop devices backed by state files, mounts under the jail base, chroot
 * directories), for reconcile and for tests that prove nothing leaked.
 * Security: read-only; lists only objects with banger's names or inside banger's layout. */
#include <dirent.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/macro.h"
#include "helper/dm.h"
#include "helper/helper.h"
#include "helper/loop.h"
#include "helper/mounts.h"
#include "helper/netlink.h"
#include "helper/nft.h"
#include "helper/ops.h"
#include "helper/validate.h"

struct links {
	json_t *taps, *bridges;
	uid_t owner;
};

static void add_link(const struct nl_link *l, void *data)
{
	struct links *x = data;
	/* only taps banger could have made: the owner's persistent taps (net.tap_delete's rule) */
	if (streq(l->kind, "tun") && tap_name_is_valid(l->name) && l->tun_type == IFF_TAP &&
		l->tun_owner == (long long)x->owner && l->tun_persist)
		json_array_append_new(x->taps, json_string(l->name));
	else if (streq(l->kind, "bridge") && bridge_name_is_valid(l->name))
		json_array_append_new(x->bridges, json_string(l->name));
}

static void add_dm(const char *name, void *data)
{
	if (strneq(name, HELPER_DM_PREFIX, strlen(HELPER_DM_PREFIX)))
		json_array_append_new(data, json_string(name));
}

struct loops {
	const char *state;
	json_t *list;
};

static void add_loop(const char *name, const char *backing, void *data)
{
	struct loops *l = data;
	size_t n = strlen(l->state);
	if (strneq(backing, l->state, n) && backing[n] == '/')
		json_array_append_new(l->list,
			json_pack("{s:s+, s:s}", "device", "/dev/", name, "backing_file", backing));
}

/* <base>/<exec>/<vm>/root, for every exec directory (providers may change between installs). */
static int list_chroots(const char *base, json_t *list)
{
	DIR *b = opendir(base);
	struct dirent *e, *v;

	if (!b)
		return errno == ENOENT ? 0 : negative_errno();
	while ((e = readdir(b))) {
		int fd;
		DIR *x;
		if (e->d_name[0] == '.')
			continue;
		fd = openat(dirfd(b), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		x = fdopendir(fd);
		if (!x) {
			close(fd);
			continue;
		}
		while ((v = readdir(x))) {
			struct stat st;
			char rel[600];
			if (v->d_name[0] == '.')
				continue;
			snprintf(rel, sizeof(rel), "%s/root", v->d_name);
			if (fstatat(dirfd(x), rel, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
				!S_ISDIR(st.st_mode))
				continue;
			json_array_append_new(
				list, json_pack("{s:s, s:s, s:s+++++}", "exec", e->d_name, "vm_id",
					      v->d_name, "root", base, "/", e->d_name, "/",
					      v->d_name, "/root"));
		}
		closedir(x);
	}
	closedir(b);
	return 0;
}

int op_resources_list_run(const struct helper_ctx *ctx, _unused_ const struct helper_request *req,
	json_t **ret_result, struct rpc_error *err)
{
	const struct banger_layout *l = &ctx->cfg->layout;
	_cleanup_mnl_ struct mnl_socket *nl = NULL;
	_cleanup_(json_decrefp) json_t *o = json_object();
	struct links links = {json_array(), json_array(), ctx->cfg->owner_uid};
	struct loops loops = {l->state_dir, json_array()};
	json_t *dm = json_array(), *mounts = json_array(), *chroots = json_array(), *pub = NULL;
	_cleanup_free_ struct mount_entry *m = NULL;
	size_t n = 0;
	int r, nft;

	if (!o || !links.taps || !links.bridges || !loops.list || !dm || !mounts || !chroots) {
		json_decref(links.taps), json_decref(links.bridges), json_decref(loops.list);
		json_decref(dm), json_decref(mounts), json_decref(chroots);
		return -ENOMEM;
	}
	json_object_set_new(o, "taps", links.taps);
	json_object_set_new(o, "bridges", links.bridges);
	json_object_set_new(o, "loop_devices", loops.list);
	json_object_set_new(o, "dm_devices", dm);
	json_object_set_new(o, "mounts", mounts);
	json_object_set_new(o, "chroots", chroots);

	r = nl_open(&nl, err);
	if (r >= 0)
		r = nl_link_dump(nl, add_link, &links, err);
	if (r < 0)
		return r;
	nft = nft_table_exists(err);
	if (nft < 0)
		return nft;
	json_object_set_new(o, "nft_tables",
		nft ? json_pack("[s]", HELPER_NFT_FAMILY " " HELPER_NFT_TABLE) : json_array());
	/* VMs' publish tables by VM id: reconcile removes those of VMs that no longer run */
	r = nft_publish_tables(&pub, err);
	if (r < 0)
		return r;
	json_object_set_new(o, "publish_tables", pub);
	json_object_set_new(o, "dm_available", json_boolean(dm_available()));
	if (dm_available()) {
		r = dm_list(add_dm, dm, err);
		if (r < 0)
			return r;
	}
	(void)loop_list(add_loop, &loops);
	r = mounts_under(l->jail_base, &m, &n);
	if (r < 0)
		return rpc_error_set(err, r, RPC_ERROR_INTERNAL, "Failed to read the mount table");
	for (size_t i = 0; i < n; i++)
		json_array_append_new(mounts, json_string(m[i].path));
	r = list_chroots(l->jail_base, chroots);
	if (r < 0)
		return rpc_error_set(err, r, RPC_ERROR_INTERNAL, "Failed to list %s: %s",
			l->jail_base, strerror(-r));
	*ret_result = TAKE_PTR(o);
	return 0;
}

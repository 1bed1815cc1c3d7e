/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bangerd-root --purge: takes away everything root made for banger (taps, bridges, the nftables
 * table, device-mapper and loop devices of the state directory, every jail), for `banger system
 * uninstall --purge`. Run by root from the command line, never an op: the owner cannot ask for
 * it. Refuses while any VMM runs. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "common/bus.h"
#include "common/install.h"
#include "common/macro.h"
#include "common/pidfile.h"
#include "helper/dm.h"
#include "helper/helper.h"
#include "helper/jail.h"
#include "helper/loop.h"
#include "helper/netlink.h"
#include "helper/nft.h"
#include "helper/resolved.h"
#include "helper/publish-sysctl.h"
#include "helper/proc.h"
#include "helper/purge.h"
#include "helper/validate.h"

struct purge {
	const struct helper_config *cfg;
	FILE *out;
	unsigned failed;
	json_t *names; /* scratch list filled by the callbacks */
};

static void fail(struct purge *p, const char *what, const char *why)
{
	fprintf(p->out, "failed to remove %s: %s\n", what, why);
	p->failed++;
}

/* Calls fn(p, exec name, vm id) for every <jail base>/<exec>/<vm id> directory. */
static int for_each_jail(struct purge *p, int (*fn)(struct purge *, const char *, const char *))
{
	DIR *b = opendir(p->cfg->layout.jail_base);
	struct dirent *e, *v;
	int r = 0;

	if (!b)
		return errno == ENOENT ? 0 : negative_errno();
	while (r >= 0 && (e = readdir(b))) {
		DIR *x;
		int fd;

		if (e->d_name[0] == '.' || layout_check_component(e->d_name) < 0)
			continue;
		fd = openat(dirfd(b), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		x = fdopendir(fd);
		if (!x) {
			close(fd);
			continue;
		}
		while (r >= 0 && (v = readdir(x)))
			if (v->d_name[0] != '.' && vm_id_is_valid(v->d_name))
				r = fn(p, e->d_name, v->d_name);
		closedir(x);
	}
	closedir(b);
	return r;
}

/* A copy of the configuration for another exec name (providers may change between installs). */
static void cfg_for_exec(const struct purge *p, const char *exec, struct helper_config *ret)
{
	*ret = *p->cfg;
	snprintf(ret->exec_name, sizeof(ret->exec_name), "%s", exec);
}

static int check_not_running(struct purge *p, const char *exec, const char *vm_id)
{
	struct helper_config c;
	enum proc_found_by by;
	pid_t pid = 0;

	cfg_for_exec(p, exec, &c);
	if (proc_find_vmm(&c, vm_id, &pid, &by) >= 0 && pid > 0) {
		fprintf(p->out,
			"refused: the VMM of VM %s still runs (pid %d); stop the VM first\n", vm_id,
			(int)pid);
		return -EBUSY;
	}
	return 0;
}

static int remove_jail(struct purge *p, const char *exec, const char *vm_id)
{
	struct helper_config c;
	struct rpc_error err = {};
	char what[PATH_MAX + 80];
	bool removed = false;

	cfg_for_exec(p, exec, &c);
	snprintf(what, sizeof(what), "the jail %s/%s/%s", c.layout.jail_base, exec, vm_id);
	if (jail_teardown(&c, vm_id, NULL, &removed, &err) < 0)
		fail(p, what, err.message);
	else if (removed)
		fprintf(p->out, "removed %s\n", what);
	return 0;
}

static void add_link(const struct nl_link *l, void *data)
{
	struct purge *p = data;

	if ((streq(l->kind, "tun") && tap_name_is_valid(l->name)) ||
		(streq(l->kind, "bridge") && bridge_name_is_valid(l->name)))
		json_array_append_new(p->names,
			json_pack("{s:s, s:i, s:s}", "name", l->name, "ifindex", l->ifindex, "kind",
				streq(l->kind, "tun") ? "tap" : "bridge"));
}

/* Taps first: a bridge goes once nothing is enslaved to it. */
static void remove_links(struct purge *p)
{
	_cleanup_mnl_ struct mnl_socket *nl = NULL;
	struct rpc_error err = {};
	const char *kinds[] = {"tap", "bridge"};
	size_t i;
	json_t *l;

	if (nl_open(&nl, &err) < 0 || nl_link_dump(nl, add_link, p, &err) < 0) {
		fail(p, "banger's network links", err.message);
		return;
	}
	for (size_t k = 0; k < ELEMENTSOF(kinds); k++)
		json_array_foreach(p->names, i, l)
		{
			const char *name = json_string_value(json_object_get(l, "name"));
			char what[64];

			if (!streq(json_string_value(json_object_get(l, "kind")), kinds[k]))
				continue;
			snprintf(what, sizeof(what), "%s %s", kinds[k], name);
			if (k == 1) {
				char why[256];
				int rr = resolved_link_revert(
					(int)json_integer_value(json_object_get(l, "ifindex")), why,
					sizeof(why));
				if (rr < 0)
					fail(p, "systemd-resolved's settings for the bridge", why);
				else if (rr == RESOLVED_SET)
					fprintf(p->out,
						"reverted systemd-resolved's DNS settings for %s\n",
						what);
			}
			if (nl_link_delete(nl,
				    (int)json_integer_value(json_object_get(l, "ifindex")), name,
				    &err) < 0)
				fail(p, what, err.message);
			else
				fprintf(p->out, "removed %s\n", what);
		}
	json_array_clear(p->names);
}

/* The guests' resolver: banger-dns.service under systemd (the unit stops its dnsmasq), else the
 * dnsmasq of dns.ensure's pid file; then the directory dns.ensure made beside the run dir. */
static void remove_dns(struct purge *p)
{
	char dir[PATH_MAX], path[PATH_MAX + 32];
	static const char *const files[] = {"hosts/vms", "vms", "dnsmasq.pid", "dnsmasq.log"};
	pid_t pid;

	if ((size_t)snprintf(dir, sizeof(dir), "%s-dns", p->cfg->layout.run_dir) >= sizeof(dir))
		return fail(p, "the resolver's directory", "the run dir's path is too long");
	snprintf(path, sizeof(path), "%s/dnsmasq.pid", dir);
	pid = pidfile_running(path, "dnsmasq");
	if (sd_booted() > 0) {
		_cleanup_bus_ sd_bus *bus = NULL;
		if (bus_open_systemd(&bus) >= 0 &&
			sd_bus_call_method(bus, "org.freedesktop.systemd1",
				"/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
				"StopUnit", NULL, NULL, "ss", "banger-dns.service",
				"replace") >= 0 &&
			pid > 0) {
			fprintf(p->out, "stopped banger-dns.service (dnsmasq, pid %d)\n", (int)pid);
			pid = 0;
		}
	}
	if (pid > 0) {
		if (kill(pid, SIGTERM) < 0)
			fail(p, "dnsmasq", strerror(errno));
		else
			fprintf(p->out, "stopped dnsmasq (pid %d)\n", (int)pid);
	}
	for (size_t i = 0; i < ELEMENTSOF(files); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		(void)unlink(path);
	}
	snprintf(path, sizeof(path), "%s/hosts", dir);
	(void)rmdir(path);
	if (rmdir(dir) == 0)
		fprintf(p->out, "removed %s\n", dir);
	else if (errno != ENOENT)
		fail(p, dir, strerror(errno));
}

static void remove_nft(struct purge *p)
{
	struct rpc_error err = {};
	int existed = nft_table_exists(&err), r = existed;

	if (existed > 0)
		r = nft_run("delete table " HELPER_NFT_FAMILY " " HELPER_NFT_TABLE,
			"delete the table", &err);
	if (r < 0)
		fail(p, "the nftables table " HELPER_NFT_FAMILY " " HELPER_NFT_TABLE, err.message);
	else if (existed > 0)
		fprintf(p->out,
			"removed the nftables table " HELPER_NFT_FAMILY " " HELPER_NFT_TABLE "\n");

	/* every VM's publish table (op-publish-apply.c) */
	json_t *ids = NULL, *id;
	size_t i;
	if (nft_publish_tables(&ids, &err) < 0) {
		fail(p, "the publish tables", err.message);
		return;
	}
	json_array_foreach(ids, i, id)
	{
		char table[80];
		snprintf(table, sizeof(table), NFT_PUBLISH_FAMILY " " NFT_PUBLISH_PREFIX "%s",
			json_string_value(id));
		if (nft_run_quiet_delete(table))
			fprintf(p->out, "removed the nftables table %s\n", table);
	}
	json_decref(ids);
}

static void add_dm(const char *name, void *data)
{
	struct purge *p = data;

	if (strneq(name, HELPER_DM_PREFIX, strlen(HELPER_DM_PREFIX)))
		json_array_append_new(p->names, json_string(name));
}

static void add_loop(const char *name, const char *backing, void *data)
{
	struct purge *p = data;
	const char *state = p->cfg->layout.state_dir;
	size_t n = strlen(state);

	if (strneq(backing, state, n) && backing[n] == '/')
		json_array_append_new(p->names, json_string(name));
}

static void remove_block_devices(struct purge *p)
{
	struct rpc_error err = {};
	size_t i;
	json_t *v;

	if (dm_available()) {
		if (dm_list(add_dm, p, &err) < 0)
			fail(p, "banger's device-mapper devices", err.message);
		json_array_foreach(p->names, i, v)
		{
			bool removed = false;
			char what[128];

			snprintf(what, sizeof(what), "device-mapper device %s",
				json_string_value(v));
			if (dm_remove(json_string_value(v), &removed, &err) < 0)
				fail(p, what, err.message);
			else if (removed)
				fprintf(p->out, "removed %s\n", what);
		}
		json_array_clear(p->names);
	}
	(void)loop_list(add_loop, p);
	json_array_foreach(p->names, i, v)
	{
		char dev[64], what[96];
		_cleanup_close_ int fd = -1;

		snprintf(dev, sizeof(dev), "/dev/%s", json_string_value(v));
		snprintf(what, sizeof(what), "loop device %s", dev);
		fd = open(dev, O_RDONLY | O_CLOEXEC);
		/* the kernel defers the detach while something still holds the device open */
		if (fd < 0 || ioctl(fd, LOOP_CLR_FD, 0) < 0)
			fail(p, what, strerror(errno));
		else
			fprintf(p->out, "detached %s\n", what);
	}
	json_array_clear(p->names);
}

static void remove_jail_base(struct purge *p)
{
	const struct banger_layout *l = &p->cfg->layout;
	DIR *b = opendir(l->jail_base);
	struct dirent *e;

	if (!b)
		return;
	/* only the now empty <exec> directories; anything else is not ours to delete */
	while ((e = readdir(b)))
		if (e->d_name[0] != '.')
			(void)unlinkat(dirfd(b), e->d_name, AT_REMOVEDIR);
	closedir(b);
	if (rmdir(l->jail_base) == 0)
		fprintf(p->out, "removed %s\n", l->jail_base);
	else if (errno != ENOENT)
		fail(p, l->jail_base, strerror(errno));
}

int helper_purge(const struct helper_config *cfg, FILE *out)
{
	struct purge p = {.cfg = cfg, .out = out, .names = json_array()};
	int r;

	if (!p.names)
		return -ENOMEM;
	r = for_each_jail(&p, check_not_running);
	if (r < 0) {
		json_decref(p.names);
		return r;
	}
	(void)for_each_jail(&p, remove_jail);
	remove_jail_base(&p);
	remove_dns(&p);
	remove_links(&p);
	remove_nft(&p);
	remove_block_devices(&p);
	json_decref(p.names);
	return p.failed ? -EIO : 0;
}

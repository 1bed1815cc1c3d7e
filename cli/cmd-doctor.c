/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* banger doctor: real checks of what banger needs, each saying ok, warn or fail and why. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "common/bus.h"
#include "common/install.h"
#include "common/layout.h"
#include "common/macro.h"
#include "common/resolve1.h"
#include "protocol/client.h"
#include "protocol/jsonrpc.h"

enum check_status { CHECK_OK, CHECK_WARN, CHECK_FAIL };

struct check_result {
	enum check_status status;
	char detail[512];
};

static const char *const status_names[] = {"ok", "warn", "fail"};
static const char *const status_colors[] = {COLOR_GREEN, COLOR_YELLOW, COLOR_RED};

static void set(struct check_result *c, enum check_status s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set(struct check_result *c, enum check_status s, const char *fmt, ...)
{
	va_list ap;

	c->status = s;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
}

static void check_hello(const char *what, const char *path, struct check_result *c)
{
	_cleanup_rpc_client_ struct rpc_client *client = NULL;
	_cleanup_json_ json_t *hello = NULL;
	struct rpc_error err = {};
	int r;

	r = rpc_client_connect(path, &client);
	if (r < 0)
		return set(c, CHECK_FAIL, "%s not reachable at %s: %s", what, path, strerror(-r));
	r = rpc_client_hello(client, "banger", 3000, &hello, &err);
	if (r < 0)
		return set(c, CHECK_FAIL, "%s at %s did not answer hello: %s", what, path,
			err.message[0] ? err.message : strerror(-r));
	set(c, CHECK_OK, "%s %s answers at %s", json_str(hello, "program", what),
		json_str(hello, "version", "?"), path);
}

static void check_daemon(struct cli *cli, const struct banger_layout *l, struct check_result *c)
{
	check_hello("bangerd", cli->socket ? cli->socket : l->daemon_sock, c);
}

static void check_helper(struct cli *cli, const struct banger_layout *l, struct check_result *c)
{
	check_hello("bangerd-root", l->root_sock, c);
}

/* What bangerd knows about its state directory: records whose save has not landed, and free
 * space below [state] min_free_mib (a full directory makes every save fail). */
static void check_state(struct cli *cli, const struct banger_layout *l, struct check_result *c)
{
	_cleanup_rpc_client_ struct rpc_client *client = NULL;
	_cleanup_json_ json_t *st = NULL;
	struct rpc_error err = {};
	json_t *store, *unsaved, *rec;
	char have[32], want[32];
	size_t i;
	int r;

	r = rpc_client_connect(cli->socket ? cli->socket : l->daemon_sock, &client);
	if (r >= 0)
		r = rpc_client_call(client, rpc_method_to_string(RPC_METHOD_SYSTEM_STATUS), NULL,
			5000, &st, &err);
	if (r < 0)
		return set(c, CHECK_WARN, "cannot ask bangerd about %s: %s", l->state_dir,
			err.message[0] ? err.message : strerror(-r));
	store = json_object_get(st, "store");
	unsaved = json_object_get(json_object_get(store, "unsaved"), "records");
	format_size((uint64_t)json_integer_value(json_object_get(store, "free_bytes")), have,
		sizeof(have));
	format_size((uint64_t)json_integer_value(json_object_get(store, "min_free_bytes")), want,
		sizeof(want));
	if (json_integer_value(json_object_get(json_object_get(store, "unsaved"), "waiting")) > 0) {
		char names[256] = "";
		json_array_foreach(unsaved, i, rec) snprintf(names + strlen(names),
			sizeof(names) - strlen(names), "%s%s (%s)", i ? ", " : "",
			json_str(rec, "name", "?"), json_str(rec, "error", "?"));
		return set(c, CHECK_FAIL,
			"bangerd cannot save %s; it keeps them in memory and retries every second: "
			"%s (%s free in %s)",
			json_array_size(unsaved) == 1 ? "a record" : "records",
			names[0] ? names : "-", have, l->state_dir);
	}
	if (json_is_true(json_object_get(store, "low_space")))
		return set(c, CHECK_WARN,
			"%s has %s free, less than [state] min_free_mib (%s): VM disks grow there, "
			"and saves fail once it is full",
			l->state_dir, have, want);
	if (!json_is_integer(json_object_get(store, "free_bytes")))
		return set(c, CHECK_OK, "every record is saved (free space in %s unknown)",
			l->state_dir);
	set(c, CHECK_OK, "%s has %s free; every record is saved", l->state_dir, have);
}

static void check_kvm(struct cli *cli, const struct banger_layout *l, struct check_result *c)
{
	struct stat st;
	int fd;

	if (stat("/dev/kvm", &st) < 0)
		return set(c, CHECK_WARN,
			"/dev/kvm is missing: guests run under QEMU's TCG "
			"emulation (slow)");
	if (!S_ISCHR(st.st_mode))
		return set(c, CHECK_WARN, "/dev/kvm is not a character device");
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return set(
			c, CHECK_WARN, "/dev/kvm exists but cannot be opened: %s", strerror(errno));
	close(fd);
	set(c, CHECK_OK, "/dev/kvm is present and opens read-write");
}

static void check_dm(struct cli *cli, const struct banger_layout *l, struct check_result *c)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/misc", "re");
	char line[128];
	bool found = false;

	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, " device-mapper"))
			found = true;
	if (!found)
		return set(c, CHECK_WARN,
			"the kernel has no device-mapper (not in /proc/misc): root "
			"disks will be reflink clones or sparse copies");
	if (access("/dev/mapper/control", F_OK) < 0)
		return set(c, CHECK_WARN,
			"device-mapper is in the kernel but /dev/mapper/control "
			"is missing");
	set(c, CHECK_OK,
		"device-mapper is available (/dev/mapper/control): root disks use "
		"dm-snapshot");
}

static bool in_path(const char *name, char *buf, size_t size)
{
	const char *path = getenv("PATH");
	_cleanup_free_ char *copy = strdup(path && path[0] ? path : "/usr/local/bin:/usr/bin:/bin");
	char *save = NULL;

	for (char *d = copy ? strtok_r(copy, ":", &save) : NULL; d;
		d = strtok_r(NULL, ":", &save)) {
		snprintf(buf, size, "%s/%s", d, name);
		if (access(buf, X_OK) == 0)
			return true;
	}
	return false;
}

static void check_qemu(struct cli *cli, const struct banger_layout *l, struct check_result *c)
{
	struct utsname u;
	char name[96], path[PATH_MAX];

	uname(&u);
	snprintf(name, sizeof(name), "qemu-system-%s",
		streq(u.machine, "x86_64")    ? "x86_64"
		: streq(u.machine, "aarch64") ? "aarch64"
					      : u.machine);
	if (!in_path(name, path, sizeof(path)))
		return set(c, CHECK_FAIL,
			"%s is not in $PATH: banger-vmm (the QEMU provider) "
			"cannot run guests",
			name);
	set(c, CHECK_OK, "%s found at %s", name, path);
}

/* Whether the user's ~/.ssh/config has an Include line naming banger's file: ssh reads the
 * Host blocks bangerd keeps only then. A line is counted whatever Match or Host it sits under,
 * so ok means "included somewhere", which is what can be checked without running ssh -G. */
static void check_ssh_config(struct cli *cli, const struct banger_layout *l, struct check_result *c)
{
	char dir[PATH_MAX], kept[PATH_MAX + 16], user[PATH_MAX], line[1024];
	const char *home = getenv("HOME");
	_cleanup_fclose_ FILE *f = NULL;
	bool included = false;

	(void)cli;
	(void)l;
	if (cli_find_ssh_dir(dir, sizeof(dir)) != 0)
		return set(c, CHECK_WARN, "cannot tell where banger's SSH directory is");
	snprintf(kept, sizeof(kept), "%s/config", dir);
	if (access(kept, R_OK) < 0)
		return set(c, CHECK_WARN, "%s is not there yet: bangerd writes it when it starts",
			kept);
	snprintf(user, sizeof(user), "%s/.ssh/config", home && home[0] ? home : "~");
	f = fopen(user, "re");
	while (f && fgets(line, sizeof(line), f)) {
		const char *p = line + strspn(line, " \t");
		if (strncasecmp(p, "include", 7) == 0 && strstr(p, "banger/ssh/config"))
			included = true;
	}
	if (!included)
		return set(c, CHECK_WARN,
			"%s is kept but not used: add \"Include %s\" near the top of %s to reach "
			"VMs as \"ssh NAME.banger\"",
			kept, kept, user);
	set(c, CHECK_OK, "%s includes %s: \"ssh NAME.banger\" reaches a VM", user, kept);
}

/* system.status's "names": the bridge, the gateway and the guests' resolver as bangerd sees
 * them. NULL (with c set) when bangerd does not answer. */
static json_t *names_status(struct cli *cli, const struct banger_layout *l, struct check_result *c)
{
	_cleanup_rpc_client_ struct rpc_client *client = NULL;
	json_t *st = NULL, *names;
	struct rpc_error err = {};
	int r;

	r = rpc_client_connect(cli->socket ? cli->socket : l->daemon_sock, &client);
	if (r >= 0)
		r = rpc_client_call(client, rpc_method_to_string(RPC_METHOD_SYSTEM_STATUS), NULL,
			5000, &st, &err);
	names = r >= 0 ? json_object_get(st, "names") : NULL;
	if (!names) {
		set(c, CHECK_WARN, "cannot ask bangerd about the bridge: %s",
			r < 0 ? (err.message[0] ? err.message : strerror(-r))
			      : "it predates this check");
		json_decref(st);
		return NULL;
	}
	json_incref(names);
	json_decref(st);
	return names;
}

/* dnsmasq on the gateway: the guests' resolver, and the host's for NAME.banger. */
static void check_dns(struct cli *cli, const struct banger_layout *l, struct check_result *c)
{
	_cleanup_json_ json_t *n = names_status(cli, l, c);
	const char *state, *gw;
	char path[64], comm[32] = "";
	long long pid;

	if (!n)
		return;
	state = json_str(n, "state", "?");
	gw = json_str(n, "gateway", "?");
	pid = (long long)json_integer_value(json_object_get(n, "pid"));
	if (streq(state, "failing"))
		return set(c, CHECK_FAIL, "the guests' resolver on %s does not run: %s", gw,
			json_str(n, "error", "?"));
	if (!streq(state, "running"))
		return set(c, CHECK_OK,
			"no VM has run yet: bangerd-root starts dnsmasq on %s (NAME.banger for "
			"guests and host) with the first",
			gw);
	snprintf(path, sizeof(path), "/proc/%lld/comm", pid);
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	if (!f || !fgets(comm, sizeof(comm), f) || strncmp(comm, "dnsmasq", 7) != 0)
		return set(c, CHECK_WARN,
			"dnsmasq (pid %lld) on %s has gone: bangerd asks bangerd-root to start it "
			"again within 5 s while a VM runs",
			pid, gw);
	set(c, CHECK_OK, "dnsmasq (pid %lld) answers NAME.banger on %s for guests and host", pid,
		gw);
}

/* The host's names: where systemd-resolved runs, the bridge is its link for ~banger. */
static void check_resolved(struct cli *cli, const struct banger_layout *l, struct check_result *c)
{
	_cleanup_json_ json_t *n = names_status(cli, l, c);
	_cleanup_bus_ sd_bus *bus = NULL;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	struct resolve1_link link;
	const char *br, *gw;
	struct in_addr a;
	int ifindex, r;

	if (!n)
		return;
	br = json_str(n, "bridge", "?");
	gw = json_str(n, "gateway", "?");
	if (inet_pton(AF_INET, gw, &a) != 1)
		return set(c, CHECK_WARN, "bangerd reports no gateway address");
	r = resolve1_open(&bus, &e);
	if (r <= 0) {
		set(c, CHECK_WARN,
			"systemd-resolved is not running: the host does not resolve NAME.banger; "
			"add \"nameserver %s\" to /etc/resolv.conf, or use \"ssh NAME.banger\" "
			"through banger's ssh config (ssh-config below)",
			gw);
		sd_bus_error_free(&e);
		return;
	}
	ifindex = (int)if_nametoindex(br);
	if (ifindex <= 0)
		return set(c, CHECK_WARN,
			"systemd-resolved runs; the bridge %s does not exist yet: bangerd-root "
			"registers it for ~banger when a VM starts",
			br);
	r = resolve1_link_read(bus, ifindex, a, &link, &e);
	if (r < 0) {
		set(c, CHECK_WARN, "cannot read systemd-resolved's settings for %s: %s", br,
			e.message ? e.message : strerror(-r));
		sd_bus_error_free(&e);
		return;
	}
	if (!link.is_banger)
		return set(c, CHECK_WARN,
			"systemd-resolved runs but does not send *.banger to %s on %s (it has DNS "
			"\"%s\", domains \"%s\"): bangerd-root registers it within 5 s while a VM "
			"runs (journalctl -u bangerd-root says why not)",
			gw, br, link.dns, link.domains);
	set(c, CHECK_OK,
		"systemd-resolved sends *.banger to %s on %s: \"resolvectl query NAME.banger\", "
		"ssh and curl reach VMs by name",
		gw, br);
}

/* Publishes on 127.0.0.1 (and 0.0.0.0) need route_localnet on the bridge. */
static void check_publish(struct cli *cli, const struct banger_layout *l, struct check_result *c)
{
	_cleanup_json_ json_t *n = names_status(cli, l, c);
	_cleanup_fclose_ FILE *f = NULL;
	char path[96], v[8] = "";
	const char *br;

	if (!n)
		return;
	br = json_str(n, "bridge", "?");
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/route_localnet", br);
	f = fopen(path, "re");
	if (!f)
		return set(c, CHECK_OK,
			"the bridge %s does not exist yet: --publish works once a VM runs", br);
	if (!fgets(v, sizeof(v), f))
		return set(c, CHECK_WARN, "cannot read %s", path);
	if (v[0] == '1')
		return set(c, CHECK_OK,
			"route_localnet is on for %s: publishes on 127.0.0.1 reach their guests",
			br);
	struct statvfs sv;
	if (statvfs(path, &sv) == 0 && (sv.f_flag & ST_RDONLY))
		return set(c, CHECK_WARN,
			"%s is read-only here (a container?): publishes on 127.0.0.1 cannot work; "
			"publish on a host address instead (--publish HOSTIP:PORT:PORT)",
			path);
	set(c, CHECK_OK,
		"route_localnet is off for %s: no publish on 127.0.0.1 runs (bangerd-root turns it "
		"on with the first)",
		br);
}

/* The provider banger runs guests with: install.json's VMM, known by its executable's name. */
static const char *configured_provider(const struct install_meta *m)
{
	const char *base = strrchr(m->vmm_path, '/') ? strrchr(m->vmm_path, '/') + 1 : m->vmm_path;

	if (strncmp(base, "banger-vmm", 10) == 0)
		return "banger-vmm";
	if (strncmp(base, "firecracker", 11) == 0)
		return "firecracker";
	return NULL;
}

static bool names_provider(const json_t *list, const char *provider)
{
	json_t *v;
	size_t i;

	json_array_foreach(list, i,
		v) if (json_is_string(v) && streq(json_string_value(v), provider)) return true;
	return false;
}

/* Whether the configured provider boots every image bangerd has: what the image's recipe
 * declared ("boots_on"), else what its kernel's format allows ("providers", older records). */
static void check_images(struct cli *cli, const struct banger_layout *l, struct check_result *c)
{
	_cleanup_rpc_client_ struct rpc_client *client = NULL;
	_cleanup_json_ json_t *res = NULL;
	struct rpc_error err = {};
	struct install_meta m;
	const char *provider, *first = NULL;
	char names[256] = "";
	size_t i, n_bad = 0;
	json_t *img;
	int r;

	r = install_meta_load(l, &m, NULL, 0);
	if (r < 0)
		return set(c, CHECK_WARN, "cannot tell the configured VMM provider: %s",
			r == -ENOENT ? "no install.json (banger is not installed)" : strerror(-r));
	provider = configured_provider(&m);
	if (!provider)
		return set(c, CHECK_WARN,
			"the configured VMM %s is neither firecracker nor banger-vmm: cannot tell "
			"which images it boots",
			m.vmm_path);
	r = rpc_client_connect(cli->socket ? cli->socket : l->daemon_sock, &client);
	if (r >= 0)
		r = rpc_client_call(client, rpc_method_to_string(RPC_METHOD_IMAGE_LIST), NULL, 5000,
			&res, &err);
	if (r < 0)
		return set(c, CHECK_WARN, "cannot ask bangerd for its images: %s",
			err.message[0] ? err.message : strerror(-r));
	json_array_foreach(json_object_get(res, "images"), i, img)
	{
		json_t *boots = json_object_get(img, "boots_on");

		if (names_provider(json_is_array(boots) ? boots : json_object_get(img, "providers"),
			    provider))
			continue;
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
			n_bad ? ", " : "", json_str(img, "name", "?"));
		if (!first)
			first = json_str(img, "name", "?");
		n_bad++;
	}
	if (n_bad > 0)
		return set(c, CHECK_WARN,
			"the configured provider %s cannot boot image%s %s (\"banger image get "
			"%s\" "
			"says what it boots on and why)",
			provider, n_bad == 1 ? "" : "s", names, first);
	set(c, CHECK_OK, "the configured provider %s boots every image (%zu)", provider,
		json_array_size(json_object_get(res, "images")));
}

static const struct {
	const char *name;
	void (*run)(struct cli *cli, const struct banger_layout *l, struct check_result *c);
} checks[] = {
	{"daemon", check_daemon},
	{"helper", check_helper},
	{"state", check_state},
	{"kvm", check_kvm},
	{"device-mapper", check_dm},
	{"qemu", check_qemu},
	{"dns", check_dns},
	{"resolved", check_resolved},
	{"ssh-config", check_ssh_config},
	{"publish", check_publish},
	{"images", check_images},
};

int cmd_doctor(struct cli *cli)
{
	static const char *const headers[] = {"CHECK", "STATUS", "DETAIL"};
	_cleanup_json_ json_t *arr = json_array();
	struct banger_layout l;
	struct table t;
	bool failed = false;
	int r;

	r = layout_init(&l, NULL);
	if (r < 0)
		return cli_usage_error(NULL, "invalid $%s: %s", BANGER_ROOT_ENV, strerror(-r));
	table_init(&t, ELEMENTSOF(headers), headers);
	for (size_t i = 0; i < ELEMENTSOF(checks); i++) {
		struct check_result c = {};

		checks[i].run(cli, &l, &c);
		failed |= c.status == CHECK_FAIL;
		json_array_append_new(
			arr, json_pack("{s:s, s:s, s:s}", "name", checks[i].name, "status",
				     status_names[c.status], "detail", c.detail));
		const char *cells[] = {checks[i].name, status_names[c.status], c.detail};
		(void)table_add_row(&t, cells, 1, status_colors[c.status]);
	}
	if (cli->json) {
		_cleanup_json_ json_t *o = json_pack("{s:O, s:b}", "checks", arr, "ok", !failed);
		cli_print_json(o);
	} else
		table_print(&t, cli->color);
	table_done(&t);
	return failed ? CLI_EXIT_ERROR : CLI_EXIT_OK;
}

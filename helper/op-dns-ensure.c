/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dns.ensure: the guests' resolver — dnsmasq on the pool's gateway address, answering
 * <vm>.banger from a hosts file this op writes and forwarding the rest to the host's upstream
 * resolvers — is running, with the given names; started when it is not (the daemon asks on
 * every VM start and stop and every few seconds while VMs run: that is the watch and restart).
 * Security: the caller gives only "ADDRESS NAME" pairs, each an address of the pool (not its
 * network, gateway or broadcast) and a VM name ([a-z][a-z0-9-]{0,31}), written by this op into
 * a root-owned directory of the run dir: no caller text reaches dnsmasq's command line or its
 * configuration. dnsmasq's arguments come from root's configuration: it binds only the gateway
 * address (--bind-interfaces, --listen-address; nat.ensure's table drops port 53 to it from
 * anything but the bridge and loopback), reads no /etc/dnsmasq.conf and no /etc/hosts, answers
 * .banger only locally, takes its upstreams from systemd-resolved's list where resolved runs
 * (/run/systemd/resolve/resolv.conf), else /etc/resolv.conf (polled: it follows changes), and
 * drops to the dnsmasq user (nobody where there is none) once bound.
 * The host's side: where systemd-resolved runs, banger's bridge (from the pool, never the
 * caller's) is registered as a link whose DNS server is the gateway, for the ~banger routing
 * domain only; checked on every call (resolved forgets link settings when it restarts, and the
 * daemon calls every few seconds while a VM runs), changed only when resolved has something
 * else. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <net/if.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-login.h>

#include "common/bus.h"
#include "common/fileio.h"
#include "common/log.h"
#include "common/macro.h"
#include "common/pidfile.h"
#include "helper/config.h"
#include "helper/helper.h"
#include "helper/ops.h"
#include "helper/resolved.h"
#include "helper/spawn.h"
#include "protocol/vm.h"

#define DNS_MAX_HOSTS 256
#define RESOLVED_UPSTREAMS "/run/systemd/resolve/resolv.conf"
#define DNS_UNIT "banger-dns.service"

static bool pool_host(const struct helper_pool *pool, struct in_addr a)
{
	uint32_t mask = pool->prefix ? htonl(~0u << (32 - pool->prefix)) : 0;

	return (a.s_addr & mask) == pool->network.s_addr && a.s_addr != pool->network.s_addr &&
	       a.s_addr != pool->gateway.s_addr && a.s_addr != (pool->network.s_addr | ~mask);
}

/* "ADDRESS NAME" checked; the line "ADDRESS NAME NAME.banger\n" appended to buf. */
static int host_line(const struct helper_pool *pool, const char *s, char *buf, size_t size,
	size_t *len, struct rpc_error *err)
{
	char addr[16], name[VM_NAME_MAX + 1];
	const char *sp = s ? strchr(s, ' ') : NULL;
	struct in_addr a;
	int n;

	if (!sp || (size_t)(sp - s) >= sizeof(addr) || strlen(sp + 1) >= sizeof(name))
		return rpc_error_set(err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT,
			"Invalid host entry \"%.64s\": expected \"ADDRESS NAME\"", s ? s : "");
	memcpy(addr, s, (size_t)(sp - s));
	addr[sp - s] = '\0';
	snprintf(name, sizeof(name), "%s", sp + 1);
	if (inet_pton(AF_INET, addr, &a) != 1 || !pool_host(pool, a))
		return rpc_error_set(err, -EPERM, RPC_ERROR_PERMISSION_DENIED,
			"Refusing host entry \"%.64s\": names resolve only to guest addresses of "
			"the "
			"pool, %s",
			s, pool->text);
	if (!vm_name_is_valid(name))
		return rpc_error_set(err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT,
			"Invalid host entry \"%.64s\": not a VM name", s);
	n = snprintf(buf + *len, size - *len, "%s %s %s.banger\n", addr, name, name);
	if (n < 0 || (size_t)n >= size - *len)
		return rpc_error_set(err, -E2BIG, RPC_ERROR_INVALID_ARGUMENT, "Too many hosts");
	*len += (size_t)n;
	return 0;
}

/* Never fails the op: the guests' resolver runs either way, and the answer says how the host's
 * side went ("set", "kept", "not running", "no bridge" or why it failed). Logged when it
 * changes, so a call every few seconds logs nothing new. */
static json_t *register_resolved(const struct helper_pool *pool)
{
	static int last = INT_MIN;
	char why[256] = "";
	int ifindex = (int)if_nametoindex(pool->bridge), prev, r;

	if (ifindex <= 0)
		return json_string("no bridge");
	r = resolved_link_register(ifindex, pool->gateway, why, sizeof(why));
	prev = __atomic_exchange_n(&last, r, __ATOMIC_RELAXED);
	if (r == RESOLVED_SET) {
		char gw[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &pool->gateway, gw, sizeof(gw));
		log_notice("systemd-resolved: %s (ifindex %d) answers ~banger through %s",
			pool->bridge, ifindex, gw);
	} else if (r == RESOLVED_NOT_RUNNING && prev != r)
		log_notice("systemd-resolved is not running: the host resolves NAME.banger only "
			   "through banger's ssh config, or a nameserver line for the gateway");
	else if (r < 0 && prev != r)
		log_warning("%s", why);
	return json_string(r < 0 ? why : resolved_outcome_to_string(r));
}

/* <run dir>-dns (/run/banger-dns), root 0755, and the hosts dir in it: made here, never the
 * owner's, and beside the run dir rather than in it, which only root and the owner traverse
 * while dnsmasq reads its hosts as its own user. */
static int dns_dirs(const struct helper_config *cfg, char *dir, size_t size, char *hosts,
	size_t hsize, struct rpc_error *err)
{
	struct stat st;

	if ((size_t)snprintf(dir, size, "%s-dns", cfg->layout.run_dir) >= size ||
		(size_t)snprintf(hosts, hsize, "%s/hosts", dir) >= hsize)
		return rpc_error_set(err, -ENAMETOOLONG, RPC_ERROR_INTERNAL, "Run dir too long");
	for (const char *p = dir; p; p = p == dir ? hosts : NULL) {
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return rpc_error_set(err, negative_errno(), RPC_ERROR_INTERNAL,
				"Failed to create %s: %m", p);
		/* the run dir is the owner's to write in: take nothing it may have put there */
		if (lstat(p, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != 0 ||
			(st.st_mode & 022))
			return rpc_error_set(err, -EPERM, RPC_ERROR_PERMISSION_DENIED,
				"Refusing %s: not a directory of root's that only root writes", p);
	}
	return 0;
}

/* Under systemd, dnsmasq runs as a transient service of its own (banger-dns.service), started by
 * PID 1: a child of this helper would inherit its unit's sandbox (no AF_INET sockets, no IP
 * traffic), which is right for the helper and the VMMs and wrong for a DNS server. Its output
 * goes to the journal. */
static int dns_unit_start(char *const argv[], const char *dir, struct rpc_error *err)
{
	_cleanup_bus_ sd_bus *bus = NULL;
	sd_bus_message *m = NULL;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	int r;

	r = bus_open_systemd(&bus);
	if (r < 0)
		return rpc_error_set(err, r, RPC_ERROR_UNAVAILABLE,
			"Cannot reach systemd to start dnsmasq: %s", strerror(-r));
	/* a unit left from a dnsmasq that died (or one still starting) makes room */
	(void)sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
		"org.freedesktop.systemd1.Manager", "StopUnit", NULL, NULL, "ss", DNS_UNIT,
		"replace");
	(void)sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
		"org.freedesktop.systemd1.Manager", "ResetFailedUnit", NULL, NULL, "s", DNS_UNIT);
	for (int k = 0; k < 3; k++) {
		r = sd_bus_message_new_method_call(bus, &m, "org.freedesktop.systemd1",
			"/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
			"StartTransientUnit");
		if (r >= 0)
			r = sd_bus_message_append(m, "ss", DNS_UNIT, "replace");
		if (r >= 0)
			r = sd_bus_message_open_container(m, 'a', "(sv)");
		if (r >= 0)
			r = sd_bus_message_append(m, "(sv)(sv)", "Description", "s",
				"banger: the guests' resolver (dnsmasq on the bridge gateway)",
				"CollectMode", "s", "inactive-or-failed");
		/* a sandbox of its own: it writes only its pid file, binds port 53 on one
		 * address, reads its hosts and upstreams, and drops to its user once bound */
		if (r >= 0)
			r = sd_bus_message_append(m,
				"(sv)(sv)(sv)(sv)(sv)(sv)(sv)(sv)(sv)(sv)(sv)(sv)", "ProtectSystem",
				"s", "strict", "ReadWritePaths", "as", 1, dir, "ProtectHome", "s",
				"yes", "PrivateTmp", "b", 1, "NoNewPrivileges", "b", 1,
				"ProtectKernelTunables", "b", 1, "ProtectKernelModules", "b", 1,
				"ProtectControlGroups", "b", 1, "RestrictNamespaces", "t",
				(uint64_t)~0, "LockPersonality", "b", 1, "RestrictRealtime", "b", 1,
				"RestrictAddressFamilies", "(bas)", 1, 4, "AF_UNIX", "AF_NETLINK",
				"AF_INET", "AF_INET6");
		/* what dnsmasq keeps across its setuid (it asks for NET_ADMIN and NET_RAW too,
		 * and fails to start without them in the bounding set) */
		if (r >= 0)
			r = sd_bus_message_append(m, "(sv)(sv)(sv)(sv)(sv)(sv)(sv)",
				"CapabilityBoundingSet", "t",
				(uint64_t)(1ull << CAP_NET_BIND_SERVICE | 1ull << CAP_NET_ADMIN |
					   1ull << CAP_NET_RAW | 1ull << CAP_SETUID |
					   1ull << CAP_SETGID),
				"PrivateDevices", "b", 1, "ProtectKernelLogs", "b", 1,
				"ProtectClock", "b", 1, "ProtectHostname", "b", 1,
				"MemoryDenyWriteExecute", "b", 1, "SystemCallArchitectures", "as",
				1, "native");
		if (r >= 0)
			r = sd_bus_message_open_container(m, 'r', "sv");
		if (r >= 0)
			r = sd_bus_message_append(m, "s", "ExecStart");
		if (r >= 0)
			r = sd_bus_message_open_container(m, 'v', "a(sasb)");
		if (r >= 0)
			r = sd_bus_message_open_container(m, 'a', "(sasb)");
		if (r >= 0)
			r = sd_bus_message_open_container(m, 'r', "sasb");
		if (r >= 0)
			r = sd_bus_message_append(m, "s", argv[0]);
		if (r >= 0)
			r = sd_bus_message_append_strv(m, (char **)argv);
		if (r >= 0)
			r = sd_bus_message_append(m, "b", 0);
		for (int c = 0; c < 4 && r >= 0; c++)
			r = sd_bus_message_close_container(m);
		if (r >= 0)
			r = sd_bus_message_close_container(m);
		if (r >= 0)
			r = sd_bus_message_append(m, "a(sa(sv))", 0);
		if (r >= 0)
			r = sd_bus_call(bus, m, 5 * 1000 * 1000, &e, NULL);
		m = sd_bus_message_unref(m);
		if (r >= 0 || !sd_bus_error_has_name(&e, "org.freedesktop.systemd1.UnitExists"))
			break;
		sd_bus_error_free(&e);
		usleep(200 * 1000); /* the stop of the old one is still running */
	}
	if (r < 0) {
		r = rpc_error_set(err, r, RPC_ERROR_INTERNAL, "systemd did not start %s: %s",
			DNS_UNIT, e.message ? e.message : strerror(-r));
		sd_bus_error_free(&e);
	}
	return r;
}

/* Whether this helper is bangerd-root.service itself: only then does a unit PID 1 starts share
 * its network and see its files. A helper run in namespaces of its own (the tests, on a systemd
 * host) keeps dnsmasq as its own child, in its own network. */
static bool under_own_unit(void)
{
	_cleanup_free_ char *unit = NULL;

	return sd_booted() > 0 && sd_pid_get_unit(0, &unit) >= 0 &&
	       streq(unit, "bangerd-root.service");
}

int op_dns_ensure_run(const struct helper_ctx *ctx, const struct helper_request *req,
	json_t **ret_result, struct rpc_error *err)
{
	const struct helper_config *cfg = ctx->cfg;
	const struct helper_pool *pool = &cfg->pool;
	json_t *list = json_object_get(req->params, "hosts"), *v;
	char dir[PATH_MAX], hosts_dir[PATH_MAX], file[PATH_MAX + 16], pidf[PATH_MAX + 16];
	char logf[PATH_MAX + 16], gw[16], text[DNS_MAX_HOSTS * 80];
	char a_listen[64], a_hostsdir[PATH_MAX + 32], a_resolv[PATH_MAX + 32], a_pid[PATH_MAX + 64];
	char a_user[64], a_group[64];
	const char *resolv, *user = "nobody";
	_cleanup_close_ int out = -EBADF, pidfd = -EBADF;
	struct passwd *pw;
	size_t len = 0, i;
	pid_t pid;
	int r;

	text[0] = '\0';
	json_array_foreach(list, i, v)
	{
		r = host_line(pool, json_string_value(v), text, sizeof(text), &len, err);
		if (r < 0)
			return r;
	}
	/* every entry checked before anything is made or written */
	r = dns_dirs(cfg, dir, sizeof(dir), hosts_dir, sizeof(hosts_dir), err);
	if (r < 0)
		return r;
	/* written beside the hosts dir, then renamed into it: dnsmasq reads whatever appears there,
	 * and must never see a half-written file */
	snprintf(file, sizeof(file), "%s/vms", dir);
	snprintf(pidf, sizeof(pidf), "%s/vms", hosts_dir);
	r = write_file_atomic(file, text, len, 0644);
	if (r >= 0 && rename(file, pidf) < 0)
		r = negative_errno();
	if (r < 0)
		return rpc_error_set(err, r, RPC_ERROR_INTERNAL, "Failed to write %s: %m", pidf);

	snprintf(pidf, sizeof(pidf), "%s/dnsmasq.pid", dir);
	pid = pidfile_running(pidf, "dnsmasq");
	if (pid > 0) {
		*ret_result = json_pack("{s:i, s:b, s:I, s:o}", "pid", (int)pid, "started", false,
			"hosts", (json_int_t)json_array_size(list), "resolved",
			register_resolved(pool));
		return *ret_result ? 0 : -ENOMEM;
	}

	inet_ntop(AF_INET, &pool->gateway, gw, sizeof(gw));
	resolv = access(RESOLVED_UPSTREAMS, R_OK) == 0 ? RESOLVED_UPSTREAMS : "/etc/resolv.conf";
	pw = getpwnam("dnsmasq");
	if (pw)
		user = "dnsmasq";
	snprintf(a_listen, sizeof(a_listen), "--listen-address=%s", gw);
	snprintf(a_hostsdir, sizeof(a_hostsdir), "--hostsdir=%s", hosts_dir);
	snprintf(a_resolv, sizeof(a_resolv), "--resolv-file=%s", resolv);
	snprintf(a_pid, sizeof(a_pid), "--pid-file=%s", pidf);
	snprintf(a_user, sizeof(a_user), "--user=%s", user);
	snprintf(a_group, sizeof(a_group), "--group=nogroup");
	/* a fixed list of root's places, each checked like the VMM: never a search of $PATH */
	static const char *const progs[] = {
		"/usr/sbin/dnsmasq", "/usr/bin/dnsmasq", "/sbin/dnsmasq"};
	const char *prog = NULL;
	for (size_t k = 0; k < ELEMENTSOF(progs) && !prog; k++)
		if (access(progs[k], X_OK) == 0)
			prog = progs[k];
	if (!prog)
		return rpc_error_set(err, -ENOENT, RPC_ERROR_UNAVAILABLE,
			"dnsmasq is not installed (apt-get install dnsmasq-base): guests have no "
			"resolver");
	r = helper_path_check_trusted(cfg, prog, err);
	if (r < 0)
		return r;
	char *argv[] = {(char *)prog, (char *)"--keep-in-foreground",
		(char *)"--conf-file=/dev/null", (char *)"--no-hosts", (char *)"--bind-interfaces",
		a_listen, (char *)"--except-interface=lo", (char *)"--local=/banger/",
		(char *)"--domain-needed", (char *)"--bogus-priv", a_hostsdir, a_resolv, a_pid,
		a_user, a_group, (char *)"--log-facility=-", NULL};

	if (under_own_unit()) {
		r = dns_unit_start(argv, dir, err);
		if (r < 0)
			return r;
		for (int k = 0; k < 80 && (pid = pidfile_running(pidf, "dnsmasq")) <= 0; k++)
			usleep(25 * 1000);
		if (pid <= 0)
			return rpc_error_set(err, -EIO, RPC_ERROR_INTERNAL,
				"dnsmasq did not start (journalctl -u %s says why)", DNS_UNIT);
		goto started;
	}
	snprintf(logf, sizeof(logf), "%s/dnsmasq.log", dir);
	out = open(logf, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (out < 0)
		return rpc_error_set(
			err, negative_errno(), RPC_ERROR_INTERNAL, "Failed to open %s: %m", logf);
	r = spawn_detached(argv, out, &pid, &pidfd, err);
	if (r < 0)
		return r;
	/* dnsmasq binds (or fails to) at once: give it a moment and say which */
	for (int k = 0; k < 20 && proc_running(pid) && pidfile_running(pidf, "dnsmasq") != pid; k++)
		usleep(25 * 1000);
	if (!proc_running(pid))
		return rpc_error_set(
			err, -EIO, RPC_ERROR_INTERNAL, "dnsmasq exited at once (see %s)", logf);
started:
	log_notice("Started dnsmasq (pid %d) for the guests on %s, upstreams from %s", (int)pid, gw,
		resolv);
	*ret_result = json_pack("{s:i, s:b, s:I, s:s, s:s, s:o}", "pid", (int)pid, "started", true,
		"hosts", (json_int_t)json_array_size(list), "listen", gw, "upstreams", resolv,
		"resolved", register_resolved(pool));
	return *ret_result ? 0 : -ENOMEM;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* jail.launch: runs the configured jailer for a staged VM, detached (helper/spawn.c: setsid, not
 * --daemonize) so the VMM is nobody's child, with its stdout/stderr on the console log descriptor
 * the daemon passed. Without --daemonize or --new-pid-ns the jailer execs the VMM in place, so the
 * VMM is the process the helper started: it is awaited as that pid running the VMM's executable
 * as the owner, and recorded with its start time in the launch record.
 * Security: the jailer, the VMM and the jail base come from root-owned configuration and are
 * re-checked; the VM id is validated (the jailer's own rule); uid/gid are the owner's; extra VMM
 * arguments come from a short allow-list and reach only the VMM, which runs as the owner inside
 * the chroot. The console log must be a writable regular file of the owner's. After a launch the
 * chroot is the owner's (the jailer chowns it): nothing in it is read or trusted here. That the
 * VM was launched is the root-only launch record in <base>/<exec>/<vm id> (root 0700), created
 * before the jailer runs, removed only with the jail: a jail is launched at most once, whatever
 * the owner does to the chroot. The API socket is answered as /proc/<VMM pid>/root/..., the
 * only way into the jail the owner has (the VMM is the owner's; its /proc/PID/root opens for
 * it). If the VMM does not start, the jailer is killed. */
#define _GNU_SOURCE 1
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/macro.h"
#include "helper/config.h"
#include "helper/fdcheck.h"
#include "helper/helper.h"
#include "helper/jail.h"
#include "helper/ops.h"
#include "helper/proc.h"
#include "helper/scope.h"
#include "helper/spawn.h"
#include "helper/validate.h"

#define LAUNCH_TIMEOUT_MS 10000

int op_jail_launch_validate(const struct helper_request *req, struct rpc_error *err)
{
	if (req->n_fds != 1 || helper_request_fd(req, "console") < 0)
		return rpc_error_set(err, -EINVAL, RPC_ERROR_INVALID_ARGUMENT,
			"jail.launch takes exactly the descriptor \"console\"");
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int op_jail_launch_run(const struct helper_ctx *ctx, const struct helper_request *req,
	json_t **ret_result, struct rpc_error *err)
{
	const struct helper_config *cfg = ctx->cfg;
	json_t *extra = json_object_get(req->params, "vmm_args");
	_cleanup_close_ int vm_fd = -1, pidfd = -1, record = -1;
	char vm_dir[PATH_MAX], root[PATH_MAX], uid[16], gid[16], sock[64];
	char *argv[32 + HELPER_MAX_VMM_ARGS], scope[SCOPE_NAME_MAX], why[256];
	unsigned long long start = 0;
	struct stat st;
	size_t n = 0, i;
	json_t *e;
	pid_t jailer = 0;
	long long deadline;
	unsigned nap = 250; /* µs */
	int console, r;

	r = jail_paths(cfg, req->vm_id, vm_dir, root, err);
	if (r < 0)
		return r;
	r = jail_open_vm_dir(cfg, req->vm_id, false, NULL, &vm_fd, err);
	if (r == -ENOENT)
		return rpc_error_set(err, r, RPC_ERROR_NOT_FOUND,
			"VM \"%s\" has no staged jail (jail.stage first)", req->vm_id);
	if (r < 0)
		return r;
	if (fstatat(vm_fd, "root", &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
		return rpc_error_set(err, -ENOENT, RPC_ERROR_NOT_FOUND,
			"VM \"%s\" has no staged jail (jail.stage first)", req->vm_id);
	r = helper_path_check_trusted(cfg, cfg->jailer_path, err);
	if (r >= 0)
		r = helper_path_check_trusted(cfg, cfg->vmm_path, err);
	if (r < 0)
		return r;
	r = request_owner_file(ctx, req, "console", FD_ACCESS_WRITE, &console, NULL, err);
	if (r < 0)
		return r;
	r = jail_launch_record_create(vm_fd, &record, err);
	if (r == -EEXIST)
		return rpc_error_set(err, r, RPC_ERROR_CONFLICT,
			"VM \"%s\" was already launched in this jail (jail.cleanup and stage "
			"again)",
			req->vm_id);
	if (r < 0)
		return r;

	snprintf(uid, sizeof(uid), "%u", (unsigned)cfg->owner_uid);
	snprintf(gid, sizeof(gid), "%u", (unsigned)cfg->owner_gid);
	argv[n++] = (char *)cfg->jailer_path;
	argv[n++] = (char *)"--id";
	argv[n++] = (char *)req->vm_id;
	argv[n++] = (char *)"--exec-file";
	argv[n++] = (char *)cfg->vmm_path;
	argv[n++] = (char *)"--uid";
	argv[n++] = uid;
	argv[n++] = (char *)"--gid";
	argv[n++] = gid;
	argv[n++] = (char *)"--chroot-base-dir";
	argv[n++] = (char *)cfg->layout.jail_base;
	argv[n++] = (char *)"--cgroup-version";
	argv[n++] = (char *)"2";
	argv[n++] = (char *)"--";
	argv[n++] = (char *)"--api-sock";
	argv[n++] = (char *)"/run/firecracker.socket";
	json_array_foreach(extra, i, e) argv[n++] = (char *)json_string_value(e);
	argv[n] = NULL;

	r = spawn_detached(argv, console, &jailer, &pidfd, err);
	if (r < 0)
		return r;

	/* The jailer becomes the VMM by exec: same pid, the VMM's name, the owner's uid. */
	deadline = now_ms() + LAUNCH_TIMEOUT_MS;
	for (;;) {
		struct pollfd p = {.fd = pidfd, .events = POLLIN};
		if (proc_is_vmm_exec(cfg, jailer) && proc_start_time(jailer, &start) >= 0)
			break;
		if (pidfd >= 0 ? poll(&p, 1, 0) > 0
			       : proc_state(jailer) == 'Z' || !proc_state(jailer)) {
			r = rpc_error_set(err, -ECHILD, RPC_ERROR_INTERNAL,
				"The jailer exited before the VMM started (its output is in the "
				"console log)");
			goto fail;
		}
		if (now_ms() > deadline) {
			r = rpc_error_set(err, -ETIMEDOUT, RPC_ERROR_TIMEOUT,
				"The VMM did not start within %d ms (pid %d never ran %s)",
				LAUNCH_TIMEOUT_MS, (int)jailer, cfg->exec_name);
			goto fail;
		}
		/* exec comes within milliseconds: look often at first, then every 2 ms */
		usleep(nap);
		nap = MIN(nap * 2, 2000u);
	}
	r = jail_launch_record_write(record, jailer, start);
	if (r < 0) {
		r = rpc_error_set(err, r, RPC_ERROR_INTERNAL,
			"Failed to write the launch record: %s", strerror(-r));
		goto fail;
	}
	/* Out of this unit's cgroup, into a scope of its own: a kill or stop of bangerd-root must
	 * never reach a guest. A VMM that stays is still a running VM: warn, go on. */
	r = vmm_scope_attach(req->vm_id, jailer, scope, why, sizeof(why));
	if (r < 0)
		log_warning("VM %s: its VMM (pid %d) stays in bangerd-root's cgroup: %s",
			req->vm_id, (int)jailer, why);
	snprintf(sock, sizeof(sock), "/proc/%d/root/run/firecracker.socket", (int)jailer);
	*ret_result = json_pack("{s:i, s:i, s:s, s:s, s:s?}", "pid", (int)jailer, "jailer_pid",
		(int)jailer, "root", root, "api_sock", sock, "scope", scope[0] ? scope : NULL);
	return *ret_result ? 0 : -ENOMEM;

fail:
	if (pidfd >= 0)
		(void)syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	return r;
}

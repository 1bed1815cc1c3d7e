/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The guest as a QEMU microvm child: its command line from the configuration, start-up over QMP,
 * Ctrl-Alt-Del, pause/resume, and reaping it into Firecracker's exit code. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#include "common/macro.h"
#include "vmm/vmm-kvm.h"
#include "vmm/vmm-log.h"
#include "vmm/vmm-qemu.h"

#define QMP_TIMEOUT_MS 5000
#define START_TIMEOUT_MS 15000

struct strv {
	char **v;
	size_t n;
	bool oom;
};

static void strv_add(struct strv *s, const char *fmt, ...) _printf_(2, 3);
static void strv_add(struct strv *s, const char *fmt, ...)
{
	char **p;
	va_list ap;
	int r;

	if (s->oom)
		return;
	p = realloc(s->v, (s->n + 2) * sizeof(char *));
	if (!p) {
		s->oom = true;
		return;
	}
	s->v = p;
	va_start(ap, fmt);
	r = vasprintf(&s->v[s->n], fmt, ap);
	va_end(ap);
	if (r < 0) {
		s->oom = true;
		s->v[s->n] = NULL;
		return;
	}
	s->v[++s->n] = NULL;
}

void vmm_qemu_argv_free(char **argv)
{
	for (char **a = argv; a && *a; a++)
		free(*a);
	free(argv);
}

/* QEMU's option syntax doubles a comma inside a value. */
static char *qemu_escape(const char *s)
{
	size_t n = 0;
	char *r, *p;

	for (const char *c = s; *c; c++)
		n += *c == ',' ? 2 : 1;
	r = p = malloc(n + 1);
	if (!r)
		return NULL;
	for (const char *c = s; *c; c++) {
		*p++ = *c;
		if (*c == ',')
			*p++ = ',';
	}
	*p = 0;
	return r;
}

static const char *str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

int vmm_qemu_kernel_cmdline(const struct vmm *v, char **ret)
{
	const char *args = str(v->boot_source, "boot_args");
	json_t *root = NULL, *d;
	size_t i;
	char *c;
	int r;

	json_array_foreach(v->drives, i, d) if (json_is_true(json_object_get(d, "is_root_device")))
		root = d;
	if (!args)
		args = VMM_DEFAULT_BOOT_ARGS;
	if (root && str(root, "partuuid"))
		r = asprintf(&c, "%s root=PARTUUID=%s %s", args, str(root, "partuuid"),
			json_is_true(json_object_get(root, "is_read_only")) ? "ro" : "rw");
	else if (root)
		r = asprintf(&c, "%s root=/dev/vda %s", args,
			json_is_true(json_object_get(root, "is_read_only")) ? "ro" : "rw");
	else
		r = asprintf(&c, "%s", args);
	if (r < 0)
		return -ENOMEM;
	*ret = c;
	return 0;
}

int vmm_qemu_build_argv(const struct vmm *v, enum vmm_accel accel, int qmp_fd, char ***ret)
{
	_cleanup_free_ char *cmdline = NULL, *kernel = NULL, *initrd = NULL, *append = NULL;
	const char *serial_out = v->serial ? str(v->serial, "serial_out_path") : NULL;
	struct strv s = {};
	size_t i;
	json_t *e;
	int r;

	if (!v->boot_source)
		return -EINVAL;
	r = vmm_qemu_kernel_cmdline(v, &cmdline);
	if (r < 0)
		return r;
	if (accel == VMM_ACCEL_TCG && v->tsc_khz > 0 && !strstr(cmdline, "tsc_early_khz=")) {
		/* Under TCG on a busy host the guest's PIT calibration fails ("tsc: Unable to
		 * calibrate against PIT") and the Debian kernel then hangs silently. */
		char *c;

		if (asprintf(&c, "%s tsc_early_khz=%lu", cmdline, v->tsc_khz) < 0)
			return -ENOMEM;
		free(cmdline);
		cmdline = c;
	}
	kernel = qemu_escape(str(v->boot_source, "kernel_image_path"));
	append = qemu_escape(cmdline);
	if (!kernel || !append)
		return -ENOMEM;

	strv_add(&s, "%s", v->qemu_binary);
	strv_add(&s, "-name");
	strv_add(&s, "%s", v->id);
	/* An i8042 gives SendCtrlAltDel the keyboard controller Firecracker emulates for it. */
	strv_add(&s, "-machine");
	strv_add(&s, "microvm,x-option-roms=off,isa-serial=on,rtc=on,acpi=on");
	strv_add(&s, "-accel");
	strv_add(&s, "%s", accel == VMM_ACCEL_KVM ? "kvm" : "tcg");
	strv_add(&s, "-smp");
	strv_add(&s, "%lld",
		(long long)json_integer_value(json_object_get(v->machine_config, "vcpu_count")));
	strv_add(&s, "-m");
	strv_add(&s, "%lldM",
		(long long)json_integer_value(json_object_get(v->machine_config, "mem_size_mib")));
	strv_add(&s, "-nodefaults");
	strv_add(&s, "-no-user-config");
	strv_add(&s, "-display");
	strv_add(&s, "none");
	/* Like Firecracker, a guest reboot ends the VMM rather than restarting the guest. */
	strv_add(&s, "-no-reboot");
	strv_add(&s, "-device");
	strv_add(&s, "i8042");
	strv_add(&s, "-kernel");
	strv_add(&s, "%s", kernel);
	if (str(v->boot_source, "initrd_path")) {
		initrd = qemu_escape(str(v->boot_source, "initrd_path"));
		if (!initrd)
			return -ENOMEM;
		strv_add(&s, "-initrd");
		strv_add(&s, "%s", initrd);
	}
	strv_add(&s, "-append");
	strv_add(&s, "%s", append);

	json_array_foreach(v->drives, i, e)
	{
		_cleanup_free_ char *path = qemu_escape(str(e, "path_on_host"));
		bool ro = json_is_true(json_object_get(e, "is_read_only"));
		bool writeback = streq(str(e, "cache_type") ?: "Unsafe", "Writeback");

		if (!path)
			return -ENOMEM;
		strv_add(&s, "-drive");
		strv_add(&s, "id=drive_%s,file=%s,format=raw,if=none,readonly=%s,cache=%s",
			str(e, "drive_id"), path, ro ? "on" : "off",
			writeback ? "writeback" : "unsafe");
		strv_add(&s, "-device");
		strv_add(&s, "virtio-blk-device,drive=drive_%s", str(e, "drive_id"));
	}
	json_array_foreach(v->network_interfaces, i, e)
	{
		const char *mac = str(e, "guest_mac");
		json_t *mtu = json_object_get(e, "mtu");

		strv_add(&s, "-netdev");
		strv_add(&s, "tap,id=net_%s,ifname=%s,script=no,downscript=no", str(e, "iface_id"),
			str(e, "host_dev_name"));
		strv_add(&s, "-device");
		strv_add(&s, "virtio-net-device,netdev=net_%s%s%s%s", str(e, "iface_id"),
			mac ? ",mac=" : "", mac ?: "", json_is_integer(mtu) ? ",host_mtu=" : "");
		if (json_is_integer(mtu)) {
			char *last = s.v[s.n - 1], *n;

			if (asprintf(&n, "%s%lld", last, (long long)json_integer_value(mtu)) < 0)
				s.oom = true;
			else {
				free(last);
				s.v[s.n - 1] = n;
			}
		}
	}
	/* The serial console goes where Firecracker puts it: our stdout, or serial_out_path. */
	strv_add(&s, "-chardev");
	if (serial_out) {
		_cleanup_free_ char *p = qemu_escape(serial_out);
		if (!p)
			s.oom = true;
		else
			strv_add(&s, "file,id=console,path=%s", p);
	} else
		strv_add(&s, "stdio,id=console,signal=off");
	strv_add(&s, "-serial");
	strv_add(&s, "chardev:console");
	if (v->incoming_fd >= 0) {
		/* a snapshot load: the machine state and memory come from this descriptor, and
		 * the guest stays paused until asked (-S) */
		strv_add(&s, "-S");
		strv_add(&s, "-incoming");
		strv_add(&s, "fd:%d", v->incoming_fd);
	}
	if (qmp_fd >= 0) {
		/* one end of a socket pair: connected from the start, nothing to poll for */
		strv_add(&s, "-chardev");
		strv_add(&s, "socket,id=qmp,fd=%d,server=off", qmp_fd);
		strv_add(&s, "-mon");
		strv_add(&s, "chardev=qmp,mode=control");
	}
	if (s.oom) {
		vmm_qemu_argv_free(s.v);
		return -ENOMEM;
	}
	*ret = s.v;
	return 0;
}

static int64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

void vmm_qemu_tsc_sample(struct vmm_tsc_sample *ret)
{
	*ret = (struct vmm_tsc_sample){};
#if defined(__x86_64__) || defined(__i386__)
	/* The tightest of three brackets: the least disturbed by preemption. */
	for (int i = 0; i < 3; i++) {
		int64_t a0 = mono_ns();
		uint64_t c = __rdtsc();
		int64_t a1 = mono_ns();

		if (ret->ns == 0 || a1 - a0 < ret->err_ns)
			*ret = (struct vmm_tsc_sample){
				.ns = a0 + (a1 - a0) / 2, .tsc = c, .err_ns = a1 - a0};
	}
#endif
}

unsigned long vmm_qemu_measure_tsc_khz(const struct vmm_tsc_sample *mark)
{
	struct vmm_tsc_sample a, b;
	int64_t wait;

	if (mark && mark->ns > 0)
		a = *mark;
	else
		vmm_qemu_tsc_sample(&a);
	if (a.ns == 0)
		return 0;
	/* 10 ms keeps the error (the two brackets' widths, ~100 ns each) near 2e-5: a clock
	 * as good as a quartz crystal, where waiting longer would delay every boot */
	wait = a.ns + 10 * 1000000LL - mono_ns();
	if (wait > 0)
		nanosleep(&(struct timespec){.tv_sec = wait / 1000000000LL,
				  .tv_nsec = wait % 1000000000LL},
			NULL);
	vmm_qemu_tsc_sample(&b);
	if (b.ns <= a.ns || b.tsc <= a.tsc)
		return 0;
	return (unsigned long)((b.tsc - a.tsc) * 1000000ULL / (uint64_t)(b.ns - a.ns));
}

enum vmm_accel vmm_qemu_resolve_accel(struct vmm *v)
{
	if (v->accel == VMM_ACCEL_AUTO) {
		v->accel = vmm_kvm_probe("/dev/kvm", 2000) > 0 ? VMM_ACCEL_KVM : VMM_ACCEL_TCG;
		vmm_log_info("Acceleration: %s (KVM probe %s)", vmm_accel_to_string(v->accel),
			v->accel == VMM_ACCEL_KVM ? "ran a guest" : "failed");
	}
	return v->accel;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void stderr_collect(struct vmm *v, bool log_lines)
{
	char buf[1024];
	ssize_t n;

	if (v->qemu.stderr_fd < 0)
		return;
	while ((n = read(v->qemu.stderr_fd, buf, sizeof(buf) - 1)) > 0) {
		size_t room = sizeof(v->qemu.err_buf) - 1 - v->qemu.err_len;

		memcpy(v->qemu.err_buf + v->qemu.err_len, buf, MIN((size_t)n, room));
		v->qemu.err_len += MIN((size_t)n, room);
		v->qemu.err_buf[v->qemu.err_len] = 0;
		if (log_lines) {
			buf[n] = 0;
			for (char *save = NULL, *l = strtok_r(buf, "\n", &save); l;
				l = strtok_r(NULL, "\n", &save))
				vmm_log_warning("qemu: %s", l);
		}
	}
	if (n == 0)
		v->qemu.stderr_fd = safe_close(v->qemu.stderr_fd);
}

/* One line from QMP into ret (NUL-terminated, without the newline), waiting up to timeout_ms. */
static int qmp_read_line(struct vmm *v, int timeout_ms, char *ret, size_t size)
{
	int64_t deadline = now_ms() + timeout_ms;

	for (;;) {
		char *nl = memchr(v->qemu.qmp_buf, '\n', v->qemu.qmp_len);
		struct pollfd p = {.fd = v->qemu.qmp_fd, .events = POLLIN};
		ssize_t n;
		int left;

		if (nl) {
			size_t len = (size_t)(nl - v->qemu.qmp_buf);

			snprintf(ret, size, "%.*s", (int)len, v->qemu.qmp_buf);
			memmove(v->qemu.qmp_buf, nl + 1, v->qemu.qmp_len - len - 1);
			v->qemu.qmp_len -= len + 1;
			return 0;
		}
		if (v->qemu.qmp_len == sizeof(v->qemu.qmp_buf))
			return -EMSGSIZE;
		left = (int)(deadline - now_ms());
		if (timeout_ms >= 0 && left <= 0)
			return -ETIMEDOUT;
		if (poll(&p, 1, timeout_ms < 0 ? 0 : left) < 0 && errno != EINTR)
			return negative_errno();
		n = read(v->qemu.qmp_fd, v->qemu.qmp_buf + v->qemu.qmp_len,
			sizeof(v->qemu.qmp_buf) - v->qemu.qmp_len);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR) {
				if (timeout_ms < 0)
					return -EAGAIN;
				continue;
			}
			return negative_errno();
		}
		v->qemu.qmp_len += (size_t)n;
	}
}

static void qmp_log_event(const char *line)
{
	json_t *j = json_loads(line, 0, NULL);
	const char *ev = json_string_value(json_object_get(j, "event"));

	if (ev)
		vmm_log_info("Guest event: %s", ev);
	json_decref(j);
}

/* Sends one QMP command (with fd passed alongside it, when fd >= 0) and waits for its answer;
 * events in between are logged. *ret (when ret) takes the command's "return" value. */
int vmm_qemu_call(struct vmm *v, const char *cmd, int fd, json_t **ret, struct vmm_fault *f)
{
	char line[sizeof(v->qemu.qmp_buf)];
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} control = {};
	struct iovec iov[2] = {{(void *)cmd, strlen(cmd)}, {(void *)"\n", 1}};
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
	size_t len = strlen(cmd) + 1;

	if (v->qemu.qmp_fd < 0)
		return vmm_fault_set(f, "The guest's monitor connection is closed.");
	if (fd >= 0) {
		struct cmsghdr *c;

		mh.msg_control = control.buf;
		mh.msg_controllen = sizeof(control.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	if (sendmsg(v->qemu.qmp_fd, &mh, MSG_NOSIGNAL) != (ssize_t)len)
		return vmm_fault_set(f, "Cannot talk to the guest's monitor: %s", strerror(errno));
	for (;;) {
		json_t *j, *err, *res;
		int r = qmp_read_line(v, QMP_TIMEOUT_MS, line, sizeof(line));

		if (r < 0)
			return vmm_fault_set(
				f, "No answer from the guest's monitor: %s", strerror(-r));
		j = json_loads(line, 0, NULL);
		res = json_object_get(j, "return");
		if (res) {
			if (ret)
				*ret = json_incref(res);
			json_decref(j);
			return 0;
		}
		err = json_object_get(j, "error");
		if (err) {
			vmm_fault_set(f, "The guest's monitor refused %s: %s", cmd,
				str(err, "desc") ?: "unknown error");
			json_decref(j);
			return -EIO;
		}
		if (json_object_get(j, "event"))
			qmp_log_event(line);
		json_decref(j);
	}
}

static int qmp_command(struct vmm *v, const char *cmd, struct vmm_fault *f)
{
	return vmm_qemu_call(v, cmd, -1, NULL, f);
}

static void start_failed_cleanup(struct vmm *v)
{
	if (v->qemu.pid > 0) {
		kill(v->qemu.pid, SIGKILL);
		waitpid(v->qemu.pid, NULL, 0);
		v->qemu.pid = 0;
	}
	v->qemu.pidfd = safe_close(v->qemu.pidfd);
	v->qemu.qmp_fd = safe_close(v->qemu.qmp_fd);
	v->qemu.stderr_fd = safe_close(v->qemu.stderr_fd);
}

static void fault_from_stderr(struct vmm *v, struct vmm_fault *f, const char *what)
{
	char *e = v->qemu.err_buf;
	size_t n = strlen(e);

	while (n > 0 && (e[n - 1] == '\n' || e[n - 1] == ' '))
		e[--n] = 0;
	vmm_fault_set(f, "Failed to start the microVM: %s%s%s", what, n ? ": " : "", e);
}

int vmm_qemu_start(struct vmm *v, struct vmm_fault *f)
{
	char **argv = NULL;
	char line[sizeof(v->qemu.qmp_buf)];
	int errpipe[2], qmp[2], r;
	enum vmm_accel accel;
	pid_t pid;

	accel = vmm_qemu_resolve_accel(v);
	if (accel == VMM_ACCEL_TCG && v->tsc_khz == 0) {
		v->tsc_khz = vmm_qemu_measure_tsc_khz(&v->tsc_mark);
		vmm_log_info(
			"TCG: host TSC %lu kHz, given to the guest as tsc_early_khz.", v->tsc_khz);
	}
	/* The monitor is a socket pair, not a path: connected before QEMU runs, so its greeting
	 * is read the moment it is sent, and there is no socket file for anyone to find. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, qmp) < 0)
		return vmm_fault_set(f, "Failed to start the microVM: %s", strerror(errno));
	r = vmm_qemu_build_argv(v, accel, qmp[1], &argv);
	if (r < 0) {
		close(qmp[0]);
		close(qmp[1]);
		return vmm_fault_set(f, "Failed to start the microVM: %s", strerror(-r));
	}
	if (pipe2(errpipe, O_CLOEXEC) < 0) {
		vmm_qemu_argv_free(argv);
		close(qmp[0]);
		close(qmp[1]);
		return vmm_fault_set(f, "Failed to start the microVM: %s", strerror(errno));
	}
	v->qemu.err_len = 0;
	v->qemu.err_buf[0] = 0;
	pid = fork();
	if (pid < 0) {
		vmm_qemu_argv_free(argv);
		close(errpipe[0]);
		close(errpipe[1]);
		close(qmp[0]);
		close(qmp[1]);
		return vmm_fault_set(f, "Failed to start the microVM: %s", strerror(errno));
	}
	if (pid == 0) {
		/* QEMU must not outlive us: a SIGKILLed banger-vmm takes its guest along. */
		sigset_t none;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* Our blocked signals (taken by signalfd) and ignored SIGPIPE survive exec: undo
		 * them, or QEMU would never see the SIGTERM we stop it with. */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		dup2(errpipe[1], STDERR_FILENO);
		if (v->incoming_fd >= 0 && fcntl(v->incoming_fd, F_SETFD, 0) < 0)
			_exit(127);
		if (fcntl(qmp[1], F_SETFD, 0) < 0)
			_exit(127);
		execv(argv[0], argv);
		dprintf(STDERR_FILENO, "cannot execute %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(errpipe[1]);
	close(qmp[1]);
	vmm_qemu_argv_free(argv);
	v->qemu.pid = pid;
	v->qemu.stderr_fd = errpipe[0];
	v->qemu.qmp_fd = qmp[0];
	fcntl(v->qemu.stderr_fd, F_SETFL, O_NONBLOCK);
	v->qemu.pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (v->qemu.pidfd < 0) {
		start_failed_cleanup(v);
		return vmm_fault_set(
			f, "Failed to start the microVM: pidfd_open: %s", strerror(errno));
	}

	/* QEMU greets once it has parsed and built everything; one that exits first closes its
	 * end, and the read fails at once. */
	v->qemu.qmp_len = 0;
	r = qmp_read_line(v, START_TIMEOUT_MS, line, sizeof(line)); /* the greeting */
	if (r >= 0)
		r = qmp_command(v, "{\"execute\":\"qmp_capabilities\"}", f);
	if (r < 0) {
		struct pollfd p = {.fd = v->qemu.pidfd, .events = POLLIN};
		/* a monitor that closed: QEMU is on its way out, give it a moment to be gone */
		bool exited = poll(&p, 1, r == -ETIMEDOUT ? 0 : 1000) > 0;

		if (exited) {
			waitpid(pid, NULL, 0);
			v->qemu.pid = 0;
		}
		stderr_collect(v, false);
		fault_from_stderr(v, f,
			exited            ? "QEMU exited"
			: r == -ETIMEDOUT ? "QEMU's monitor did not come up"
					  : "QEMU's monitor did not answer");
		start_failed_cleanup(v);
		return r == -ETIMEDOUT && !exited ? -ETIMEDOUT : -EIO;
	}
	fcntl(v->qemu.qmp_fd, F_SETFL, O_NONBLOCK);
	vmm_log_info("Guest started: QEMU microvm pid %d, accel %s", (int)pid,
		accel == VMM_ACCEL_KVM ? "kvm" : "tcg");
	return 0;
}

int vmm_qemu_ctrl_alt_del(struct vmm *v, struct vmm_fault *f)
{
	return qmp_command(v,
		"{\"execute\":\"send-key\",\"arguments\":{\"keys\":["
		"{\"type\":\"qcode\",\"data\":\"ctrl\"},{\"type\":\"qcode\",\"data\":\"alt\"},"
		"{\"type\":\"qcode\",\"data\":\"delete\"}]}}",
		f);
}

int vmm_qemu_set_paused(struct vmm *v, bool paused, struct vmm_fault *f)
{
	return qmp_command(v, paused ? "{\"execute\":\"stop\"}" : "{\"execute\":\"cont\"}", f);
}

void vmm_qemu_drain(struct vmm *v)
{
	char line[sizeof(v->qemu.qmp_buf)];

	stderr_collect(v, true);
	while (v->qemu.qmp_fd >= 0) {
		int r = qmp_read_line(v, -1, line, sizeof(line));

		if (r == -EAGAIN)
			break;
		if (r < 0) {
			v->qemu.qmp_fd = safe_close(v->qemu.qmp_fd);
			break;
		}
		qmp_log_event(line);
	}
}

int vmm_qemu_reap(struct vmm *v)
{
	int status = 0;

	if (v->qemu.pid <= 0)
		return VMM_EXIT_OK;
	if (waitpid(v->qemu.pid, &status, 0) < 0)
		status = 1 << 8;
	v->qemu.pid = 0;
	v->qemu.pidfd = safe_close(v->qemu.pidfd);
	stderr_collect(v, true);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		vmm_log_info("Guest stopped (powered off or rebooted).");
		return VMM_EXIT_OK;
	}
	if (WIFSIGNALED(status))
		vmm_log_error("QEMU was killed by signal %d.", WTERMSIG(status));
	else
		vmm_log_error("QEMU exited with status %d.", WEXITSTATUS(status));
	return VMM_EXIT_GENERIC;
}

void vmm_qemu_kill(struct vmm *v, int timeout_ms)
{
	struct pollfd p = {.fd = v->qemu.pidfd, .events = POLLIN};

	if (v->qemu.pid <= 0)
		return;
	kill(v->qemu.pid, SIGTERM);
	if (p.fd < 0 || poll(&p, 1, timeout_ms) <= 0)
		kill(v->qemu.pid, SIGKILL);
	(void)vmm_qemu_reap(v);
}

void vmm_qemu_print_jail_deps(const struct vmm *v)
{
	/* Read-only bind mounts, at the same path inside the jail as outside. */
	static const char *const ro_dirs[] = {
		"/usr/lib", "/usr/lib64", "/usr/share/qemu", "/usr/share/seabios"};
	struct stat st;

	printf("# banger-vmm %s: what the VMM needs inside its jail besides what the jailer "
	       "makes.\n"
	       "# bind-ro PATH: bind-mount PATH read-only at the same path in the jail.\n"
	       "# symlink LINK TARGET: create LINK pointing to TARGET.\n"
	       "# dev PATH: a device node like the host's, owned by the jail uid.\n",
		PACKAGE_VERSION);
	printf("bind-ro %s\n", v->qemu_binary);
	for (size_t i = 0; i < ELEMENTSOF(ro_dirs); i++)
		if (stat(ro_dirs[i], &st) == 0 && S_ISDIR(st.st_mode))
			printf("bind-ro %s\n", ro_dirs[i]);
	printf("symlink /lib usr/lib\n");
	if (stat("/usr/lib64", &st) == 0)
		printf("symlink /lib64 usr/lib64\n");
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* banger image pull: an OCI image (a registry, an OCI layout or archive) becomes a banger image.
 * Everything runs here, as the owner: skopeo copies the image into an OCI layout in a staging
 * directory under the state directory, the layers are checked, images/oci/pull unpacks them
 * with umoci --rootless and makes the ext4 root with banger's init and dropbear added, and the
 * result goes through image.import with the reference and manifest digest kept in the record.
 * Whatever fails, the staging directory goes and no record is made. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/oci.h"
#include "cli/output.h"
#include "common/layout.h"
#include "common/macro.h"
#include "protocol/jsonrpc.h"
#include "protocol/vm.h"

#define PULL_ARCH "amd64"
#define CALL_TIMEOUT_MS 60000
#define TOOL_ERR_MAX 4096
#define TOOL_OUT_MAX (4u << 20) /* a manifest or skopeo inspect's answer */

/* The running tool's process group, for the signals a person (or banger-tui) sends us. */
static volatile sig_atomic_t tool_pgid;
/* A signal between two tools must stop the pull too, not only the tool running. */
static volatile sig_atomic_t pull_interrupted;

static void forward_signal(int sig)
{
	pull_interrupted = sig;
	if (tool_pgid > 0)
		kill(-(pid_t)tool_pgid, sig);
}

static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP};

struct pull {
	struct cli *cli;
	bool progress; /* step lines on stdout (not with --json) */
	int step, n_steps;
	char staging[PATH_MAX];
	char err[TOOL_ERR_MAX]; /* the last tool's stderr, trimmed */
};

static void pull_step(struct pull *p, const char *fmt, ...) _printf_(2, 3);
static void pull_step(struct pull *p, const char *fmt, ...)
{
	va_list ap;

	p->step++;
	if (!p->progress)
		return;
	printf("[%d/%d] ", p->step, p->n_steps);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void read_memfd(int fd, char *buf, size_t size, size_t *ret_len)
{
	ssize_t n = pread(fd, buf, size - 1, 0);

	n = MAX(n, 0);
	buf[n] = '\0';
	if (ret_len)
		*ret_len = (size_t)n;
}

/* Runs argv in a process group of its own, stdin from /dev/null; stdout into *ret_out when
 * asked (else to our stdout when showing progress, else nowhere), stderr into p->err. Returns
 * the exit status (0 success), or -errno when it could not run. */
static int run_tool(struct pull *p, const char *const argv[], char **ret_out, size_t *ret_out_len)
{
	_cleanup_close_ int out_fd = -1, err_fd = -1;
	int status = -1;
	pid_t pid;

	if (pull_interrupted) {
		snprintf(p->err, sizeof(p->err), "interrupted");
		return -EINTR;
	}
	err_fd = memfd_create("banger-pull-stderr", MFD_CLOEXEC);
	out_fd = ret_out ? memfd_create("banger-pull-stdout", MFD_CLOEXEC) : -1;
	if (err_fd < 0 || (ret_out && out_fd < 0))
		return -errno;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		setpgid(0, 0);
		dup2(null, STDIN_FILENO);
		if (out_fd >= 0)
			dup2(out_fd, STDOUT_FILENO);
		else if (!p->progress)
			dup2(null, STDOUT_FILENO);
		dup2(err_fd, STDERR_FILENO);
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);
	tool_pgid = pid;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			status = -1;
			break;
		}
	tool_pgid = 0;
	read_memfd(err_fd, p->err, sizeof(p->err), NULL);
	/* the last lines say why; keep them on one line for an error message */
	for (size_t n = strlen(p->err); n > 0 && (p->err[n - 1] == '\n' || p->err[n - 1] == ' ');)
		p->err[--n] = '\0';
	if (ret_out) {
		char *buf = malloc(TOOL_OUT_MAX + 1);
		if (!buf)
			return -ENOMEM;
		read_memfd(out_fd, buf, TOOL_OUT_MAX + 1, ret_out_len);
		*ret_out = buf;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return status == -1 ? -ECHILD : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/* The last line of a tool's stderr: usually where it says why. */
static const char *last_line(const char *s)
{
	const char *nl = strrchr(s, '\n');
	return nl ? nl + 1 : s;
}

static uint64_t free_bytes(const char *dir)
{
	struct statvfs st;

	if (statvfs(dir, &st) < 0)
		return UINT64_MAX;
	return (uint64_t)st.f_bavail * st.f_frsize;
}

static bool out_of_space(struct pull *p, const char *state_dir)
{
	return strcasestr(p->err, "no space left on device") || free_bytes(state_dir) < (1u << 20);
}

static void remove_staging(struct pull *p)
{
	const char *argv[] = {"rm", "-rf", "--", p->staging, NULL};
	const char *chmod_argv[] = {"chmod", "-R", "u+rwX", "--", p->staging, NULL};
	bool progress = p->progress;

	if (!p->staging[0])
		return;
	p->progress = false;
	pull_interrupted = 0;
	/* umoci --rootless leaves the image's read-only directories read-only */
	(void)run_tool(p, chmod_argv, NULL, NULL);
	(void)run_tool(p, argv, NULL, NULL);
	p->progress = progress;
	p->staging[0] = '\0';
}

/* Staging directories of pulls that were killed outright (SIGKILL, a crash): named
 * .pull-NAME.PID.XXXXXX, they go once their pid no longer runs. */
static void remove_stale_staging(struct pull *p, const char *state_dir)
{
	DIR *d = opendir(state_dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char *dot, *end;
		long pid;

		if (strncmp(de->d_name, ".pull-", 6) != 0 || !(dot = strrchr(de->d_name, '.')) ||
			dot == de->d_name)
			continue;
		/* the pid is the component before the mkdtemp suffix */
		*dot = '\0';
		end = strrchr(de->d_name, '.');
		pid = end ? strtol(end + 1, NULL, 10) : 0;
		*dot = '.';
		if (pid <= 0 || pid == getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		if (snprintf(p->staging, sizeof(p->staging), "%s/%s", state_dir, de->d_name) <
			(int)sizeof(p->staging))
			remove_staging(p);
	}
	closedir(d);
	p->staging[0] = '\0';
}

static void sha256_hex(const char *buf, size_t len, char out[72])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_Digest(buf, len, md, &n, EVP_sha256(), NULL);
	strcpy(out, "sha256:");
	for (unsigned i = 0; i < n && i < 32; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
}

/* The error for a skopeo failure, from what it said: the cases a person can act on named. */
static int skopeo_error(
	struct pull *p, const char *what, const char *src, const struct oci_ref *ref)
{
	const char *e = p->err;

	if (strstr(e, "server gave HTTP response to HTTPS client"))
		return cli_error("%s %s: the registry %s speaks plain HTTP; banger uses plain HTTP "
				 "without --insecure only for registries on a loopback address",
			what, src, ref->host);
	if (strstr(e, "connection refused") || strstr(e, "no such host") ||
		strstr(e, "i/o timeout") || strstr(e, "network is unreachable"))
		return cli_error("%s %s: the registry %s cannot be reached (%s)", what, src,
			ref->host, last_line(e));
	if (strstr(e, "manifest unknown") || strstr(e, "name unknown") || strstr(e, "not found") ||
		strstr(e, "no such file or directory"))
		return cli_error("%s %s: no such image (%s)", what, src, last_line(e));
	/* a registry answers 401 alike to no credentials and to wrong ones */
	if (strstr(e, "unauthorized") || strstr(e, "authentication required"))
		return cli_error(
			"%s %s: the registry %s wants credentials, and we have none for it "
			"or it refused them: log in with \"skopeo login %s\" or \"podman "
			"login %s\" (banger reads the auth.json they write) (%s)",
			what, src, ref->host, ref->host, ref->host, last_line(e));
	return cli_error("%s %s: %s", what, src, e[0] ? last_line(e) : "skopeo failed");
}

static json_t *find_image(json_t *list, const char *name)
{
	json_t *img;
	size_t i;

	json_array_foreach(json_object_get(list, "images"), i, img)
	{
		if (streq(json_str(img, "name", ""), name))
			return img;
	}
	return NULL;
}

static void oci_owners_freep(struct oci_owners **o)
{
	oci_owners_free(*o);
}

static int pull_run(struct pull *p, const char *src, const struct oci_ref *ref)
{
	struct cli *cli = p->cli;
	const char *kernel_name = cli_opt(cli, "kernel") ? cli_opt(cli, "kernel") : "minimal";
	bool insecure = cli_opt(cli, "insecure") != NULL;
	bool plain_ok = ref->transport == OCI_TRANSPORT_DOCKER &&
			(insecure || oci_registry_is_loopback(ref->host));
	_cleanup_json_ json_t *list = NULL, *raw = NULL, *info = NULL, *params = NULL, *img = NULL;
	char name[64], digest[72], why[512], script[PATH_MAX], layout_ref[PATH_MAX + 32],
		dest[PATH_MAX + 32], layout_dir[PATH_MAX + 16], rootfs[PATH_MAX + 16];
	const char *tls = plain_ok ? "--tls-verify=false" : "--tls-verify=true";
	const char *src_tls = plain_ok ? "--src-tls-verify=false" : "--src-tls-verify=true";
	_cleanup_free_ char *out = NULL;
	_cleanup_(oci_owners_freep) struct oci_owners *owners = NULL;
	_cleanup_fclose_ FILE *owners_file = NULL;
	char owners_path[PATH_MAX + 16];
	struct banger_layout layout;
	json_t *kimg, *old;
	uint64_t need = 0, avail;
	size_t out_len = 0;
	int r, fd;

	if (cli_opt(cli, "name"))
		snprintf(name, sizeof(name), "%s", cli_opt(cli, "name"));
	else if (oci_ref_default_name(ref, name, sizeof(name)) < 0)
		return cli_usage_error(cli, "cannot make an image name from %s: pass --name", src);
	if (!vm_name_is_valid(name))
		return cli_usage_error(cli,
			"\"%s\" is not a valid image name (a-z, 0-9, '-', "
			"starting with a letter, at most 32)",
			name);
	if (cli_find_image_script("oci", "pull", script, sizeof(script)) < 0)
		return cli_error("images/oci/pull is not installed (looked in $BANGER_IMAGES_DIR, "
				 "%s/images and the source tree)",
			PKGDATADIR);
	r = layout_init(&layout, NULL);
	if (r < 0)
		return cli_error("cannot work out banger's directories: %s", strerror(-r));
	remove_stale_staging(p, layout.state_dir);

	/* the kernel and initrd come from another image: check it before fetching anything */
	r = cli_call(cli, RPC_METHOD_IMAGE_LIST, NULL, CALL_TIMEOUT_MS, &list);
	if (r)
		return r;
	kimg = find_image(list, kernel_name);
	if (!kimg)
		return cli_error(
			"no image \"%s\" to take the kernel and initrd from: build it with "
			"\"banger image build%s\" or pass --kernel IMAGE",
			kernel_name, streq(kernel_name, "minimal") ? "" : " RECIPE");
	if (!json_is_string(json_object_get(kimg, "initrd")))
		return cli_error(
			"image \"%s\" has no initrd; a pulled image needs banger's minimal "
			"initrd (pass --kernel minimal)",
			kernel_name);
	fd = open(json_str(kimg, "initrd", ""), O_RDONLY | O_CLOEXEC | O_NOCTTY);
	r = fd < 0 ? -errno : oci_initrd_runs_banger_init(fd);
	if (fd >= 0)
		close(fd);
	if (r == 0)
		return cli_error("image \"%s\"'s initrd predates pulled images (it does not run "
				 "/.banger/init): rebuild it with \"banger image rm %s && banger "
				 "image build\"",
			kernel_name, kernel_name);
	if (r < 0)
		return cli_error("cannot read image \"%s\"'s initrd %s: %s", kernel_name,
			json_str(kimg, "initrd", "?"), strerror(-r));

	/* what the reference names now: its manifest (or index), whose digest is the image's */
	pull_step(p, "Inspecting %s", src);
	{
		const char *argv[] = {"skopeo", "inspect", "--raw", tls, src, NULL};
		const char *local[] = {"skopeo", "inspect", "--raw", src, NULL};
		r = run_tool(
			p, ref->transport == OCI_TRANSPORT_DOCKER ? argv : local, &out, &out_len);
	}
	if (r != 0)
		return skopeo_error(p, "Cannot pull", src, ref);
	raw = json_loadb(out, out_len, 0, NULL);
	if (!raw)
		return cli_error("Cannot pull %s: its manifest is not JSON", src);
	if (oci_index_check_platform(raw, PULL_ARCH, why, sizeof(why)) < 0)
		return cli_error("Cannot pull %s: %s", src, why);
	sha256_hex(out, out_len, digest);
	if (ref->digest[0] && !streq(ref->digest, digest))
		return cli_error(
			"Cannot pull %s: the registry's manifest has digest %s", src, digest);

	old = find_image(list, name);
	if (old && streq(json_str(old, "digest", ""), digest)) {
		if (cli->json)
			cli_print_json(old);
		else
			printf("Image %s is up to date (%s, %s)\n", name, src, digest);
		return 0;
	}
	if (old && !json_is_string(json_object_get(old, "digest")))
		return cli_error(
			"an image named \"%s\" exists and was not pulled: pass --name", name);

	/* enough room for the layers as downloaded and once more unpacked, at least: known here
	 * for a manifest, and for an index of a registry image by fetching its manifest */
	need = oci_manifest_layers_size(raw);
	if (json_object_get(raw, "manifests") && ref->transport == OCI_TRANSPORT_DOCKER &&
		oci_index_pick(raw, PULL_ARCH)) {
		char child[1400];
		const char *argv[] = {"skopeo", "inspect", "--raw", tls, child, NULL};
		snprintf(child, sizeof(child), "docker://%s/%s@%s", ref->host, ref->path,
			oci_index_pick(raw, PULL_ARCH));
		free(TAKE_PTR(out));
		if (run_tool(p, argv, &out, &out_len) != 0)
			return skopeo_error(p, "Cannot pull", src, ref);
		info = json_loadb(out, out_len, 0, NULL);
		need = oci_manifest_layers_size(info);
	}
	avail = free_bytes(layout.state_dir);
	if (avail != UINT64_MAX && 2 * need > avail) {
		char n1[32], n2[32];
		format_size(2 * need, n1, sizeof(n1));
		format_size(avail, n2, sizeof(n2));
		return cli_error("Cannot pull %s: its layers need at least %s in %s, which has %s "
				 "free",
			src, n1, layout.state_dir, n2);
	}

	if (snprintf(p->staging, sizeof(p->staging), "%s/.pull-%s.%d.XXXXXX", layout.state_dir,
		    name, (int)getpid()) >= (int)sizeof(p->staging) ||
		!mkdtemp(p->staging)) {
		r = errno;
		p->staging[0] = '\0';
		return cli_error("cannot create a staging directory in %s: %s", layout.state_dir,
			strerror(r));
	}

	pull_step(p, "Copying %s (skopeo)", src);
	if (snprintf(layout_dir, sizeof(layout_dir), "%s/layout", p->staging) >=
			(int)sizeof(layout_dir) ||
		snprintf(dest, sizeof(dest), "oci:%s:pull", layout_dir) >= (int)sizeof(dest) ||
		snprintf(layout_ref, sizeof(layout_ref), "%s:pull", layout_dir) >=
			(int)sizeof(layout_ref) ||
		snprintf(rootfs, sizeof(rootfs), "%s/rootfs.ext4", p->staging) >=
			(int)sizeof(rootfs))
		return cli_error("the state directory's path %s is too long", layout.state_dir);
	{
		const char *argv[] = {"skopeo", "copy", "--quiet", src_tls, "--override-arch",
			PULL_ARCH, "--override-os", "linux", src, dest, NULL};
		r = run_tool(p, argv, NULL, NULL);
	}
	if (r != 0) {
		if (out_of_space(p, layout.state_dir))
			return cli_error("Cannot pull %s: %s ran out of space (%s)", src,
				layout.state_dir, last_line(p->err));
		return skopeo_error(p, "Cannot copy", src, ref);
	}

	/* umoci --rootless and mke2fs in a user namespace leave every file root's: the owners
	 * come from the layers, and the script sets them on the ext4 with debugfs */
	pull_step(p, "Checking the layers");
	owners = oci_owners_new();
	if (!owners)
		return cli_error("out of memory");
	r = oci_layout_check(layout_dir, PULL_ARCH, owners, why, sizeof(why));
	if (r < 0)
		return cli_error("Refusing %s: %s", src, why);
	if (snprintf(owners_path, sizeof(owners_path), "%s/owners", p->staging) >=
		(int)sizeof(owners_path))
		return cli_error("the state directory's path %s is too long", layout.state_dir);
	owners_file = fopen(owners_path, "wxe");
	if (!owners_file)
		return cli_error("cannot create %s: %s", owners_path, strerror(errno));
	/* /.banger is banger's, written by the script: root's whatever the image has there */
	r = oci_owners_write_debugfs(owners, owners_file, ".banger", why, sizeof(why));
	if (r < 0)
		return cli_error("Cannot pull %s: %s", src, why);
	if (fclose(TAKE_PTR(owners_file)) != 0)
		return cli_error("cannot write %s: %s", owners_path, strerror(errno));

	pull_step(p, "Unpacking and making the root filesystem (%s)", script);
	{
		const char *argv[] = {script, "--image", layout_ref, "--output", p->staging,
			"--owners", owners_path, NULL};
		r = run_tool(p, argv, NULL, NULL);
	}
	if (r != 0) {
		if (out_of_space(p, layout.state_dir))
			return cli_error("Cannot pull %s: %s ran out of space (%s)", src,
				layout.state_dir, last_line(p->err));
		return cli_error(
			"Cannot pull %s: %s", src, p->err[0] ? last_line(p->err) : "failed");
	}

	if (pull_interrupted)
		return cli_error("Pull of %s interrupted; nothing was imported", src);
	/* a new digest under a pulled name replaces the old image, which stays whole until the
	 * new one is (refused while VMs use it) */
	pull_step(p, "Importing image %s", name);
	params = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "name", name, "kernel",
		json_str(kimg, "kernel", ""), "initrd", json_str(kimg, "initrd", ""), "rootfs",
		rootfs, "source", src, "digest", digest, "replace", old != NULL);
	if (!params)
		return cli_error("out of memory");
	r = cli_call(cli, RPC_METHOD_IMAGE_IMPORT, TAKE_PTR(params), -1, &img);
	if (r)
		return r;
	if (cli->json)
		cli_print_json(img);
	else {
		char size[32];
		format_size((uint64_t)json_integer_value(json_object_get(img, "rootfs_size")), size,
			sizeof(size));
		printf("Pulled image %s from %s (%s, rootfs %s)\n", name, src, digest, size);
	}
	return 0;
}

int cmd_image_pull(struct cli *cli)
{
	struct sigaction sa = {.sa_handler = forward_signal, .sa_flags = SA_RESTART}, old[3];
	struct pull p = {.cli = cli, .progress = !cli->json, .n_steps = 5};
	const char *src = cli->args[0];
	struct oci_ref ref;
	int r;

	if (oci_ref_parse(src, &ref) < 0)
		return cli_usage_error(cli,
			"\"%s\" is not an image reference: "
			"docker://REGISTRY/NAME[:TAG|@sha256:HEX], "
			"oci:DIR[:TAG] or oci-archive:FILE[:TAG]",
			src);
	if (cli_opt(cli, "insecure") && ref.transport != OCI_TRANSPORT_DOCKER)
		return cli_usage_error(cli, "--insecure is for docker:// references");
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ELEMENTSOF(forwarded); i++)
		sigaction(forwarded[i], &sa, &old[i]);
	r = pull_run(&p, src, &ref);
	remove_staging(&p);
	for (size_t i = 0; i < ELEMENTSOF(forwarded); i++)
		sigaction(forwarded[i], &old[i], NULL);
	return r;
}

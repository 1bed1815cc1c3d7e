/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* banger image ...: import, list, get, rm, build. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "common/macro.h"
#include "protocol/jsonrpc.h"

#define CALL_TIMEOUT_MS 60000

static const char *const parts[] = {"kernel", "initrd", "rootfs"};

static void print_image(const json_t *img)
{
	printf("Name:      %s\n", json_str(img, "name", "?"));
	printf("Imported:  %s\n", json_str(img, "imported_at", "?"));
	if (json_is_string(json_object_get(img, "source")))
		printf("Source:    %s\n", json_str(img, "source", ""));
	if (json_is_string(json_object_get(img, "digest")))
		printf("Digest:    %s\n", json_str(img, "digest", ""));
	if (json_is_array(json_object_get(img, "boots_on"))) {
		json_t *v;
		size_t i;

		printf("Boots on: ");
		json_array_foreach(json_object_get(img, "boots_on"), i, v)
			printf(" %s", json_is_string(v) ? json_string_value(v) : "?");
		printf("\n");
		if (json_str(img, "boots_on_note", NULL))
			printf("           %s\n", json_str(img, "boots_on_note", ""));
	}
	for (size_t i = 0; i < ELEMENTSOF(parts); i++) {
		char key[32], size[32];
		json_t *path = json_object_get(img, parts[i]);

		if (!json_is_string(path)) {
			printf("%-10s (none)\n", parts[i]);
			continue;
		}
		snprintf(key, sizeof(key), "%s_size", parts[i]);
		format_size((uint64_t)json_integer_value(json_object_get(img, key)), size,
			sizeof(size));
		printf("%-10s %s\n", parts[i], json_string_value(path));
		snprintf(key, sizeof(key), "%s_sha256", parts[i]);
		printf("%-10s %s, sha256 %s\n", "", size, json_str(img, key, "?"));
	}
}

static int do_import(struct cli *cli, const char *name, const char *const paths[3])
{
	_cleanup_json_ json_t *params = json_pack("{s:s}", "name", name), *img = NULL;
	int r;

	if (!params)
		return cli_error("out of memory");
	for (size_t i = 0; i < ELEMENTSOF(parts); i++) {
		char abs[PATH_MAX];

		if (!paths[i])
			continue;
		/* the daemon does not share our working directory */
		if (!realpath(paths[i], abs))
			return cli_error(
				"cannot use %s %s: %s", parts[i], paths[i], strerror(errno));
		json_object_set_new(params, parts[i], json_string(abs));
	}
	r = cli_call(cli, RPC_METHOD_IMAGE_IMPORT, TAKE_PTR(params), -1, &img);
	if (r)
		return r;
	if (cli->json)
		cli_print_json(img);
	else {
		char size[32];
		format_size((uint64_t)json_integer_value(json_object_get(img, "rootfs_size")), size,
			sizeof(size));
		printf("Imported image %s (rootfs %s, sha256 %.16s…)\n", json_str(img, "name", "?"),
			size, json_str(img, "rootfs_sha256", "?"));
	}
	return 0;
}

int cmd_image_import(struct cli *cli)
{
	const char *paths[3] = {
		cli_opt(cli, "kernel"), cli_opt(cli, "initrd"), cli_opt(cli, "rootfs")};

	if (!paths[0] || !paths[2])
		return cli_usage_error(cli, "image import needs --kernel FILE and --rootfs FILE");
	return do_import(cli, cli->args[0], paths);
}

int cmd_image_list(struct cli *cli)
{
	static const char *const headers[] = {
		"NAME", "ROOTFS", "KERNEL", "INITRD", "SHA256", "IMPORTED", "SOURCE", "DIGEST"};
	_cleanup_json_ json_t *res = NULL;
	struct table t;
	json_t *img;
	size_t i;
	int r;

	r = cli_call(cli, RPC_METHOD_IMAGE_LIST, NULL, CALL_TIMEOUT_MS, &res);
	if (r)
		return r;
	if (cli->json) {
		cli_print_json(res);
		return 0;
	}
	table_init(&t, ELEMENTSOF(headers), headers);
	json_array_foreach(json_object_get(res, "images"), i, img)
	{
		char sizes[3][32], sha[16], age[32], digest[24];
		time_t at;

		for (size_t p = 0; p < ELEMENTSOF(parts); p++) {
			char key[32];
			json_t *v;
			snprintf(key, sizeof(key), "%s_size", parts[p]);
			v = json_object_get(img, key);
			if (json_is_integer(v))
				format_size((uint64_t)json_integer_value(v), sizes[p],
					sizeof(sizes[p]));
			else
				snprintf(sizes[p], sizeof(sizes[p]), "-");
		}
		snprintf(sha, sizeof(sha), "%.12s", json_str(img, "rootfs_sha256", "-"));
		if (parse_rfc3339(json_str(img, "imported_at", NULL), &at) == 0) {
			format_duration((uint64_t)MAX(0, time(NULL) - at), age, sizeof(age));
			strncat(age, " ago", sizeof(age) - strlen(age) - 1);
		} else
			snprintf(age, sizeof(age), "-");
		/* a pulled image's manifest digest, short as registries' tools show it */
		snprintf(digest, sizeof(digest), "%.12s",
			strncmp(json_str(img, "digest", "-"), "sha256:", 7) == 0
				? json_str(img, "digest", "-") + 7
				: "-");
		/* the source column is for pulled images: others' is a build directory, long gone
		 */
		const char *cells[] = {json_str(img, "name", "?"), sizes[2], sizes[0], sizes[1],
			sha, age,
			json_is_string(json_object_get(img, "digest"))
				? json_str(img, "source", "-")
				: "-",
			digest};
		if (table_add_row(&t, cells, SIZE_MAX, NULL) < 0) {
			table_done(&t);
			return cli_error("out of memory");
		}
	}
	if (t.n_rows == 0)
		printf("No images. Build one with \"banger image build\" or import one with "
		       "\"banger image import\".\n");
	else
		table_print(&t, cli->color);
	table_done(&t);
	return 0;
}

int cmd_image_get(struct cli *cli)
{
	_cleanup_json_ json_t *img = NULL;
	int r;

	r = cli_call(cli, RPC_METHOD_IMAGE_GET, json_pack("{s:s}", "name", cli->args[0]),
		CALL_TIMEOUT_MS, &img);
	if (r)
		return r;
	if (cli->json)
		cli_print_json(img);
	else
		print_image(img);
	return 0;
}

int cmd_image_rm(struct cli *cli)
{
	_cleanup_json_ json_t *res = NULL;
	int r;

	r = cli_call(cli, RPC_METHOD_IMAGE_DELETE, json_pack("{s:s}", "name", cli->args[0]),
		CALL_TIMEOUT_MS, &res);
	if (r)
		return r;
	if (cli->json)
		cli_print_json(res);
	else
		printf("Removed image %s\n", cli->args[0]);
	return 0;
}

static bool is_executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int cli_find_image_script(const char *recipe, const char *file, char *buf, size_t size)
{
	const char *env = getenv("BANGER_IMAGES_DIR");
	char exe[PATH_MAX], mk[PATH_MAX + 16];
	ssize_t n;

	if (env && env[0]) {
		snprintf(buf, size, "%s/%s/%s", env, recipe, file);
		return is_executable(buf) ? 0 : -ENOENT;
	}
	snprintf(buf, size, "%s/images/%s/%s", PKGDATADIR, recipe, file);
	if (is_executable(buf))
		return 0;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		if (strrchr(exe, '/'))
			*strrchr(exe, '/') = '\0';
		snprintf(mk, sizeof(mk), "%s/Makefile", exe);
		if (access(mk, F_OK) == 0) {
			snprintf(buf, size, "%s/images/%s/%s", BANGER_SRCDIR, recipe, file);
			if (is_executable(buf))
				return 0;
		}
	}
	return -ENOENT;
}

/* Removes the build directory we created and the files the recipe left in it (vmlinuz,
 * rootfs.ext4, its own image.json…); a subdirectory is left for a person to look at. */
static int remove_build_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (de->d_type == DT_REG || de->d_type == DT_LNK)
			(void)unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
	return rmdir(dir) < 0 ? -errno : 0;
}

/* The recipe runs in a process group of its own, so that a SIGTERM or Ctrl-C sent to banger
 * (by a person, or by banger-tui cancelling a build) reaches every process of the recipe
 * (mke2fs, cpio…) and banger still lives to remove the build directory afterwards. */
static volatile sig_atomic_t recipe_pgid;

static void forward_signal(int sig)
{
	if (recipe_pgid > 0)
		kill(-(pid_t)recipe_pgid, sig);
}

static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP};

/* Options handed to the recipe as they are; the recipe checks them against what it supports and
 * exits 2 (its usage error) for one it does not know or a value it refuses. */
static const struct {
	const char *name, *flag;
} recipe_options[] = {
	{"suite", "--suite"},
	{"packages", "--packages"},
	{"size", "--size"},
	{"mirror", "--mirror"},
};

static int recipe_argv(struct cli *cli, const char *script, const char *dir, const char **argv)
{
	size_t n = 0;

	argv[n++] = script;
	argv[n++] = "--output";
	argv[n++] = dir;
	for (size_t i = 0; i < ELEMENTSOF(recipe_options); i++) {
		const char *v = cli_opt(cli, recipe_options[i].name);
		if (!v)
			continue;
		if (v[0] == '\0')
			return cli_usage_error(cli, "%s needs a value", recipe_options[i].flag);
		argv[n++] = recipe_options[i].flag;
		argv[n++] = v;
	}
	argv[n] = NULL;
	return 0;
}

int cmd_image_build(struct cli *cli)
{
	struct sigaction sa = {.sa_handler = forward_signal, .sa_flags = SA_RESTART}, old[3];
	const char *recipe = cli->n_args > 0 ? cli->args[0] : "minimal";
	const char *name = cli_opt(cli, "name") ? cli_opt(cli, "name") : recipe;
	char script[PATH_MAX], dir[PATH_MAX], files[3][PATH_MAX + 32];
	const char *tmp = getenv("TMPDIR");
	const char *paths[3], *argv[4 + 2 * ELEMENTSOF(recipe_options)];
	int status, r;
	pid_t pid;

	if (strchr(recipe, '/') || recipe[0] == '.')
		return cli_usage_error(cli, "a recipe is a name, not a path: \"%s\"", recipe);
	if (cli_opt(cli, "size")) {
		const char *v = cli_opt(cli, "size");
		char *end;
		unsigned long gib;

		errno = 0;
		gib = strtoul(v, &end, 10);
		if (errno || end == v || *end || v[0] == '-' || gib < 1 || gib > 1024)
			return cli_usage_error(
				cli, "--size \"%s\" is not a size in GiB from 1 to 1024", v);
	}
	if (cli_find_image_script(recipe, "build", script, sizeof(script)) < 0)
		return cli_error("no recipe \"%s\": looked for images/%s/build in "
				 "$BANGER_IMAGES_DIR, %s/images and the source tree",
			recipe, recipe, PKGDATADIR);
	/* a root filesystem is big: /var/tmp rather than a RAM-backed /tmp */
	snprintf(dir, sizeof(dir), "%s/banger-image-%s.XXXXXX", tmp && tmp[0] ? tmp : "/var/tmp",
		recipe);
	if (!mkdtemp(dir))
		return cli_error("cannot create a build directory: %s", strerror(errno));
	r = recipe_argv(cli, script, dir, argv);
	if (r) {
		rmdir(dir);
		return r;
	}
	if (!cli->json)
		printf("Building image %s with %s into %s\n", name, script, dir);
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		r = errno;
		rmdir(dir);
		return cli_error("cannot fork: %s", strerror(r));
	}
	if (pid == 0) {
		setpgid(0, 0);
		/* --json keeps stdout for the result: the recipe's chatter goes to stderr */
		if (cli->json)
			dup2(STDERR_FILENO, STDOUT_FILENO);
		execv(script, (char *const *)argv);
		fprintf(stderr, "banger: cannot run %s: %s\n", script, strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid); /* also here: a signal may come before the child has run */
	recipe_pgid = pid;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ELEMENTSOF(forwarded); i++)
		sigaction(forwarded[i], &sa, &old[i]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			status = -1;
			break;
		}
	recipe_pgid = 0;
	for (size_t i = 0; i < ELEMENTSOF(forwarded); i++)
		sigaction(forwarded[i], &old[i], NULL);
	if (status != 0) {
		remove_build_dir(dir);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 2)
			return cli_usage_error(cli,
				"recipe %s refused its options (it said why above; "
				"\"%s --help\" lists what it takes)",
				recipe, script);
		if (WIFEXITED(status))
			return cli_error("recipe %s failed with exit status %d", recipe,
				WEXITSTATUS(status));
		return cli_error("recipe %s did not finish (status %d)", recipe, status);
	}
	snprintf(files[0], sizeof(files[0]), "%s/vmlinuz", dir);
	snprintf(files[1], sizeof(files[1]), "%s/initrd.img", dir);
	snprintf(files[2], sizeof(files[2]), "%s/rootfs.ext4", dir);
	paths[0] = files[0];
	paths[1] = access(files[1], F_OK) == 0 ? files[1] : NULL;
	paths[2] = files[2];
	if (access(files[0], R_OK) < 0 || access(files[2], R_OK) < 0) {
		remove_build_dir(dir);
		return cli_error("recipe %s did not produce vmlinuz and rootfs.ext4 in its output "
				 "directory",
			recipe);
	}
	/* A recipe run as root (the debian one must be) leaves a directory only root may enter;
	 * bangerd, running as the owner, opens the files there. Nothing in it is secret. */
	if (geteuid() == 0 && chmod(dir, 0755) < 0) {
		r = errno;
		remove_build_dir(dir);
		return cli_error("cannot open %s to bangerd: %s", dir, strerror(r));
	}
	/* a line a program reading our output (banger-tui) can show while the daemon copies */
	if (!cli->json && !isatty(STDOUT_FILENO)) {
		printf("Importing image %s\n", name);
		fflush(stdout);
	}
	r = do_import(cli, name, paths);
	remove_build_dir(dir);
	return r;
}

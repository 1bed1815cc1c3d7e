/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The jailer's cgroups: hierarchy discovery from /proc/mounts, the per-VM cgroup under the
 * parent cgroup (v1 and v2), and v2's move into an existing parent cgroup. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/fileio.h"
#include "vmm/jailer-cgroup.h"
#include "vmm/jailer-validate.h"

void jailer_cgroup_done(struct jailer_cgroup *cg)
{
	free(cg->file);
	free(cg->value);
	free(cg->controller);
	free(cg->mount);
	free(cg->location);
	*cg = (struct jailer_cgroup){};
}

/* /proc/mounts escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *w = s;

	for (char *r = s; *r; w++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] >= '0' && r[2] <= '7' &&
			r[3] >= '0' && r[3] <= '7') {
			*w = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 4;
		} else
			*w = *r++;
	}
	*w = '\0';
}

static bool options_have(const char *options, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = options; *p;) {
		size_t len = strcspn(p, ",");
		if (len == n && strneq(p, word, n))
			return true;
		p += len;
		p += strspn(p, ",");
	}
	return false;
}

int jailer_cgroup_find_mount(
	const char *mounts_path, unsigned version, const char *controller, char **ret_dir)
{
	_cleanup_fclose_ FILE *f = fopen(mounts_path, "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;

	if (!f)
		return negative_errno();
	while (getline(&line, &cap, f) > 0) {
		char *saveptr = NULL, *dev, *dir, *type, *opts;

		dev = strtok_r(line, " \t\n", &saveptr);
		dir = strtok_r(NULL, " \t\n", &saveptr);
		type = strtok_r(NULL, " \t\n", &saveptr);
		opts = strtok_r(NULL, " \t\n", &saveptr);
		if (!dev || !dir || !type || !opts)
			continue;
		if (version == 2 ? !streq(type, "cgroup2") : !streq(type, "cgroup"))
			continue;
		if (version == 1 && controller && !options_have(opts, controller))
			continue;
		unescape_octal(dir);
		*ret_dir = strdup(dir);
		return *ret_dir ? 0 : -ENOMEM;
	}
	return -ENOENT;
}

static int path_join3(const char *a, const char *b, const char *c, char **ret)
{
	if (asprintf(ret, "%s/%s%s%s", a, b, c ? "/" : "", c ? c : "") < 0)
		return -ENOMEM;
	return 0;
}

/* Whether controller is a word of <unified>/cgroup.controllers. */
static bool v2_controller_available(const char *unified, const char *controller)
{
	_cleanup_free_ char *path = NULL, *data = NULL;
	size_t len;

	if (path_join3(unified, "cgroup.controllers", NULL, &path) < 0)
		return false;
	if (read_file_full(path, 64 * 1024, &data, &len) < 0)
		return false;
	for (char *save = NULL, *w = strtok_r(data, " \n", &save); w;
		w = strtok_r(NULL, " \n", &save))
		if (streq(w, controller))
			return true;
	return false;
}

int jailer_cgroup_new(const char *mounts_path, unsigned version, const char *spec, const char *id,
	const char *parent, struct jailer_cgroup *ret, struct jailer_error *e)
{
	_cleanup_(jailer_cgroup_done) struct jailer_cgroup cg = {.version = version};
	char dbg[512];
	int r;

	if (version != 1 && version != 2) {
		snprintf(dbg, sizeof(dbg), "CgroupInvalidVersion(\"%u\")", version);
		return jailer_error_set(
			e, -EINVAL, dbg, "%u is an invalid cgroup version specifier", version);
	}

	r = jailer_parse_cgroup_spec(spec, &cg.file, &cg.value, &cg.controller, e);
	if (r < 0)
		return r;

	r = jailer_cgroup_find_mount(
		mounts_path, version, version == 2 ? NULL : cg.controller, &cg.mount);
	if (r == -ENOMEM)
		return jailer_error_set(e, r, "OutOfMemory", "Out of memory");
	if (r < 0 && version == 1 && jailer_cgroup_find_mount(mounts_path, 1, NULL, &cg.mount) == 0)
		goto unavailable;
	if (r < 0) {
		return jailer_error_set(e, -ENOENT,
			"CgroupHierarchyMissing(\"No hierarchy found for this cgroup version.\")",
			"Hierarchy not found: No hierarchy found for this cgroup version.");
	}
	if (version == 2 && !v2_controller_available(cg.mount, cg.controller))
		goto unavailable;

	if (path_join3(cg.mount, parent, id, &cg.location) < 0)
		return jailer_error_set(e, -ENOMEM, "OutOfMemory", "Out of memory");
	*ret = cg;
	cg = (struct jailer_cgroup){};
	return 0;

unavailable:
	snprintf(dbg, sizeof(dbg), "CgroupControllerUnavailable(\"%s\")", cg.controller);
	return jailer_error_set(e, -ENOENT, dbg, "Controller %s is unavailable", cg.controller);
}

int jailer_write_line(const char *path, const char *value, struct jailer_error *e)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *line = NULL;
	int len;

	len = asprintf(&line, "%s\n", value);
	if (len < 0)
		return jailer_error_set(e, -ENOMEM, "OutOfMemory", "Out of memory");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666);
	if (fd < 0)
		return jailer_error_io(e, errno, "Write", path, "Failed to write to %s", path);
	/* Kernel attribute files take one write(); a short write is an error there. */
	ssize_t n = write(fd, line, (size_t)len);
	if (n < 0)
		return jailer_error_io(e, errno, "Write", path, "Failed to write to %s", path);
	if (n != len)
		return jailer_error_io(e, EIO, "Write", path, "Failed to write to %s", path);
	return 0;
}

/* Upstream's readln_special: the whole file minus its last character. */
static int read_line(const char *path, char **ret, struct jailer_error *e)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	char *data = NULL;
	size_t len;
	int r;

	if (fd < 0)
		return jailer_error_io(e, errno, "ReadToString", path,
			"Failed to read file %s into a string", path);
	r = read_fd_full(fd, 1024 * 1024, &data, &len);
	if (r < 0)
		return jailer_error_io(
			e, -r, "ReadToString", path, "Failed to read file %s into a string", path);
	if (len > 0)
		data[len - 1] = '\0';
	*ret = data;
	return 0;
}

/* v1: an empty property in dir (cpuset.cpus, cpuset.mems in a fresh cgroup) is copied down from
 * the nearest ancestor that has a value, at most depth levels up. */
static int v1_inherit_from_parent(
	const char *dir, const char *file, unsigned depth, struct jailer_error *e)
{
	_cleanup_free_ char *path = NULL, *value = NULL, *parent = NULL;
	char *slash;
	int r;

	if (path_join3(dir, file, NULL, &path) < 0)
		return jailer_error_set(e, -ENOMEM, "OutOfMemory", "Out of memory");
	r = read_line(path, &value, e);
	if (r < 0)
		return r;
	if (value[0])
		return 0;
	if (depth == 0) {
		char dbg[1024];
		snprintf(dbg, sizeof(dbg), "CgroupInheritFromParent(\"%s\", \"%s\")", dir, file);
		return jailer_error_set(e, -ENOENT, dbg,
			"Failed to inherit cgroups configurations from file %s in path %s", file,
			dir);
	}
	parent = strdup(dir);
	if (!parent)
		return jailer_error_set(e, -ENOMEM, "OutOfMemory", "Out of memory");
	slash = strrchr(parent, '/');
	if (!slash || slash == parent)
		return jailer_error_set(
			e, -ENOENT, "MissingParent", "File %s doesn't have a parent", dir);
	*slash = '\0';
	r = v1_inherit_from_parent(parent, file, depth - 1, e);
	if (r < 0)
		return r;
	free(value);
	value = NULL;
	_cleanup_free_ char *parent_path = NULL;
	if (path_join3(parent, file, NULL, &parent_path) < 0)
		return jailer_error_set(e, -ENOMEM, "OutOfMemory", "Out of memory");
	r = read_line(parent_path, &value, e);
	if (r < 0)
		return r;
	return jailer_write_line(path, value, e);
}

static unsigned path_depth(const char *rel)
{
	unsigned n = 0;

	for (const char *p = rel; *p;) {
		size_t len = strcspn(p, "/");
		if (len)
			n++;
		p += len;
		p += strspn(p, "/");
	}
	return n;
}

int jailer_cgroup_write_value(const struct jailer_cgroup *cg, struct jailer_error *e)
{
	_cleanup_free_ char *prop = NULL;
	int r;

	r = mkdir_parents(cg->location, 0755);
	if (r < 0)
		return jailer_error_io(e, -r, "CreateDir", cg->location,
			"Failed to create directory %s", cg->location);

	if (cg->version == 2) {
		/* Enable the controller in every ancestor from the root down to the parent. */
		_cleanup_free_ char *walk = strdup(cg->location), *plus = NULL;
		size_t mount_len = strlen(cg->mount);
		char *end;

		if (!walk || asprintf(&plus, "+%s", cg->controller) < 0)
			return jailer_error_set(e, -ENOMEM, "OutOfMemory", "Out of memory");
		end = strrchr(walk, '/');
		*end = '\0';
		for (size_t i = mount_len;; i++) {
			if (walk[i] == '/' || walk[i] == '\0') {
				_cleanup_free_ char *ctl = NULL;
				char saved = walk[i];
				struct stat st;

				walk[i] = '\0';
				if (path_join3(walk, "cgroup.subtree_control", NULL, &ctl) < 0)
					return jailer_error_set(
						e, -ENOMEM, "OutOfMemory", "Out of memory");
				if (stat(ctl, &st) == 0) {
					r = jailer_write_line(ctl, plus, e);
					if (r < 0)
						return r;
				}
				walk[i] = saved;
				if (saved == '\0')
					break;
			}
		}
	} else {
		const char *rel = cg->location + strlen(cg->mount);
		r = v1_inherit_from_parent(cg->location, cg->file, path_depth(rel), e);
		if (r < 0)
			return r;
	}

	if (path_join3(cg->location, cg->file, NULL, &prop) < 0)
		return jailer_error_set(e, -ENOMEM, "OutOfMemory", "Out of memory");
	return jailer_write_line(prop, cg->value, e);
}

int jailer_cgroup_attach(const struct jailer_cgroup *cg, pid_t pid, struct jailer_error *e)
{
	_cleanup_free_ char *path = NULL;
	char buf[32];

	if (path_join3(cg->location, cg->version == 2 ? "cgroup.procs" : "tasks", NULL, &path) < 0)
		return jailer_error_set(e, -ENOMEM, "OutOfMemory", "Out of memory");
	snprintf(buf, sizeof(buf), "%d", (int)pid);
	return jailer_write_line(path, buf, e);
}

int jailer_cgroup_v2_move_to_parent(
	const char *mounts_path, const char *parent, pid_t pid, struct jailer_error *e)
{
	_cleanup_free_ char *unified = NULL, *dir = NULL, *procs = NULL;
	_cleanup_close_ int fd = -1;
	struct stat st;
	char buf[32];
	int r, len;

	r = jailer_cgroup_find_mount(mounts_path, 2, NULL, &unified);
	if (r == -ENOMEM)
		return jailer_error_set(e, r, "OutOfMemory", "Out of memory");
	if (r < 0)
		return 0;
	if (path_join3(unified, parent, NULL, &dir) < 0 ||
		path_join3(dir, "cgroup.procs", NULL, &procs) < 0)
		return jailer_error_set(e, -ENOMEM, "OutOfMemory", "Out of memory");
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;

	len = snprintf(buf, sizeof(buf), "%d", (int)pid);
	fd = open(procs, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || write(fd, buf, (size_t)len) != len) {
		char io[256], dbg[1024];
		int err = errno ? errno : EIO;

		jailer_io_display(err, io, sizeof(io));
		snprintf(e->display, sizeof(e->display),
			"Failed to move process to cgroup (%s): %s.\nHint: If you intended to "
			"create "
			"a child cgroup under %s, pass any --cgroup parameters.",
			dir, io, dir);
		jailer_io_debug(err, io, sizeof(io));
		snprintf(dbg, sizeof(dbg), "CgroupMove(\"%s\", %s)", dir, io);
		snprintf(e->debug, sizeof(e->debug), "%s", dbg);
		return -err;
	}
	return 0;
}

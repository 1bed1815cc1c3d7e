/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* file_sync: copies files and directories from the owner's home into a guest after boot, over
 * SSH. Every path must resolve inside the home after following symlinks (openat2 with
 * RESOLVE_BENEATH from a descriptor of the home); what does not is refused and reported, and the
 * VM runs on either way. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/log.h"
#include "common/macro.h"
#include "common/sshcmd.h"
#include "daemon/child.h"
#include "daemon/file-sync.h"

struct item {
	int fd;             /* open regular file */
	char rel[PATH_MAX]; /* its path below the home */
	mode_t mode;
};

struct file_sync {
	sd_event *event;
	char ssh_dir[PATH_MAX];
	char ip[48];
	char vm_name[40];
	struct item *items;
	size_t n_items, next;
	uint64_t bytes;
	unsigned copied, refused;
	struct child *child;
	sd_event_source *defer;
	file_sync_done_t done;
	void *userdata;
};

int file_sync_open_beneath(int home_fd, const char *rel, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC | O_NOCTTY),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, home_fd, rel, &how, sizeof(how));
	return fd < 0 ? negative_errno() : fd;
}

/* Characters the remote shell command may carry unquoted-safely inside single quotes. */
static bool rel_is_safe(const char *rel)
{
	if (!rel[0] || strstr(rel, ".."))
		return false;
	for (const char *p = rel; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			    (*p >= '0' && *p <= '9') || strchr("._-/+@,=", *p)))
			return false;
	return true;
}

static void refuse(struct file_sync *s, const char *rel, const char *why)
{
	s->refused++;
	log_warning("file_sync for %s: refused \"%s\": %s", s->vm_name, rel, why);
}

static int add_item(struct file_sync *s, int fd, const char *rel, mode_t mode)
{
	struct item *n;

	if (s->n_items >= FILE_SYNC_MAX_FILES) {
		close(fd);
		refuse(s, rel, "more than 256 files to sync");
		return 0;
	}
	n = realloc(s->items, (s->n_items + 1) * sizeof(*n));
	if (!n) {
		close(fd);
		return -ENOMEM;
	}
	s->items = n;
	s->items[s->n_items].fd = fd;
	snprintf(s->items[s->n_items].rel, PATH_MAX, "%s", rel);
	s->items[s->n_items].mode = mode & 07777;
	s->n_items++;
	return 0;
}

static int collect(struct file_sync *s, int home_fd, const char *rel, unsigned depth)
{
	struct stat st;
	int fd;

	if (!rel_is_safe(rel)) {
		refuse(s, rel, "only letters, digits and ._-/+@,= are allowed in synced paths");
		return 0;
	}
	fd = file_sync_open_beneath(home_fd, rel, O_RDONLY);
	if (fd == -EXDEV || fd == -ELOOP) {
		refuse(s, rel, "it resolves outside the owner's home");
		return 0;
	}
	if (fd < 0) {
		refuse(s, rel, strerror(-fd));
		return 0;
	}
	if (fstat(fd, &st) < 0) {
		close(fd);
		refuse(s, rel, strerror(errno));
		return 0;
	}
	if (S_ISREG(st.st_mode)) {
		if (s->bytes + (uint64_t)st.st_size > FILE_SYNC_MAX_BYTES) {
			close(fd);
			refuse(s, rel, "over the 64 MiB file_sync limit");
			return 0;
		}
		s->bytes += (uint64_t)st.st_size;
		return add_item(s, fd, rel, st.st_mode);
	}
	if (S_ISDIR(st.st_mode) && depth < 8) {
		DIR *d = fdopendir(fd);
		struct dirent *de;
		int k = 0;

		if (!d) {
			close(fd);
			return -ENOMEM;
		}
		while (k >= 0 && (de = readdir(d))) {
			char child[PATH_MAX];
			if (streq(de->d_name, ".") || streq(de->d_name, ".."))
				continue;
			if ((size_t)snprintf(child, sizeof(child), "%s/%s", rel, de->d_name) >=
				sizeof(child))
				continue;
			k = collect(s, home_fd, child, depth + 1);
		}
		closedir(d);
		return k;
	}
	close(fd);
	refuse(s, rel,
		S_ISDIR(st.st_mode) ? "directories nest deeper than 8 levels"
				    : "not a regular file or directory");
	return 0;
}

static void copy_next(struct file_sync *s);

static void on_copied(struct child *c, const struct child_result *res, void *userdata)
{
	struct file_sync *s = userdata;
	struct item *it = &s->items[s->next - 1];

	s->child = NULL;
	if (res->r == 0 && res->status == 0)
		s->copied++;
	else {
		s->refused++;
		log_warning("file_sync for %s: copying \"%s\" failed: %s", s->vm_name, it->rel,
			res->err[0] ? res->err : "ssh failed");
	}
	copy_next(s);
}

static int on_defer(sd_event_source *src, void *userdata)
{
	struct file_sync *s = userdata;

	s->defer = sd_event_source_disable_unref(s->defer);
	copy_next(s);
	return 0;
}

static void copy_next(struct file_sync *s)
{
	while (s->next < s->n_items) {
		struct item *it = &s->items[s->next++];
		char script[PATH_MAX * 3 + 64], dir[PATH_MAX];
		/* ssh hands the remote shell one command line: the script is that line */
		const char *cmd[] = {script, NULL};
		struct sshcmd sc;
		char *slash;
		int k;

		snprintf(dir, sizeof(dir), "%s", it->rel);
		slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
		snprintf(script, sizeof(script),
			"mkdir -p '/root/%s' && cat > '/root/%s' && chmod %o '/root/%s'",
			slash ? dir : ".", it->rel, (unsigned)it->mode, it->rel);
		k = sshcmd_build(&sc, s->ssh_dir, s->ip, 1, 5, (char *const *)cmd);
		if (k >= 0)
			k = child_run(s->event, sc.argv, it->fd, 60ull * 1000 * 1000, on_copied, s,
				&s->child);
		if (k >= 0)
			return;
		s->refused++;
		log_warning_errno(
			k, "file_sync for %s: cannot copy \"%s\": %m", s->vm_name, it->rel);
	}
	log_info("file_sync for %s: %u copied, %u refused or failed", s->vm_name, s->copied,
		s->refused);
	if (s->done) {
		file_sync_done_t done = s->done;
		s->done = NULL;
		done(s, s->userdata);
	}
}

int file_sync_start(sd_event *e, const char *home, const char *root, const char *ssh_dir,
	const char *ip, const char *const *paths, size_t n_paths, const char *vm_name,
	file_sync_done_t done, void *userdata, struct file_sync **ret)
{
	struct file_sync *s;
	char home_path[PATH_MAX];
	_cleanup_close_ int home_fd = -1;
	int k;

	if ((size_t)snprintf(home_path, sizeof(home_path), "%s%s", root ? root : "", home) >=
		sizeof(home_path))
		return -ENAMETOOLONG;
	home_fd = open(home_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (home_fd < 0)
		return negative_errno();
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->event = sd_event_ref(e);
	snprintf(s->ssh_dir, sizeof(s->ssh_dir), "%s", ssh_dir);
	snprintf(s->ip, sizeof(s->ip), "%s", ip);
	snprintf(s->vm_name, sizeof(s->vm_name), "%s", vm_name);
	s->done = done;
	s->userdata = userdata;

	for (size_t i = 0; i < n_paths; i++) {
		const char *p = paths[i];
		size_t hl = strlen(home);
		if (strneq(p, "~/", 2))
			p += 2;
		else if (p[0] == '/' && strneq(p, home, hl) && p[hl] == '/')
			p += hl + 1;
		else if (p[0] == '/') {
			refuse(s, p, "absolute paths must lie in the owner's home");
			continue;
		}
		k = collect(s, home_fd, p, 0);
		if (k < 0) {
			file_sync_free(s);
			return k;
		}
	}
	k = sd_event_add_defer(e, &s->defer, on_defer, s);
	if (k < 0) {
		file_sync_free(s);
		return k;
	}
	*ret = s;
	return 0;
}

void file_sync_free(struct file_sync *s)
{
	if (!s)
		return;
	if (s->child)
		child_cancel(s->child);
	sd_event_source_disable_unref(s->defer);
	for (size_t i = 0; i < s->n_items; i++)
		safe_close(s->items[i].fd);
	free(s->items);
	sd_event_unref(s->event);
	free(s);
}

unsigned file_sync_copied(const struct file_sync *s)
{
	return s->copied;
}

unsigned file_sync_refused(const struct file_sync *s)
{
	return s->refused;
}

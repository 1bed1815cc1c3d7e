/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The owner's OpenSSH config for the VMs, kept in step with the records (ssh-config.h). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/fileio.h"
#include "common/log.h"
#include "common/macro.h"
#include "common/sshconfig.h"
#include "daemon/daemon.h"
#include "daemon/ssh-config.h"

#define SSH_CONFIG_RETRY_USEC (5u * 1000u * 1000u)

struct ssh_config_writer {
	sd_event_source *timer;
	char ssh_dir[PATH_MAX];
	char path[PATH_MAX];
	char *written; /* the text last written, NULL before the first write */
	bool failing;  /* the last write failed (logged once until one lands) */
};

/* The file's text, in ret on success (ret untouched on failure). */
static int ssh_config_format(struct daemon *d, const char *ssh_dir, struct sshconfig *ret)
{
	struct sshconfig c;
	int r;

	/* the store keeps its records sorted by name, and so does the file */
	r = sshconfig_begin(&c);
	for (size_t i = 0; r >= 0 && i < d->store.n_vms; i++) {
		const struct vm *vm = d->store.vms[i];
		if (!vm->ip[0])
			continue;
		r = sshconfig_add_host(&c, ssh_dir, vm->name, vm->ip);
		if (r == -EINVAL) {
			/* a record from disk the name rule let through cannot break the file */
			log_debug("VM \"%s\" (%s) left out of %s: not a name or address ssh takes",
				vm->name, vm->ip, d->ssh_config->path);
			r = 0;
		}
	}
	if (r < 0) {
		sshconfig_free(&c);
		return r;
	}
	*ret = c;
	return 0;
}

static void ssh_config_write(struct daemon *d)
{
	struct ssh_config_writer *w = d->ssh_config;
	struct sshconfig c = {};
	int r;

	r = ssh_config_format(d, w->ssh_dir, &c);
	if (r >= 0 && w->written && streq(w->written, c.buf)) {
		sshconfig_free(&c);
		return;
	}
	if (r >= 0)
		r = mkdir_parents(w->ssh_dir, 0700);
	if (r >= 0)
		r = write_file_atomic(w->path, c.buf, c.len, 0600);
	if (r < 0) {
		if (!w->failing)
			log_warning_errno(r, "Failed to write %s: %m; trying again every %u s",
				w->path, SSH_CONFIG_RETRY_USEC / 1000000);
		w->failing = true;
		sshconfig_free(&c);
		(void)sd_event_source_set_time_relative(w->timer, SSH_CONFIG_RETRY_USEC);
		(void)sd_event_source_set_enabled(w->timer, SD_EVENT_ONESHOT);
		return;
	}
	if (w->failing)
		log_info("Wrote %s again", w->path);
	w->failing = false;
	free(w->written);
	w->written = c.buf; /* taken: c is not freed */
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	(void)s;
	(void)usec;
	ssh_config_write(userdata);
	return 0;
}

int ssh_config_start(struct daemon *d)
{
	_cleanup_free_ struct ssh_config_writer *w = calloc(1, sizeof(*w));
	int r;

	if (!w)
		return -ENOMEM;
	r = layout_ssh_dir(&d->layout, d->owner.owner_home, w->ssh_dir, sizeof(w->ssh_dir));
	if (r < 0)
		return r;
	if ((size_t)snprintf(w->path, sizeof(w->path), "%s/%s", w->ssh_dir, SSHCONFIG_FILE) >=
		sizeof(w->path))
		return -ENAMETOOLONG;
	r = sd_event_add_time_relative(
		d->event, &w->timer, CLOCK_MONOTONIC, SSH_CONFIG_RETRY_USEC, 0, on_timer, d);
	if (r < 0)
		return r;
	(void)sd_event_source_set_enabled(w->timer, SD_EVENT_OFF);
	d->ssh_config = TAKE_PTR(w);
	ssh_config_write(d);
	return 0;
}

void ssh_config_stop(struct daemon *d)
{
	struct ssh_config_writer *w = TAKE_PTR(d->ssh_config);

	if (!w)
		return;
	sd_event_source_disable_unref(w->timer);
	free(w->written);
	free(w);
}

void ssh_config_changed(struct daemon *d)
{
	struct ssh_config_writer *w = d->ssh_config;

	if (!w)
		return;
	/* at once, also while a failed write waits for its retry: when the call that made the
	 * change is answered, ssh already reads the new file */
	ssh_config_write(d);
}

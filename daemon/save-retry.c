/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Saves that did not land, kept true in memory and tried again until they do (save-retry.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/macro.h"
#include "daemon/daemon.h"
#include "daemon/save-retry.h"
#include "daemon/space-watch.h"

struct pending_file {
	char what[64];
	int (*save)(void *userdata);
	void *userdata;
	char error[128];
};

struct save_retry {
	sd_event_source *timer;
	char (*ids)[VM_ID_LEN + 1];
	size_t n_ids;
	struct pending_file files[4];
	size_t n_files;
};

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata);

static struct save_retry *get(struct daemon *d)
{
	if (!d->save_retry)
		d->save_retry = calloc(1, sizeof(*d->save_retry));
	return d->save_retry;
}

static void schedule(struct daemon *d)
{
	struct save_retry *sr = d->save_retry;
	int enabled = SD_EVENT_OFF;

	if (!d->event || (sr->n_ids == 0 && sr->n_files == 0))
		return;
	if (!sr->timer) {
		if (sd_event_add_time_relative(d->event, &sr->timer, CLOCK_MONOTONIC,
			    SAVE_RETRY_USEC, 0, on_timer, d) < 0)
			return;
		return; /* a new timer source is a oneshot already */
	}
	if (sd_event_source_get_enabled(sr->timer, &enabled) >= 0 && enabled != SD_EVENT_OFF)
		return;
	(void)sd_event_source_set_time_relative(sr->timer, SAVE_RETRY_USEC);
	(void)sd_event_source_set_enabled(sr->timer, SD_EVENT_ONESHOT);
}

static ssize_t find_id(struct save_retry *sr, const char *id)
{
	for (size_t i = 0; sr && i < sr->n_ids; i++)
		if (streq(sr->ids[i], id))
			return (ssize_t)i;
	return -1;
}

static void drop_id(struct save_retry *sr, size_t i)
{
	memmove(&sr->ids[i], &sr->ids[i + 1], (sr->n_ids - i - 1) * sizeof(*sr->ids));
	sr->n_ids--;
}

void save_retry_vm(struct daemon *d, struct vm *vm, int err)
{
	struct save_retry *sr = get(d);
	bool first = !vm->save_error[0];

	snprintf(vm->save_error, sizeof(vm->save_error), "%s", strerror(-err));
	if (!sr) {
		log_oom();
		return;
	}
	if (find_id(sr, vm->id) < 0) {
		char(*n)[VM_ID_LEN + 1] = realloc(sr->ids, (sr->n_ids + 1) * sizeof(*n));
		if (!n) {
			log_oom();
			return;
		}
		sr->ids = n;
		memcpy(sr->ids[sr->n_ids++], vm->id, sizeof(*n));
	}
	if (err == -ENOSPC || err == -EDQUOT)
		space_watch_check(d); /* announced now, not at the next round */
	if (first) {
		log_vm(LOG_ERR, vm->name, "save",
			"Failed to save VM \"%s\" (%s): %s; it stays %s in memory and is saved "
			"again "
			"every second",
			vm->name, vm_state_to_string(vm->state), vm->save_error,
			vm_state_to_string(vm->state));
		daemon_publish(d, "vm.save_failed",
			json_pack("{s:s, s:s, s:s}", "id", vm->id, "name", vm->name, "error",
				vm->save_error));
	}
	schedule(d);
}

void save_retry_saved(struct daemon *d, struct vm *vm)
{
	ssize_t i = find_id(d->save_retry, vm->id);

	if (i >= 0)
		drop_id(d->save_retry, (size_t)i);
	if (!vm->save_error[0])
		return;
	vm->save_error[0] = '\0';
	log_vm(LOG_INFO, vm->name, "save", "Saved VM \"%s\" (%s) at last", vm->name,
		vm_state_to_string(vm->state));
	daemon_publish(d, "vm.saved", json_pack("{s:s, s:s}", "id", vm->id, "name", vm->name));
}

void save_retry_forget(struct daemon *d, const char *vm_id)
{
	ssize_t i = find_id(d->save_retry, vm_id);

	if (i >= 0)
		drop_id(d->save_retry, (size_t)i);
}

void save_retry_file(
	struct daemon *d, const char *what, int (*save)(void *userdata), void *userdata, int err)
{
	struct save_retry *sr = get(d);
	struct pending_file *f = NULL;

	if (!sr) {
		log_oom();
		return;
	}
	for (size_t i = 0; i < sr->n_files; i++)
		if (sr->files[i].userdata == userdata)
			f = &sr->files[i];
	if (!f) {
		if (sr->n_files == ELEMENTSOF(sr->files))
			return;
		f = &sr->files[sr->n_files++];
		log_error_errno(err, "Failed to write %s: %m; trying again every second", what);
	}
	snprintf(f->what, sizeof(f->what), "%s", what);
	snprintf(f->error, sizeof(f->error), "%s", strerror(-err));
	f->save = save;
	f->userdata = userdata;
	schedule(d);
}

void save_retry_forget_file(struct daemon *d, void *userdata)
{
	struct save_retry *sr = d->save_retry;

	for (size_t i = 0; sr && i < sr->n_files; i++)
		if (sr->files[i].userdata == userdata) {
			memmove(&sr->files[i], &sr->files[i + 1],
				(sr->n_files - i - 1) * sizeof(sr->files[0]));
			sr->n_files--;
			return;
		}
}

size_t save_retry_run(struct daemon *d)
{
	struct save_retry *sr = d->save_retry;

	if (!sr)
		return 0;
	for (size_t i = 0; i < sr->n_ids;) {
		struct vm *vm = store_vm_by_id(&d->store, sr->ids[i]);
		int r;

		if (!vm) {
			drop_id(sr, i);
			continue;
		}
		r = store_vm_save(&d->store, vm);
		if (r >= 0) {
			save_retry_saved(d, vm); /* drops entry i */
			continue;
		}
		snprintf(vm->save_error, sizeof(vm->save_error), "%s", strerror(-r));
		i++;
	}
	for (size_t i = 0; i < sr->n_files;) {
		/* a copy: save() may itself drop or update the entry */
		struct pending_file f = sr->files[i];
		int r = f.save(f.userdata);

		if (r >= 0) {
			log_info("Wrote %s at last", f.what);
			save_retry_forget_file(d, f.userdata);
			continue;
		}
		snprintf(sr->files[i].error, sizeof(sr->files[i].error), "%s", strerror(-r));
		i++;
	}
	return sr->n_ids + sr->n_files;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct daemon *d = userdata;

	if (save_retry_run(d) > 0)
		schedule(d);
	return 0;
}

json_t *save_retry_json(struct daemon *d)
{
	struct save_retry *sr = d->save_retry;
	json_t *records = json_array(), *files = json_array();

	for (size_t i = 0; sr && records && i < sr->n_ids; i++) {
		struct vm *vm = store_vm_by_id(&d->store, sr->ids[i]);
		if (vm)
			json_array_append_new(records,
				json_pack("{s:s, s:s}", "name", vm->name, "error", vm->save_error));
	}
	for (size_t i = 0; sr && files && i < sr->n_files; i++)
		json_array_append_new(files, json_pack("{s:s, s:s}", "what", sr->files[i].what,
						     "error", sr->files[i].error));
	return json_pack("{s:I, s:o?, s:o?}", "waiting",
		(json_int_t)(sr ? sr->n_ids + sr->n_files : 0), "records", records, "files", files);
}

void save_retry_done(struct daemon *d)
{
	struct save_retry *sr = d->save_retry;

	if (!sr)
		return;
	if (save_retry_run(d) > 0)
		log_error("%zu state file(s) could not be saved before exiting; the next bangerd "
			  "corrects what their processes say otherwise (reconcile)",
			sr->n_ids + sr->n_files);
	sd_event_source_disable_unref(sr->timer);
	free(sr->ids);
	free(sr);
	d->save_retry = NULL;
}

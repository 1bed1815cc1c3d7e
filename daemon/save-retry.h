/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Saves that did not land. The daemon's view follows what is true, not what it managed to write:
 * a record whose save failed (a full state directory, an I/O error) keeps its new state in
 * memory, says so in its save_error, and is saved again every second until it lands, with
 * vm.save_failed and vm.saved around that. Other state files (handles.json) are retried the same
 * way. Nothing the daemon does to a guest depends on a save having landed. */
#pragma once

#include <jansson.h>
#include <stddef.h>

#define SAVE_RETRY_USEC (1000u * 1000u)

struct daemon;
struct vm;
struct save_retry;

/* vm, already in the store, could not be saved (err): fills vm->save_error, logs and publishes
 * vm.save_failed {id, name, error} the first time, and tries again every SAVE_RETRY_USEC. */
void save_retry_vm(struct daemon *d, struct vm *vm, int err);
/* vm was saved: when it was waiting, its save_error is cleared and vm.saved {id, name} goes out. */
void save_retry_saved(struct daemon *d, struct vm *vm);
/* vm is about to go: nothing of it is saved again. */
void save_retry_forget(struct daemon *d, const char *vm_id);

/* A state file other than a record could not be written: save(userdata) is called again with the
 * records until it returns >= 0. One entry per userdata; save_retry_forget_file() drops it. */
void save_retry_file(
	struct daemon *d, const char *what, int (*save)(void *userdata), void *userdata, int err);
void save_retry_forget_file(struct daemon *d, void *userdata);

/* Tries every waiting save now. Returns how many still wait. */
size_t save_retry_run(struct daemon *d);
/* {"waiting": n, "records": [{"name", "error"}], "files": [{"what", "error"}]} */
json_t *save_retry_json(struct daemon *d);
/* One last try at what waits (a clean shutdown), then frees. */
void save_retry_done(struct daemon *d);

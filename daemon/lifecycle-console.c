/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Console capture: every run's console log is read on a tick, published as vm.log (bounded per
 * tick, the rest counted as vm.log_dropped), rotated, and watched for the two lines the guest
 * prints that matter to the lifecycle — its SSH host key (handed to the hostkey step) and the
 * kernel's "halted". */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fileio.h"
#include "common/log.h"
#include "common/macro.h"
#include "daemon/lifecycle-internal.h"
#include "daemon/ssh-keys.h"

#define CONSOLE_LINES_PER_TICK                                                                     \
	400 /* per VM: 2,000 lines/s published, the rest counted as dropped */
/* What the guest kernel prints when it halts (kernel/reboot.c) without powering off. */
#define GUEST_HALTED_MARKER "reboot: System halted"

uint64_t console_count_lines(const char *path)
{
	_cleanup_free_ char *data = NULL;
	uint64_t n = 0;
	size_t len;

	if (read_file_full(path, 1024u * 1024u * 1024u, &data, &len) < 0)
		return 0;
	for (size_t i = 0; i < len; i++)
		n += data[i] == '\n';
	return n;
}

void run_console_open(struct run *r, uint64_t next_line)
{
	char path[PATH_MAX];

	if (r->console_open)
		return;
	if (layout_vm_file(&r->lc->d->layout, r->vm_id, "console.log", path, sizeof(path)) >= 0 &&
		console_log_open(&r->console, path, 0, next_line) >= 0)
		r->console_open = true;
}

void run_console_close(struct run *r)
{
	if (r->console_open)
		console_log_close(&r->console);
	r->console_open = false;
	json_decref(r->batch);
	r->batch = NULL;
}

/* Console bytes as a JSON string: invalid UTF-8 and NULs become U+FFFD, so a guest that prints
 * garbage cannot make the daemon send invalid JSON. */
static json_t *console_json_string(const char *line, size_t len)
{
	json_t *j = memchr(line, '\0', len) ? NULL : json_stringn(line, len);
	char *buf;
	size_t o = 0;

	if (j)
		return j;
	buf = malloc(len * 3 + 1);
	if (!buf)
		return NULL;
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)line[i];
		size_t n = c < 0x80         ? 1
			   : (c >> 5) == 6  ? 2
			   : (c >> 4) == 14 ? 3
			   : (c >> 3) == 30 ? 4
					    : 0;
		bool ok = n > 0 && c != 0 && i + n <= len;
		for (size_t k = 1; ok && k < n; k++)
			ok = ((unsigned char)line[i + k] >> 6) == 2;
		if (ok && n > 1 && json_stringn(line + i, n) == NULL)
			ok = false; /* overlong or surrogate: let jansson's validator decide */
		if (ok) {
			memcpy(buf + o, line + i, n);
			o += n;
			i += n;
		} else {
			memcpy(buf + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	j = json_stringn(buf, o);
	free(buf);
	return j;
}

static void on_console_line(const char *line, size_t len, uint64_t no, void *userdata)
{
	struct run *r = userdata;

	/* The guest's kernel says so on its serial console, whichever VMM runs it: the Firecracker
	 * API has no "halted" state, and QEMU's own status stays "running" with halted vCPUs. */
	if (strstr(line, GUEST_HALTED_MARKER))
		r->halt_seen = true;
	if (!r->hostkey_seen && strstr(line, SSH_HOSTKEY_MARKER) &&
		ssh_hostkey_from_console_line(line, r->hostkey, sizeof(r->hostkey)) > 0) {
		r->hostkey_seen = true;
		step_hostkey_seen(r);
	}
	if (r->lines_this_tick >= CONSOLE_LINES_PER_TICK) {
		if (r->dropped == 0)
			r->dropped_first = no;
		r->dropped++;
		return;
	}
	r->lines_this_tick++;
	if (!r->batch) {
		r->batch = json_array();
		r->batch_first = no;
	}
	if (r->batch)
		json_array_append_new(r->batch, console_json_string(line, len));
}

static void console_flush(struct run *r)
{
	struct vm *vm = run_vm(r);
	struct daemon *d = r->lc->d;

	if (!vm)
		return;
	/* dropped lines come after the published ones of this tick */
	if (r->batch)
		daemon_publish(d, "vm.log",
			json_pack("{s:s, s:s, s:I, s:o}", "id", vm->id, "name", vm->name,
				"first_line", (json_int_t)r->batch_first, "lines",
				TAKE_PTR(r->batch)));
	if (r->dropped) {
		daemon_publish(d, "vm.log_dropped",
			json_pack("{s:s, s:s, s:I, s:I}", "id", vm->id, "name", vm->name,
				"first_line", (json_int_t)r->dropped_first, "count",
				(json_int_t)r->dropped));
		r->dropped = 0;
	}
	r->lines_this_tick = 0;
}

/* The guest halted (`halt`, or a kernel that stops without powering off): its VMM keeps running a
 * machine that will never do anything again. It is not stopped behind the user's back — the
 * record says so (halted, with the reason) and a stop goes straight to SIGTERM. During a start
 * there is nothing to wait for: the start fails at once. */
static void guest_halted(struct run *r)
{
	struct vm *vm = run_vm(r);

	if (!vm)
		return;
	if (r->mode == RUN_STARTING && r->step >= STEP_BOOT) {
		step_fail(r, -EHOSTDOWN, "the guest halted during boot (its console says \"%s\")",
			GUEST_HALTED_MARKER);
		return;
	}
	if (r->mode != RUN_RUNNING || vm->halted)
		return;
	vm->halted = true;
	snprintf(vm->reason, sizeof(vm->reason),
		"the guest halted (its console says \"%s\"); its VMM still holds its memory, "
		"tap and disk: stop it to release them",
		GUEST_HALTED_MARKER);
	log_vm(LOG_WARNING, vm->name, "halt", "VM %s: %s", vm->name, vm->reason);
	run_record_updated(r);
}

static int on_tick(sd_event_source *s, _unused_ uint64_t usec, void *userdata)
{
	struct lifecycle *lc = userdata;
	char path[PATH_MAX];

	for (struct run *r = lc->runs, *next; r; r = next) {
		next = r->next;
		if (!r->console_open)
			continue;
		/* A read or rotation that fails is tried again at the next tick. */
		(void)console_log_read(&r->console, on_console_line, r);
		if (layout_vm_file(&lc->d->layout, r->vm_id, "console.log", path, sizeof(path)) >=
			0)
			(void)console_log_rotate(&r->console, path,
				(off_t)lc->cfg.console_max_bytes, on_console_line, r);
		console_flush(r);
		if (r->halt_seen) {
			r->halt_seen = false;
			guest_halted(r);
		}
		if (r->mode == RUN_IDLE)
			run_console_close(r); /* stopped: the last lines are out, stop following */
	}
	sd_event_source_set_time_relative(s, lc->timing.console_tick_usec);
	return 0;
}

int lifecycle_console_start(struct lifecycle *lc)
{
	int k;

	k = sd_event_add_time_relative(lc->d->event, &lc->tick, CLOCK_MONOTONIC,
		lc->timing.console_tick_usec, 10 * TIMER_ACCURACY_USEC, on_tick, lc);
	if (k < 0)
		return k;
	return sd_event_source_set_enabled(lc->tick, SD_EVENT_ON);
}

uint64_t lifecycle_next_line(struct lifecycle *lc, const struct vm *vm)
{
	struct run *r = run_find(lc, vm->id);
	char path[PATH_MAX];

	if (r && r->console_open) {
		/* catch up first, so the file's complete lines and the numbering agree (the lines
		 * read here go out as vm.log at the next tick, numbered from here on) */
		(void)console_log_read(&r->console, on_console_line, r);
		return r->console.next_line;
	}
	if (layout_vm_file(&lc->d->layout, vm->id, "console.log", path, sizeof(path)) < 0)
		return 1;
	return console_count_lines(path) + 1;
}

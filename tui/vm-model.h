/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The TUI's picture of the daemon: VMs keyed by id, fed only by the snapshot and events of
 * docs/protocol.md, with each VM's console scrollback. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "protocol/vm.h"
#include "tui/console.h"

/* A state this version does not know (a newer daemon's) is kept as _VM_STATE_INVALID: shown as
 * "unknown", sorted after the others, counted in none. */
const char *vm_state_label(enum vm_state s);

struct vm {
	char *id, *name, *ip, *boot_id, *reason, *image, *mac;
	char *ports; /* "8080:80,5353:53/udp" from the publish list (127.0.0.1 and tcp left out) */
	enum vm_state state;
	int64_t pid; /* 0 when none */
	int64_t vcpus, memory_mib;
	int64_t started_at; /* unix seconds, -1 when null */
	json_t *obj;        /* the daemon's object, for the inspect overlay */
	struct console *console;
	struct vm *hash_next;
	size_t index;   /* in vm_model.vms */
	uint64_t order; /* position in the last full sort; new VMs go last */
	bool mark;
	bool tagged;        /* the user's mark for bulk actions; survives snapshots */
	bool backlog_asked; /* vm.logs was sent for its console */
	bool halted;        /* running, but the guest halted: shown as "halted" */
	struct vm_progress {
		char step[32]; /* "" when no start is in progress */
		int n, of;
		int64_t elapsed_ms; /* as the daemon counted it when the step began */
		int64_t at_ms;      /* monotonic ms when that event came */
	} progress;                 /* vm.start_step while the VM starts */
};

struct console_limits {
	size_t lines, bytes, line_bytes;
	size_t bg_lines, bg_bytes; /* for VMs nobody is looking at */
};

enum {
	MODEL_CHANGED_ROWS = 1 << 0,    /* a VM appeared, vanished or changed */
	MODEL_CHANGED_CONSOLE = 1 << 1, /* result.vm's console grew */
	MODEL_SNAPSHOT = 1 << 2,        /* the model was replaced from a snapshot */
	MODEL_LAGGED = 1 << 3,          /* the daemon dropped events; a snapshot follows */
	MODEL_DAEMON = 1 << 4,          /* daemon.started/stopping */
	MODEL_HEARTBEAT = 1 << 5,
	MODEL_IGNORED = 1 << 6,        /* a duplicate or unknown event */
	MODEL_CHANGED_IMAGES = 1 << 7, /* an image appeared, vanished or is being imported */
};

struct model_result {
	unsigned flags;
	struct vm *vm; /* the VM the event was about, when one still exists */
};

struct vm_model {
	struct vm **vms;
	size_t n, cap;
	struct vm **buckets;
	size_t n_buckets;
	uint64_t last_seq;
	bool have_snapshot;
	bool lagged;
	uint64_t next_order;
	struct console_limits limits;
	char *daemon_version; /* from daemon.started */
	json_t *images;       /* name → the daemon's image object (snapshot, image.* events) */
	json_t *imports;      /* name → the last image.import_progress, while importing */
};

void vm_model_init(struct vm_model *m, const struct console_limits *limits);
void vm_model_done(struct vm_model *m);

struct vm *vm_model_find(const struct vm_model *m, const char *id);
struct vm *vm_model_find_name(const struct vm_model *m, const char *name);

/* Applies one daemon notification (method + params). Events whose seq is not newer than the
 * last applied one are ignored, so a replay after reconnecting is harmless. -EBADMSG for a
 * malformed event (nothing changes), -ENOMEM. */
int vm_model_apply(
	struct vm_model *m, const char *method, const json_t *params, struct model_result *ret);

/* Replaces the VM set with vms (an array of VM objects) as of seq, keeping the structures (and
 * consoles) of VMs that survive. */
int vm_model_apply_snapshot(struct vm_model *m, const json_t *vms, uint64_t seq);

/* Called when a new connection's subscription has been answered; replayed says whether the
 * daemon will replay everything after last_seq (otherwise a snapshot follows). Adds a marker to
 * every console. */
int vm_model_reconnected(struct vm_model *m, uint64_t daemon_seq, bool replayed);
/* Marks the consoles of every VM (disconnect, daemon stop). */
int vm_model_mark_consoles(struct vm_model *m, const char *text);

/* Merges vm.logs' answer (result: {lines, next_line}) into the console of VM id: its lines are
 * numbered next_line - count … (console_merge_backlog()). *ret_at / *ret_shift say which line
 * ids moved. 0 also when the VM is gone; -EBADMSG for a malformed answer, -ENOMEM. */
int vm_model_apply_backlog(struct vm_model *m, const char *id, const json_t *result,
	uint64_t *ret_at, uint64_t *ret_shift);

/* Raises or lowers a console's bounds: watched consoles get the full limits. */
void vm_model_watch_console(struct vm_model *m, struct vm *vm, bool watched);

void vm_model_count(const struct vm_model *m, size_t counts[static _VM_STATE_MAX]);

/* "boot 10/13 4.2s": where a starting VM is, its elapsed time extrapolated to now_ms (monotonic
 * ms); "" when no start is in progress. */
void vm_progress_format(const struct vm *vm, int64_t now_ms, char *buf, size_t size);

/* Parses an RFC 3339 UTC time ("2026-11-27T02:21:41Z", fractions allowed); -1 on failure. */
int64_t vm_parse_time(const char *s);

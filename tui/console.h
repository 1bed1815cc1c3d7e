/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One VM's console scrollback: a bounded ring of sanitised lines (by count and bytes) with
 * stable line ids, daemon line numbering, and marker lines for gaps, drops and reconnects. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* In stored text, CONSOLE_CTRL_MARK followed by one printable byte X stands for a control
 * character shown as "^X" in the marker style; SGR sequences (ESC [ digits/; m) are kept for
 * the view to interpret; every other escape sequence has been removed. */
#define CONSOLE_CTRL_MARK '\x01'

enum console_kind {
	CONSOLE_TEXT,
	CONSOLE_MARKER,
	_CONSOLE_KIND_MAX,
	_CONSOLE_KIND_INVALID = -22,
};

struct console_line {
	char *text; /* NUL-terminated, sanitised */
	uint32_t len;
	uint8_t kind;
	int64_t when; /* unix seconds it arrived here; 0 for backlog lines, which came before */
};

struct console {
	struct console_line *ring;
	size_t ring_cap; /* grows by doubling up to max_lines */
	size_t head;     /* ring index of the oldest line */
	size_t n;
	uint64_t first_id; /* id of the oldest line; ids grow by one per line, never reused */
	size_t bytes;
	size_t max_lines, max_bytes, max_line_bytes;
	uint64_t next_daemon_line; /* the daemon's number we expect next; 0 before the first */
	uint64_t run_first_line;   /* the daemon's number of the first line since that was 0 */
	uint64_t run_first_id;     /* and that line's id (or its gap marker's) */
	uint64_t discarded;        /* lines dropped from the front, in total */
};

void console_init(struct console *c, size_t max_lines, size_t max_bytes, size_t max_line_bytes);
void console_done(struct console *c);
/* Changes the bounds; lines over them are dropped from the front at once. */
void console_set_limits(struct console *c, size_t max_lines, size_t max_bytes);

/* Sanitises raw guest output into out (see CONSOLE_CTRL_MARK). Input beyond max_in bytes is
 * cut and noted as "…[+N bytes]". out_size must be at least console_sanitize_bound(n). Returns
 * the bytes written, without the NUL it adds. keep_sgr false drops colour codes too. */
size_t console_sanitize(
	const char *in, size_t n, size_t max_in, bool keep_sgr, char *out, size_t out_size);
size_t console_sanitize_bound(size_t n);

/* Appends the daemon's lines numbered first_line… in order. Lines already held (a replay) are
 * skipped; a gap in the numbering becomes a "N lines missing" marker. -ENOMEM on allocation
 * failure. */
int console_append_lines(struct console *c, uint64_t first_line, const char *const *lines,
	const size_t *lens, size_t n);
/* Merges a vm.logs backlog (lines numbered first_line…) into the buffer: lines older than the
 * first live line held are inserted before it, lines already held are skipped, newer ones are
 * appended. When lines were inserted, *ret_at is the id where they went and every id from there
 * on grew by *ret_shift (0 when nothing moved). -ENOMEM on allocation failure. */
int console_merge_backlog(struct console *c, uint64_t first_line, const char *const *lines,
	const size_t *lens, size_t n, uint64_t *ret_at, uint64_t *ret_shift);
/* The daemon dropped count lines starting at first_line (slow consumer). */
int console_note_dropped(struct console *c, uint64_t first_line, uint64_t count);
/* A line of our own ("── console attached 14:01:02 ──"). */
int console_append_marker(struct console *c, const char *text);

static inline uint64_t console_end_id(const struct console *c)
{
	return c->first_id + c->n;
}
/* Writes the buffer as plain text: colour codes dropped, controls as "^X", markers as
 * "-- text --". Returns the lines written or -errno. */
int console_export(const struct console *c, FILE *f);
/* One line as console_export() writes it, with its '\n'. */
struct console_line;
void console_line_plain(const struct console_line *l, FILE *f);

/* NULL when id has been dropped or does not exist yet. */
const struct console_line *console_get(const struct console *c, uint64_t id);

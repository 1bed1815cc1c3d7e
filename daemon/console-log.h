/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Follows a VM's console log file (written directly by the VMM through an O_APPEND descriptor):
 * numbered lines for vm.log events, size-capped with copy-and-truncate rotation. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#define CONSOLE_LINE_MAX 4096 /* longer lines are split */

struct console_log {
	int fd;
	off_t offset;       /* bytes of the file consumed */
	uint64_t next_line; /* number the next complete line gets (from 1) */
	char partial[CONSOLE_LINE_MAX];
	size_t partial_len;
};

typedef void (*console_line_t)(const char *line, size_t len, uint64_t line_no, void *userdata);

/* Opens path for reading. from_start: read what is already there (a fresh boot); otherwise
 * start at the current end, numbering from first_line (re-adopting after a daemon restart). */
int console_log_open(struct console_log *c, const char *path, int from_start, uint64_t first_line);
void console_log_close(struct console_log *c);

/* Reads what was appended since the last call and hands every complete line to cb. A file that
 * shrank (rotated) is read again from its start. Returns the number of lines, or -errno. */
int console_log_read(struct console_log *c, console_line_t cb, void *userdata);

/* When the file is over max_bytes: reads it to the end first (so no line is lost to readers),
 * copies it to path.1 (replacing the previous one) and truncates it. Returns 1 when rotated. */
int console_log_rotate(struct console_log *c, const char *path, off_t max_bytes, console_line_t cb,
	void *userdata);

/* The last n complete lines of path (and path.1 before it when needed), for `vm logs --tail`.
 * An unfinished last line is left out: it has no line number until its newline arrives. */
int console_log_tail(const char *path, unsigned n, char ***ret_lines, size_t *ret_count);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Word wrapping for dialogs and overlays: where a text breaks at a width, in terminal columns. */
#pragma once

#include <stddef.h>

struct wrap_line {
	size_t off, len; /* bytes of the text, trailing spaces left out */
};

/* Columns the UTF-8 text takes on a terminal (wcwidth; invalid bytes count one each). */
int text_width(const char *text, size_t len);

/* Breaks text into lines of at most width columns, at spaces and at '\n'. A word is split only
 * when it is wider than width by itself, so nothing is ever cut mid-word that could fit. Writes
 * the first max lines to ret_lines (which may be NULL with max 0) and returns how many the text
 * needs, so a caller can size its box first. */
size_t text_wrap(const char *text, int width, struct wrap_line *ret_lines, size_t max);

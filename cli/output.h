/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Human output: aligned tables, sizes, durations and colour (only on a terminal, never with
 * NO_COLOR). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define TABLE_MAX_COLS 10

struct table {
	size_t n_cols;
	const char *headers[TABLE_MAX_COLS];
	char **cells;        /* n_rows * n_cols, owned */
	const char **colors; /* per cell, may be NULL */
	size_t n_rows, cap_rows;
};

void table_init(struct table *t, size_t n_cols, const char *const *headers);
void table_done(struct table *t);
/* Adds a row of n_cols strings (copied); color (may be NULL) applies to the cell at color_col. */
int table_add_row(struct table *t, const char *const *cells, size_t color_col, const char *color);
void table_print(const struct table *t, bool color);

bool output_want_color(void);
/* ANSI colour sequence for a VM state, "" for none. */
const char *color_for_state(const char *state);
#define COLOR_RESET "\033[0m"
#define COLOR_BOLD "\033[1m"
#define COLOR_RED "\033[31m"
#define COLOR_GREEN "\033[32m"
#define COLOR_YELLOW "\033[33m"
#define COLOR_DIM "\033[2m"

/* 1536 -> "1.5 KiB", 0 -> "0 B". */
void format_size(uint64_t bytes, char *buf, size_t size);
/* 75 -> "1m15s", 7260 -> "2h01m", 200000 -> "2d07h". */
void format_duration(uint64_t seconds, char *buf, size_t size);
/* "2026-01-02T03:04:05Z" -> time; -EINVAL when malformed. */
int parse_rfc3339(const char *s, time_t *ret);

/* A string member, or def when absent or null. */
const char *json_str(const json_t *o, const char *key, const char *def);

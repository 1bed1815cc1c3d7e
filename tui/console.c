/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One VM's console scrollback: sanitising guest bytes and keeping a bounded ring of lines. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/macro.h"
#include "tui/console.h"

#define ESC 0x1b
#define BEL 0x07

void console_init(struct console *c, size_t max_lines, size_t max_bytes, size_t max_line_bytes)
{
	*c = (struct console){
		.max_lines = MAX(max_lines, (size_t)1),
		.max_bytes = MAX(max_bytes, (size_t)256),
		.max_line_bytes = MAX(max_line_bytes, (size_t)64),
	};
}

static struct console_line *line_at(const struct console *c, size_t i)
{
	return &c->ring[(c->head + i) % c->ring_cap];
}

static void drop_oldest(struct console *c)
{
	struct console_line *l = line_at(c, 0);

	c->bytes -= l->len;
	free(l->text);
	*l = (struct console_line){};
	c->head = (c->head + 1) % c->ring_cap;
	c->n--;
	c->first_id++;
	c->discarded++;
}

void console_done(struct console *c)
{
	while (c->n > 0)
		drop_oldest(c);
	free(c->ring);
	c->ring = NULL;
	c->ring_cap = 0;
}

static void trim(struct console *c, size_t extra_bytes)
{
	while (c->n > 0 && (c->n >= c->max_lines || c->bytes + extra_bytes > c->max_bytes))
		drop_oldest(c);
}

void console_set_limits(struct console *c, size_t max_lines, size_t max_bytes)
{
	c->max_lines = MAX(max_lines, (size_t)1);
	c->max_bytes = MAX(max_bytes, (size_t)256);
	while (c->n > 0 && (c->n > c->max_lines || c->bytes > c->max_bytes))
		drop_oldest(c);
}

const struct console_line *console_get(const struct console *c, uint64_t id)
{
	if (id < c->first_id || id >= console_end_id(c))
		return NULL;
	return line_at(c, (size_t)(id - c->first_id));
}

static int grow_ring(struct console *c)
{
	size_t ncap = c->ring_cap ? c->ring_cap * 2 : 64;
	struct console_line *r;

	ncap = MIN(ncap, c->max_lines);
	if (ncap <= c->ring_cap)
		return 0;
	r = calloc(ncap, sizeof(*r));
	if (!r)
		return -ENOMEM;
	for (size_t i = 0; i < c->n; i++)
		r[i] = *line_at(c, i);
	free(c->ring);
	c->ring = r;
	c->ring_cap = ncap;
	c->head = 0;
	return 0;
}

static int push(struct console *c, enum console_kind kind, const char *text, size_t len)
{
	struct console_line *l;
	char *copy;

	trim(c, len);
	if (c->n == c->ring_cap) {
		int r = grow_ring(c);
		if (r < 0)
			return r;
		if (c->n == c->ring_cap)
			drop_oldest(c);
	}
	copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, text, len);
	copy[len] = '\0';
	l = &c->ring[(c->head + c->n) % c->ring_cap];
	*l = (struct console_line){
		.text = copy, .len = (uint32_t)len, .kind = (uint8_t)kind, .when = time(NULL)};
	c->n++;
	c->bytes += len;
	return 0;
}

int console_append_marker(struct console *c, const char *text)
{
	return push(c, CONSOLE_MARKER, text, strlen(text));
}

size_t console_sanitize_bound(size_t n)
{
	return n * 8 + 64;
}

/* Length of a valid UTF-8 sequence at s (code point in *cp), or 0 when invalid. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t v;
	size_t len;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, v = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, v = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, v = s[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && v < 0x800) || (len == 4 && (v < 0x10000 || v > 0x10ffff)) ||
		(v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

/* Skips an escape sequence starting at in[i] == ESC; returns the index after it. Sets *sgr when
 * it is a plain SGR (ESC [ digits and ';' m). */
static size_t skip_escape(const unsigned char *in, size_t n, size_t i, bool *sgr)
{
	size_t j = i + 1;

	*sgr = false;
	if (j >= n)
		return n;
	switch (in[j]) {
	case '[': {
		bool plain = true;
		j++;
		while (j < n && in[j] >= 0x30 && in[j] <= 0x3f) {
			if (!(in[j] >= '0' && in[j] <= '9') && in[j] != ';')
				plain = false;
			j++;
		}
		while (j < n && in[j] >= 0x20 && in[j] <= 0x2f) {
			plain = false;
			j++;
		}
		if (j >= n)
			return n;
		*sgr = plain && in[j] == 'm';
		return j + 1;
	}
	case ']':
	case 'P':
	case 'X':
	case '^':
	case '_':
		/* String sequences end at ST (ESC \) or, leniently, BEL. */
		for (j++; j < n; j++) {
			if (in[j] == BEL)
				return j + 1;
			if (in[j] == ESC && j + 1 < n && in[j + 1] == '\\')
				return j + 2;
		}
		return n;
	default:
		while (j < n && in[j] >= 0x20 && in[j] <= 0x2f)
			j++;
		return j < n ? j + 1 : n;
	}
}

size_t console_sanitize(
	const char *input, size_t n, size_t max_in, bool keep_sgr, char *out, size_t out_size)
{
	const unsigned char *in = (const unsigned char *)input;
	size_t o = 0, col = 0, start = 0, end, cut = 0;

	(void)out_size; /* sized by console_sanitize_bound() */
	if (n > max_in) {
		cut = n - max_in;
		n = max_in;
	}
	/* Carriage-return progress: only the text after the last '\r' survives. */
	end = n;
	while (end > 0 && in[end - 1] == '\r')
		end--;
	for (size_t i = end; i > 0; i--)
		if (in[i - 1] == '\r') {
			start = i;
			break;
		}

	for (size_t i = start; i < end;) {
		unsigned char ch = in[i];
		uint32_t cp;
		size_t len;

		if (ch == ESC) {
			bool sgr;
			size_t next = skip_escape(in, end, i, &sgr);
			if (sgr && keep_sgr) {
				memcpy(out + o, in + i, next - i);
				o += next - i;
			}
			i = next;
			continue;
		}
		if (ch == '\t') {
			size_t spaces = 8 - col % 8;
			memset(out + o, ' ', spaces);
			o += spaces;
			col += spaces;
			i++;
			continue;
		}
		if (ch < 0x20 || ch == 0x7f) {
			out[o++] = CONSOLE_CTRL_MARK;
			out[o++] = ch == 0x7f ? '?' : (char)(ch + 0x40);
			col += 2;
			i++;
			continue;
		}
		len = utf8_decode(in + i, end - i, &cp);
		if (len == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			col++;
			i++;
			continue;
		}
		if (cp >= 0x80 && cp <= 0x9f) {
			out[o++] = CONSOLE_CTRL_MARK;
			out[o++] = '?';
			col += 2;
			i += len;
			continue;
		}
		memcpy(out + o, in + i, len);
		o += len;
		col++;
		i += len;
	}
	if (cut > 0)
		o += (size_t)snprintf(out + o, 40, "\xe2\x80\xa6[+%zu bytes]", cut);
	out[o] = '\0';
	return o;
}

static char *scratch;
static size_t scratch_size;

/* Sanitises one raw line into the shared scratch buffer; *ret_len is its length. */
static int sanitize_line(struct console *c, const char *raw, size_t len, size_t *ret_len)
{
	size_t need = console_sanitize_bound(MIN(len, c->max_line_bytes));

	if (need > scratch_size) {
		char *s = realloc(scratch, need);
		if (!s)
			return -ENOMEM;
		scratch = s;
		scratch_size = need;
	}
	*ret_len = console_sanitize(raw, len, c->max_line_bytes, true, scratch, scratch_size);
	return 0;
}

static int append_one(struct console *c, const char *raw, size_t len)
{
	size_t o;
	int r = sanitize_line(c, raw, len, &o);

	return r < 0 ? r : push(c, CONSOLE_TEXT, scratch, o);
}

/* The first line of a numbering run (after nothing, or after a reset to 0) is where a backlog
 * can be inserted later. */
static void note_run_start(struct console *c, uint64_t num)
{
	c->run_first_line = num;
	c->run_first_id = console_end_id(c) - 1;
}

int console_append_lines(struct console *c, uint64_t first_line, const char *const *lines,
	const size_t *lens, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t num = first_line + i;
		bool first = c->next_daemon_line == 0;
		int r;

		if (c->next_daemon_line > 0 && num < c->next_daemon_line)
			continue; /* a replay of lines we hold */
		if (c->next_daemon_line > 0 && num > c->next_daemon_line) {
			char text[96];
			snprintf(text, sizeof(text), "%" PRIu64 " lines missing",
				num - c->next_daemon_line);
			r = console_append_marker(c, text);
			if (r < 0)
				return r;
		}
		r = append_one(c, lines[i], lens[i]);
		if (r < 0)
			return r;
		if (first)
			note_run_start(c, num);
		c->next_daemon_line = num + 1;
	}
	return 0;
}

static void free_lines(struct console_line *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(l[i].text);
}

/* Inserts the k lines numbered first_line… (all older than the run's first line) before the
 * line with id at, with a "missing" marker when they do not reach it. The buffer's bounds are
 * kept by dropping from the front, but never the lines that were there after the insertion. */
static int insert_before(struct console *c, uint64_t at, uint64_t first_line,
	const char *const *lines, const size_t *lens, size_t k, uint64_t *ret_shift)
{
	size_t p = (size_t)(at - c->first_id), gap = first_line + k < c->run_first_line ? 1 : 0;
	size_t m = k + gap, total = c->n + m, bytes = c->bytes, d = 0, cap;
	_cleanup_free_ struct console_line *all = calloc(total, sizeof(*all));
	struct console_line *ring;

	if (!all)
		return -ENOMEM;
	for (size_t i = 0; i < m; i++) {
		struct console_line *l = &all[p + i];
		char text[96];
		const char *src = text;
		size_t len = 0;
		int r = 0;

		if (i < k) {
			r = sanitize_line(c, lines[i], lens[i], &len);
			src = scratch;
		} else
			len = (size_t)snprintf(text, sizeof(text), "%" PRIu64 " lines missing",
				c->run_first_line - (first_line + k));
		l->text = r < 0 ? NULL : malloc(len + 1);
		if (!l->text) {
			free_lines(all + p, i);
			return -ENOMEM;
		}
		memcpy(l->text, src, len);
		l->text[len] = '\0';
		l->len = (uint32_t)len;
		l->kind = i < k ? CONSOLE_TEXT : CONSOLE_MARKER;
		bytes += len;
	}
	for (size_t i = 0; i < c->n; i++)
		all[i < p ? i : i + m] = *line_at(c, i);
	while (d < p + m && (total - d > c->max_lines || bytes > c->max_bytes)) {
		bytes -= all[d].len;
		free(all[d].text);
		d++;
	}
	cap = MAX(c->ring_cap, total - d);
	ring = calloc(cap, sizeof(*ring));
	if (!ring) {
		free_lines(all + p, m);
		return -ENOMEM;
	}
	memcpy(ring, all + d, (total - d) * sizeof(*ring));
	free(c->ring);
	c->ring = ring;
	c->ring_cap = cap;
	c->head = 0;
	c->n = total - d;
	c->bytes = bytes;
	c->first_id += d;
	c->discarded += d;
	c->run_first_line = first_line;
	*ret_shift = m;
	return 0;
}

int console_merge_backlog(struct console *c, uint64_t first_line, const char *const *lines,
	const size_t *lens, size_t n, uint64_t *ret_at, uint64_t *ret_shift)
{
	size_t k = 0;

	*ret_at = console_end_id(c);
	*ret_shift = 0;
	if (c->next_daemon_line > 0 && first_line < c->run_first_line) {
		/* Older than every live line held: they go before the first of them, if that
		 * one is still held; otherwise there is no room for them anyway. */
		k = (size_t)MIN((uint64_t)n, c->run_first_line - first_line);
		if (c->run_first_id >= c->first_id && c->run_first_id < console_end_id(c)) {
			int r = insert_before(
				c, c->run_first_id, first_line, lines, lens, k, ret_shift);
			if (r < 0)
				return r;
			*ret_at = c->run_first_id;
		}
	}
	return console_append_lines(c, first_line + k, lines + k, lens + k, n - k);
}

int console_note_dropped(struct console *c, uint64_t first_line, uint64_t count)
{
	char text[96];
	bool first;
	int r;

	if (count == 0)
		return 0;
	if (c->next_daemon_line > 0 && first_line + count <= c->next_daemon_line)
		return 0;
	snprintf(text, sizeof(text), "%" PRIu64 " lines dropped by daemon (slow consumer)", count);
	first = c->next_daemon_line == 0;
	c->next_daemon_line = MAX(c->next_daemon_line, first_line + count);
	r = console_append_marker(c, text);
	if (r >= 0 && first)
		note_run_start(c, first_line);
	return r;
}

void console_line_plain(const struct console_line *l, FILE *f)
{
	if (l->kind == CONSOLE_MARKER) {
		fprintf(f, "-- %s --\n", l->text);
		return;
	}
	for (uint32_t k = 0; k < l->len; k++) {
		if (l->text[k] == ESC) {
			while (k < l->len && l->text[k] != 'm')
				k++;
			continue;
		}
		fputc(l->text[k] == CONSOLE_CTRL_MARK ? '^' : l->text[k], f);
	}
	fputc('\n', f);
}

int console_export(const struct console *c, FILE *f)
{
	for (size_t i = 0; i < c->n; i++)
		console_line_plain(line_at(c, i), f);
	fflush(f);
	return ferror(f) ? -EIO : (int)MIN(c->n, (size_t)INT_MAX);
}

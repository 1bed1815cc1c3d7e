/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Word wrapping for dialogs and overlays: where a text breaks at a width, in terminal columns. */
#include <stdbool.h>
#include <string.h>
#include <wchar.h>

#include "tui/wrap.h"

/* Bytes and columns of the character at text (at least one byte). */
static size_t char_at(const char *text, size_t len, int *ret_cols)
{
	mbstate_t ps = {0};
	wchar_t wc;
	size_t n = mbrtowc(&wc, text, len, &ps);
	int w;

	if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
		*ret_cols = 1;
		return 1;
	}
	w = wcwidth(wc);
	*ret_cols = w < 0 ? 1 : w;
	return n;
}

int text_width(const char *text, size_t len)
{
	int cols = 0;

	for (size_t i = 0; i < len;) {
		int w;
		i += char_at(text + i, len - i, &w);
		cols += w;
	}
	return cols;
}

static void emit(
	struct wrap_line *lines, size_t max, size_t *n, const char *text, size_t off, size_t end)
{
	while (end > off && text[end - 1] == ' ')
		end--;
	if (*n < max)
		lines[*n] = (struct wrap_line){.off = off, .len = end - off};
	(*n)++;
}

size_t text_wrap(const char *text, int width, struct wrap_line *ret_lines, size_t max)
{
	size_t len = strlen(text), n = 0, line = 0, i = 0;
	int cols = 0;

	if (width < 1)
		width = 1;
	while (i < len) {
		size_t word_end, j;
		int word_cols = 0;

		if (text[i] == '\n') {
			emit(ret_lines, max, &n, text, line, i);
			line = ++i;
			cols = 0;
			continue;
		}
		if (text[i] == ' ') {
			/* spaces at the start of a wrapped line are dropped, kept after a '\n' */
			if (cols > 0 || (line > 0 && text[line - 1] == '\n') || line == 0)
				cols++;
			else
				line = i + 1;
			i++;
			continue;
		}
		for (word_end = i;
			word_end < len && text[word_end] != ' ' && text[word_end] != '\n';)
			word_end += char_at(text + word_end, len - word_end, &(int){0});
		word_cols = text_width(text + i, word_end - i);
		if (cols + word_cols <= width) {
			cols += word_cols;
			i = word_end;
			continue;
		}
		if (cols > 0 && word_cols <= width) {
			/* the word goes to the next line whole */
			emit(ret_lines, max, &n, text, line, i);
			line = i;
			cols = 0;
			continue;
		}
		/* wider than a whole line by itself: on a line of its own, split where lines end */
		if (cols > 0) {
			emit(ret_lines, max, &n, text, line, i);
			line = i;
			cols = 0;
		}
		for (j = i; j < word_end;) {
			int w;
			size_t k = char_at(text + j, word_end - j, &w);
			if (cols + w > width && cols > 0) {
				emit(ret_lines, max, &n, text, line, j);
				line = j;
				cols = 0;
				continue;
			}
			cols += w;
			j += k;
		}
		i = word_end;
	}
	if (i > line || n == 0)
		emit(ret_lines, max, &n, text, line, i);
	return n;
}

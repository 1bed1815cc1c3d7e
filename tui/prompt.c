/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The prompt line: filter and search as you type, and ":name arg", which runs any action of
 * actions.def by its name. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tui/app.h"

unsigned app_prompt_open(struct app *a, enum prompt_kind kind, const char *initial)
{
	a->prompt = kind;
	snprintf(a->prompt_buf, sizeof(a->prompt_buf), "%s", initial);
	a->prompt_len = strlen(a->prompt_buf);
	snprintf(a->prompt_saved, sizeof(a->prompt_saved), "%s", initial);
	return DIRTY_STATUS | DIRTY_HINTS | DIRTY_LIST;
}

void app_filter_apply(struct app *a, const char *text)
{
	struct vm_filter f;
	char err[128];

	if (vm_filter_compile(text, &f, err, sizeof(err)) < 0) {
		app_status(a, STATUS_WARN, "filter: %s", err);
		return;
	}
	vm_filter_done(&a->filter);
	a->filter = f;
	a->view_dirty = true;
	a->sort_frozen_until = 0;
}

static void set_search(struct app *a, const char *text)
{
	if (a->search_is_re)
		regfree(&a->search_re);
	a->search_is_re = false;
	snprintf(a->search, sizeof(a->search), "%s", text);
	if (text[0] == '~') {
		int r = regcomp(&a->search_re, text + 1, REG_EXTENDED | REG_NOSUB);
		if (r != 0) {
			char err[128];
			regerror(r, &a->search_re, err, sizeof(err));
			app_status(a, STATUS_WARN, "search: %s", err);
			a->search[0] = '\0';
			return;
		}
		a->search_is_re = true;
	}
	a->match_id = UINT64_MAX;
}

unsigned app_run_command(struct app *a, const char *line)
{
	size_t n;
	const char *arg;
	char word[64];
	enum key_action act;
	int r;

	line += strspn(line, " \t");
	n = strcspn(line, " \t");
	arg = line + n + strspn(line + n, " \t");
	if (n == 0)
		return 0;
	snprintf(word, sizeof(word), "%.*s", (int)MIN(n, sizeof(word) - 1), line);
	r = key_action_from_command(word, &act);
	if (r == -ENOTUNIQ) {
		char names[160] = "";
		size_t o = 0;
		for (int i = KEY_ACTION_NONE + 1; i < _KEY_ACTION_MAX && o < sizeof(names); i++) {
			const char *name = key_action_to_string((enum key_action)i);
			if (strneq(name, word, strlen(word)))
				o += (size_t)snprintf(
					names + o, sizeof(names) - o, "%s%s", o ? ", " : "", name);
		}
		app_status(a, STATUS_ERROR, "ambiguous command: %s (%s)", word, names);
		return 0;
	}
	if (r < 0) {
		app_status(a, STATUS_ERROR, "unknown command: %s", word);
		return 0;
	}
	return app_run_action(a, act, arg);
}

static unsigned prompt_close(struct app *a)
{
	a->prompt = PROMPT_NONE;
	return DIRTY_STATUS | DIRTY_HINTS | DIRTY_LIST;
}

unsigned app_prompt_key(struct app *a, int key)
{
	bool changed = false;

	if (key == 27 || key == 3) {
		if (a->prompt == PROMPT_FILTER)
			app_filter_apply(a, a->prompt_saved);
		return prompt_close(a);
	}
	if (key == '\n' || key == '\r' || key == KEY_ENTER) {
		enum prompt_kind kind = a->prompt;
		char buf[sizeof(a->prompt_buf)];
		unsigned redraw;
		snprintf(buf, sizeof(buf), "%s", a->prompt_buf);
		redraw = prompt_close(a);
		if (kind == PROMPT_FILTER)
			app_filter_apply(a, buf);
		else if (kind == PROMPT_SEARCH) {
			set_search(a, buf);
			redraw |= a->search[0] ? app_search_next(a) : DIRTY_CONSOLE;
		} else if (kind == PROMPT_COMMAND)
			redraw |= app_run_command(a, buf);
		return redraw;
	}
	if (key == KEY_BACKSPACE || key == 127 || key == 8) {
		/* Drop one whole UTF-8 character. */
		while (a->prompt_len > 0) {
			unsigned char ch = (unsigned char)a->prompt_buf[--a->prompt_len];
			if ((ch & 0xc0) != 0x80)
				break;
		}
		changed = true;
	} else if (key == 21) { /* C-u */
		a->prompt_len = 0;
		changed = true;
	} else if (key == 23) { /* C-w */
		while (a->prompt_len > 0 && a->prompt_buf[a->prompt_len - 1] == ' ')
			a->prompt_len--;
		while (a->prompt_len > 0 && a->prompt_buf[a->prompt_len - 1] != ' ')
			a->prompt_len--;
		changed = true;
	} else if (key >= 0x20 && key < 0x100 && key != 0x7f &&
		   a->prompt_len + 1 < sizeof(a->prompt_buf)) {
		a->prompt_buf[a->prompt_len++] = (char)key;
		changed = true;
	}
	a->prompt_buf[a->prompt_len] = '\0';
	if (changed && a->prompt == PROMPT_FILTER)
		app_filter_apply(a, a->prompt_buf); /* as you type */
	return DIRTY_STATUS | DIRTY_LIST;
}

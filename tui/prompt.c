/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The prompt line: filter and search as you type, and the ":" commands. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "tui/app.h"

void app_prompt_open(struct app *a, enum prompt_kind kind, const char *initial)
{
	a->prompt = kind;
	snprintf(a->prompt_buf, sizeof(a->prompt_buf), "%s", initial);
	a->prompt_len = strlen(a->prompt_buf);
	snprintf(a->prompt_saved, sizeof(a->prompt_saved), "%s", initial);
	a->dirty |= DIRTY_STATUS | DIRTY_HINTS | DIRTY_LIST;
}

static void apply_filter_text(struct app *a, const char *text)
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

static void run_command(struct app *a, char *cmd)
{
	char *save = NULL, *verb = strtok_r(cmd, " \t", &save), *arg = strtok_r(NULL, "", &save);

	while (arg && isspace((unsigned char)*arg))
		arg++;
	if (!verb)
		return;
	if (streq(verb, "q") || streq(verb, "quit"))
		a->quit = true;
	else if (streq(verb, "theme") && arg && *arg) {
		if (ui_theme_apply(a, arg) >= 0 && (!a->theme->n_warnings))
			app_status(
			        a, STATUS_INFO, "theme: %s", a->theme->name ? a->theme->name : arg);
		a->dirty |= DIRTY_CLEAR;
	} else if (streq(verb, "filter"))
		apply_filter_text(a, arg ? arg : "");
	else if (streq(verb, "sort") && arg) {
		char *dir = strchr(arg, ' ');
		enum vm_column col;
		if (dir)
			*dir++ = '\0';
		col = vm_column_from_string(arg);
		if (col < 0) {
			app_status(a, STATUS_ERROR, "sort: unknown column '%s'", arg);
			return;
		}
		a->view.sort = col;
		a->view.descending = dir && strncmp(dir, "desc", 4) == 0;
		app_sort_by(a, 0);
	} else if (streq(verb, "resync"))
		app_resync(a);
	else if (streq(verb, "update"))
		app_update(a);
	else if (streq(verb, "reconcile"))
		app_reconcile(a);
	else if (streq(verb, "set") && arg && strncmp(arg, "wrap", 4) == 0) {
		a->wrap = !strstr(arg, "off");
		a->dirty |= DIRTY_CONSOLE;
	} else
		app_status(a, STATUS_ERROR, "unknown command: %s", verb);
}

static void prompt_close(struct app *a)
{
	a->prompt = PROMPT_NONE;
	a->dirty |= DIRTY_STATUS | DIRTY_HINTS | DIRTY_LIST;
}

void app_prompt_key(struct app *a, int key)
{
	bool changed = false;

	if (key == 27 || key == 3) {
		if (a->prompt == PROMPT_FILTER)
			apply_filter_text(a, a->prompt_saved);
		prompt_close(a);
		return;
	}
	if (key == '\n' || key == '\r' || key == KEY_ENTER) {
		enum prompt_kind kind = a->prompt;
		char buf[sizeof(a->prompt_buf)];
		snprintf(buf, sizeof(buf), "%s", a->prompt_buf);
		prompt_close(a);
		if (kind == PROMPT_FILTER)
			apply_filter_text(a, buf);
		else if (kind == PROMPT_SEARCH) {
			set_search(a, buf);
			if (a->search[0])
				app_search_next(a);
			else
				a->dirty |= DIRTY_CONSOLE;
		} else if (kind == PROMPT_COMMAND)
			run_command(a, buf);
		return;
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
		apply_filter_text(a, a->prompt_buf); /* as you type */
	a->dirty |= DIRTY_STATUS | DIRTY_LIST;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The mouse, when turned on (off by default, so the terminal's own selection works): a click on
 * a VM row selects it and focuses the list, a click in the console focuses it and selects that
 * line (y copies it), the wheel scrolls whichever pane it is over. */
#include <string.h>

#include "tui/app.h"

#define WHEEL_LINES 3

bool app_mouse_enable(struct app *a, bool on)
{
	mmask_t want =
		on ? BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED : 0;
	mmask_t got = mousemask(want, NULL);

	a->mouse = on && got != 0;
	if (on)
		mouseinterval(0); /* report presses at once, never wait to see a click */
	return a->mouse || !on;
}

unsigned app_mouse(struct app *a)
{
	const struct layout *l = &a->lay;
	MEVENT ev;
	bool in_list, in_console, wheel_up, wheel_down;

	if (getmouse(&ev) != OK)
		return 0;
	draw_compute_layout(a);
	in_list = l->list_h > 0 && ev.y >= l->list_y && ev.y < l->list_y + l->list_h;
	in_console = l->con_h > 0 && ev.y >= l->con_y && ev.y < l->con_y + l->con_h;
	wheel_up = ev.bstate & BUTTON4_PRESSED;
	wheel_down = ev.bstate & BUTTON5_PRESSED;
	if (in_list && (wheel_up || wheel_down))
		return app_select_row(a, (ssize_t)a->sel_row + (wheel_up ? -1 : 1));
	if (in_console && (wheel_up || wheel_down)) {
		for (int i = 0; i < WHEEL_LINES; i++)
			app_run_action(
				a, wheel_up ? KEY_ACTION_SCROLL_UP : KEY_ACTION_SCROLL_DOWN, NULL);
		return DIRTY_CONSOLE;
	}
	if (!(ev.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED)))
		return 0;
	if (in_list) {
		unsigned redraw = a->focus != FOCUS_LIST ? DIRTY_ALL : 0;
		a->focus = FOCUS_LIST;
		return redraw |
		       app_select_row(a, (ssize_t)(a->list_top + (size_t)(ev.y - l->list_y)));
	}
	if (in_console) {
		size_t row = (size_t)(ev.y - l->con_y);
		unsigned redraw = a->focus != FOCUS_CONSOLE ? DIRTY_ALL : DIRTY_CONSOLE;
		uint64_t id = row < ELEMENTSOF(a->con_rows) ? a->con_rows[row] : UINT64_MAX;
		a->focus = FOCUS_CONSOLE;
		a->con_sel = a->con_sel == id ? UINT64_MAX : id; /* a second click unselects */
		return redraw;
	}
	return 0;
}

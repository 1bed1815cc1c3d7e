/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon methods banger-tui calls, from methods.def. */
#pragma once

enum tui_method {
	TUI_METHOD_NONE,
#define METHOD(id, name) TUI_METHOD_##id,
#include "tui/methods.def"
#undef METHOD
	_TUI_METHOD_MAX,
	_TUI_METHOD_INVALID = -22,
};

/* The wire name ("vm.stop"); NULL for TUI_METHOD_NONE and out-of-range values. */
const char *tui_method_to_string(enum tui_method m);

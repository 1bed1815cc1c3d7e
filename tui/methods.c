/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Wire names of the daemon methods banger-tui calls (methods.def). */
#include <stddef.h>

#include "tui/methods.h"

static const char *const names[_TUI_METHOD_MAX] = {
#define METHOD(id, name) [TUI_METHOD_##id] = name,
#include "tui/methods.def"
#undef METHOD
};

const char *tui_method_to_string(enum tui_method m)
{
	return m > TUI_METHOD_NONE && m < _TUI_METHOD_MAX ? names[m] : NULL;
}

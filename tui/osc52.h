/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* OSC 52, the terminal's "set the clipboard" sequence: how banger-tui copies without X or
 * Wayland (tmux passes it on with `set -g set-clipboard on`). */
#pragma once

#include <stddef.h>

/* Terminals cap the sequence (xterm 100,000 bytes); what is copied is cut to this first. */
#define OSC52_MAX_DATA 74000

/* ESC ] 52 ; c ; BASE64(data) BEL in a new string (*ret_len bytes), data cut to OSC52_MAX_DATA.
 * -ENOMEM. */
int osc52_sequence(const char *data, size_t len, char **ret, size_t *ret_len);

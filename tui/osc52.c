/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* OSC 52, the terminal's "set the clipboard" sequence: how banger-tui copies without X or
 * Wayland (tmux passes it on with `set -g set-clipboard on`). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/macro.h"
#include "tui/osc52.h"

int osc52_sequence(const char *data, size_t len, char **ret, size_t *ret_len)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static const char head[] = "\033]52;c;";
	const unsigned char *in = (const unsigned char *)data;
	size_t o, n = MIN(len, (size_t)OSC52_MAX_DATA);
	char *out = malloc(sizeof(head) + (n + 2) / 3 * 4 + 2);

	if (!out)
		return -ENOMEM;
	memcpy(out, head, sizeof(head) - 1);
	o = sizeof(head) - 1;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) |
			     (i + 2 < n ? in[i + 2] : 0);
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? b64[v & 63] : '=';
	}
	out[o++] = '\a';
	out[o] = '\0';
	*ret = out;
	*ret_len = o;
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Is bangerd-root there? A hello on root.sock, for system.status and doctor. */
#pragma once

#include <jansson.h>

/* {"socket": path, "reachable": bool, "program"/"version": from its hello or null,
 * "error": why not, or null}. Waits at most timeout_ms. */
json_t *helper_probe(const char *root_sock, int timeout_ms);

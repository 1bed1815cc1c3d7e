/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* image.import's work: copying kernel, initrd and rootfs into images/<name>/ and hashing them,
 * a chunk per loop iteration so a large rootfs never stalls other clients. */
#pragma once

#include <stdbool.h>

#include "daemon/image.h"

struct daemon;
struct rpc_call;

/* Starts an import. fds[part] are open, readable regular files (-1 for an absent initrd), taken
 * over; source is where they came from and digest (NULL: none) a pulled image's manifest digest
 * (the record keeps both). The call is answered when the
 * copy ends; meanwhile image.import_progress says how far it is, every 250 ms at most. replace:
 * an image of this name stays as it is until the new one is whole, then the two trade places
 * (unless a VM uses the old one by then: the import fails and keeps it). */
int import_start(struct daemon *d, struct rpc_call *call, const char *name,
	int fds[_IMAGE_PART_MAX], const char *source, const char *digest, bool replace);
bool import_running(const struct daemon *d, const char *name);
/* Abandons every running import (daemon shutdown), removing their staging directories. */
void import_cancel_all(struct daemon *d);

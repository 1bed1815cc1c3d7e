/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* banger.conf: the daemon's settings (network, timeouts, console cap, file_sync), INI parsed
 * with libinih. A bad entry is reported with its line and the default kept. */
#pragma once

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/netalloc.h"
#include "protocol/vm.h"

#define CONFIG_MAX_SYNC 32

struct banger_config {
	char subnet_text[32];
	struct net_subnet subnet;
	char bridge[16];
	unsigned publish_min_port;  /* [network]: the lowest host port a VM may publish */
	unsigned ssh_timeout_sec;   /* from InstanceStart to SSH answering */
	unsigned stop_timeout_sec;  /* SendCtrlAltDel → SIGTERM */
	uint64_t console_max_bytes; /* console.log is rotated beyond this */
	unsigned vmm_api_timeout_sec;
	unsigned client_silent_timeout_sec; /* a client silent this long after connecting is closed
					     */
	uint64_t state_min_free_mib;        /* below this, the state directory is announced low */
	struct vm_create_defaults {
		char image[VM_NAME_MAX + 1];
		unsigned vcpus, memory_mib, disk_gib;
	} vm_defaults; /* [vm] image, vcpus, memory_mib, disk_gib: what vm.create fills in */
	char *sync[CONFIG_MAX_SYNC]; /* file_sync: paths relative to the owner's home */
	size_t n_sync;
	unsigned n_warnings;
	char last_warning[256];
};

void config_defaults(struct banger_config *c);
/* Reads path into c (defaults first). A missing file is fine (defaults). -errno only when the
 * file exists but cannot be read. */
int config_load(struct banger_config *c, const char *path);
void config_done(struct banger_config *c);

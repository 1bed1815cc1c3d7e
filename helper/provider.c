/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What each VMM provider needs inside its jail besides the dynamic linker's directories. */
#include <stddef.h>

#include "common/macro.h"
#include "helper/provider.h"

const char *const vmm_linker_paths[] = {"/usr/lib", "/usr/lib64", "/lib", "/lib64", NULL};

/* banger-vmm runs QEMU inside the jail: the binary, its firmware and option ROMs. */
static const char *const banger_vmm_binds[] = {
	"/usr/bin/qemu-system-x86_64",
	"/usr/share/qemu",
	"/usr/share/seabios",
	NULL,
};

static const char *const no_binds[] = {NULL};

static const struct vmm_provider providers[] = {
	/* QEMU probes open-file-description locks on /dev/null; without it, it warns on every
	 * start and falls back to process-wide POSIX locks for its image locking. */
	{"banger-vmm", banger_vmm_binds, true},
	{"firecracker", no_binds, false}, /* musl-static: needs nothing from the host */
};

static const struct vmm_provider generic = {"", no_binds, false};

const struct vmm_provider *vmm_provider_find(const char *exec_name)
{
	for (size_t i = 0; i < ELEMENTSOF(providers); i++)
		if (streq(providers[i].exec_name, exec_name))
			return &providers[i];
	return &generic;
}

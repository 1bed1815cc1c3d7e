/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What each VMM provider needs inside its jail besides the dynamic linker's directories. */
#pragma once

#include <stdbool.h>

struct vmm_provider {
	const char *exec_name;
	const char *const *ro_binds; /* host paths bound read-only at the same place in the jail */
	bool dev_null;               /* the VMM opens /dev/null in its jail */
};

/* The provider for an exec name; an unknown one gets the generic entry (no extra binds). */
const struct vmm_provider *vmm_provider_find(const char *exec_name);

/* Bound for every provider when present on the host (symlinks are recreated, not bound). */
extern const char *const vmm_linker_paths[];

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The helper's capabilities: only what its ops and the jailer it starts need. */
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/macro.h"
#include "helper/caps.h"

/* Why each one stays (units/bangerd-root.service.in's CapabilityBoundingSet= is this list plus
 * CAP_SETPCAP, which is needed only to drop the rest from the bounding set and is dropped last):
 *   CHOWN, FOWNER, DAC_OVERRIDE, DAC_READ_SEARCH: staging files for the owner, the jailer's
 *     copy and chown, cgroup files;
 *   SETUID, SETGID: the jailer dropping to the owner;
 *   KILL: signalling the owner's VMM;
 *   NET_ADMIN: links, addresses, nftables, ip_forward, the jailer's --netns;
 *   SYS_ADMIN: mounts, loop devices, device-mapper, the jailer's unshare and pivot_root;
 *   SYS_CHROOT, MKNOD: the jail; SYS_RESOURCE: the jailer's rlimits;
 *   NET_BIND_SERVICE: dnsmasq binding port 53 on the gateway address (dns.ensure), before it
 *     drops to its own user. */
static const int kept[] = {
	CAP_CHOWN,
	CAP_DAC_OVERRIDE,
	CAP_DAC_READ_SEARCH,
	CAP_FOWNER,
	CAP_KILL,
	CAP_SETGID,
	CAP_SETUID,
	CAP_NET_ADMIN,
	CAP_NET_BIND_SERVICE,
	CAP_SYS_CHROOT,
	CAP_SYS_ADMIN,
	CAP_SYS_RESOURCE,
	CAP_MKNOD,
};

uint64_t caps_kept_mask(void)
{
	uint64_t m = 0;
	for (size_t i = 0; i < ELEMENTSOF(kept); i++)
		m |= UINT64_C(1) << kept[i];
	return m;
}

static int cap_last(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int last = 40;

	if (f) {
		if (fscanf(f, "%d", &last) != 1)
			last = 40;
		fclose(f);
	}
	return MIN(last, 63);
}

static int bset_drop(int c, int *ret_missing)
{
	int in = prctl(PR_CAPBSET_READ, (unsigned long)c, 0, 0, 0);

	if (in <= 0)
		return 0; /* not in the set (a unit's CapabilityBoundingSet=), or unknown here */
	if (prctl(PR_CAPBSET_DROP, (unsigned long)c, 0, 0, 0) >= 0)
		return 0;
	if (errno == EPERM) {
		*ret_missing = c;
		return -EPERM;
	}
	return errno == EINVAL ? 0 : negative_errno();
}

int caps_restrict(int *ret_undroppable)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2] = {};
	uint64_t keep = caps_kept_mask();
	int r, missing = -1;

	/* Everything but CAP_SETPCAP first, then CAP_SETPCAP itself, which the others needed. */
	for (int c = 0; c <= cap_last(); c++) {
		if ((keep & (UINT64_C(1) << c)) || c == CAP_SETPCAP)
			continue;
		r = bset_drop(c, &missing);
		if (r < 0)
			goto fail;
	}
	r = bset_drop(CAP_SETPCAP, &missing);
	if (r < 0)
		goto fail;
	/* Only ever narrower than what we run with (a container may have given us less). */
	if (syscall(SYS_capget, &h, d) < 0)
		return negative_errno();
	d[0].permitted &= (uint32_t)keep;
	d[1].permitted &= (uint32_t)(keep >> 32);
	d[0].effective = d[0].permitted;
	d[1].effective = d[1].permitted;
	d[0].inheritable = d[1].inheritable = 0;
	if (syscall(SYS_capset, &h, d) < 0)
		return negative_errno();
	return 0;
fail:
	if (ret_undroppable)
		*ret_undroppable = missing;
	return r;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The jail on disk: the chroot directory, the copied exec file, the pivot_root into it, and the
 * directories and device nodes made inside it. */
#pragma once

#include "vmm/jailer-env.h"

/* mkdir -p of the chroot dir (an existing one is fine: the caller may have staged it), then
 * chmod 0700. */
int jailer_jail_create_dir(const struct jailer_env *env, struct jailer_error *e);

/* Copies (never hard-links) the exec file to <chroot>/<name>: opened write-only, O_CREAT |
 * O_NOFOLLOW with the source's mode and no O_TRUNC; a destination with more than one link is
 * refused ("Detected hard link at: ..."); fchown to uid:gid before the bytes are copied. Unlike
 * upstream, a longer pre-staged copy is truncated and its mode set to the source's (without
 * setuid/setgid bits), so the result never depends on what the caller staged. */
int jailer_jail_copy_exec(const struct jailer_env *env, struct jailer_error *e);

/* unshare(CLONE_NEWNS), / made MS_SLAVE|MS_REC, chroot dir bind-mounted onto itself (MS_REC),
 * chdir, mkdir old_root, pivot_root(".", "old_root"), chdir("/"), detach and remove old_root. */
int jailer_jail_pivot(const struct jailer_env *env, struct jailer_error *e);

/* Inside the jail: /, /dev, /dev/net, /run as 0700 uid:gid; /dev/net/tun 10:200, /dev/kvm 10:232,
 * /dev/urandom 1:9 (failure only warned about on stdout) and /dev/userfaultfd 10:<minor> when
 * the host has it; character nodes 0600 uid:gid. */
int jailer_jail_populate(const struct jailer_env *env, struct jailer_error *e);

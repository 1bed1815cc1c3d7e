/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every path banger uses, computed in one place and relocatable under BANGER_ROOT. */
#pragma once

#include <limits.h>
#include <stddef.h>

#define BANGER_ROOT_ENV "BANGER_ROOT"

struct banger_layout {
	char root[PATH_MAX];         /* "" for the real system, else the BANGER_ROOT prefix */
	char etc_dir[PATH_MAX];      /* /etc/banger */
	char install_json[PATH_MAX]; /* /etc/banger/install.json */
	char config[PATH_MAX];       /* /etc/banger/banger.conf */
	char run_dir[PATH_MAX];      /* /run/banger */
	char daemon_sock[PATH_MAX];  /* /run/banger/bangerd.sock */
	char root_sock[PATH_MAX];    /* /run/banger/root.sock */
	char vm_sock_dir[PATH_MAX];  /* /run/banger/vm */
	char lib_dir[PATH_MAX];      /* /var/lib/banger (root's) */
	char state_dir[PATH_MAX];    /* /var/lib/banger/state (owner's) */
	char vms_dir[PATH_MAX];      /* /var/lib/banger/state/vms */
	char images_dir[PATH_MAX];   /* /var/lib/banger/state/images */
	char handles_json[PATH_MAX]; /* /var/lib/banger/state/handles.json */
	char jail_base[PATH_MAX];    /* /var/lib/banger/jail */
	char log_dir[PATH_MAX];      /* /var/log/banger (daemons' logs when not under systemd) */
};

/* Fills the layout. root: explicit prefix; NULL means $BANGER_ROOT, and unset or empty means
 * the real system. The prefix must be absolute; trailing slashes are dropped. */
int layout_init(struct banger_layout *ret, const char *root);

/* A single path component banger names (VM id, image name, exec name): non-empty, no '/',
 * not "." or "..", at most 64 bytes. */
int layout_check_component(const char *name);

int layout_vm_dir(const struct banger_layout *l, const char *vm_id, char *buf, size_t size);
int layout_vm_file(
	const struct banger_layout *l, const char *vm_id, const char *file, char *buf, size_t size);
int layout_image_dir(const struct banger_layout *l, const char *image, char *buf, size_t size);
int layout_vm_sock_link(const struct banger_layout *l, const char *vm_id, char *buf, size_t size);
/* <jail base>/<exec name>/<vm id>/root, the jailer's chroot. */
int layout_jail_root(const struct banger_layout *l, const char *exec_name, const char *vm_id,
	char *buf, size_t size);
/* ~owner/.config/banger/ssh; home comes from install metadata (relocated under the root). */
int layout_ssh_dir(const struct banger_layout *l, const char *home, char *buf, size_t size);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every path banger uses, computed in one place and relocatable under BANGER_ROOT. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/layout.h"
#include "common/macro.h"

static int fmt_path(char *buf, size_t size, const char *fmt, ...) _printf_(3, 4);
static int fmt_path(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

int layout_check_component(const char *name)
{
	size_t n;

	if (!name)
		return -EINVAL;
	n = strlen(name);
	if (n == 0 || n > 64 || strchr(name, '/') || streq(name, ".") || streq(name, ".."))
		return -EINVAL;
	return 0;
}

int layout_init(struct banger_layout *ret, const char *root)
{
	struct banger_layout l = {};
	size_t n;
	int r = 0;

	if (!root)
		root = getenv(BANGER_ROOT_ENV);
	if (!root)
		root = "";
	if (root[0] != '\0' && root[0] != '/')
		return -EINVAL;
	n = strlen(root);
	while (n > 0 && root[n - 1] == '/')
		n--;
	if (n >= sizeof(l.root) - 64)
		return -ENAMETOOLONG;
	memcpy(l.root, root, n);
	l.root[n] = '\0';

	r = r ?: fmt_path(l.etc_dir, sizeof(l.etc_dir), "%s/etc/banger", l.root);
	r = r ?: fmt_path(l.install_json, sizeof(l.install_json), "%s/install.json", l.etc_dir);
	r = r ?: fmt_path(l.config, sizeof(l.config), "%s/banger.conf", l.etc_dir);
	r = r ?: fmt_path(l.run_dir, sizeof(l.run_dir), "%s/run/banger", l.root);
	r = r ?: fmt_path(l.daemon_sock, sizeof(l.daemon_sock), "%s/bangerd.sock", l.run_dir);
	r = r ?: fmt_path(l.root_sock, sizeof(l.root_sock), "%s/root.sock", l.run_dir);
	r = r ?: fmt_path(l.vm_sock_dir, sizeof(l.vm_sock_dir), "%s/vm", l.run_dir);
	r = r ?: fmt_path(l.lib_dir, sizeof(l.lib_dir), "%s/var/lib/banger", l.root);
	r = r ?: fmt_path(l.state_dir, sizeof(l.state_dir), "%s/state", l.lib_dir);
	r = r ?: fmt_path(l.vms_dir, sizeof(l.vms_dir), "%s/vms", l.state_dir);
	r = r ?: fmt_path(l.images_dir, sizeof(l.images_dir), "%s/images", l.state_dir);
	r = r ?: fmt_path(l.handles_json, sizeof(l.handles_json), "%s/handles.json", l.state_dir);
	r = r ?: fmt_path(l.jail_base, sizeof(l.jail_base), "%s/jail", l.lib_dir);
	r = r ?: fmt_path(l.log_dir, sizeof(l.log_dir), "%s/var/log/banger", l.root);
	if (r < 0)
		return r;
	*ret = l;
	return 0;
}

int layout_vm_dir(const struct banger_layout *l, const char *vm_id, char *buf, size_t size)
{
	if (layout_check_component(vm_id) < 0)
		return -EINVAL;
	return fmt_path(buf, size, "%s/%s", l->vms_dir, vm_id);
}

int layout_vm_file(
	const struct banger_layout *l, const char *vm_id, const char *file, char *buf, size_t size)
{
	if (layout_check_component(vm_id) < 0 || layout_check_component(file) < 0)
		return -EINVAL;
	return fmt_path(buf, size, "%s/%s/%s", l->vms_dir, vm_id, file);
}

int layout_image_dir(const struct banger_layout *l, const char *image, char *buf, size_t size)
{
	if (layout_check_component(image) < 0)
		return -EINVAL;
	return fmt_path(buf, size, "%s/%s", l->images_dir, image);
}

int layout_vm_sock_link(const struct banger_layout *l, const char *vm_id, char *buf, size_t size)
{
	if (layout_check_component(vm_id) < 0)
		return -EINVAL;
	return fmt_path(buf, size, "%s/%s.sock", l->vm_sock_dir, vm_id);
}

int layout_jail_root(const struct banger_layout *l, const char *exec_name, const char *vm_id,
	char *buf, size_t size)
{
	if (layout_check_component(exec_name) < 0 || layout_check_component(vm_id) < 0)
		return -EINVAL;
	return fmt_path(buf, size, "%s/%s/%s/root", l->jail_base, exec_name, vm_id);
}

int layout_ssh_dir(const struct banger_layout *l, const char *home, char *buf, size_t size)
{
	if (!home || home[0] != '/')
		return -EINVAL;
	return fmt_path(buf, size, "%s%s/.config/banger/ssh", l->root, home);
}

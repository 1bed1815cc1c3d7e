/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* disk.release: removes the VM's dm-snapshot device and detaches loop devices still backed by
 * files in that VM's state directory. File disks (reflink, sparse copy) need nothing here: the
 * daemon deletes its own file.
 * Security: the only names touched are banger-<validated vm id> and loop devices whose backing
 * file lies in <state>/vms/<vm id>/. Refused while the VM's jail exists: its block nodes (the
 * owner's, for the VMM) must be gone, disarmed by jail.cleanup, before the device numbers they
 * name can go to anyone else. */
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common/macro.h"
#include "helper/dm.h"
#include "helper/helper.h"
#include "helper/jail.h"
#include "helper/loop.h"
#include "helper/ops.h"
#include "helper/validate.h"

struct loops {
	char prefix[PATH_MAX + 8];
	json_t *detached;
};

static void detach_loop(const char *name, const char *backing, void *data)
{
	struct loops *l = data;
	char dev[300];
	int fd;

	if (!strneq(backing, l->prefix, strlen(l->prefix)))
		return;
	snprintf(dev, sizeof(dev), "/dev/%s", name);
	fd = open(dev, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	/* On a busy device this arms autoclear instead of failing. */
	if (ioctl(fd, LOOP_CLR_FD, 0) >= 0 || errno == EBUSY)
		json_array_append_new(l->detached, json_string(dev));
	close(fd);
}

int op_disk_release_run(const struct helper_ctx *ctx, const struct helper_request *req,
	json_t **ret_result, struct rpc_error *err)
{
	char name[80];
	bool removed = false;
	struct loops l = {};
	char dir[PATH_MAX];
	int r;

	if (ctx->cfg->exec_name[0] && ctx->cfg->jailer_path[0]) {
		_cleanup_close_ int vm_fd = -1;
		r = jail_open_vm_dir(ctx->cfg, req->vm_id, false, NULL, &vm_fd, NULL);
		if (r != -ENOENT)
			return rpc_error_set(err, r < 0 ? r : -EBUSY, RPC_ERROR_CONFLICT,
				"VM \"%s\"'s jail still exists (jail.cleanup first: the device "
				"nodes "
				"in it must go before the devices)",
				req->vm_id);
	}
	if (dm_available()) {
		snprintf(name, sizeof(name), HELPER_DM_PREFIX "%s", req->vm_id);
		r = dm_remove(name, &removed, err);
		if (r < 0)
			return r;
	}
	r = layout_vm_dir(&ctx->cfg->layout, req->vm_id, dir, sizeof(dir));
	if (r < 0)
		return rpc_error_set(err, r, RPC_ERROR_INVALID_ARGUMENT, "Bad VM id");
	snprintf(l.prefix, sizeof(l.prefix), "%s/", dir);
	l.detached = json_array();
	if (!l.detached)
		return -ENOMEM;
	(void)loop_list(detach_loop, &l);
	*ret_result = json_pack("{s:b, s:b, s:o}", "dm_available", dm_available(), "dm_removed",
		removed, "loops_detached", l.detached);
	return *ret_result ? 0 : -ENOMEM;
}

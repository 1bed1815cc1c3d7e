/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dm-snapshot devices through libdevmapper, named banger-<vm id>. libdevmapper keeps library-wide
 * state (its udev sync setting, its cookie semaphores), so one call at a time (dm_lock): ops run
 * on several threads. */
#include <fcntl.h>
#include <libdevmapper.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "common/macro.h"
#include "helper/dm.h"

static void dm_task_destroyp(struct dm_task **t)
{
	if (*t)
		dm_task_destroy(*t);
}
#define _cleanup_dm_task_ _cleanup_(dm_task_destroyp)

static pthread_mutex_t dm_lock = PTHREAD_MUTEX_INITIALIZER;

bool dm_available(void)
{
	int fd = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* 1 with info when name exists, 0 when not. */
static int dm_exists(const char *name, struct rpc_error *err)
{
	_cleanup_dm_task_ struct dm_task *t = dm_task_create(DM_DEVICE_INFO);
	struct dm_info info;

	if (!t || !dm_task_set_name(t, name) || !dm_task_run(t) || !dm_task_get_info(t, &info))
		return rpc_error_set(err, -EIO, RPC_ERROR_INTERNAL,
			"Failed to query device-mapper device \"%s\"", name);
	return info.exists ? 1 : 0;
}

static int snapshot_create(const char *name, const char *base_dev, const char *cow_dev,
	uint64_t sectors, struct rpc_error *err)
{
	_cleanup_dm_task_ struct dm_task *t = NULL;
	char params[128];
	int r;

	/* No udev here to create nodes: libdevmapper makes /dev/mapper/<name> itself. */
	dm_udev_set_sync_support(0);
	r = dm_exists(name, err);
	if (r < 0)
		return r;
	if (r > 0)
		return rpc_error_set(err, -EEXIST, RPC_ERROR_CONFLICT,
			"Device-mapper device \"%s\" already exists (disk.release first)", name);
	snprintf(params, sizeof(params), "%s %s P 8", base_dev, cow_dev);
	t = dm_task_create(DM_DEVICE_CREATE);
	if (!t || !dm_task_set_name(t, name) ||
		!dm_task_add_target(t, 0, sectors, "snapshot", params))
		return rpc_error_set(err, -ENOMEM, RPC_ERROR_INTERNAL,
			"Failed to prepare device-mapper device \"%s\"", name);
	if (!dm_task_run(t))
		return rpc_error_set(err, -EIO, RPC_ERROR_INTERNAL,
			"Failed to create snapshot \"%s\" of %s with %s (see the helper's log)",
			name, base_dev, cow_dev);
	return 0;
}

static int remove_device(const char *name, bool *ret_removed, struct rpc_error *err)
{
	_cleanup_dm_task_ struct dm_task *t = NULL;
	int r;

	dm_udev_set_sync_support(0);
	*ret_removed = false;
	r = dm_exists(name, err);
	if (r <= 0)
		return r;
	t = dm_task_create(DM_DEVICE_REMOVE);
	if (!t || !dm_task_set_name(t, name))
		return rpc_error_set(err, -ENOMEM, RPC_ERROR_INTERNAL,
			"Failed to prepare removal of \"%s\"", name);
	dm_task_retry_remove(t);
	if (!dm_task_run(t))
		return rpc_error_set(err, -EBUSY, RPC_ERROR_CONFLICT,
			"Failed to remove device-mapper device \"%s\" (still open?)", name);
	*ret_removed = true;
	return 0;
}

static int list(void (*cb)(const char *name, void *data), void *data, struct rpc_error *err)
{
	_cleanup_dm_task_ struct dm_task *t = dm_task_create(DM_DEVICE_LIST);
	struct dm_names *n;
	unsigned next = 0;

	if (!t || !dm_task_run(t) || !(n = dm_task_get_names(t)))
		return rpc_error_set(
			err, -EIO, RPC_ERROR_INTERNAL, "Failed to list device-mapper devices");
	if (!n->dev)
		return 0;
	do {
		n = (struct dm_names *)((char *)n + next);
		cb(n->name, data);
		next = n->next;
	} while (next);
	return 0;
}

int dm_snapshot_create(const char *name, const char *base_dev, const char *cow_dev,
	uint64_t sectors, struct rpc_error *err)
{
	int r;

	pthread_mutex_lock(&dm_lock);
	r = snapshot_create(name, base_dev, cow_dev, sectors, err);
	pthread_mutex_unlock(&dm_lock);
	return r;
}

int dm_remove(const char *name, bool *ret_removed, struct rpc_error *err)
{
	int r;

	pthread_mutex_lock(&dm_lock);
	r = remove_device(name, ret_removed, err);
	pthread_mutex_unlock(&dm_lock);
	return r;
}

int dm_list(void (*cb)(const char *name, void *data), void *data, struct rpc_error *err)
{
	int r;

	pthread_mutex_lock(&dm_lock);
	r = list(cb, data, err);
	pthread_mutex_unlock(&dm_lock);
	return r;
}

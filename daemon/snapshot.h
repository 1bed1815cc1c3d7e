/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A VM's named snapshots on disk: vms/<id>/snapshots/<NAME>/ holds disk, snapshot.mem,
 * snapshot.state and snapshot.json (what the VM and its disk were, sizes, timings); a directory
 * being built is snapshots/.new-<NAME> and never counts. Names are checked like VM names. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "common/layout.h"
#include "daemon/vm.h"

#define SNAPSHOT_DISK "disk"
#define SNAPSHOT_RECORD "snapshot.json"
#define SNAPSHOT_RECORD_SCHEMA 1
#define SNAPSHOTS_DIR "snapshots"
#define SNAPSHOT_NEW_PREFIX ".new-"

struct daemon;
struct vm;
struct image;

struct snapshot_meta {
	char name[VM_NAME_MAX + 1];
	char created_at[32];
	char vm_id[VM_ID_LEN + 1];
	char vm_name[VM_NAME_MAX + 1];
	char image[VM_NAME_MAX + 1];
	char image_rootfs_sha256[72];
	char boot_id[40];
	char disk_strategy[16];
	int64_t vcpus, memory_mib;
	uint64_t disk_bytes, disk_allocated_bytes, mem_bytes, state_bytes;
	bool disk_reflinked, mem_reflinked;
	uint64_t paused_usec, total_usec;
};

/* "snap-YYYYMMDD-HHMMSS" (UTC) of t. */
void snapshot_default_name(time_t t, char *buf, size_t size);
/* The VM's identity, image and guest now, named name (NULL: the default); -EINVAL for a name
 * that is not a valid one. */
int snapshot_meta_init(
	struct snapshot_meta *m, const struct vm *vm, const struct image *img, const char *name);
json_t *snapshot_meta_to_json(const struct snapshot_meta *m);
/* -EBADMSG (why filled) for a record that is not one of ours. */
int snapshot_meta_from_json(const json_t *o, struct snapshot_meta *ret, char *why, size_t n);
int snapshot_meta_write(const char *dir, const struct snapshot_meta *m);
int snapshot_meta_read(const char *dir, struct snapshot_meta *ret);

/* dir/file into buf. */
int snapshot_dir_file(const char *dir, const char *file, char *buf, size_t size);
/* The VM's snapshots directory (made when missing), NAME's and its .new- directory. */
int snapshot_dirs(const struct banger_layout *l, const char *vm_id, const char *name, char *ret_dir,
	size_t dir_size, char *ret_final, size_t final_size, char *ret_tmp, size_t tmp_size);
/* NAME's directory, without making anything. */
int snapshot_dir(
	const struct banger_layout *l, const char *vm_id, const char *name, char *buf, size_t size);

/* The complete snapshots of a VM, oldest first, as a JSON array of records. */
int snapshot_list(const struct banger_layout *l, const char *vm_id, json_t **ret);
/* Removes every snapshot (complete or not) and the snapshots directory: the VM is deleted. */
int snapshots_remove_all(const char *vm_dir);

/* Removes the half-built .new- directories a daemon that ended mid-snapshot left (call only
 * while no snapshot of the VM is being taken). */
int snapshot_sweep_partial(const char *snapshots_dir);

/* Publishes method {id, name, snapshot: record} on the event bus. */
void snapshot_publish(
	struct daemon *d, const char *method, const struct vm *vm, const struct snapshot_meta *m);

uint64_t file_size_or_zero(const char *path);

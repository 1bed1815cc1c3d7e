/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Firecracker's full snapshots on QEMU: PUT /snapshot/create of a paused guest, PUT
 * /snapshot/load into a fresh banger-vmm. The state file is banger-vmm's own JSON (the
 * configuration the guest was started with, the accelerator, the TSC rate its kernel was told);
 * the memory file is QEMU's migration stream (device state and RAM), written and read through a
 * descriptor banger-vmm opens itself, so QEMU in its jail needs no shell and no path. As with
 * Firecracker, paths are the VMM's own (inside the jail), the disks' contents are the caller's
 * business, and a failed load ends the process. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/macro.h"
#include "vmm/vmm-body.h"
#include "vmm/vmm-config.h"
#include "vmm/vmm-log.h"
#include "vmm/vmm-qemu.h"
#include "vmm/vmm-snapshot.h"

#define SNAPSHOT_FORMAT 1
#define MIGRATE_TIMEOUT_MS 120000
#define MIGRATE_POLL_MS 20
/* QEMU's default migration bandwidth (128 MiB/s) would make saving a 1 GiB guest take 8 s;
 * the stream goes to a local file, so let it run at disk speed. */
#define MIGRATE_MAX_BANDWIDTH "17179869184"

static const char *const snapshot_types[] = {"Full", "Diff", NULL};
static const struct vmm_field create_fields[] = {
	{"mem_file_path", VMM_FIELD_STRING, true, NULL},
	{"snapshot_path", VMM_FIELD_STRING, true, NULL},
	{"snapshot_type", VMM_FIELD_STRING, false, snapshot_types},
};

static const char *const backend_types[] = {"File", "Uffd", NULL};
static const struct vmm_field backend_fields[] = {
	{"backend_type", VMM_FIELD_STRING, true, backend_types},
	{"backend_path", VMM_FIELD_STRING, true, NULL},
};

static const struct vmm_field load_fields[] = {
	{"enable_diff_snapshots", VMM_FIELD_BOOL, false, NULL},
	{"track_dirty_pages", VMM_FIELD_BOOL, false, NULL},
	{"mem_file_path", VMM_FIELD_STRING, false, NULL},
	{"mem_backend", VMM_FIELD_OBJECT, false, NULL},
	{"snapshot_path", VMM_FIELD_STRING, true, NULL},
	{"resume_vm", VMM_FIELD_BOOL, false, NULL},
	{"network_overrides", VMM_FIELD_ARRAY, false, NULL},
	{"vsock_override", VMM_FIELD_OBJECT, false, NULL},
	{"clock_realtime", VMM_FIELD_BOOL, false, NULL},
};

static const struct vmm_field override_fields[] = {
	{"iface_id", VMM_FIELD_STRING, true, NULL},
	{"host_dev_name", VMM_FIELD_STRING, true, NULL},
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Polls a QMP query until its "status" is none of the waiting ones; that status in ret. */
static int wait_status(struct vmm *v, const char *query, const char *const *waiting, char *ret,
	size_t size, struct vmm_fault *f)
{
	int64_t deadline = now_ms() + MIGRATE_TIMEOUT_MS;

	for (;;) {
		_cleanup_json_ json_t *res = NULL;
		const char *st;
		bool wait = false;
		struct timespec nap = {.tv_nsec = MIGRATE_POLL_MS * 1000 * 1000};
		int r = vmm_qemu_call(v, query, -1, &res, f);

		if (r < 0)
			return r;
		st = str(res, "status") ?: "";
		for (const char *const *w = waiting; *w; w++)
			wait = wait || streq(st, *w);
		if (!wait) {
			snprintf(ret, size, "%s", st);
			if (str(res, "error-desc"))
				vmm_fault_set(f, "%s", str(res, "error-desc"));
			return 0;
		}
		if (now_ms() > deadline)
			return vmm_fault_set(f, "QEMU's migration is still \"%s\" after %d s.", st,
				MIGRATE_TIMEOUT_MS / 1000);
		nanosleep(&nap, NULL);
	}
}

/* What a load needs to start the same machine: the configuration (as --config-file takes it,
 * without the process's own logger and metrics), the accelerator, the TSC rate. */
static json_t *state_json(struct vmm *v, uint64_t mem_bytes)
{
	json_t *config = vmm_config_to_json(v);

	if (!config)
		return NULL;
	json_object_del(config, "logger");
	json_object_del(config, "metrics");
	if (v->serial)
		json_object_set(config, "serial", v->serial);
	return json_pack("{s:i, s:s, s:o, s:s, s:I, s:I}", "banger_vmm_snapshot", SNAPSHOT_FORMAT,
		"firecracker_version", VMM_FIRECRACKER_VERSION, "config", config, "accel",
		vmm_accel_to_string(v->accel), "tsc_khz", (json_int_t)v->tsc_khz, "mem_file_size",
		(json_int_t)mem_bytes);
}

int vmm_snapshot_create(struct vmm *v, json_t *body, struct vmm_fault *f)
{
	const char *mem_path, *state_path;
	_cleanup_close_ int mem = -1;
	_cleanup_json_ json_t *state = NULL;
	_cleanup_free_ char *text = NULL;
	char status[64];
	struct stat st;
	int r;

	r = vmm_body_check(
		body, "CreateSnapshotParams", create_fields, ELEMENTSOF(create_fields), f);
	if (r < 0)
		return r;
	if (streq(str(body, "snapshot_type") ?: "Full", "Diff"))
		return vmm_fault_set(f, "Diff snapshots are not supported by banger-vmm; create a "
					"Full snapshot.");
	if (v->state != VMM_PAUSED)
		return vmm_fault_set(f, "Cannot create a snapshot: the microVM must be paused "
					"first (PATCH /vm {\"state\": \"Paused\"}).");
	mem_path = str(body, "mem_file_path");
	state_path = str(body, "snapshot_path");
	if (!*mem_path || !*state_path || streq(mem_path, state_path))
		return vmm_fault_set(f, "Cannot create a snapshot: snapshot_path and mem_file_path "
					"must be two different files.");
	mem = open(mem_path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (mem < 0)
		return vmm_fault_set(f, "Cannot create the memory file %s: %m", mem_path);
	if (!v->no_boot) {
		static const char *const running[] = {
			"setup", "active", "pre-switchover", "device", "wait-unplug", NULL};

		r = vmm_qemu_call(v,
			"{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"max-"
			"bandwidth\":" MIGRATE_MAX_BANDWIDTH "}}",
			-1, NULL, f);
		if (r >= 0)
			r = vmm_qemu_call(v,
				"{\"execute\":\"getfd\",\"arguments\":{\"fdname\":\"snapshot\"}}",
				mem, NULL, f);
		if (r >= 0)
			r = vmm_qemu_call(v,
				"{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"fd:snapshot\"}}",
				-1, NULL, f);
		if (r >= 0)
			r = wait_status(v, "{\"execute\":\"query-migrate\"}", running, status,
				sizeof(status), f);
		if (r >= 0 && !streq(status, "completed")) {
			char why[sizeof(f->message)];
			snprintf(why, sizeof(why), "%s", f->message);
			r = vmm_fault_set(f,
				"Cannot create a snapshot: QEMU's migration ended \"%s\"%s%s",
				status, why[0] ? ": " : "", why);
		}
		if (r < 0) {
			(void)unlink(mem_path);
			return r;
		}
	}
	if (fsync(mem) < 0 || fstat(mem, &st) < 0)
		return vmm_fault_set(f, "Cannot write the memory file %s: %m", mem_path);
	state = state_json(v, (uint64_t)st.st_size);
	text = state ? json_dumps(state, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	if (!text)
		return -ENOMEM;
	r = write_file_atomic(state_path, text, strlen(text), 0600);
	if (r < 0) {
		(void)unlink(mem_path);
		return vmm_fault_set(
			f, "Cannot write the snapshot file %s: %s", state_path, strerror(-r));
	}
	vmm_log_info("Snapshot created: %s (state), %s (memory, %lld bytes)", state_path, mem_path,
		(long long)st.st_size);
	return 0;
}

/* Only the logger and metrics may be set before a load (Firecracker's LoadSnapshotNotAllowed). */
static bool configured(const struct vmm *v)
{
	return v->machine_configured || v->boot_source || json_array_size(v->drives) > 0 ||
	       json_array_size(v->network_interfaces) > 0 || v->serial;
}

/* network_overrides: each names an interface of the snapshot and its new tap. */
static int apply_overrides(json_t *config, json_t *overrides, struct vmm_fault *f)
{
	json_t *nets = json_object_get(config, "network-interfaces"), *o;
	size_t i;

	json_array_foreach(overrides, i, o)
	{
		bool found = false;
		json_t *n;
		size_t k;
		int r;

		if (!json_is_object(o))
			return vmm_fault_set(f, "Each network override must be a map.");
		r = vmm_body_check(
			o, "NetworkOverride", override_fields, ELEMENTSOF(override_fields), f);
		if (r < 0)
			return r;
		json_array_foreach(nets, k, n)
		{
			if (!streq(str(n, "iface_id") ?: "", str(o, "iface_id")))
				continue;
			json_object_set(n, "host_dev_name", json_object_get(o, "host_dev_name"));
			found = true;
		}
		if (!found)
			return vmm_fault_set(f,
				"The snapshot has no network interface \"%s\" to "
				"override.",
				str(o, "iface_id"));
	}
	return 0;
}

static int load_state(const char *path, json_t **ret, struct vmm_fault *f)
{
	json_error_t err;
	json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &err);

	if (!j)
		return vmm_fault_set(f, "Cannot read the snapshot file %s: %s", path, err.text);
	if (json_integer_value(json_object_get(j, "banger_vmm_snapshot")) != SNAPSHOT_FORMAT ||
		!json_is_object(json_object_get(j, "config")) || !str(j, "accel")) {
		json_decref(j);
		return vmm_fault_set(
			f, "%s is not a banger-vmm snapshot (format %d).", path, SNAPSHOT_FORMAT);
	}
	*ret = j;
	return 0;
}

int vmm_snapshot_load(struct vmm *v, json_t *body, struct vmm_fault *f)
{
	static const char *const incoming[] = {"inmigrate", "prelaunch", NULL};
	_cleanup_json_ json_t *state = NULL, *config = NULL;
	json_t *backend = json_object_get(body, "mem_backend");
	const char *mem_path, *accel;
	char status[64];
	struct stat st;
	int r;

	r = vmm_body_check(body, "LoadSnapshotParams", load_fields, ELEMENTSOF(load_fields), f);
	if (r < 0)
		return r;
	if (configured(v))
		return vmm_fault_set(f, "Loading a microVM snapshot not allowed after configuring "
					"boot-specific resources.");
	if (!!backend == !!str(body, "mem_file_path"))
		return vmm_fault_set(
			f, "Exactly one of mem_backend and mem_file_path must be given.");
	if (backend) {
		r = vmm_body_check(
			backend, "MemBackendConfig", backend_fields, ELEMENTSOF(backend_fields), f);
		if (r < 0)
			return r;
		if (streq(str(backend, "backend_type"), "Uffd"))
			return vmm_fault_set(f, "The Uffd memory backend is not supported by "
						"banger-vmm; use File.");
	}
	if (json_is_true(json_object_get(body, "track_dirty_pages")) ||
		json_is_true(json_object_get(body, "enable_diff_snapshots")))
		return vmm_fault_set(f, "track_dirty_pages is not supported by banger-vmm (its "
					"snapshots are Full only).");
	if (json_is_object(json_object_get(body, "vsock_override")))
		return vmm_fault_set(f, "banger-vmm has no vsock device to override.");
	mem_path = backend ? str(backend, "backend_path") : str(body, "mem_file_path");

	/* From here a failure ends the process, as Firecracker's does: what was applied
	 * cannot be taken back. */
	v->exit_code = VMM_EXIT_GENERIC;
	r = load_state(str(body, "snapshot_path"), &state, f);
	if (r < 0)
		goto fatal;
	config = json_deep_copy(json_object_get(state, "config"));
	if (!config) {
		r = -ENOMEM;
		goto fatal;
	}
	r = apply_overrides(config, json_object_get(body, "network_overrides"), f);
	if (r >= 0)
		r = vmm_config_apply(v, config, f);
	if (r < 0)
		goto fatal;
	v->incoming_fd = open(mem_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (v->incoming_fd < 0 || fstat(v->incoming_fd, &st) < 0) {
		r = vmm_fault_set(f, "Cannot open the memory file %s: %m", mem_path);
		goto fatal;
	}
	if (json_integer_value(json_object_get(state, "mem_file_size")) != (json_int_t)st.st_size) {
		r = vmm_fault_set(f, "The memory file %s is %lld bytes, the snapshot wrote %lld.",
			mem_path, (long long)st.st_size,
			(long long)json_integer_value(json_object_get(state, "mem_file_size")));
		goto fatal;
	}
	accel = str(state, "accel");
	v->accel = vmm_accel_from_string(accel);
	if (v->accel != VMM_ACCEL_KVM && v->accel != VMM_ACCEL_TCG) {
		r = vmm_fault_set(f, "The snapshot names an unknown accelerator \"%s\".", accel);
		goto fatal;
	}
	/* the same kernel command line as at boot, so the machine QEMU builds is the same */
	v->tsc_khz = (unsigned long)json_integer_value(json_object_get(state, "tsc_khz"));
	if (!v->no_boot) {
		r = vmm_qemu_start(v, f);
		if (r >= 0)
			r = wait_status(v, "{\"execute\":\"query-status\"}", incoming, status,
				sizeof(status), f);
		if (r >= 0 && !streq(status, "paused")) {
			r = vmm_fault_set(f,
				"Cannot load the snapshot: QEMU is \"%s\" after reading "
				"it.",
				status);
		}
		if (r < 0) {
			vmm_qemu_kill(v, 1000);
			goto fatal;
		}
	}
	v->incoming_fd = safe_close(v->incoming_fd);
	v->state = VMM_PAUSED;
	if (json_is_true(json_object_get(body, "resume_vm"))) {
		if (!v->no_boot) {
			r = vmm_qemu_set_paused(v, false, f);
			if (r < 0) {
				vmm_qemu_kill(v, 1000);
				goto fatal;
			}
		}
		v->state = VMM_RUNNING;
	}
	v->exit_code = VMM_EXIT_OK;
	vmm_log_info("Snapshot loaded from %s; the microVM is %s.", str(body, "snapshot_path"),
		vmm_state_to_string(v->state));
	return 0;

fatal:
	vmm_log_error("Loading the snapshot failed, exiting: %s", f->message);
	v->exit_requested = true;
	return r < 0 ? r : -EINVAL;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* banger-vmm's one instance: the configuration received so far, the phase, the QEMU child. */
#pragma once

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* jansson 2.14 ships json_decrefp, the cleanup function for json_t. */
#ifndef _cleanup_json_
#define _cleanup_json_ __attribute__((cleanup(json_decrefp)))
#endif

/* The Firecracker version whose API and command line banger-vmm implements. */
#define VMM_FIRECRACKER_VERSION "1.16.1"
/* Firecracker's default --http-api-max-payload-size. */
#define VMM_DEFAULT_MAX_PAYLOAD 51200
/* Firecracker's built-in command line, used when PUT /boot-source leaves boot_args out. */
#define VMM_DEFAULT_BOOT_ARGS                                                                      \
	"reboot=k panic=1 nomodule 8250.nr_uarts=0 i8042.noaux i8042.nomux i8042.dumbkbd "         \
	"swiotlb=noforce"

enum vmm_state {
	VMM_NOT_STARTED,
	VMM_RUNNING,
	VMM_PAUSED,
	_VMM_STATE_MAX,
	_VMM_STATE_INVALID = -EINVAL,
};

enum vmm_accel {
	VMM_ACCEL_AUTO,
	VMM_ACCEL_KVM,
	VMM_ACCEL_TCG,
	_VMM_ACCEL_MAX,
	_VMM_ACCEL_INVALID = -EINVAL,
};

/* Firecracker's process exit codes (src/vmm/src/lib.rs FcExitCode). */
enum {
	VMM_EXIT_OK = 0,
	VMM_EXIT_GENERIC = 1,
	VMM_EXIT_UNEXPECTED = 2,
	VMM_EXIT_BAD_CONFIGURATION = 152,
	VMM_EXIT_ARG_PARSING = 153,
};

/* An API error as Firecracker reports it: a status code and {"fault_message": message}. */
struct vmm_fault {
	unsigned status;
	char message[1024];
};

/* Fills f (status 400) and returns -EINVAL, for `return vmm_fault_set(f, "...")`. */
int vmm_fault_set(struct vmm_fault *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct vmm_qemu {
	pid_t pid;
	int pidfd;
	int qmp_fd;
	int stderr_fd;
	char qmp_buf[8192];
	size_t qmp_len;
	char err_buf[4096]; /* QEMU's stderr, kept for a start failure's fault message */
	size_t err_len;
};

struct vmm {
	char *id;
	enum vmm_state state;
	bool no_boot;
	enum vmm_accel accel;
	char *qemu_binary;
	char *api_sock;
	size_t max_payload;

	/* Each resource as its JSON body, defaults filled in: what GET /vm/config returns. */
	json_t *machine_config;
	bool machine_configured; /* PUT/PATCH /machine-config happened (a snapshot load is refused)
				  */
	json_t *boot_source;
	json_t *drives; /* array, the root device first */
	json_t *network_interfaces;
	json_t *logger;
	json_t *metrics;
	json_t *serial;

	int metrics_fd;
	uint64_t start_time_us;
	uint64_t start_time_cpu_us;
	uint64_t parent_cpu_time_us;

	struct vmm_qemu qemu;
	/* PUT /snapshot/load: the memory file QEMU reads its incoming migration from (-1: none) */
	int incoming_fd;
	/* Under TCG the guest's TSC is the host's: its rate, given to the guest kernel, which
	 * cannot calibrate against QEMU's PIT on a loaded host (0 = unknown). */
	unsigned long tsc_khz;
	/* A host TSC reading taken when the process started: InstanceStart measures the TSC rate
	 * from it, so the measuring window is the time the caller spent configuring. */
	struct vmm_tsc_sample {
		int64_t ns; /* CLOCK_MONOTONIC, the middle of the bracket; 0: none */
		uint64_t tsc;
		int64_t err_ns; /* the bracket's width */
	} tsc_mark;

	bool exit_requested;
	int exit_code;
};

int vmm_new(struct vmm **ret);
struct vmm *vmm_free(struct vmm *v);
static inline void vmm_freep(struct vmm **v)
{
	if (*v)
		vmm_free(*v);
}

const char *vmm_state_to_string(enum vmm_state s);
const char *vmm_accel_to_string(enum vmm_accel a);
enum vmm_accel vmm_accel_from_string(const char *s);

/* Firecracker's instance id rule: 1-64 ASCII alphanumerics or '-'. */
bool vmm_instance_id_valid(const char *id);
/* Firecracker's API resource id rule (drive_id, iface_id): non-empty, alphanumerics and '_'. */
bool vmm_resource_id_valid(const char *id);

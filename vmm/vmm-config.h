/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pre-boot resources (machine, boot source, drives, network, logger, metrics, serial): each
 * body checked as Firecracker checks it, then stored; and the whole as GET /vm/config. */
#pragma once

#include <jansson.h>

#include "vmm/vmm.h"

/* Each takes the parsed body (borrowed) and, for drives and interfaces, the id from the path
 * (NULL when the body comes from --config-file). On refusal f says why and nothing changed. */
int vmm_config_put_machine(struct vmm *v, const char *path_id, json_t *body, struct vmm_fault *f);
int vmm_config_patch_machine(struct vmm *v, const char *path_id, json_t *body, struct vmm_fault *f);
int vmm_config_put_boot_source(
	struct vmm *v, const char *path_id, json_t *body, struct vmm_fault *f);
int vmm_config_put_drive(struct vmm *v, const char *path_id, json_t *body, struct vmm_fault *f);
int vmm_config_put_network(struct vmm *v, const char *path_id, json_t *body, struct vmm_fault *f);
int vmm_config_put_logger(struct vmm *v, const char *path_id, json_t *body, struct vmm_fault *f);
int vmm_config_put_metrics(struct vmm *v, const char *path_id, json_t *body, struct vmm_fault *f);
int vmm_config_put_serial(struct vmm *v, const char *path_id, json_t *body, struct vmm_fault *f);

/* GET /vm/config: the configuration in --config-file's shape. */
json_t *vmm_config_to_json(const struct vmm *v);

/* --config-file: applies each section in Firecracker's order; unknown sections refused. */
int vmm_config_load_file(struct vmm *v, const char *path, struct vmm_fault *f);
/* Applies a configuration object (the --config-file shape) section by section, in
 * Firecracker's order; on refusal f says why. */
int vmm_config_apply(struct vmm *v, json_t *config, struct vmm_fault *f);

/* Writes one metrics line (PUT /metrics, FlushMetrics); -EBADF when no metrics path is set. */
int vmm_config_flush_metrics(struct vmm *v);

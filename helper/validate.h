/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Syntax checks for every field a request may carry: pure functions, no system calls. */
#pragma once

#include <jansson.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "protocol/error.h"

#define HELPER_MAX_VMM_ARGS 16
#define HELPER_MAX_DRIVES 8

/* Field checkers for struct helper_field.check: fill err naming the field, return -EINVAL. */
int check_vm_id(const json_t *v, const char *name, struct rpc_error *err);
int check_tap_name(const json_t *v, const char *name, struct rpc_error *err);
int check_bridge_name(const json_t *v, const char *name, struct rpc_error *err);
int check_ipv4_host_cidr(const json_t *v, const char *name, struct rpc_error *err);
int check_ipv4_subnet(const json_t *v, const char *name, struct rpc_error *err);
int check_fd_names(const json_t *v, const char *name, struct rpc_error *err);
int check_signal_name(const json_t *v, const char *name, struct rpc_error *err);
int check_vmm_args(const json_t *v, const char *name, struct rpc_error *err);
int check_block_drives(const json_t *v, const char *name, struct rpc_error *err);
int check_short_token(const json_t *v, const char *name, struct rpc_error *err);
int check_disk_strategy(const json_t *v, const char *name, struct rpc_error *err);
int check_ipv4_address(const json_t *v, const char *name, struct rpc_error *err);
int check_publish_specs(const json_t *v, const char *name, struct rpc_error *err);
int check_dns_hosts(const json_t *v, const char *name, struct rpc_error *err);

/* The same rules on plain strings, for ops and tests. */
bool vm_id_is_valid(const char *s);
bool tap_name_is_valid(const char *s);
bool bridge_name_is_valid(const char *s);
bool drive_name_is_valid(const char *s);
/* "a.b.c.d/n": fills address (network byte order) and prefix. */
int ipv4_cidr_parse(const char *s, struct in_addr *ret_addr, unsigned *ret_prefix);
/* "/dev/mapper/banger-…" or "/dev/loopN". */
bool block_device_path_is_valid(const char *s);
/* Signal number for "TERM", "KILL", "INT", or -EINVAL. */
int signal_from_name(const char *s);

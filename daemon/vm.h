/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The VM record: its fields, id rule and JSON form (vm.json and the wire); its states and name
 * rule are the protocol's (protocol/vm.h). */
#pragma once

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "protocol/error.h"
#include "protocol/publish.h"
#include "protocol/vm.h"

#define VM_SCHEMA_VERSION 1

#define VM_ID_LEN 32 /* 128 random bits in hex */

struct vm {
	char id[VM_ID_LEN + 1];
	char name[VM_NAME_MAX + 1];
	enum vm_state state;
	char reason[256]; /* why it is in this state; "" is null on the wire */
	char image[VM_NAME_MAX + 1];
	unsigned vcpus;
	unsigned memory_mib;
	unsigned disk_gib;
	char ip[48]; /* "" until the lifecycle allocates one */
	char mac[18];
	int pid; /* 0: none */
	char boot_id[40];
	char disk_strategy[16];
	char created_at[32]; /* RFC 3339 UTC */
	char started_at[32]; /* "" is null */
	bool halted;         /* running, but the guest halted: it will do nothing until stopped */
	struct publish publish[PUBLISH_MAX]; /* host ports forwarded to the guest while it runs */
	size_t n_publish;
	char save_error[128]; /* why the last save of this record failed; "" once saved (wire only)
			       */
};

/* created, stopped and error: nothing runs, the record may go. */
bool vm_state_is_inactive(enum vm_state s);

/* 32 lower-case hex digits. */
bool vm_id_is_valid(const char *id);

/* A fresh random id. */
int vm_id_generate(char ret[VM_ID_LEN + 1]);

/* Current time as RFC 3339 UTC ("2026-01-02T03:04:05Z"). */
void rfc3339_now(char *buf, size_t size);

/* The wire and file form (with schema_version; save_error is the wire's only, the store drops
 * it). NULL on allocation failure. */
json_t *vm_to_json(const struct vm *vm);

/* vm's published ports as canonical strings; NULL on allocation failure. */
json_t *vm_publish_json(const struct vm *vm);
/* A list of publish strings (at most PUBLISH_MAX, each publish_parse()d); -EINVAL with why. The
 * list checks (overlaps, privileged ports) are the caller's. */
int vm_publish_from_json(const json_t *a, struct publish ret[PUBLISH_MAX], size_t *ret_n, char *why,
	size_t why_size);

/* Parses a record of the current schema. -EBADMSG with why filled when a field is missing or
 * malformed. */
int vm_from_json(const json_t *o, struct vm *ret, char *why, size_t why_size);

/* Brings an older record up to VM_SCHEMA_VERSION in place. Returns the version it started from;
 * -EPROTONOSUPPORT for a newer version, -EBADMSG for a schema_version that is not a number. */
int vm_json_migrate(json_t *o, char *why, size_t why_size);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vm.create's fields and their rules, shared by the daemon's check of a request and the clients
 * that check as the user types (banger-tui's create form), so both say the same thing. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#define VM_NAME_MAX 32
#define VM_VCPUS_MIN 1
#define VM_VCPUS_MAX 32
#define VM_MEMORY_MIN 128
#define VM_MEMORY_MAX 65536
#define VM_DISK_MIN 1
#define VM_DISK_MAX 1024
#define VM_DEFAULT_VCPUS 1
#define VM_DEFAULT_MEMORY 512
#define VM_DEFAULT_DISK 4
#define VM_DEFAULT_IMAGE "minimal"

#define VM_NAME_RULE "use 1-32 characters, a-z, 0-9 and '-', starting with a letter"

enum vm_create_field {
	VM_FIELD_NAME,
	VM_FIELD_IMAGE,
	VM_FIELD_VCPUS,
	VM_FIELD_MEMORY,
	VM_FIELD_DISK,
	_VM_FIELD_MAX,
	_VM_FIELD_INVALID = -EINVAL,
};

struct vm_create_field_info {
	const char *key;   /* the vm.create member */
	const char *label; /* what a person calls it */
	bool is_int;
	long min, max, int_default; /* is_int */
	const char *unit;           /* "MiB", "GiB" or NULL */
};

const struct vm_create_field_info *vm_create_field(enum vm_create_field f);

/* ^[a-z][a-z0-9-]{0,31}$: VM and image names alike. */
bool vm_name_is_valid(const char *name);

/* Checks text as the value of field f, as vm.create does: 0 (with *ret_int for a number field,
 * which may be NULL), or -EINVAL with the message vm.create answers in why ("Invalid VM name
 * \"Web\": use 1-32 characters, …"). */
int vm_create_check(
        enum vm_create_field f, const char *text, long *ret_int, char *why, size_t why_size);

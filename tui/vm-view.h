/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The VM list as shown: the model filtered (VM filter expressions) and sorted by a column. */
#pragma once

#include <regex.h>
#include <stdbool.h>
#include <sys/types.h>

#include "tui/vm-model.h"

enum vm_column {
	VM_COL_NAME,
	VM_COL_STATE,
	VM_COL_IP,
	VM_COL_PID,
	VM_COL_BOOT,
	VM_COL_UPTIME,
	VM_COL_VCPU,
	VM_COL_MEM,
	VM_COL_PORTS,
	_VM_COL_MAX,
	_VM_COL_INVALID = -22,
};

const char *vm_column_to_string(enum vm_column c);
enum vm_column vm_column_from_string(const char *s);

struct vm_filter_term {
	bool negate;
	bool is_state; /* "state:run" / "s:run": prefix of the state name */
	bool is_regex; /* "~expr": POSIX ERE over name, IP and boot id */
	char *text;    /* lower-cased */
	regex_t re;
};

struct vm_filter {
	char *source;
	struct vm_filter_term *terms;
	size_t n;
};

/* Compiles whitespace-separated terms that must all match. A bad regex fills ret_error
 * (when not NULL, up to size bytes) and returns -EINVAL. An empty text matches everything. */
int vm_filter_compile(const char *text, struct vm_filter *ret, char *ret_error, size_t size);
void vm_filter_done(struct vm_filter *f);
bool vm_filter_match(const struct vm_filter *f, const struct vm *vm);

struct vm_view {
	struct vm **rows;
	size_t n, cap;
	enum vm_column sort;
	bool descending;
};

void vm_view_done(struct vm_view *v);
/* Rebuilds rows from the model. With frozen the previous order is kept (new VMs go last) so
 * rows do not jump while the user navigates; otherwise rows are sorted (stably, name breaking
 * ties) and the new order is remembered. */
int vm_view_rebuild(struct vm_view *v, const struct vm_model *m, const struct vm_filter *f,
	bool frozen, int64_t now);
/* Row index of the VM with this id, or -1. */
ssize_t vm_view_find(const struct vm_view *v, const char *id);

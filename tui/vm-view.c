/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Filtering and sorting the VM list. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "common/macro.h"
#include "tui/vm-view.h"

static const char *const column_names[_VM_COL_MAX] = {
	[VM_COL_NAME] = "name",
	[VM_COL_STATE] = "state",
	[VM_COL_IP] = "ip",
	[VM_COL_PID] = "pid",
	[VM_COL_BOOT] = "boot",
	[VM_COL_UPTIME] = "uptime",
	[VM_COL_VCPU] = "vcpu",
	[VM_COL_MEM] = "mem",
	[VM_COL_PORTS] = "ports",
};

const char *vm_column_to_string(enum vm_column c)
{
	return c >= 0 && c < _VM_COL_MAX ? column_names[c] : NULL;
}

enum vm_column vm_column_from_string(const char *s)
{
	for (size_t i = 0; i < _VM_COL_MAX; i++)
		if (strcasecmp(column_names[i], s) == 0)
			return (enum vm_column)i;
	return _VM_COL_INVALID;
}

void vm_filter_done(struct vm_filter *f)
{
	for (size_t i = 0; i < f->n; i++) {
		if (f->terms[i].is_regex)
			regfree(&f->terms[i].re);
		free(f->terms[i].text);
	}
	free(f->terms);
	free(f->source);
	*f = (struct vm_filter){};
}

int vm_filter_compile(const char *text, struct vm_filter *ret, char *ret_error, size_t size)
{
	_cleanup_free_ char *copy = strdup(text ? text : "");
	struct vm_filter f = {};
	char *save = NULL, *tok;
	int r;

	if (!copy)
		return -ENOMEM;
	f.source = strdup(text ? text : "");
	if (!f.source)
		return -ENOMEM;
	for (tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		struct vm_filter_term t = {};
		struct vm_filter_term *terms;

		if (*tok == '!') {
			t.negate = true;
			tok++;
		}
		if (strncasecmp(tok, "state:", 6) == 0) {
			t.is_state = true;
			tok += 6;
		} else if (strncasecmp(tok, "s:", 2) == 0) {
			t.is_state = true;
			tok += 2;
		} else if (*tok == '~') {
			t.is_regex = true;
			tok++;
		}
		if (!*tok)
			continue;
		t.text = strdup(tok);
		if (!t.text) {
			vm_filter_done(&f);
			return -ENOMEM;
		}
		if (t.is_regex) {
			r = regcomp(&t.re, t.text, REG_EXTENDED | REG_ICASE | REG_NOSUB);
			if (r != 0) {
				if (ret_error)
					regerror(r, &t.re, ret_error, size);
				free(t.text);
				vm_filter_done(&f);
				return -EINVAL;
			}
		} else
			for (char *p = t.text; *p; p++)
				*p = (char)tolower((unsigned char)*p);
		terms = realloc(f.terms, (f.n + 1) * sizeof(*terms));
		if (!terms) {
			if (t.is_regex)
				regfree(&t.re);
			free(t.text);
			vm_filter_done(&f);
			return -ENOMEM;
		}
		f.terms = terms;
		f.terms[f.n++] = t;
	}
	*ret = f;
	return 0;
}

static bool term_match(const struct vm_filter_term *t, const struct vm *vm)
{
	const char *fields[] = {vm->name, vm->ip, vm->boot_id};

	if (t->is_state)
		return strncmp(vm_state_label(vm->state), t->text, strlen(t->text)) == 0;
	for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
		if (!fields[i])
			continue;
		if (t->is_regex ? regexec(&t->re, fields[i], 0, NULL, 0) == 0
				: strcasestr(fields[i], t->text) != NULL)
			return true;
	}
	return false;
}

bool vm_filter_match(const struct vm_filter *f, const struct vm *vm)
{
	if (!f)
		return true;
	for (size_t i = 0; i < f->n; i++)
		if (term_match(&f->terms[i], vm) == f->terms[i].negate)
			return false;
	return true;
}

void vm_view_done(struct vm_view *v)
{
	free(v->rows);
	v->rows = NULL;
	v->n = v->cap = 0;
}

/* qsort has no context argument in C; the comparison reads these (single-threaded). */
static enum vm_column sort_col;
static bool sort_desc, sort_frozen;
static int64_t sort_now;

static int cmp_str(const char *a, const char *b)
{
	if (!a || !b)
		return a ? -1 : b ? 1 : 0; /* empty values last */
	return strcmp(a, b);
}

static int cmp_int(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b ? 1 : 0;
}

/* IPv4 addresses sort numerically. */
static int cmp_ip(const char *a, const char *b)
{
	unsigned x[4], y[4];

	if (a && b && sscanf(a, "%u.%u.%u.%u", &x[0], &x[1], &x[2], &x[3]) == 4 &&
		sscanf(b, "%u.%u.%u.%u", &y[0], &y[1], &y[2], &y[3]) == 4) {
		for (size_t i = 0; i < 4; i++)
			if (x[i] != y[i])
				return x[i] < y[i] ? -1 : 1;
		return 0;
	}
	return cmp_str(a, b);
}

static int64_t uptime_of(const struct vm *vm)
{
	if (vm->state != VM_STATE_RUNNING || vm->started_at < 0)
		return -1;
	return sort_now - vm->started_at;
}

static int compare_rows(const void *pa, const void *pb)
{
	const struct vm *a = *(const struct vm *const *)pa, *b = *(const struct vm *const *)pb;
	int c = 0;

	if (sort_frozen)
		return a->order < b->order ? -1 : a->order > b->order ? 1 : strcmp(a->id, b->id);
	switch (sort_col) {
	case VM_COL_NAME:
		break;
	case VM_COL_STATE:
		c = cmp_int(a->state < 0 ? _VM_STATE_MAX : a->state,
			b->state < 0 ? _VM_STATE_MAX : b->state);
		break;
	case VM_COL_IP:
		c = cmp_ip(a->ip, b->ip);
		break;
	case VM_COL_PID:
		c = cmp_int(a->pid, b->pid);
		break;
	case VM_COL_BOOT:
		c = cmp_str(a->boot_id, b->boot_id);
		break;
	case VM_COL_UPTIME:
		c = cmp_int(uptime_of(a), uptime_of(b));
		break;
	case VM_COL_VCPU:
		c = cmp_int(a->vcpus, b->vcpus);
		break;
	case VM_COL_MEM:
		c = cmp_int(a->memory_mib, b->memory_mib);
		break;
	case VM_COL_PORTS:
		c = cmp_str(a->ports, b->ports);
		break;
	case _VM_COL_MAX:
	case _VM_COL_INVALID:
		break;
	}
	if (c == 0)
		c = cmp_str(a->name, b->name) ?: strcmp(a->id, b->id);
	return sort_desc ? -c : c;
}

int vm_view_rebuild(struct vm_view *v, const struct vm_model *m, const struct vm_filter *f,
	bool frozen, int64_t now)
{
	if (v->cap < m->n) {
		struct vm **rows = realloc(v->rows, MAX(m->n, (size_t)64) * sizeof(*rows));
		if (!rows)
			return -ENOMEM;
		v->rows = rows;
		v->cap = MAX(m->n, (size_t)64);
	}
	v->n = 0;
	for (size_t i = 0; i < m->n; i++)
		if (vm_filter_match(f, m->vms[i]))
			v->rows[v->n++] = m->vms[i];
	sort_col = v->sort;
	sort_desc = v->descending;
	sort_frozen = frozen;
	sort_now = now;
	if (v->n > 1)
		qsort(v->rows, v->n, sizeof(*v->rows), compare_rows);
	if (!frozen)
		for (size_t i = 0; i < v->n; i++)
			v->rows[i]->order = (uint64_t)i;
	return 0;
}

ssize_t vm_view_find(const struct vm_view *v, const char *id)
{
	if (!id)
		return -1;
	for (size_t i = 0; i < v->n; i++)
		if (streq(v->rows[i]->id, id))
			return (ssize_t)i;
	return -1;
}

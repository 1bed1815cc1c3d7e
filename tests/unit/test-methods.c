/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bangerd.sock's method table (protocol/methods.def): names, the schemas' own sanity, every check
 * a request's params go through (and the message it gives), and docs/protocol.md's method table
 * against the schemas. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fileio.h"
#include "common/macro.h"
#include "protocol/methods.h"

static void test_names(void **state)
{
	(void)state;
	for (int m = 0; m < _RPC_METHOD_MAX; m++) {
		const char *name = rpc_method_to_string(m);
		assert_non_null(name);
		assert_int_equal(rpc_method_from_string(name), m);
		assert_ptr_equal(rpc_method_info(m)->name, name);
	}
	assert_string_equal(rpc_method_to_string(RPC_METHOD_VM_START), "vm.start");
	assert_int_equal(rpc_method_from_string("vm.fly"), _RPC_METHOD_INVALID);
	assert_int_equal(rpc_method_from_string(NULL), _RPC_METHOD_INVALID);
	assert_null(rpc_method_to_string(_RPC_METHOD_MAX));
	assert_null(rpc_method_to_string(_RPC_METHOD_INVALID));
	assert_null(rpc_method_info(_RPC_METHOD_MAX));
}

/* The table's own rules, so a new row cannot quietly accept everything or nothing. */
static void test_schemas_are_sane(void **state)
{
	(void)state;
	for (int m = 0; m < _RPC_METHOD_MAX; m++) {
		const struct rpc_method_info *info = rpc_method_info(m);
		size_t one_of = 0;

		for (const struct rpc_arg *a = info->args; a->name; a++) {
			assert_true(a->name[0] != '\0');
			for (const struct rpc_arg *b = a + 1; b->name; b++)
				if (streq(a->name, b->name))
					fail_msg("%s declares \"%s\" twice", info->name, a->name);
			if (a->one_of) {
				one_of++;
				if (a->required)
					fail_msg("%s: \"%s\" is both required and one_of",
						info->name, a->name);
			}
			switch (a->type) {
			case RPC_ARG_INT:
				if (a->min >= a->max)
					fail_msg("%s: \"%s\" has no range", info->name, a->name);
				break;
			case RPC_ARG_STRING:
				if (a->pattern == RPC_PATTERN_NAME && !a->what)
					fail_msg("%s: \"%s\" names nothing", info->name, a->name);
				if (a->str_default && a->pattern == RPC_PATTERN_NAME &&
					!vm_name_is_valid(a->str_default))
					fail_msg("%s: \"%s\" defaults to an invalid name",
						info->name, a->name);
				break;
			case RPC_ARG_BOOL:
				break;
			case RPC_ARG_STRINGS:
				if (a->max_items == 0 || a->max_len == 0)
					fail_msg("%s: \"%s\" has no bounds", info->name, a->name);
				break;
			case _RPC_ARG_TYPE_MAX:
			case _RPC_ARG_TYPE_INVALID:
				fail_msg("%s: \"%s\" has no type", info->name, a->name);
			}
		}
		if (one_of == 1)
			fail_msg("%s: a one_of group of one", info->name);
	}
}

/* The params decoded last: their strings are what *ret points into. */
static json_t *last_params;

/* Decodes params (JSON text, or NULL) for m: 0 or the error, whose message must mention what.
 * (JSON_ALLOW_NUL: the wire's parser refuses "\u0000", the schema refuses it for everyone else.) */
static int decode(enum rpc_method m, const char *params, union rpc_args *ret, const char *what)
{
	json_t *p = params ? json_loads(params, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL) : NULL;
	struct rpc_error err = {};
	int r;

	if (params)
		assert_non_null(p);
	json_decref(last_params);
	last_params = p;
	r = rpc_args_decode(m, p, ret, &err);
	if (r < 0) {
		assert_int_equal(err.code, RPC_ERROR_INVALID_ARGUMENT);
		if (!what || !strstr(err.message, what))
			fail_msg("%s %s: \"%s\" does not say \"%s\"", rpc_method_to_string(m),
				params ? params : "(none)", err.message,
				what ? what : "(accepted)");
	} else if (what)
		fail_msg("%s %s accepted, expected \"%s\"", rpc_method_to_string(m),
			params ? params : "(none)", what);
	return r;
}

static void test_vm_create(void **state)
{
	static const struct {
		const char *json;
		const char *message; /* NULL: accepted */
	} table[] = {
		{"{\"name\":\"a\"}", NULL},
		{"{\"name\":\"a\",\"image\":\"deb-12\",\"vcpus\":32,\"memory_mib\":65536,"
		 "\"disk_gib\":1024}",
			NULL},
		{"{\"name\":\"a\",\"vcpus\":1,\"memory_mib\":128,\"disk_gib\":1}", NULL},
		{"{}", "Missing required parameter \"name\""},
		{"{\"name\":5}", "Parameter \"name\" must be a string"},
		{"{\"name\":\"A\"}",
			"Invalid VM name \"A\": use 1-32 characters, a-z, 0-9 and '-', "
			"starting with a letter"},
		{"{\"name\":\"abcdefghijklmnopqrstuvwxyz0123456\"}", "Invalid VM name"},
		{"{\"name\":\"a\",\"vcpus\":0}",
			"Parameter \"vcpus\" must be between 1 and 32, got 0"},
		{"{\"name\":\"a\",\"vcpus\":33}", "\"vcpus\" must be between 1 and 32, got 33"},
		{"{\"name\":\"a\",\"vcpus\":1.5}", "Parameter \"vcpus\" must be an integer"},
		{"{\"name\":\"a\",\"vcpus\":\"2\"}", "Parameter \"vcpus\" must be an integer"},
		{"{\"name\":\"a\",\"memory_mib\":127}", "\"memory_mib\" must be between 128"},
		{"{\"name\":\"a\",\"memory_mib\":65537}", "\"memory_mib\" must be between"},
		{"{\"name\":\"a\",\"disk_gib\":0}", "\"disk_gib\" must be between 1 and 1024"},
		{"{\"name\":\"a\",\"disk_gib\":1025}", "\"disk_gib\" must be between"},
		{"{\"name\":\"a\",\"image\":\"../etc\"}", "Invalid image name \"../etc\""},
		{"{\"name\":\"a\",\"image\":null}", NULL}, /* null: the default */
		{"{\"name\":\"a\",\"color\":\"red\"}", "Unknown parameter \"color\""},
		{"{\"name\":\"a\\u0000b\"}", "Parameter \"name\" must not contain a NUL"},
		{"[1]", "Parameters of vm.create must be a JSON object"},
	};
	union rpc_args a;
	(void)state;

	for (size_t i = 0; i < ELEMENTSOF(table); i++)
		decode(RPC_METHOD_VM_CREATE, table[i].json, &a, table[i].message);
}

static void test_defaults(void **state)
{
	union rpc_args a;
	(void)state;

	assert_int_equal(
		decode(RPC_METHOD_VM_CREATE, "{\"name\":\"x\",\"vcpus\":null}", &a, NULL), 0);
	assert_string_equal(a.rpc_vm_create.name, "x");
	/* not given: the daemon fills them from banger.conf's [vm] */
	assert_null(a.rpc_vm_create.image);
	assert_int_equal(a.rpc_vm_create.vcpus, 0);
	assert_int_equal(a.rpc_vm_create.memory_mib, 0);
	assert_int_equal(a.rpc_vm_create.disk_gib, 0);

	assert_int_equal(decode(RPC_METHOD_VM_LOGS, "{\"id\":\"abc\"}", &a, NULL), 0);
	assert_null(a.rpc_vm_logs.name);
	assert_string_equal(a.rpc_vm_logs.id, "abc");
	assert_int_equal(a.rpc_vm_logs.tail, 100);
	assert_int_equal(decode(RPC_METHOD_VM_LOGS, "{\"id\":\"abc\",\"tail\":0}", &a, NULL), 0);
	assert_int_equal(a.rpc_vm_logs.tail, 0);

	/* no params at all: {} */
	assert_int_equal(decode(RPC_METHOD_EVENTS_SUBSCRIBE, NULL, &a, NULL), 0);
	assert_int_equal(a.rpc_events_subscribe.since_seq, -1);
	assert_int_equal(decode(RPC_METHOD_VM_LIST, NULL, &a, NULL), 0);
	assert_int_equal(decode(RPC_METHOD_VM_DELETE, "{\"name\":\"w\"}", &a, NULL), 0);
	assert_false(a.rpc_vm_delete.force);
	assert_int_equal(
		decode(RPC_METHOD_VM_DELETE, "{\"name\":\"w\",\"force\":true}", &a, NULL), 0);
	assert_true(a.rpc_vm_delete.force);
}

/* One request per rule, each refused with the message the integration suites and people read. */
static void test_refusals(void **state)
{
	static const struct {
		enum rpc_method m;
		const char *json;
		const char *message;
	} table[] = {
		{RPC_METHOD_VM_LIST, "{\"x\":1}", "Unknown parameter \"x\""},
		{RPC_METHOD_UPDATE_APPLY, "{\"from\":\"file:///x\"}", "Unknown parameter \"from\""},
		{RPC_METHOD_RECONCILE, "{\"dryrun\":true}", "Unknown parameter \"dryrun\""},
		{RPC_METHOD_RECONCILE, "{\"dry_run\":1}", "\"dry_run\" must be true or false"},
		{RPC_METHOD_VM_GET, "{}", "Give exactly one of \"name\" and \"id\""},
		{RPC_METHOD_VM_GET, "{\"name\":\"a\",\"id\":\"b\"}", "Give exactly one of"},
		{RPC_METHOD_VM_GET, "{\"name\":null,\"id\":null}", "Give exactly one of"},
		{RPC_METHOD_VM_GET, "{\"id\":7}", "Parameter \"id\" must be a string"},
		{RPC_METHOD_VM_LOGS, "{\"name\":\"a\",\"tail\":-1}",
			"\"tail\" must be between 0 and 100000, got -1"},
		{RPC_METHOD_EVENTS_SUBSCRIBE, "{\"since_seq\":\"x\"}", "must be an integer"},
		{RPC_METHOD_EVENTS_SUBSCRIBE, "{\"since_seq\":-1}", "must be between 0"},
		{RPC_METHOD_IMAGE_GET, "{}", "Missing required parameter \"name\""},
		{RPC_METHOD_IMAGE_IMPORT,
			"{\"name\":\"x\",\"kernel\":\"vmlinuz\",\"rootfs\":\"/r\"}",
			"The kernel path \"vmlinuz\" must be absolute"},
		{RPC_METHOD_IMAGE_IMPORT, "{\"name\":\"X\",\"kernel\":\"/k\",\"rootfs\":\"/r\"}",
			"Invalid image name \"X\""},
		{RPC_METHOD_IMAGE_IMPORT, "{\"name\":\"x\",\"kernel\":\"/k\"}",
			"Missing required parameter \"rootfs\""},
		{RPC_METHOD_HELLO, "{\"program\":\"t\"}",
			"Missing required parameter \"protocol\""},
		{RPC_METHOD_HELLO, "{\"protocol\":\"1\"}", "\"protocol\" must be an integer"},
		{RPC_METHOD_HELLO, "\"x\"", "Parameters of hello must be a JSON object"},
	};
	union rpc_args a;
	(void)state;

	for (size_t i = 0; i < ELEMENTSOF(table); i++)
		decode(table[i].m, table[i].json, &a, table[i].message);
}

static void test_lengths(void **state)
{
	char path[PATH_MAX + 64], json[PATH_MAX + 256];
	union rpc_args a;
	(void)state;

	memset(path, 'p', sizeof(path));
	path[0] = '/';
	path[PATH_MAX - 1] = '\0'; /* the longest path there is: PATH_MAX - 1 bytes */
	snprintf(json, sizeof(json), "{\"name\":\"x\",\"kernel\":\"%s\",\"rootfs\":\"/r\"}", path);
	assert_int_equal(decode(RPC_METHOD_IMAGE_IMPORT, json, &a, NULL), 0);
	assert_int_equal(strlen(a.rpc_image_import.kernel), PATH_MAX - 1);
	path[PATH_MAX - 1] = 'p';
	path[PATH_MAX] = '\0';
	snprintf(json, sizeof(json), "{\"name\":\"x\",\"kernel\":\"/k\",\"rootfs\":\"%s\"}", path);
	decode(RPC_METHOD_IMAGE_IMPORT, json, &a,
		"Parameter \"rootfs\" must be at most 4095 bytes");
}

/* ---- docs/protocol.md's method table ----------------------------------------------------------
 */

struct doc_param {
	char name[64];
	bool optional, one_of;
	bool has_range, has_default;
	long long min, max;
	char def[64];
};

struct doc_row {
	char methods[4][64];
	size_t n_methods;
	struct doc_param params[16];
	size_t n_params;
};

/* The code spans of a cell, with whether the text before each one says "or" (one_of). */
static size_t spans(const char *cell, char out[][256], bool *or_before, size_t max)
{
	size_t n = 0;
	const char *p = cell, *prev_end = cell;

	while (n < max && (p = strchr(p, '`'))) {
		const char *end = strchr(p + 1, '`');
		char gap[64];
		size_t glen = (size_t)(p - prev_end);
		if (!end)
			break;
		snprintf(gap, sizeof(gap), "%.*s", (int)MIN(glen, sizeof(gap) - 1), prev_end);
		or_before[n] = n > 0 && strstr(gap, " or ");
		snprintf(out[n], 256, "%.*s", (int)(end - p - 1), p + 1);
		n++;
		prev_end = p = end + 1;
	}
	return n;
}

/* "vcpus? 1-32 (1)", "image? (\"minimal\")", "name": one parameter of the doc's notation. */
static void parse_param(const char *s, struct doc_param *ret)
{
	size_t n = 0;
	const char *p;

	*ret = (struct doc_param){};
	while (isspace((unsigned char)*s))
		s++;
	while ((islower((unsigned char)s[n]) || isdigit((unsigned char)s[n]) || s[n] == '_') &&
		n < sizeof(ret->name) - 1)
		n++;
	snprintf(ret->name, sizeof(ret->name), "%.*s", (int)n, s);
	s += n;
	if (*s == '?') {
		ret->optional = true;
		s++;
	}
	if (sscanf(s, " %lld-%lld", &ret->min, &ret->max) == 2)
		ret->has_range = true;
	p = strchr(s, '(');
	if (p) {
		const char *e = strchr(p, ')');
		assert_non_null(e);
		p++;
		if (*p == '"')
			p++;
		snprintf(ret->def, sizeof(ret->def), "%.*s", (int)(e - p - (e[-1] == '"')), p);
		ret->has_default = true;
	}
}

/* The rows of the "## bangerd methods" table. */
static size_t doc_rows(const char *text, struct doc_row *rows, size_t max)
{
	const char *p = strstr(text, "\n## bangerd methods\n");
	size_t n = 0;

	assert_non_null(p);
	p++;
	for (p = strchr(p, '\n'); p && p[1] && !(p[1] == '#' && p[2] == '#');
		p = strchr(p + 1, '\n')) {
		char line[4096], *cells[8], *save = NULL, *c;
		char sp[16][256];
		bool or_before[16];
		size_t n_cells = 0, n_spans;
		const char *eol = strchr(p + 1, '\n');
		struct doc_row *row;

		snprintf(line, sizeof(line), "%.*s", (int)(eol ? eol - p - 1 : (long)strlen(p + 1)),
			p + 1);
		if (strncmp(line, "| `", 3) != 0)
			continue;
		for (c = strtok_r(line, "|", &save); c && n_cells < ELEMENTSOF(cells);
			c = strtok_r(NULL, "|", &save))
			cells[n_cells++] = c;
		assert_true(n_cells >= 2);
		assert_true(n < max);
		row = &rows[n++];
		*row = (struct doc_row){};
		n_spans = spans(cells[0], sp, or_before, ELEMENTSOF(sp));
		for (size_t i = 0; i < n_spans && row->n_methods < ELEMENTSOF(row->methods); i++)
			snprintf(row->methods[row->n_methods++], 64, "%s", sp[i]);
		n_spans = spans(cells[1], sp, or_before, ELEMENTSOF(sp));
		for (size_t i = 0; i < n_spans; i++) {
			char *piece, *psave = NULL;
			bool first = true;
			for (piece = strtok_r(sp[i], ",", &psave); piece;
				piece = strtok_r(NULL, ",", &psave)) {
				struct doc_param *dp;
				assert_true(row->n_params < ELEMENTSOF(row->params));
				dp = &row->params[row->n_params++];
				parse_param(piece, dp);
				/* "`name` or `id`": both sides of an "or" are a one_of pair */
				if (first && or_before[i]) {
					dp->one_of = true;
					dp[-1].one_of = true;
				}
				first = false;
			}
		}
	}
	return n;
}

static void check_row_params(const struct rpc_method_info *info, const struct doc_row *row)
{
	size_t n_args = 0;

	for (const struct rpc_arg *a = info->args; a->name; a++)
		n_args++;
	if (row->n_params != n_args)
		fail_msg("docs/protocol.md gives %s %zu parameters, methods.def %zu", info->name,
			row->n_params, n_args);
	for (size_t i = 0; i < row->n_params; i++) {
		const struct doc_param *dp = &row->params[i];
		const struct rpc_arg *a = info->args;

		while (a->name && !streq(a->name, dp->name))
			a++;
		if (!a->name)
			fail_msg("docs/protocol.md: %s has no parameter \"%s\"", info->name,
				dp->name);
		if (dp->one_of != a->one_of)
			fail_msg("docs/protocol.md: %s's \"%s\" is %s there", info->name, dp->name,
				dp->one_of ? "one of a pair" : "not one of a pair");
		if (!dp->one_of && dp->optional == a->required)
			fail_msg("docs/protocol.md: %s's \"%s\" is %s there", info->name, dp->name,
				dp->optional ? "optional" : "required");
		if (dp->has_range &&
			(a->type != RPC_ARG_INT || dp->min != a->min || dp->max != a->max))
			fail_msg("docs/protocol.md: %s's \"%s\" is %lld-%lld there", info->name,
				dp->name, dp->min, dp->max);
		if (a->type == RPC_ARG_INT && a->min > LLONG_MIN && a->max < LLONG_MAX &&
			!dp->has_range)
			fail_msg("docs/protocol.md: %s's \"%s\" needs its range", info->name,
				dp->name);
		if (dp->has_default) {
			char def[64];
			if (a->type == RPC_ARG_INT)
				snprintf(def, sizeof(def), "%lld", (long long)a->int_default);
			else
				snprintf(def, sizeof(def), "%s", a->str_default ?: "");
			if (!streq(def, dp->def))
				fail_msg("docs/protocol.md: %s's \"%s\" defaults to %s there, to "
					 "%s in "
					 "methods.def",
					info->name, dp->name, dp->def, def);
		}
	}
}

static void test_docs(void **state)
{
	_cleanup_free_ char *text = NULL;
	struct doc_row rows[64];
	size_t n_rows, documented[_RPC_METHOD_MAX] = {};
	(void)state;

	assert_int_equal(
		read_file_full(BANGER_SRCDIR "/docs/protocol.md", 1 << 20, &text, NULL), 0);
	n_rows = doc_rows(text, rows, ELEMENTSOF(rows));
	assert_true(n_rows > 0);
	for (size_t r = 0; r < n_rows; r++)
		for (size_t i = 0; i < rows[r].n_methods; i++) {
			enum rpc_method m = rpc_method_from_string(rows[r].methods[i]);
			if (m < 0)
				fail_msg("docs/protocol.md documents \"%s\", which methods.def "
					 "does not "
					 "have",
					rows[r].methods[i]);
			documented[m]++;
			check_row_params(rpc_method_info(m), &rows[r]);
		}
	for (int m = 0; m < _RPC_METHOD_MAX; m++)
		if (documented[m] != 1)
			fail_msg("docs/protocol.md documents %s %zu times", rpc_method_to_string(m),
				documented[m]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_schemas_are_sane),
		cmocka_unit_test(test_vm_create),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_docs),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);

	json_decref(last_params);
	return r;
}

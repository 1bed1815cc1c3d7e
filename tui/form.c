/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The create form: vm.create's fields, checked as they are typed against vm.create's schema in
 * protocol/methods.def (rpc_args_decode(), the check the daemon runs on the request), prefilled
 * from banger.conf through system.status, and sent as one vm.create whose answer comes back to
 * the form. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/app.h"

static const struct form_field_info fields[_FORM_FIELD_MAX] = {
	[FORM_NAME] = {"name", "name", NULL, false},
	[FORM_IMAGE] = {"image", "image", NULL, false},
	[FORM_VCPUS] = {"vcpus", "vCPUs", NULL, true},
	[FORM_MEMORY] = {"memory_mib", "memory", "MiB", true},
	[FORM_DISK] = {"disk_gib", "disk", "GiB", true},
};

const struct form_field_info *form_field(enum form_field f)
{
	return f >= 0 && f < _FORM_FIELD_MAX ? &fields[f] : NULL;
}

const struct rpc_arg *form_field_arg(enum form_field f)
{
	const struct rpc_method_info *m = rpc_method_info(RPC_METHOD_VM_CREATE);

	for (const struct rpc_arg *arg = m ? m->args : NULL; arg && arg->name; arg++)
		if (streq(arg->name, fields[f].key))
			return arg;
	return NULL;
}

static void set_value(struct create_form *f, enum form_field i, const char *text)
{
	snprintf(f->value[i], sizeof(f->value[i]), "%s", text);
}

/* The field's value as JSON: a number field's text that is not a number stays a string, for
 * the schema to refuse in its own words. */
static json_t *field_json(const struct create_form *f, enum form_field i)
{
	char *end;
	long n;

	if (!fields[i].is_int)
		return json_string(f->value[i]);
	errno = 0;
	n = strtol(f->value[i], &end, 10);
	return errno || end == f->value[i] || *end ? json_string(f->value[i]) : json_integer(n);
}

/* What vm.create's schema says of the field given alone ("" when it takes it). */
static void check_field(const struct create_form *f, enum form_field i, char *why, size_t size)
{
	struct rpc_error err = {};
	union rpc_args args;
	json_t *params = json_pack("{s:s}", "name", i == FORM_NAME ? f->value[i] : "x");

	why[0] = '\0';
	if (params && i != FORM_NAME)
		json_object_set_new(params, fields[i].key, field_json(f, i));
	if (!params)
		snprintf(why, size, "out of memory");
	else if (rpc_args_decode(RPC_METHOD_VM_CREATE, params, &args, &err) < 0)
		snprintf(why, size, "%.190s", err.message);
	json_decref(params);
}

bool app_form_validate(struct app *a)
{
	struct create_form *f = &a->form;
	bool ok = true;

	for (int i = 0; i < _FORM_FIELD_MAX; i++) {
		check_field(f, (enum form_field)i, f->why[i], sizeof(f->why[i]));
		if (f->why[i][0])
			ok = false;
	}
	/* the daemon's conflict, known before asking: a VM of that name exists */
	if (!f->why[FORM_NAME][0] && vm_model_find_name(&a->model, f->value[FORM_NAME])) {
		snprintf(f->why[FORM_NAME], sizeof(f->why[0]), "A VM named \"%s\" already exists",
			f->value[FORM_NAME]);
		ok = false;
	}
	return ok;
}

unsigned app_form_open(struct app *a)
{
	struct create_form *f = &a->form;
	int r;

	*f = (struct create_form){.focus = FORM_NAME};
	/* banger.conf's own defaults until the daemon says what they are */
	set_value(f, FORM_IMAGE, VM_DEFAULT_IMAGE);
	snprintf(f->value[FORM_VCPUS], sizeof(f->value[0]), "%d", VM_DEFAULT_VCPUS);
	snprintf(f->value[FORM_MEMORY], sizeof(f->value[0]), "%d", VM_DEFAULT_MEMORY);
	snprintf(f->value[FORM_DISK], sizeof(f->value[0]), "%d", VM_DEFAULT_DISK);
	app_form_validate(a);
	a->overlay = OVERLAY_FORM;
	/* banger.conf's [vm] defaults, as the daemon has them: fills what is not typed yet */
	r = conn_call(&a->conn, RPC_METHOD_SYSTEM_STATUS, json_object(), CALL_DEFAULTS,
		"create form defaults");
	if (r < 0)
		app_status(a, STATUS_WARN, "create: cannot ask for the defaults: %s", strerror(-r));
	return DIRTY_OVERLAY | DIRTY_HINTS;
}

void app_form_defaults(struct app *a, const struct rpc_message *m)
{
	struct create_form *f = &a->form;
	const json_t *d;

	if (a->overlay != OVERLAY_FORM || m->type == RPC_MESSAGE_ERROR)
		return; /* the built-in defaults stay */
	d = json_object_get(m->result, "vm_defaults");
	for (int i = FORM_IMAGE; i < _FORM_FIELD_MAX && d; i++) {
		const json_t *v = json_object_get(d, fields[i].key);
		if (f->touched[i])
			continue;
		if (json_is_string(v))
			set_value(f, (enum form_field)i, json_string_value(v));
		else if (json_is_integer(v))
			snprintf(f->value[i], sizeof(f->value[i]), "%lld",
				(long long)json_integer_value(v));
	}
	app_form_validate(a);
	a->dirty |= DIRTY_OVERLAY;
}

static unsigned form_close(struct app *a)
{
	a->overlay = OVERLAY_NONE;
	return DIRTY_ALL;
}

static unsigned form_submit(struct app *a)
{
	struct create_form *f = &a->form;
	json_t *params;
	char what[96];
	int r;

	if (!app_form_validate(a)) {
		for (int i = 0; i < _FORM_FIELD_MAX; i++)
			if (f->why[i][0]) {
				f->focus = i;
				app_status(a, STATUS_WARN, "create: %s", f->why[i]);
				break;
			}
		return DIRTY_OVERLAY;
	}
	if (a->conn.state != CONN_CONNECTED) {
		app_status(a, STATUS_WARN,
			"not connected: cannot create (retrying in the background)");
		return DIRTY_OVERLAY;
	}
	params = json_object();
	for (int i = 0; i < _FORM_FIELD_MAX && params; i++)
		json_object_set_new(params, fields[i].key, field_json(f, (enum form_field)i));
	snprintf(what, sizeof(what), "create %s", f->value[FORM_NAME]);
	r = conn_call(&a->conn, RPC_METHOD_VM_CREATE, params, CALL_CREATE, what);
	if (r < 0) {
		app_status(a, STATUS_ERROR, "%s: cannot send request: %s", what, strerror(-r));
		return DIRTY_OVERLAY;
	}
	f->sending = true;
	f->error[0] = '\0';
	app_status(a, STATUS_INFO, "%s: requested", what);
	return DIRTY_OVERLAY;
}

void app_form_answer(struct app *a, const struct rpc_message *m)
{
	struct create_form *f = &a->form;
	const char *name = f->value[FORM_NAME];

	f->sending = false;
	if (m->type == RPC_MESSAGE_ERROR) {
		/* the form stays open with the daemon's reason, to be fixed and sent again */
		snprintf(f->error, sizeof(f->error), "%.240s (%s)", m->error.message,
			rpc_error_code_to_string(m->error.code));
		app_status(a, STATUS_ERROR, "create %s failed (%s): %s", name,
			rpc_error_code_to_string(m->error.code), m->error.message);
		a->dirty |= DIRTY_OVERLAY;
		return;
	}
	app_status(a, STATUS_INFO, "create %s: done (created)", name);
	/* the new VM is selected once its vm.created has been applied */
	snprintf(a->sel_id, sizeof(a->sel_id), "%s",
		json_string_value(json_object_get(m->result, "id")) ?: "");
	a->view_dirty = true;
	if (a->overlay == OVERLAY_FORM)
		a->dirty |= form_close(a);
}

static void edit(struct create_form *f, int key)
{
	char *v = f->value[f->focus];
	size_t n = strlen(v);

	if (key == KEY_BACKSPACE || key == 127 || key == 8) {
		if (n > 0)
			v[n - 1] = '\0';
	} else if (key == 21) /* C-u */
		v[0] = '\0';
	else if (key >= 0x20 && key < 0x7f && n + 1 < sizeof(f->value[0])) {
		v[n] = (char)key;
		v[n + 1] = '\0';
	} else
		return;
	f->touched[f->focus] = true;
}

unsigned app_form_key(struct app *a, int key)
{
	struct create_form *f = &a->form;

	switch (key) {
	case 27: /* Esc */
	case 3:  /* C-c */
		app_status(a, STATUS_INFO, "create: cancelled");
		return form_close(a);
	case '\t':
	case KEY_DOWN:
		f->focus = (f->focus + 1) % (FORM_CREATE + 1);
		return DIRTY_OVERLAY;
	case KEY_BTAB:
	case KEY_UP:
		f->focus = (f->focus + FORM_CREATE) % (FORM_CREATE + 1);
		return DIRTY_OVERLAY;
	case '\n':
	case '\r':
	case KEY_ENTER:
		if (f->focus == FORM_CANCEL) {
			app_status(a, STATUS_INFO, "create: cancelled");
			return form_close(a);
		}
		return f->sending ? 0 : form_submit(a);
	default:
		if (f->focus >= _FORM_FIELD_MAX)
			return 0;
		edit(f, key);
		app_form_validate(a); /* as you type */
		return DIRTY_OVERLAY;
	}
}

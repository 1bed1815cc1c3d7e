/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The state of one banger-tui session, shared by the loop, the key actions and the views. */
#pragma once

#include <curses.h>
#include <regex.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "tui/config.h"
#include "tui/conn.h"
#include "tui/keymap.h"
#include "tui/theme.h"
#include "tui/vm-model.h"
#include "tui/vm-view.h"

#define MIN_COLS 50
#define MIN_LINES 10
#define SORT_FREEZE_MS 1000
#define CONSOLE_BACKLOG_LINES 200 /* asked from vm.logs when a console is first shown */
#define N_WATCHED 4 /* consoles kept at full size: the shown one and 3 recently shown */

/* Regions of the screen to redraw. A key's handler returns them and the loop redraws them at
 * once; streamed updates (events, answers, timers) and toasts mark them in app.dirty for the
 * next paced frame. */
enum dirty {
	DIRTY_HEADER = 1 << 0,
	DIRTY_BANNER = 1 << 1,
	DIRTY_LIST = 1 << 2,
	DIRTY_CONSOLE = 1 << 3,
	DIRTY_STATUS = 1 << 4,
	DIRTY_HINTS = 1 << 5,
	DIRTY_OVERLAY = 1 << 6,
	DIRTY_CLEAR = 1 << 7, /* erase and repaint everything (resize, theme, after ssh) */
	DIRTY_ALL = 0xff,
	DIRTY_SELECTION = 1 << 8, /* only the selection moved: repaint its old and new rows */
};

enum focus {
	FOCUS_LIST,
	FOCUS_CONSOLE,
	_FOCUS_MAX,
	_FOCUS_INVALID = -22,
};

/* What the body shows: the VM list and console, or the images (v switches, like k9s'
 * resources). */
enum view_mode {
	VIEW_VMS,
	VIEW_IMAGES,
	_VIEW_MODE_MAX,
	_VIEW_MODE_INVALID = -22,
};

enum overlay {
	OVERLAY_NONE,
	OVERLAY_HELP,
	OVERLAY_INSPECT,
	OVERLAY_CONFIRM,
	OVERLAY_MESSAGES,
	OVERLAY_FORM,  /* the create form */
	OVERLAY_BUILD, /* the recipe picker of an image build */
	_OVERLAY_MAX,
	_OVERLAY_INVALID = -22,
};

enum prompt_kind {
	PROMPT_NONE,
	PROMPT_FILTER,
	PROMPT_SEARCH,
	PROMPT_COMMAND,
	_PROMPT_KIND_MAX,
	_PROMPT_KIND_INVALID = -22,
};

enum status_level {
	STATUS_INFO,
	STATUS_WARN,
	STATUS_ERROR,
	_STATUS_LEVEL_MAX,
	_STATUS_LEVEL_INVALID = -22,
};

enum ssh_phase {
	SSH_NONE,
	SSH_RUNNING,  /* curses is suspended, the child owns the terminal */
	SSH_WAIT_KEY, /* the child failed: its error stays on screen until a key */
	_SSH_PHASE_MAX,
	_SSH_PHASE_INVALID = -22,
};

struct confirm {
	enum key_action action;   /* the actions.def row whose method a "yes" sends */
	enum conn_call_kind kind; /* how its answer is routed */
	char what[96];            /* what the toasts call it ("daemon update") */
	char title[128];
	char body[8][400]; /* paragraphs: the dialog wraps them at its width */
	size_t n_body;
	char verb[24];
	bool force;     /* sent as "force": true (kill; delete of a VM that runs) */
	bool snapshot;  /* sent as "snapshot": true (suspend) */
	json_t *params; /* a row without ACTION_VMS: sent as they are (image remove) */
	char **targets; /* VM names the action applies to */
	size_t n_targets;
	int focus; /* 0 Cancel (first), 1 the verb */
};

/* The create form: vm.create's fields, checked as they are typed against vm.create's schema
 * (protocol/methods.def, the daemon's own check), prefilled from banger.conf's defaults
 * (system.status). focus is a field, or FORM_CANCEL / FORM_CREATE for the buttons. */
enum form_field {
	FORM_NAME,
	FORM_IMAGE,
	FORM_VCPUS,
	FORM_MEMORY,
	FORM_DISK,
	_FORM_FIELD_MAX,
	_FORM_FIELD_INVALID = -22,
};
#define FORM_CANCEL _FORM_FIELD_MAX
#define FORM_CREATE (_FORM_FIELD_MAX + 1)

struct form_field_info {
	const char *key;   /* vm.create's parameter */
	const char *label; /* what a person calls it */
	const char *unit;  /* "MiB", "GiB" or NULL */
	bool is_int;
};
const struct form_field_info *form_field(enum form_field f);
/* The field's row of vm.create's schema (its range), NULL if the schema has none. */
const struct rpc_arg *form_field_arg(enum form_field f);

struct create_form {
	char value[_FORM_FIELD_MAX][64];
	bool touched[_FORM_FIELD_MAX];  /* typed into: defaults that arrive later leave it alone */
	char why[_FORM_FIELD_MAX][200]; /* what is wrong with it, "" when nothing */
	int focus;
	bool sending;    /* vm.create is on its way */
	char error[300]; /* the daemon's answer to the last try */
};

#define BUILD_TAIL 12 /* lines of a build's output kept, shown when it fails */
#define MAX_RECIPES 32
#define BUILD_LINE_MAX 240

/* A `banger image build RECIPE` that banger-tui runs (b in the images view): one at a time, its
 * stdout and stderr read through a non-blocking pipe in the loop, its newest line shown as the
 * progress, its last lines kept for when it fails. */
struct image_build {
	pid_t pid; /* 0: none runs */
	int fd;    /* the read end of its output; -1 when closed */
	char recipe[64];
	int64_t started; /* monotonic ms */
	bool cancelling; /* SIGTERM sent */
	char partial[BUILD_LINE_MAX];
	size_t partial_len;
	char tail[BUILD_TAIL][BUILD_LINE_MAX]; /* line i of the output at tail[i % BUILD_TAIL] */
	size_t n_lines;
	/* the picker (OVERLAY_BUILD): the recipes banger image build finds */
	char recipes[MAX_RECIPES][64];
	size_t n_recipes, pick;
};

#define N_MESSAGES 500

struct message {
	time_t when;
	enum status_level level;
	char text[240];
};

struct layout {
	int header_y, banner_y;                        /* banner_y -1 when hidden */
	int list_title_y, list_head_y, list_y, list_h; /* list_h 0 when zoomed away */
	int con_title_y, con_y, con_h;
	int status_y, hints_y; /* hints_y -1 when hidden */
	bool too_small;
	bool col_shown[9]; /* the table's columns as last laid out */
	int name_w;
};

struct app {
	struct tui_config cfg;
	struct keymap keys;
	struct vm_model model;
	struct vm_view view;
	struct vm_filter filter;
	struct conn conn;
	bool readonly;

	/* selection, by id */
	char sel_id[128];
	size_t sel_row, list_top;
	size_t prev_sel_row; /* where the selection was when DIRTY_SELECTION was raised */
	bool view_dirty;
	int64_t sort_frozen_until;

	/* console of the selected VM */
	bool follow;
	uint64_t anchor;   /* id of the bottom visible line while paused */
	uint64_t seen_end; /* end id when follow was paused, for "N new" */
	int hscroll;
	bool wrap;
	bool timestamps;  /* t: when each line arrived */
	uint64_t con_sel; /* the console line a click selected (y copies it), UINT64_MAX none */
	uint64_t con_rows[256]; /* line id on each console row as last drawn, UINT64_MAX none */
	bool mouse;             /* mouse reporting on */
	int osc_fd;             /* the terminal, for OSC 52 (copy); -1: none */
	char search[256];
	regex_t search_re;
	bool search_is_re;
	uint64_t match_id; /* current match, UINT64_MAX for none */
	char watched[N_WATCHED][128];
	char console_vm[128]; /* id of the VM the console pane shows */

	enum focus focus;
	enum view_mode view_mode;
	char img_sel[64]; /* the selected image, by name */
	bool zoom;
	unsigned split;
	enum overlay overlay;
	int overlay_scroll;
	char **inspect_lines;
	size_t n_inspect;
	char inspect_title[96];
	struct confirm confirm;
	struct create_form form;
	struct image_build build;

	enum key_action last_action; /* the last action run, by a key or ":" (tests watch it) */

	enum prompt_kind prompt;
	char prompt_buf[256];
	size_t prompt_len;
	char prompt_saved[256];

	struct message messages[N_MESSAGES]; /* every toast, for the M overlay */
	size_t n_messages, first_message;
	char status[512];
	enum status_level status_level;
	int64_t status_until; /* monotonic ms; 0: until the next key */
	bool status_sticky;   /* errors stay until a key */

	unsigned dirty;
	int64_t frame_due; /* monotonic ms; 0 when no streamed frame is pending */
	int64_t last_frame;
	struct layout lay;

	struct theme *theme;
	enum theme_mode mode;
	attr_t attrs[_THEME_ROLE_MAX];
	char **theme_dirs;
	bool utf8;
	bool colors_started;

	char host[64];
	enum ssh_phase ssh;
	pid_t ssh_pid;
	int ssh_status;
	int sigfd;
	bool quit;
	int keylog_fd; /* BANGER_TUI_KEYLOG: "<key> <monotonic ns after paint>" per key */
};

int64_t now_ms(void);

/* app-status.c */
void app_status(struct app *a, enum status_level level, const char *fmt, ...) _printf_(3, 4);
const struct message *app_message(const struct app *a, size_t i); /* 0 = oldest */

/* app-select.c: selection kept by VM id across rebuilds. */
void app_rebuild_view(struct app *a, int64_t now);
struct vm *app_selected(struct app *a);
unsigned app_select_row(struct app *a, ssize_t row); /* DIRTY_* to redraw */
unsigned app_console_changed(struct app *a);         /* DIRTY_* to redraw */

/* ui-theme.c */
/* The caller repaints everything afterwards (DIRTY_CLEAR). */
int ui_theme_apply(struct app *a, const char *name);
attr_t ui_color_attr(struct app *a, int fg, int bg);

/* draw-images.c: the images view. */
#define MAX_IMAGES 256
/* The images' names in name order (at most max); and the selected one's row, kept by name. */
size_t app_image_names(const struct app *a, const char **names, size_t max);
size_t app_image_row(const struct app *a, const char *const *names, size_t n);
void draw_images(struct app *a);

/* draw-*.c */
void draw_frame(struct app *a);
void draw_compute_layout(struct app *a);
void draw_header(struct app *a);
void draw_list(struct app *a);
bool draw_list_rows(struct app *a, size_t old_row, size_t new_row);
void draw_console(struct app *a);
void draw_status(struct app *a);
void draw_overlay(struct app *a);
int draw_text(struct app *a, int y, int x, int width, const char *text, size_t len, attr_t base,
	int skip);
int text_columns(const char *text, size_t len);
const char *state_glyph(const struct app *a, enum vm_state s);
bool console_line_matches(struct app *a, const struct console_line *l);

/* actions.c: the actions.def handlers and what runs them. Each returns the DIRTY_* regions to
 * redraw. */
unsigned app_handle_key(struct app *a, int key);
/* Runs a row of actions.def: arg is NULL from a key, the rest of the line from ":name". Refuses
 * an argument the row does not take, asks for one it needs, and refuses a row with a daemon
 * method in read-only mode or while disconnected. */
unsigned app_run_action(struct app *a, enum key_action act, const char *arg);
unsigned app_run_confirmed(struct app *a);
unsigned app_search_next(struct app *a);
void app_inspect_build(struct app *a);
/* The inspect overlay over any object (an image): its title and every field. */
void app_inspect_json(struct app *a, const char *title, const json_t *obj);
/* The inspect overlay's content as plain lines (a failed build's last output). */
void app_inspect_text(struct app *a, const char *title, const char *const *lines, size_t n);
/* A "yes" then sends the action's method (app_run_confirmed). */
unsigned app_confirm_open(
	struct app *a, enum key_action action, const char *verb, const char *title);
void app_confirm_body(struct app *a, const char *fmt, ...) _printf_(2, 3);

/* form.c: the create form (OVERLAY_FORM). */
unsigned app_form_open(struct app *a);
unsigned app_form_key(struct app *a, int key);
void app_form_defaults(struct app *a, const struct rpc_message *m); /* system.status' answer */
void app_form_answer(struct app *a, const struct rpc_message *m);   /* vm.create's */
/* Rechecks every field (the name against the VMs known too). True when all are valid. */
bool app_form_validate(struct app *a);

/* image-build.c: building an image from a recipe (OVERLAY_BUILD picks it). */
/* b: the picker, or with a recipe (":image-build NAME") the build at once. */
unsigned app_build_open(struct app *a, const char *recipe);
unsigned app_build_key(struct app *a, int key);
/* The recipe directories banger image build looks in, in its order; names sorted, at most max. */
size_t app_build_recipes(char (*names)[64], size_t max);
/* Its output is readable (the loop polls build.fd). */
void app_build_input(struct app *a);
/* waitpid() reaped build.pid. */
void app_build_exited(struct app *a, int status);
/* SIGTERM to the banger we started (it passes it on to the recipe and cleans up). */
void app_build_cancel(struct app *a);
/* The newest line of its output, "" before the first. */
const char *app_build_line(const struct app *a);

/* mouse.c: KEY_MOUSE (a click selects a row or a console line and focuses its pane, the
 * wheel scrolls the pane under it). */
unsigned app_mouse(struct app *a);
/* Turns mouse reporting on or off; false when the terminal reports no mouse events. */
bool app_mouse_enable(struct app *a, bool on);

/* prompt.c */
unsigned app_prompt_open(struct app *a, enum prompt_kind kind, const char *initial);
unsigned app_prompt_key(struct app *a, int key);
/* ":name arg": runs the action named (or the one name that begins with it). */
unsigned app_run_command(struct app *a, const char *line);
void app_filter_apply(struct app *a, const char *text);

/* daemon-input.c */
void app_on_event(struct app *a, const char *method, const json_t *params);
void app_on_answer(struct app *a, const struct conn_call *call, const struct rpc_message *m);

/* ssh.c */
/* banger next to banger-tui when it is there (build trees, installs), else "banger" (PATH). */
void app_banger_path(char *buf, size_t size);
void app_ssh_start(struct app *a, struct vm *vm);
void app_ssh_child_exited(struct app *a, int status);
void app_ssh_key(struct app *a);
void app_suspend_self(struct app *a);
void app_resume_screen(struct app *a);

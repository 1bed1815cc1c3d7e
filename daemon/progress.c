/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Live start progress: vm.start_step when a step of a VM's start begins, vm.start_done when the
 * start ends, with the time each step took, so clients show where a start is while it runs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/macro.h"
#include "daemon/daemon.h"
#include "daemon/progress.h"
#include "daemon/vm.h"

/* A start being followed. Few VMs start at once, so a list is enough. */
struct start_clock {
	struct start_clock *next;
	char id[VM_ID_LEN + 1];
	uint64_t started, step_started; /* monotonic µs */
	char step[32];
	json_t *steps; /* {step: ms} of the steps that finished */
};

static struct start_clock *clocks;

static uint64_t now_usec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static struct start_clock **clock_find(const char *id)
{
	struct start_clock **p;

	for (p = &clocks; *p; p = &(*p)->next)
		if (streq((*p)->id, id))
			return p;
	return NULL;
}

static void clock_free(struct start_clock *c)
{
	json_decref(c->steps);
	free(c);
}

/* Closes the step in progress into c->steps. */
static void clock_close_step(struct start_clock *c, uint64_t now)
{
	if (c->step[0] && c->steps)
		json_object_set_new(c->steps, c->step,
			json_integer((json_int_t)((now - c->step_started) / 1000)));
	c->step[0] = '\0';
}

void progress_step_begin(
	struct daemon *d, const struct vm *vm, const char *step, unsigned n, unsigned of)
{
	struct start_clock **p = clock_find(vm->id), *c;
	uint64_t now = now_usec();

	if (p && n == 1) {
		/* a new start of the same VM (a restart's second half): a fresh clock */
		c = *p;
		*p = c->next;
		clock_free(c);
		p = NULL;
	}
	if (!p) {
		c = calloc(1, sizeof(*c));
		if (!c)
			return; /* progress is a courtesy: the start goes on without it */
		snprintf(c->id, sizeof(c->id), "%s", vm->id);
		c->started = now;
		c->steps = json_object();
		c->next = clocks;
		clocks = c;
	} else
		c = *p;
	clock_close_step(c, now);
	snprintf(c->step, sizeof(c->step), "%s", step);
	c->step_started = now;
	daemon_publish(d, "vm.start_step",
		json_pack("{s:s, s:s, s:s, s:i, s:i, s:I}", "id", vm->id, "name", vm->name, "step",
			step, "n", (int)n, "of", (int)of, "elapsed_ms",
			(json_int_t)((now - c->started) / 1000)));
}

void progress_done(struct daemon *d, const struct vm *vm, const char *failure)
{
	struct start_clock **p = clock_find(vm->id), *c;
	uint64_t now = now_usec();
	char failed_step[32] = "";

	if (!p)
		return;
	c = *p;
	*p = c->next;
	snprintf(failed_step, sizeof(failed_step), "%s", c->step);
	clock_close_step(c, now);
	daemon_publish(d, "vm.start_done",
		json_pack("{s:s, s:s, s:s, s:I, s:O?, s:s?, s:s?}", "id", vm->id, "name", vm->name,
			"result", failure ? "failed" : "running", "elapsed_ms",
			(json_int_t)((now - c->started) / 1000), "steps", c->steps, "step",
			failure ? failed_step : NULL, "error", failure));
	clock_free(c);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The images view: every image the daemon has, with its size, where it came from (a pulled
 * image's reference and manifest digest), its root filesystem's digest and which VMMs boot its
 * kernel; imports in progress below, as the
 * daemon's image.import_progress reports them. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/app.h"

static int by_name(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

size_t app_image_names(const struct app *a, const char **names, size_t max)
{
	const char *key;
	json_t *v;
	size_t n = 0;

	json_object_foreach(a->model.images, key, v) if (n < max) names[n++] = key;
	qsort(names, n, sizeof(*names), by_name);
	return n;
}

size_t app_image_row(const struct app *a, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (streq(names[i], a->img_sel))
			return i;
	return 0;
}

static void human(uint64_t bytes, char *buf, size_t size)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)bytes;
	size_t u = 0;

	while (v >= 1024 && u + 1 < ELEMENTSOF(units)) {
		v /= 1024;
		u++;
	}
	snprintf(buf, size, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
}

static const struct {
	const char *title;
	int width; /* 0: the rest */
} cols[] = {
	{"NAME", 14},
	{"SIZE", 10},
	{"KERNEL", 8},
	{"PROVIDERS", 23},
	{"ROOTFS SHA256", 14},
	{"IMPORTED", 17},
	{"SOURCE", 0},
};

static void row_cells(const json_t *img, char cells[][300])
{
	uint64_t size = 0;
	const json_t *prov = json_object_get(img, "providers"), *p;
	const char *sha = json_string_value(json_object_get(img, "rootfs_sha256"));
	const char *at = json_string_value(json_object_get(img, "imported_at"));
	const char *digest = json_string_value(json_object_get(img, "digest"));
	size_t i, o = 0;

	for (const char *const *k =
			(const char *const[]){"kernel_size", "initrd_size", "rootfs_size", NULL};
		*k; k++)
		size += (uint64_t)json_integer_value(json_object_get(img, *k));
	snprintf(cells[0], 300, "%s", json_string_value(json_object_get(img, "name")) ?: "?");
	human(size, cells[1], 300);
	snprintf(cells[2], 300, "%s",
		json_string_value(json_object_get(img, "kernel_format")) ?: "-");
	cells[3][0] = '\0';
	json_array_foreach(prov, i, p) o += (size_t)snprintf(
		cells[3] + o, 300 - o, "%s%s", i ? "," : "", json_string_value(p) ?: "?");
	if (!json_array_size(prov))
		snprintf(cells[3], 300, "%s", prov ? "none" : "-");
	snprintf(cells[4], 300, "%.12s", sha ? sha : "-");
	snprintf(cells[5], 300, "%.16s", at ? at : "-");
	if (at && strlen(at) > 10)
		cells[5][10] = ' '; /* "2026-12-01 01:02" */
	/* a pulled image: its reference and the manifest digest it was pulled at */
	snprintf(cells[6], 300, "%s%s%.19s",
		json_string_value(json_object_get(img, "source")) ?: "(not recorded)",
		digest ? " @" : "", digest ? digest : "");
}

static void draw_cells(struct app *a, int y, char cells[][300], attr_t attr)
{
	int x = 2;

	attrset(attr);
	mvhline(y, 0, ' ', COLS);
	for (size_t c = 0; c < ELEMENTSOF(cols) && x < COLS; c++) {
		int w = cols[c].width ? cols[c].width : COLS - x;
		draw_text(a, y, x, MIN(w, COLS - x), cells[c], strlen(cells[c]), attr, 0);
		x += w + 1;
	}
}

void draw_images(struct app *a)
{
	const struct layout *l = &a->lay;
	const char *names[MAX_IMAGES];
	size_t n = app_image_names(a, names, MAX_IMAGES), sel = app_image_row(a, names, n);
	size_t n_imports = json_object_size(a->model.imports);
	int n_status = (int)n_imports + (a->build.pid > 0 ? 1 : 0);
	int rows = l->list_h - (n_status ? n_status + 1 : 0), top = 0;
	char cells[ELEMENTSOF(cols)][300], title[96];
	const char *key;
	json_t *v;
	int y;

	if (l->list_h <= 0)
		return;
	if (n > 0 && !a->img_sel[0])
		snprintf(a->img_sel, sizeof(a->img_sel), "%s", names[0]);
	snprintf(title, sizeof(title), " Images %s %zu %s v: VMs ", a->utf8 ? "──" : "--", n,
		a->utf8 ? "──" : "--");
	attrset(a->attrs[THEME_TABLE_HEADER]);
	mvhline(l->list_title_y, 0, ' ', COLS);
	draw_text(
		a, l->list_title_y, 0, COLS, title, strlen(title), a->attrs[THEME_TABLE_HEADER], 0);
	for (size_t c = 0; c < ELEMENTSOF(cols); c++)
		snprintf(cells[c], sizeof(cells[c]), "%s", cols[c].title);
	draw_cells(a, l->list_head_y, cells, a->attrs[THEME_TABLE_HEADER]);
	if ((int)sel >= rows)
		top = (int)sel - rows + 1;
	for (int r = 0; r < l->list_h; r++) {
		attrset(a->attrs[THEME_TABLE]);
		mvhline(l->list_y + r, 0, ' ', COLS);
	}
	for (int r = 0; r < rows && (size_t)(top + r) < n; r++) {
		bool is_sel = (size_t)(top + r) == sel;
		row_cells(json_object_get(a->model.images, names[top + r]), cells);
		draw_cells(a, l->list_y + r, cells,
			is_sel ? a->attrs[THEME_TABLE_SELECTED] : a->attrs[THEME_TABLE]);
		if (is_sel)
			mvaddch(l->list_y + r, 0, '>');
	}
	if (n == 0 && n_status == 0) {
		const char *msg = "no images yet - b: build one, a: import one";
		draw_text(a, l->list_y + l->list_h / 2, MAX(0, (COLS - (int)strlen(msg)) / 2), COLS,
			msg, strlen(msg), a->attrs[THEME_TABLE_STALE], 0);
	}
	/* a build banger-tui runs: its newest line of output */
	y = l->list_y + l->list_h - n_status;
	if (a->build.pid > 0) {
		char line[400];
		snprintf(line, sizeof(line), "  %s %s (%llds): %s",
			a->build.cancelling ? "cancelling build" : "building", a->build.recipe,
			(long long)((now_ms() - a->build.started) / 1000),
			app_build_line(a)[0] ? app_build_line(a) : "starting");
		draw_text(a, y++, 0, COLS, line, strlen(line), a->attrs[THEME_STATE_STARTING], 0);
	}
	/* imports in progress, as far as the daemon has copied */
	json_object_foreach(a->model.imports, key, v)
	{
		uint64_t done = (uint64_t)json_integer_value(json_object_get(v, "done_bytes"));
		uint64_t total = (uint64_t)json_integer_value(json_object_get(v, "total_bytes"));
		char d[32], t[32], line[200];

		human(done, d, sizeof(d));
		human(total, t, sizeof(t));
		snprintf(line, sizeof(line), "  importing %s: %s %s of %s (%d%%)", key,
			json_string_value(json_object_get(v, "part")) ?: "", d, t,
			total ? (int)(done * 100 / total) : 0);
		draw_text(a, y++, 0, COLS, line, strlen(line), a->attrs[THEME_STATE_STARTING], 0);
	}
	attrset(A_NORMAL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Install metadata (/etc/banger/install.json): who the owner is and which VMM provider runs. */
#include <errno.h>
#include <jansson.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/install.h"
#include "common/layout.h"
#include "common/macro.h"

static int why(char *buf, size_t size, int r, const char *fmt, ...) _printf_(4, 5);
static int why(char *buf, size_t size, int r, const char *fmt, ...)
{
	va_list ap;
	if (buf && size) {
		va_start(ap, fmt);
		vsnprintf(buf, size, fmt, ap);
		va_end(ap);
	}
	return r;
}

static int copy_str(json_t *o, const char *key, char *dst, size_t size, bool required)
{
	json_t *v = json_object_get(o, key);
	if (!v)
		return required ? -ENOENT : 0;
	if (!json_is_string(v) || json_string_length(v) >= size)
		return -EINVAL;
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

int install_meta_load(
	const struct banger_layout *l, struct install_meta *ret, char *ret_why, size_t why_size)
{
	struct install_meta m = {};
	_cleanup_free_ char *data = NULL;
	json_t *root, *owner, *sv, *uid, *gid;
	json_error_t jerr;
	size_t len;
	int r;

	r = read_file_full(l->install_json, 65536, &data, &len);
	if (r < 0)
		return why(ret_why, why_size, r, "Failed to read %s: %s", l->install_json,
			strerror(-r));
	root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return why(ret_why, why_size, -EBADMSG, "%s is not valid JSON: %s", l->install_json,
			jerr.text);
	r = -EBADMSG;
	sv = json_object_get(root, "schema_version");
	if (!json_is_integer(sv) || json_integer_value(sv) != INSTALL_SCHEMA_VERSION) {
		why(ret_why, why_size, r, "%s has schema_version other than %d", l->install_json,
			INSTALL_SCHEMA_VERSION);
		goto out;
	}
	owner = json_object_get(root, "owner");
	uid = json_object_get(owner, "uid");
	gid = json_object_get(owner, "gid");
	if (!json_is_object(owner) || !json_is_integer(uid) || !json_is_integer(gid) ||
		json_integer_value(uid) < 0 || json_integer_value(uid) > 0x7fffffff ||
		json_integer_value(gid) < 0 || json_integer_value(gid) > 0x7fffffff) {
		why(ret_why, why_size, r, "%s: owner.uid/owner.gid missing or invalid",
			l->install_json);
		goto out;
	}
	m.owner_uid = (uid_t)json_integer_value(uid);
	m.owner_gid = (gid_t)json_integer_value(gid);
	if (copy_str(owner, "name", m.owner_name, sizeof(m.owner_name), true) < 0 ||
		copy_str(owner, "home", m.owner_home, sizeof(m.owner_home), true) < 0 ||
		m.owner_home[0] != '/' ||
		copy_str(root, "version", m.version, sizeof(m.version), false) < 0 ||
		copy_str(root, "installed_at", m.installed_at, sizeof(m.installed_at), false) < 0 ||
		copy_str(root, "vmm", m.vmm_path, sizeof(m.vmm_path), false) < 0 ||
		copy_str(root, "jailer", m.jailer_path, sizeof(m.jailer_path), false) < 0 ||
		copy_str(root, "release_key", m.release_key, sizeof(m.release_key), false) < 0) {
		why(ret_why, why_size, r, "%s: a string field is missing, too long or not a string",
			l->install_json);
		goto out;
	}
	*ret = m;
	r = 0;
out:
	json_decref(root);
	return r;
}

int install_meta_save(const struct banger_layout *l, const struct install_meta *m)
{
	json_t *o = json_pack("{s:i, s:{s:I, s:I, s:s, s:s}, s:s, s:s, s:s, s:s}", "schema_version",
		INSTALL_SCHEMA_VERSION, "owner", "uid", (json_int_t)m->owner_uid, "gid",
		(json_int_t)m->owner_gid, "name", m->owner_name, "home", m->owner_home, "version",
		m->version, "installed_at", m->installed_at, "vmm", m->vmm_path, "jailer",
		m->jailer_path);
	char *s;
	int r;

	if (!o)
		return -ENOMEM;
	if (m->release_key[0] &&
		json_object_set_new(o, "release_key", json_string(m->release_key)) < 0) {
		json_decref(o);
		return -ENOMEM;
	}
	s = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(o);
	if (!s)
		return -ENOMEM;
	r = write_file_atomic(l->install_json, s, strlen(s), 0644);
	free(s);
	return r;
}

int install_meta_from_self(struct install_meta *ret)
{
	struct install_meta m = {};
	struct passwd *pw = getpwuid(getuid());
	const char *home = pw ? pw->pw_dir : getenv("HOME");
	time_t now = time(NULL);
	struct tm tm;

	m.owner_uid = getuid();
	m.owner_gid = getgid();
	snprintf(m.owner_name, sizeof(m.owner_name), "%s", pw ? pw->pw_name : "owner");
	if (!home || home[0] != '/')
		return -ENOENT;
	if (strlen(home) >= sizeof(m.owner_home))
		return -ENAMETOOLONG;
	strcpy(m.owner_home, home);
	snprintf(m.version, sizeof(m.version), "%s", PACKAGE_VERSION);
	gmtime_r(&now, &tm);
	strftime(m.installed_at, sizeof(m.installed_at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	*ret = m;
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What `banger image pull` decides itself about an OCI image: reference parsing, the loopback
 * rule for plain HTTP, platform and architecture checks, and the layer entry check that refuses
 * absolute and ".." paths (and so whiteouts that would reach outside the root) before umoci
 * unpacks anything, and while it reads them, who owns what they leave. */
#include <archive.h>
#include <archive_entry.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <search.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/oci.h"
#include "common/macro.h"
#include "protocol/jsonrpc.h"
#include "protocol/vm.h"

static int copy_str(char *dst, size_t size, const char *src, size_t n)
{
	if (n >= size)
		return -EINVAL;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

static bool is_sha256_digest(const char *s)
{
	size_t n;

	if (strncmp(s, "sha256:", 7) != 0)
		return false;
	for (n = 0; s[7 + n]; n++)
		if (!isxdigit((unsigned char)s[7 + n]) || isupper((unsigned char)s[7 + n]))
			return false;
	return n == 64;
}

/* DIR[:TAG] / FILE[:TAG]: a tag is what follows the last ':' when it has no '/'. */
static int parse_local(const char *s, struct oci_ref *r)
{
	const char *colon = strrchr(s, ':');

	if (colon && !strchr(colon, '/')) {
		if (colon[1] == '\0' ||
			copy_str(r->tag, sizeof(r->tag), colon + 1, strlen(colon + 1)))
			return -EINVAL;
	} else
		colon = s + strlen(s);
	if (colon == s)
		return -EINVAL;
	return copy_str(r->path, sizeof(r->path), s, (size_t)(colon - s));
}

static bool valid_repo_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
	       c == '-' || c == '/';
}

static int parse_docker(const char *s, struct oci_ref *r)
{
	const char *slash = strchr(s, '/'), *name = s, *at, *colon, *end;
	char first[256];

	/* the first component is a registry when it looks like a host: a dot, a port, localhost */
	if (slash) {
		if (copy_str(first, sizeof(first), s, (size_t)(slash - s)))
			return -EINVAL;
		if (strchr(first, '.') || strchr(first, ':') || streq(first, "localhost")) {
			if (!first[0])
				return -EINVAL;
			strcpy(r->host, first);
			name = slash + 1;
		}
	}
	if (!r->host[0])
		strcpy(r->host, "docker.io");
	at = strchr(name, '@');
	end = at ? at : name + strlen(name);
	if (at) {
		if (!is_sha256_digest(at + 1))
			return -EINVAL;
		strcpy(r->digest, at + 1);
	}
	colon = memchr(name, ':', (size_t)(end - name));
	if (colon) {
		if (colon + 1 == end ||
			copy_str(r->tag, sizeof(r->tag), colon + 1, (size_t)(end - colon - 1)))
			return -EINVAL;
		end = colon;
	}
	if (end == name || name[0] == '/' || end[-1] == '/')
		return -EINVAL;
	for (const char *p = name; p < end; p++)
		if (!valid_repo_char(*p) || (*p == '/' && p[1] == '/'))
			return -EINVAL;
	for (const char *p = r->tag; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
			return -EINVAL;
	if (copy_str(r->path, sizeof(r->path), name, (size_t)(end - name)))
		return -EINVAL;
	/* Docker Hub's official images live under library/ */
	if (streq(r->host, "docker.io") && !strchr(r->path, '/')) {
		char full[sizeof(r->path)];
		if (snprintf(full, sizeof(full), "library/%s", r->path) >= (int)sizeof(full))
			return -EINVAL;
		strcpy(r->path, full);
	}
	return 0;
}

int oci_ref_parse(const char *s, struct oci_ref *ret)
{
	struct oci_ref r = {};
	int k;

	if (!s)
		return -EINVAL;
	if (strncmp(s, "docker://", 9) == 0) {
		r.transport = OCI_TRANSPORT_DOCKER;
		k = parse_docker(s + 9, &r);
	} else if (strncmp(s, "oci-archive:", 12) == 0) {
		r.transport = OCI_TRANSPORT_OCI_ARCHIVE;
		k = parse_local(s + 12, &r);
	} else if (strncmp(s, "oci:", 4) == 0) {
		r.transport = OCI_TRANSPORT_OCI;
		k = parse_local(s + 4, &r);
	} else
		return -EINVAL;
	if (k < 0)
		return k;
	*ret = r;
	return 0;
}

bool oci_registry_is_loopback(const char *host)
{
	char h[256];
	const char *colon;
	struct in_addr a4;
	struct in6_addr a6;

	if (!host || strlen(host) >= sizeof(h))
		return false;
	if (host[0] == '[') {
		const char *close = strchr(host, ']');
		if (!close || (close[1] != '\0' && close[1] != ':'))
			return false;
		snprintf(h, sizeof(h), "%.*s", (int)(close - host - 1), host + 1);
		return inet_pton(AF_INET6, h, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
	}
	colon = strchr(host, ':');
	if (colon && strchr(colon + 1, ':')) /* a bare IPv6 address */
		return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
	snprintf(h, sizeof(h), "%.*s", colon ? (int)(colon - host) : (int)strlen(host), host);
	if (streq(h, "localhost"))
		return true;
	return inet_pton(AF_INET, h, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
}

int oci_ref_default_name(const struct oci_ref *ref, char *buf, size_t size)
{
	char name[VM_NAME_MAX + 1];
	const char *base = strrchr(ref->path, '/');
	size_t n = 0, len;

	base = base ? base + 1 : ref->path;
	len = strlen(base);
	/* an archive's extension is not part of the name */
	if (ref->transport == OCI_TRANSPORT_OCI_ARCHIVE && strrchr(base, '.'))
		len = (size_t)(strrchr(base, '.') - base);
	for (size_t i = 0; i < len && n < VM_NAME_MAX; i++) {
		char c = (char)tolower((unsigned char)base[i]);
		if (n == 0 && !(c >= 'a' && c <= 'z'))
			continue;
		name[n++] = ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) ? c : '-';
	}
	while (n > 0 && name[n - 1] == '-')
		n--;
	name[n] = '\0';
	if (!vm_name_is_valid(name) || n + 1 > size)
		return -EINVAL;
	memcpy(buf, name, n + 1);
	return 0;
}

static const char *platform_str(const json_t *p, const char *key)
{
	const char *v = json_string_value(json_object_get(p, key));
	return v ? v : "?";
}

int oci_index_check_platform(const json_t *raw, const char *arch, char *why, size_t why_size)
{
	json_t *manifests = json_object_get(raw, "manifests"), *m;
	size_t i, off = 0;

	if (!json_is_object(raw)) {
		snprintf(why, why_size, "the manifest is not a JSON object");
		return -EBADMSG;
	}
	if (!manifests)
		return 0;
	if (!json_is_array(manifests)) {
		snprintf(why, why_size, "the index's \"manifests\" is not an array");
		return -EBADMSG;
	}
	json_array_foreach(manifests, i, m)
	{
		json_t *p = json_object_get(m, "platform");
		if (streq(platform_str(p, "os"), "linux") &&
			streq(platform_str(p, "architecture"), arch))
			return 0;
	}
	off = (size_t)snprintf(why, why_size, "it has no linux/%s image (only:", arch);
	json_array_foreach(manifests, i, m)
	{
		json_t *p = json_object_get(m, "platform");
		if (off < why_size)
			off += (size_t)snprintf(why + off, why_size - off, " %s/%s",
				platform_str(p, "os"), platform_str(p, "architecture"));
	}
	if (i == 0 && off < why_size)
		off += (size_t)snprintf(why + off, why_size - off, " none");
	if (off < why_size)
		snprintf(why + off, why_size - off, ")");
	return -ENOENT;
}

const char *oci_index_pick(const json_t *raw, const char *arch)
{
	json_t *m;
	size_t i;

	json_array_foreach(json_object_get(raw, "manifests"), i, m)
	{
		json_t *p = json_object_get(m, "platform");
		if (streq(platform_str(p, "os"), "linux") &&
			streq(platform_str(p, "architecture"), arch))
			return json_string_value(json_object_get(m, "digest"));
	}
	return NULL;
}

uint64_t oci_manifest_layers_size(const json_t *manifest)
{
	uint64_t sum = 0;
	json_t *l;
	size_t i;

	json_array_foreach(json_object_get(manifest, "layers"), i, l)
	{
		json_int_t n = json_integer_value(json_object_get(l, "size"));
		sum += n > 0 ? (uint64_t)n : 0;
	}
	return sum;
}

int oci_config_check_arch(const json_t *config, const char *arch, char *why, size_t why_size)
{
	const char *a = json_string_value(json_object_get(config, "architecture"));

	if (a && streq(a, arch))
		return 0;
	snprintf(why, why_size, "it is an image for %s, not %s", a ? a : "an unknown architecture",
		arch);
	return -ENOEXEC;
}

bool oci_layer_path_is_safe(const char *path)
{
	if (!path)
		return false;
	/* "/" alone is the root itself (umoci writes it so); any other absolute path is not */
	if (path[0] == '/' && path[strspn(path, "/")] != '\0')
		return false;
	for (const char *p = path; *p;) {
		size_t len = strcspn(p, "/");
		if (len == 2 && p[0] == '.' && p[1] == '.')
			return false;
		p += len;
		while (*p == '/')
			p++;
	}
	return true;
}

static void archive_freep(struct archive **a)
{
	if (*a)
		archive_read_free(*a);
}

struct owner_node {
	char *path; /* normalized: "etc/x", "" for the root */
	uint32_t uid, gid, mode;
	unsigned layer;
	bool keep; /* while a whiteout is applied: above a path of the layer applying it */
};

struct oci_owners {
	void *tree;     /* tsearch(3) tree of struct owner_node *, by path */
	unsigned layer; /* layers added so far */
};

static int node_cmp(const void *a, const void *b)
{
	return strcmp(((const struct owner_node *)a)->path, ((const struct owner_node *)b)->path);
}

static void node_free(void *p)
{
	struct owner_node *n = p;

	free(n->path);
	free(n);
}

struct oci_owners *oci_owners_new(void)
{
	return calloc(1, sizeof(struct oci_owners));
}

void oci_owners_free(struct oci_owners *o)
{
	if (!o)
		return;
	tdestroy(o->tree, node_free);
	free(o);
}

/* "./etc//x/" → "etc/x", "/" and "./" → "": the path as umoci resolves it (".." was refused). */
static char *path_normalize(const char *in)
{
	char *out = malloc(strlen(in) + 1);
	size_t n = 0;

	if (!out)
		return NULL;
	for (const char *p = in; *p;) {
		size_t len = strcspn(p, "/");
		if (len > 0 && !(len == 1 && p[0] == '.')) {
			if (n > 0)
				out[n++] = '/';
			memcpy(out + n, p, len);
			n += len;
		}
		p += len;
		while (*p == '/')
			p++;
	}
	out[n] = '\0';
	return out;
}

struct collect {
	const char *self;   /* the path itself, or NULL */
	const char *prefix; /* "dir/" ("" for everything) */
	size_t prefix_len;
	struct owner_node **v;
	size_t n, cap;
	int r;
};

static bool in_scope(const struct collect *c, const char *path)
{
	return (c->self && streq(path, c->self)) ||
	       (path[0] && strncmp(path, c->prefix, c->prefix_len) == 0);
}

static void collect_under(const void *nodep, VISIT which, void *closure)
{
	struct owner_node *n = *(struct owner_node *const *)nodep;
	struct collect *c = closure;

	if ((which != postorder && which != leaf) || c->r < 0 || !in_scope(c, n->path))
		return;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct owner_node **v = reallocarray(c->v, cap, sizeof(*v));
		if (!v) {
			c->r = -ENOMEM;
			return;
		}
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n++] = n;
}

/* Removes path itself (when self) and everything under it that layers before below_layer put,
 * except (as umoci does) the directories above what this layer has already written there. */
static int owners_remove(struct oci_owners *o, const char *path, bool self, unsigned below_layer)
{
	_cleanup_free_ char *prefix = NULL;
	struct collect c = {.self = self ? path : NULL};

	if (path[0] && asprintf(&prefix, "%s/", path) < 0)
		return -ENOMEM;
	c.prefix = prefix ? prefix : "";
	c.prefix_len = strlen(c.prefix);
	twalk_r(o->tree, collect_under, &c);
	if (c.r < 0) {
		free(c.v);
		return c.r;
	}
	for (size_t i = 0; i < c.n; i++) {
		_cleanup_free_ char *up = NULL;
		char *slash;

		if (c.v[i]->layer < below_layer)
			continue;
		up = strdup(c.v[i]->path);
		if (!up) {
			free(c.v);
			return -ENOMEM;
		}
		while ((slash = strrchr(up, '/'))) {
			struct owner_node key = {.path = up}, **found;

			*slash = '\0';
			if (!in_scope(&c, up))
				break;
			found = tfind(&key, &o->tree, node_cmp);
			if (found && (*found)->layer < below_layer)
				(*found)->keep = true;
		}
	}
	for (size_t i = 0; i < c.n; i++) {
		if (c.v[i]->layer >= below_layer)
			continue;
		if (c.v[i]->keep) {
			c.v[i]->keep = false;
			continue;
		}
		tdelete(c.v[i], &o->tree, node_cmp);
		node_free(c.v[i]);
	}
	free(c.v);
	return 0;
}

static int owners_apply(struct oci_owners *o, struct archive_entry *e, char *why, size_t why_size)
{
	_cleanup_free_ char *path = path_normalize(archive_entry_pathname(e));
	const char *link = archive_entry_hardlink(e), *base;
	struct owner_node *n, **slot;
	la_int64_t uid = archive_entry_uid(e), gid = archive_entry_gid(e);
	uint32_t mode = (uint32_t)archive_entry_mode(e);
	int r;

	if (!path)
		return -ENOMEM;
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (strncmp(base, ".wh.", 4) == 0) {
		_cleanup_free_ char *target = NULL;
		size_t dir_len = (size_t)(base - path) - (base > path ? 1 : 0);

		/* opaque: what lower layers put in the directory; else the named path */
		if (streq(base, ".wh..wh..opq"))
			return owners_remove(o, strndupa(path, dir_len), false, o->layer);
		if (asprintf(&target, "%.*s%s", (int)(base - path), path, base + 4) < 0)
			return -ENOMEM;
		return owners_remove(o, target, true, o->layer);
	}
	if (link) {
		_cleanup_free_ char *t = path_normalize(link);
		struct owner_node key = {.path = t}, **found;

		if (!t)
			return -ENOMEM;
		/* the link is the target's inode: its owner and mode, whatever its own header says
		 */
		found = tfind(&key, &o->tree, node_cmp);
		uid = found ? (*found)->uid : 0;
		gid = found ? (*found)->gid : 0;
		mode = found ? (*found)->mode : mode;
	} else if (uid < 0 || uid > UINT32_MAX - 1 || gid < 0 || gid > UINT32_MAX - 1) {
		snprintf(why, why_size, "entry \"%s\" has owner %lld:%lld, out of range",
			archive_entry_pathname(e), (long long)uid, (long long)gid);
		return -ERANGE;
	}
	/* anything but a directory replaces what was under the path */
	if (archive_entry_filetype(e) != AE_IFDIR || link) {
		r = owners_remove(o, path, false, UINT_MAX);
		if (r < 0)
			return r;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	*n = (struct owner_node){.path = TAKE_PTR(path),
		.uid = (uint32_t)uid,
		.gid = (uint32_t)gid,
		.mode = mode,
		.layer = o->layer};
	slot = tsearch(n, &o->tree, node_cmp);
	if (!slot) {
		node_free(n);
		return -ENOMEM;
	}
	if (*slot != n) { /* a path written again: the last writer wins */
		(*slot)->uid = n->uid;
		(*slot)->gid = n->gid;
		(*slot)->mode = n->mode;
		(*slot)->layer = n->layer;
		node_free(n);
	}
	return 0;
}

static int layer_read(int fd, struct oci_owners *o, char *why, size_t why_size)
{
	_cleanup_(archive_freep) struct archive *a = archive_read_new();
	struct archive_entry *e;
	int r;

	if (!a)
		return -ENOMEM;
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_fd(a, fd, 1 << 16) != ARCHIVE_OK) {
		snprintf(why, why_size, "not a tar archive: %s",
			archive_error_string(a) ?: "unknown format");
		return -EBADMSG;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *path = archive_entry_pathname(e), *link = archive_entry_hardlink(e);

		if (!oci_layer_path_is_safe(path)) {
			snprintf(why, why_size,
				"entry \"%s\" is an absolute path or goes up with \"..\"",
				path ? path : "(no name)");
			return -EPERM;
		}
		if (link && !oci_layer_path_is_safe(link)) {
			snprintf(why, why_size,
				"hard link \"%s\" points to \"%s\", outside the image", path, link);
			return -EPERM;
		}
		if (o) {
			r = owners_apply(o, e, why, why_size);
			if (r == -ENOMEM)
				snprintf(why, why_size, "out of memory");
			if (r < 0)
				return r;
		}
	}
	if (r != ARCHIVE_EOF) {
		snprintf(why, why_size, "unreadable tar: %s",
			archive_error_string(a) ?: "read error");
		return -EBADMSG;
	}
	if (o)
		o->layer++;
	return 0;
}

int oci_layer_check(int fd, char *why, size_t why_size)
{
	return layer_read(fd, NULL, why, why_size);
}

int oci_owners_add_layer(struct oci_owners *o, int fd, char *why, size_t why_size)
{
	return layer_read(fd, o, why, why_size);
}

int oci_owners_get(const struct oci_owners *o, const char *path, uint32_t *ret_uid,
	uint32_t *ret_gid, uint32_t *ret_mode)
{
	_cleanup_free_ char *p = path_normalize(path);
	struct owner_node key = {.path = p}, *const * found;

	if (!p)
		return -ENOMEM;
	found = tfind(&key, &o->tree, node_cmp);
	if (!found)
		return -ENOENT;
	*ret_uid = (*found)->uid;
	*ret_gid = (*found)->gid;
	*ret_mode = (*found)->mode;
	return 0;
}

struct debugfs_out {
	FILE *f;
	const char *skip;
	char *why;
	size_t why_size;
	int n, r;
};

/* debugfs's parser (lib/ss) takes a double-quoted word with "" for a quote inside it; a line is
 * a command, so a newline is the one thing a path cannot hold. */
static void write_sif(const void *nodep, VISIT which, void *closure)
{
	const struct owner_node *n = *(struct owner_node *const *)nodep;
	struct debugfs_out *d = closure;
	size_t skip_len = d->skip ? strlen(d->skip) : 0;

	if ((which != postorder && which != leaf) || d->r < 0 || (n->uid == 0 && n->gid == 0))
		return;
	if (skip_len && strncmp(n->path, d->skip, skip_len) == 0 &&
		(n->path[skip_len] == '\0' || n->path[skip_len] == '/'))
		return;
	if (strchr(n->path, '\n')) {
		snprintf(d->why, d->why_size,
			"\"%s\" (owned by %u:%u) has a newline in its name, which debugfs cannot "
			"name to set its owner",
			n->path, n->uid, n->gid);
		d->r = -EINVAL;
		return;
	}
	for (int i = 0; i < 2; i++) {
		fputs("sif \"/", d->f);
		for (const char *c = n->path; *c; c++) {
			if (*c == '"')
				fputc('"', d->f);
			fputc(*c, d->f);
		}
		fprintf(d->f, "\" %s %u\n", i ? "gid" : "uid", i ? n->gid : n->uid);
	}
	d->n++;
}

int oci_owners_write_debugfs(
	const struct oci_owners *o, FILE *f, const char *skip, char *why, size_t why_size)
{
	struct debugfs_out d = {.f = f, .skip = skip, .why = why, .why_size = why_size};

	twalk_r(o->tree, write_sif, &d);
	if (d.r < 0)
		return d.r;
	if (fflush(f) != 0 || ferror(f)) {
		snprintf(why, why_size, "cannot write the owners: %s", strerror(errno));
		return -EIO;
	}
	return d.n;
}

static json_t *load_blob(const char *dir, const char *digest, char *why, size_t why_size)
{
	char path[PATH_MAX];
	json_error_t jerr;
	json_t *o;

	if (!digest || !is_sha256_digest(digest)) {
		snprintf(why, why_size, "the layout names a malformed digest");
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", dir, digest + 7);
	o = json_load_file(path, 0, &jerr);
	if (!o)
		snprintf(why, why_size, "cannot read %s: %s", path, jerr.text);
	return o;
}

int oci_layout_check(
	const char *dir, const char *arch, struct oci_owners *owners, char *why, size_t why_size)
{
	_cleanup_json_ json_t *index = NULL, *manifest = NULL, *config = NULL;
	char path[PATH_MAX];
	json_error_t jerr;
	json_t *layer;
	size_t i;
	int r;

	snprintf(path, sizeof(path), "%s/index.json", dir);
	index = json_load_file(path, 0, &jerr);
	if (!index) {
		snprintf(why, why_size, "cannot read %s: %s", path, jerr.text);
		return -EBADMSG;
	}
	manifest = load_blob(dir,
		json_string_value(json_object_get(
			json_array_get(json_object_get(index, "manifests"), 0), "digest")),
		why, why_size);
	if (!manifest)
		return -EBADMSG;
	config = load_blob(dir,
		json_string_value(json_object_get(json_object_get(manifest, "config"), "digest")),
		why, why_size);
	if (!config)
		return -EBADMSG;
	r = oci_config_check_arch(config, arch, why, why_size);
	if (r < 0)
		return r;
	json_array_foreach(json_object_get(manifest, "layers"), i, layer)
	{
		const char *digest = json_string_value(json_object_get(layer, "digest"));
		char sub[256];
		_cleanup_close_ int fd = -1;

		if (!digest || !is_sha256_digest(digest)) {
			snprintf(why, why_size, "layer %zu has a malformed digest", i + 1);
			return -EBADMSG;
		}
		snprintf(path, sizeof(path), "%s/blobs/sha256/%s", dir, digest + 7);
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0) {
			snprintf(
				why, why_size, "cannot open layer %s: %s", digest, strerror(errno));
			return -errno;
		}
		r = layer_read(fd, owners, sub, sizeof(sub));
		if (r < 0) {
			snprintf(why, why_size, "layer %zu (%.19s…): %s", i + 1, digest, sub);
			return r;
		}
	}
	return 0;
}

int oci_initrd_runs_banger_init(int fd)
{
	_cleanup_(archive_freep) struct archive *a = archive_read_new();
	struct archive_entry *e;
	char buf[16384];

	if (!a)
		return -ENOMEM;
	archive_read_support_filter_all(a);
	archive_read_support_format_cpio(a);
	if (archive_read_open_fd(a, fd, 1 << 16) != ARCHIVE_OK)
		return -EBADMSG;
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		const char *p = archive_entry_pathname(e);
		la_ssize_t n;

		if (!p || !(streq(p, "init") || streq(p, "./init")))
			continue;
		n = archive_read_data(a, buf, sizeof(buf) - 1);
		if (n < 0)
			return -EBADMSG;
		buf[n] = '\0';
		return strstr(buf, "/.banger/init") ? 1 : 0;
	}
	return 0;
}

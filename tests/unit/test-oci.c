/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* image pull's own decisions: references, the loopback rule, default names, platforms, layer
 * entry paths (with real tar archives written by libarchive), the owners a stack of layers leaves
 * and the debugfs commands that set them, the initrd check. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli/oci.h"
#include "common/macro.h"

static void test_ref_docker(void **state)
{
	struct oci_ref r;

	assert_int_equal(oci_ref_parse("docker://127.0.0.1:5000/test/web:v1", &r), 0);
	assert_int_equal(r.transport, OCI_TRANSPORT_DOCKER);
	assert_string_equal(r.host, "127.0.0.1:5000");
	assert_string_equal(r.path, "test/web");
	assert_string_equal(r.tag, "v1");
	assert_string_equal(r.digest, "");

	assert_int_equal(oci_ref_parse("docker://busybox", &r), 0);
	assert_string_equal(r.host, "docker.io");
	assert_string_equal(r.path, "library/busybox");
	assert_string_equal(r.tag, "");

	assert_int_equal(oci_ref_parse("docker://ghcr.io/a/b/c", &r), 0);
	assert_string_equal(r.host, "ghcr.io");
	assert_string_equal(r.path, "a/b/c");

	assert_int_equal(
		oci_ref_parse("docker://[::1]:5000/x@sha256:"
			      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
			&r),
		0);
	assert_string_equal(r.host, "[::1]:5000");
	assert_string_equal(r.path, "x");
	assert_string_equal(r.digest,
		"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");

	assert_int_equal(oci_ref_parse("docker://localhost/x:t", &r), 0);
	assert_string_equal(r.host, "localhost");

	static const char *const bad[] = {
		"busybox",                          /* no transport */
		"docker://",                        /* nothing */
		"docker://host.example/",           /* no repository */
		"docker://host.example/a:",         /* empty tag */
		"docker://host.example/A",          /* upper case */
		"docker://host.example/a//b",       /* empty component */
		"docker://host.example/a@sha256:1", /* short digest */
		"docker://host.example/a:t@md5:00",
		"docker://host.example/a:t$x",
		"oci:",
		"oci::tag",
		"tar:/x",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(oci_ref_parse(bad[i], &r), -EINVAL);
}

static void test_ref_local(void **state)
{
	struct oci_ref r;

	assert_int_equal(oci_ref_parse("oci:/tmp/lay:v2", &r), 0);
	assert_int_equal(r.transport, OCI_TRANSPORT_OCI);
	assert_string_equal(r.path, "/tmp/lay");
	assert_string_equal(r.tag, "v2");
	assert_string_equal(r.host, "");

	assert_int_equal(oci_ref_parse("oci:/tmp/my.dir/lay", &r), 0);
	assert_string_equal(r.path, "/tmp/my.dir/lay");
	assert_string_equal(r.tag, "");

	assert_int_equal(oci_ref_parse("oci-archive:/srv/Web_App.tar", &r), 0);
	assert_int_equal(r.transport, OCI_TRANSPORT_OCI_ARCHIVE);
	assert_string_equal(r.path, "/srv/Web_App.tar");
}

static void test_loopback(void **state)
{
	static const struct {
		const char *host;
		bool loopback;
	} table[] = {
		{"127.0.0.1:5000", true},
		{"127.1.2.3", true},
		{"localhost:5000", true},
		{"localhost", true},
		{"[::1]:5000", true},
		{"[::1]", true},
		{"::1", true},
		{"128.0.0.1:5000", false},
		{"10.0.0.1:5000", false},
		{"127.0.0.1.example.com", false},
		{"localhost.example.com", false},
		{"[::2]:5000", false},
		{"[::1", false},
		{"docker.io", false},
		{"", false},
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (oci_registry_is_loopback(table[i].host) != table[i].loopback)
			fail_msg("%s: expected %d", table[i].host, table[i].loopback);
	}
	assert_false(oci_registry_is_loopback(NULL));
}

static void test_default_name(void **state)
{
	static const struct {
		const char *ref, *name;
	} table[] = {
		{"docker://127.0.0.1:5000/test/web:v1", "web"},
		{"docker://busybox", "busybox"},
		{"docker://r.example/a/my_app.2", "my-app-2"},
		{"docker://r.example/a/9lives", "lives"},
		{"oci:/tmp/layouts/hello:v1", "hello"},
		{"oci-archive:/tmp/Hello-World.tar", "hello-world"},
	};
	struct oci_ref r;
	char buf[64];

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		assert_int_equal(oci_ref_parse(table[i].ref, &r), 0);
		assert_int_equal(oci_ref_default_name(&r, buf, sizeof(buf)), 0);
		assert_string_equal(buf, table[i].name);
	}
	assert_int_equal(oci_ref_parse("docker://r.example/a/123", &r), 0);
	assert_int_equal(oci_ref_default_name(&r, buf, sizeof(buf)), -EINVAL);
}

static void test_platform(void **state)
{
	json_t *idx = json_loads("{\"schemaVersion\":2,\"manifests\":["
				 "{\"digest\":\"sha256:a\",\"platform\":{\"architecture\":"
				 "\"arm64\",\"os\":\"linux\"}},"
				 "{\"digest\":\"sha256:b\",\"platform\":{\"architecture\":"
				 "\"amd64\",\"os\":\"windows\"}}]}",
		0, NULL);
	json_t *man = json_loads("{\"schemaVersion\":2,\"layers\":[]}", 0, NULL);
	json_t *cfg = json_loads("{\"architecture\":\"arm64\",\"os\":\"linux\"}", 0, NULL);
	char why[256];

	assert_int_equal(oci_index_check_platform(idx, "amd64", why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "linux/arm64"));
	assert_non_null(strstr(why, "windows/amd64"));
	assert_int_equal(oci_index_check_platform(idx, "arm64", why, sizeof(why)), 0);
	assert_int_equal(oci_index_check_platform(man, "amd64", why, sizeof(why)), 0);
	assert_string_equal(oci_index_pick(idx, "arm64"), "sha256:a");
	assert_null(oci_index_pick(idx, "amd64"));
	assert_null(oci_index_pick(man, "amd64"));
	assert_int_equal(oci_manifest_layers_size(man), 0);
	{
		json_t *m2 =
			json_loads("{\"layers\":[{\"size\":10},{\"size\":5000000000}]}", 0, NULL);
		assert_int_equal(oci_manifest_layers_size(m2), 5000000010ull);
		json_decref(m2);
	}
	assert_int_equal(oci_config_check_arch(cfg, "amd64", why, sizeof(why)), -ENOEXEC);
	assert_non_null(strstr(why, "arm64"));
	assert_int_equal(oci_config_check_arch(cfg, "arm64", why, sizeof(why)), 0);
	json_decref(idx);
	json_decref(man);
	json_decref(cfg);
}

static void test_paths(void **state)
{
	assert_true(oci_layer_path_is_safe("etc/passwd"));
	assert_true(oci_layer_path_is_safe("./etc/"));
	assert_true(oci_layer_path_is_safe("etc/.wh.passwd"));
	assert_true(oci_layer_path_is_safe("a/..b/c.."));
	assert_true(oci_layer_path_is_safe("/"));
	assert_true(oci_layer_path_is_safe("./"));
	assert_false(oci_layer_path_is_safe("/etc/passwd"));
	assert_false(oci_layer_path_is_safe("//etc"));
	assert_false(oci_layer_path_is_safe("../x"));
	assert_false(oci_layer_path_is_safe("a/../../x"));
	assert_false(oci_layer_path_is_safe("a/.."));
	assert_false(oci_layer_path_is_safe("../.wh.etc"));
	assert_false(oci_layer_path_is_safe(NULL));
}

/* A tar with one entry (and a hard link when link is set), in a memfd. */
static int make_tar(const char *name, const char *link, bool gzip)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	int fd = memfd_create("layer", 0);

	assert_true(fd >= 0);
	archive_write_set_format_pax_restricted(a);
	if (gzip)
		archive_write_add_filter_gzip(a);
	assert_int_equal(archive_write_open_fd(a, fd), ARCHIVE_OK);
	archive_entry_set_pathname(e, "etc/ok");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, 2);
	archive_write_header(a, e);
	archive_write_data(a, "ok", 2);
	archive_entry_clear(e);
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	if (link)
		archive_entry_set_hardlink(e, link);
	archive_entry_set_size(e, 0);
	archive_write_header(a, e);
	archive_entry_free(e);
	archive_write_close(a);
	archive_write_free(a);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static void test_layers(void **state)
{
	char why[256];
	int fd;

	fd = make_tar("usr/bin/x", NULL, true);
	assert_int_equal(oci_layer_check(fd, why, sizeof(why)), 0);
	close(fd);
	fd = make_tar("../../etc/evil", NULL, true);
	assert_int_equal(oci_layer_check(fd, why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "../../etc/evil"));
	close(fd);
	fd = make_tar("/etc/evil", NULL, false);
	assert_int_equal(oci_layer_check(fd, why, sizeof(why)), -EPERM);
	close(fd);
	fd = make_tar("a/../../.wh.etc", NULL, false);
	assert_int_equal(oci_layer_check(fd, why, sizeof(why)), -EPERM);
	close(fd);
	fd = make_tar("h", "/etc/shadow", false);
	assert_int_equal(oci_layer_check(fd, why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "hard link"));
	close(fd);
	fd = memfd_create("junk", 0);
	assert_int_equal(write(fd, "not a tar at all", 16), 16);
	lseek(fd, 0, SEEK_SET);
	assert_int_equal(oci_layer_check(fd, why, sizeof(why)), -EBADMSG);
	close(fd);
}

struct ent {
	const char *path;
	char type; /* 'f' file, 'd' directory, 'l' symlink, 'h' hard link to arg */
	unsigned uid, gid, perm;
	const char *arg;
};

/* A layer of the entries given, in a memfd. */
static int make_layer(const struct ent *ents, size_t n)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	int fd = memfd_create("layer", 0);

	assert_true(fd >= 0);
	archive_write_set_format_pax_restricted(a);
	assert_int_equal(archive_write_open_fd(a, fd), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		archive_entry_clear(e);
		archive_entry_set_pathname(e, ents[i].path);
		archive_entry_set_filetype(e, ents[i].type == 'd'   ? AE_IFDIR
					      : ents[i].type == 'l' ? AE_IFLNK
								    : AE_IFREG);
		archive_entry_set_perm(e, ents[i].perm);
		archive_entry_set_uid(e, ents[i].uid);
		archive_entry_set_gid(e, ents[i].gid);
		if (ents[i].type == 'h')
			archive_entry_set_hardlink(e, ents[i].arg);
		if (ents[i].type == 'l')
			archive_entry_set_symlink(e, ents[i].arg);
		archive_entry_set_size(e, 0);
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	}
	archive_entry_free(e);
	archive_write_close(a);
	archive_write_free(a);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static void add_layer(struct oci_owners *o, const struct ent *ents, size_t n)
{
	char why[256] = "";
	int fd = make_layer(ents, n);

	assert_int_equal(oci_owners_add_layer(o, fd, why, sizeof(why)), 0);
	close(fd);
}

/* "UID:GID:MODE" of a path, "-" when no layer left it */
static const char *owner_of(const struct oci_owners *o, const char *path)
{
	static char buf[64];
	uint32_t uid, gid, mode;

	if (oci_owners_get(o, path, &uid, &gid, &mode) < 0)
		return "-";
	snprintf(buf, sizeof(buf), "%u:%u:%o", uid, gid, mode);
	return buf;
}

static void test_owners(void **state)
{
	struct oci_owners *o = oci_owners_new();
	const struct ent l1[] = {
		{"./", 'd', 0, 0, 0755, NULL},
		{"home/", 'd', 0, 0, 0755, NULL},
		{"home/app/", 'd', 1000, 1000, 0750, NULL},
		{"home/app/data", 'f', 1000, 1000, 0640, NULL},
		{"var/lib/pg", 'd', 999, 999, 0700, NULL},
		{"var/lib/pg/base/1", 'f', 999, 999, 0600, NULL},
		{"opt/tool", 'f', 5, 6, 04755, NULL},
		{"opt/tool-link", 'h', 0, 0, 0644, "opt/tool"},
		{"gone/x", 'f', 7, 7, 0644, NULL},
		{"srv", 'd', 1000, 1000, 0755, NULL},
		{"srv/old", 'f', 1000, 1000, 0644, NULL},
		{"etc/passwd", 'f', 0, 0, 0644, NULL},
		{"lnk", 'l', 33, 33, 0777, "etc/passwd"},
	};
	const struct ent l2[] = {
		/* last writer wins; a whiteout removes a path and what is under it */
		{"home/app/data", 'f', 1001, 1002, 0600, NULL},
		{"var/lib/.wh.pg", 'f', 0, 0, 0644, NULL},
		{"gone/.wh.x", 'f', 0, 0, 0644, NULL},
		/* opaque: srv's earlier children go, its own entry and this layer's stay */
		{"srv/.wh..wh..opq", 'f', 0, 0, 0644, NULL},
		{"srv/new", 'f', 1000, 1000, 0644, NULL},
		/* a file where a directory was: what was under it goes */
		{"home/app", 'f', 1000, 1000, 0644, NULL},
		/* a hard link in a later layer: its target's inode */
		{"opt/tool-link2", 'h', 0, 0, 0644, "./opt/tool"},
	};
	char *text = NULL, why[256] = "";
	size_t len = 0;
	FILE *f;

	assert_non_null(o);
	add_layer(o, l1, ELEMENTSOF(l1));
	assert_string_equal(owner_of(o, "home/app"), "1000:1000:40750");
	assert_string_equal(owner_of(o, "/var/lib/pg/base/1"), "999:999:100600");
	assert_string_equal(owner_of(o, "opt/tool-link"), "5:6:104755");
	assert_string_equal(owner_of(o, "lnk"), "33:33:120777");
	assert_string_equal(owner_of(o, ""), "0:0:40755");
	assert_string_equal(owner_of(o, "var/lib"), "-"); /* never an entry: umoci makes it */
	add_layer(o, l2, ELEMENTSOF(l2));
	assert_string_equal(owner_of(o, "home/app"), "1000:1000:100644");
	assert_string_equal(owner_of(o, "home/app/data"), "-");
	assert_string_equal(owner_of(o, "var/lib/pg"), "-");
	assert_string_equal(owner_of(o, "var/lib/pg/base/1"), "-");
	assert_string_equal(owner_of(o, "gone/x"), "-");
	assert_string_equal(owner_of(o, "srv"), "1000:1000:40755");
	assert_string_equal(owner_of(o, "srv/old"), "-");
	assert_string_equal(owner_of(o, "srv/new"), "1000:1000:100644");
	assert_string_equal(owner_of(o, "opt/tool-link2"), "5:6:104755");

	/* a whiteout in the same layer as what it names leaves it; an opaque root clears all */
	const struct ent l3[] = {
		{"late", 'f', 8, 8, 0644, NULL},
		{".wh.late", 'f', 0, 0, 0644, NULL},
		{".wh..wh..opq", 'f', 0, 0, 0644, NULL},
	};
	/* umoci keeps the lower directories above what the whiting-out layer wrote (in any order)
	 */
	const struct ent l3b[] = {
		{"keep/sub/", 'd', 4, 4, 0755, NULL},
		{"keep/sub/lower", 'f', 4, 4, 0644, NULL},
		{"keep/other", 'f', 4, 4, 0644, NULL},
	};
	const struct ent l3c[] = {
		{"keep/sub/upper", 'f', 5, 5, 0644, NULL},
		{"keep/.wh..wh..opq", 'f', 0, 0, 0644, NULL},
		{".wh.keep", 'f', 0, 0, 0644, NULL},
	};
	add_layer(o, l3, ELEMENTSOF(l3));
	add_layer(o, l3b, ELEMENTSOF(l3b));
	add_layer(o, l3c, ELEMENTSOF(l3c));
	assert_string_equal(owner_of(o, "keep/sub"), "4:4:40755");
	assert_string_equal(owner_of(o, "keep/sub/upper"), "5:5:100644");
	assert_string_equal(owner_of(o, "keep/sub/lower"), "-");
	assert_string_equal(owner_of(o, "keep/other"), "-");
	assert_string_equal(owner_of(o, "late"), "8:8:100644");
	assert_string_equal(owner_of(o, "srv"), "-");
	assert_string_equal(owner_of(o, "opt/tool"), "-");
	assert_string_equal(owner_of(o, ""), "0:0:40755");
	oci_owners_free(o);

	/* the debugfs commands: only paths not 0:0, quotes doubled, /.banger skipped */
	o = oci_owners_new();
	const struct ent l4[] = {
		{"a b/q\"x", 'f', 1000, 1000, 0644, NULL},
		{"root-owned", 'f', 0, 0, 0644, NULL},
		{"g", 'f', 0, 50, 0644, NULL},
		{".banger/x", 'f', 1000, 1000, 0644, NULL},
		{".bangers", 'f', 3, 3, 0644, NULL},
	};
	add_layer(o, l4, ELEMENTSOF(l4));
	f = open_memstream(&text, &len);
	assert_int_equal(oci_owners_write_debugfs(o, f, ".banger", why, sizeof(why)), 3);
	fclose(f);
	assert_string_equal(text, "sif \"/.bangers\" uid 3\n"
				  "sif \"/.bangers\" gid 3\n"
				  "sif \"/a b/q\"\"x\" uid 1000\n"
				  "sif \"/a b/q\"\"x\" gid 1000\n"
				  "sif \"/g\" uid 0\n"
				  "sif \"/g\" gid 50\n");
	free(text);
	text = NULL;
	/* a newline cannot be said to debugfs: an error naming the path, not a skip */
	const struct ent l5[] = {{"bad\nname", 'f', 1000, 1000, 0644, NULL}};
	add_layer(o, l5, ELEMENTSOF(l5));
	f = open_memstream(&text, &len);
	assert_int_equal(oci_owners_write_debugfs(o, f, ".banger", why, sizeof(why)), -EINVAL);
	fclose(f);
	free(text);
	assert_non_null(strstr(why, "newline"));
	assert_non_null(strstr(why, "1000:1000"));
	oci_owners_free(o);
	(void)state;
}

static int make_initrd(const char *init)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	int fd = memfd_create("initrd", 0);

	archive_write_set_format_cpio_newc(a);
	archive_write_add_filter_gzip(a);
	assert_int_equal(archive_write_open_fd(a, fd), ARCHIVE_OK);
	archive_entry_set_pathname(e, "init");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0755);
	archive_entry_set_size(e, (la_int64_t)strlen(init));
	archive_write_header(a, e);
	archive_write_data(a, init, strlen(init));
	archive_entry_free(e);
	archive_write_close(a);
	archive_write_free(a);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static void test_initrd(void **state)
{
	int fd = make_initrd("#!/bin/sh\n[ -x /newroot/.banger/init ] && init=/.banger/init\n");

	assert_int_equal(oci_initrd_runs_banger_init(fd), 1);
	close(fd);
	fd = make_initrd("#!/bin/sh\nexec switch_root /newroot /sbin/init\n");
	assert_int_equal(oci_initrd_runs_banger_init(fd), 0);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ref_docker),
		cmocka_unit_test(test_ref_local),
		cmocka_unit_test(test_loopback),
		cmocka_unit_test(test_default_name),
		cmocka_unit_test(test_platform),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_layers),
		cmocka_unit_test(test_owners),
		cmocka_unit_test(test_initrd),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

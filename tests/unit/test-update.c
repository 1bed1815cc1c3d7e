/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for the update's checks: version parsing (of good, odd and garbage --version
 * output), the signed manifest (good, tampered, another key, malformed), where releases may come
 * from, and the tarball unpacker refusing every unsafe entry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cli/update-fetch.h"
#include "cli/update-release.h"
#include "cli/update-unpack.h"
#include "common/macro.h"

static char dir[] = "/tmp/banger-update-test-XXXXXX";

static int setup(void **state)
{
	(void)state;
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	char cmd[64];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

/* ---- versions ---- */

static void test_version_parse(void **state)
{
	struct version a, b;
	char buf[48];

	(void)state;
	assert_int_equal(version_parse("0.1.0", &a), 0);
	assert_int_equal(version_parse("0.1.1", &b), 0);
	assert_int_equal(version_compare(&a, &b), -1);
	assert_int_equal(version_compare(&b, &a), 1);
	assert_int_equal(version_compare(&a, &a), 0);
	assert_int_equal(version_parse("1.10.0", &a), 0);
	assert_int_equal(version_parse("1.9.99", &b), 0);
	assert_int_equal(version_compare(&a, &b), 1); /* numbers, not strings */
	assert_int_equal(version_parse("2.0.0-rc1", &a), 0);
	assert_int_equal(version_parse("2.0.0", &b), 0);
	assert_int_equal(version_compare(&a, &b), -1); /* a pre-release before its release */
	version_format(&a, buf, sizeof(buf));
	assert_string_equal(buf, "2.0.0-rc1");
}

static void test_version_garbage(void **state)
{
	const char *bad[] = {"", "1", "1.2", "1.2.3.4", "v1.2.3", "01.2.3", "1.2.3-", "1.2.3 ",
		"1.2.-3", "1.2.3-rc 1", "99999999.0.0", "1.2.3\n", "a.b.c", "1..3"};
	struct version v;

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		assert_int_not_equal(version_parse(bad[i], &v), 0);
}

static void test_version_from_output(void **state)
{
	struct version v;
	char buf[48];

	(void)state;
	assert_int_equal(version_from_program_output("bangerd 0.2.0\n", "bangerd", &v), 0);
	version_format(&v, buf, sizeof(buf));
	assert_string_equal(buf, "0.2.0");
	/* more lines after the first are allowed (banger-vmm prints two) */
	assert_int_equal(
		version_from_program_output("bangerd 0.2.0\nbuilt today\n", "bangerd", &v), 0);
	assert_int_equal(version_from_program_output("bangerd 0.2.0", "bangerd", &v), 0);
	/* odd and garbage */
	assert_int_not_equal(version_from_program_output("", "bangerd", &v), 0);
	assert_int_not_equal(version_from_program_output("bangerd\n", "bangerd", &v), 0);
	assert_int_not_equal(version_from_program_output("bangerd-root 0.2.0\n", "bangerd", &v), 0);
	assert_int_not_equal(version_from_program_output("banger 0.2.0\n", "bangerd", &v), 0);
	assert_int_not_equal(
		version_from_program_output("bangerd 0.2.0 (debug)\n", "bangerd", &v), 0);
	assert_int_not_equal(version_from_program_output("Segmentation fault\n", "bangerd", &v), 0);
	assert_int_not_equal(version_from_program_output("\nbangerd 0.2.0\n", "bangerd", &v), 0);
	assert_int_not_equal(version_from_program_output("bangerd  0.2.0\n", "bangerd", &v), 0);
}

/* ---- the manifest ---- */

static EVP_PKEY *keygen(void)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	EVP_PKEY *k = NULL;

	assert_non_null(c);
	assert_int_equal(EVP_PKEY_keygen_init(c), 1);
	assert_int_equal(EVP_PKEY_keygen(c, &k), 1);
	EVP_PKEY_CTX_free(c);
	return k;
}

static void write_pub(EVP_PKEY *k, const char *path)
{
	FILE *f = fopen(path, "we");
	assert_non_null(f);
	assert_int_equal(PEM_write_PUBKEY(f, k), 1);
	fclose(f);
}

static size_t sign(EVP_PKEY *k, const char *msg, unsigned char sig[64])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	size_t n = 64;

	assert_int_equal(EVP_DigestSignInit(c, NULL, NULL, NULL, k), 1);
	assert_int_equal(EVP_DigestSign(c, sig, &n, (const unsigned char *)msg, strlen(msg)), 1);
	EVP_MD_CTX_free(c);
	return n;
}

static const char *machine(void)
{
	static struct utsname u;
	assert_int_equal(uname(&u), 0);
	return u.machine;
}

static void test_manifest_signature(void **state)
{
	EVP_PKEY *k = keygen(), *other = keygen();
	char pub[128], otherpub[128], why[512], msg[512];
	unsigned char sig[64];
	size_t n;

	(void)state;
	snprintf(pub, sizeof(pub), "%s/pub.pem", dir);
	snprintf(otherpub, sizeof(otherpub), "%s/other.pem", dir);
	write_pub(k, pub);
	write_pub(other, otherpub);
	snprintf(msg, sizeof(msg), "{\"version\":\"0.2.0\",\"arch\":\"%s\"}", machine());
	n = sign(k, msg, sig);
	assert_int_equal(n, 64);
	assert_int_equal(manifest_verify(msg, strlen(msg), sig, n, pub, why, sizeof(why)), 0);
	/* signed by another key */
	assert_int_equal(manifest_verify(msg, strlen(msg), sig, n, otherpub, why, sizeof(why)),
		-EKEYREJECTED);
	/* one byte of the manifest changed */
	msg[3] ^= 1;
	assert_int_equal(
		manifest_verify(msg, strlen(msg), sig, n, pub, why, sizeof(why)), -EKEYREJECTED);
	msg[3] ^= 1;
	/* one bit of the signature changed, a short one, none */
	sig[10] ^= 0x40;
	assert_int_equal(
		manifest_verify(msg, strlen(msg), sig, n, pub, why, sizeof(why)), -EKEYREJECTED);
	sig[10] ^= 0x40;
	assert_int_not_equal(manifest_verify(msg, strlen(msg), sig, 63, pub, why, sizeof(why)), 0);
	assert_int_not_equal(manifest_verify(msg, strlen(msg), sig, 0, pub, why, sizeof(why)), 0);
	/* no key file */
	assert_int_not_equal(
		manifest_verify(msg, strlen(msg), sig, n, "/nonexistent", why, sizeof(why)), 0);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}

static void test_manifest_parse(void **state)
{
	char good[512], bad[512], why[512];
	struct manifest m;
#define fmt                                                                                        \
	"{\"schema_version\":1,\"name\":\"banger\",\"version\":\"%s\",\"arch\":\"%s\",\"file\":"   \
	"\"%s\","                                                                                  \
	"\"size\":%s,\"sha256\":\"%s\",\"min_version\":\"0.0.0\"}"
	const char *sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

	(void)state;
	snprintf(good, sizeof(good), fmt, "0.2.0", machine(), "banger-0.2.0-x.tar.gz", "100", sha);
	assert_int_equal(manifest_parse(good, strlen(good), &m, why, sizeof(why)), 0);
	assert_int_equal(m.size, 100);
	assert_string_equal(m.file, "banger-0.2.0-x.tar.gz");
	/* each field wrong in turn */
	snprintf(bad, sizeof(bad), fmt, "0.2", machine(), "f.tar.gz", "100", sha);
	assert_int_not_equal(manifest_parse(bad, strlen(bad), &m, why, sizeof(why)), 0);
	snprintf(bad, sizeof(bad), fmt, "0.2.0", "sparc64", "f.tar.gz", "100", sha);
	assert_int_equal(manifest_parse(bad, strlen(bad), &m, why, sizeof(why)), -EXDEV);
	assert_non_null(strstr(why, "sparc64"));
	snprintf(bad, sizeof(bad), fmt, "0.2.0", machine(), "../f.tar.gz", "100", sha);
	assert_int_not_equal(manifest_parse(bad, strlen(bad), &m, why, sizeof(why)), 0);
	snprintf(bad, sizeof(bad), fmt, "0.2.0", machine(), "a/f.tar.gz", "100", sha);
	assert_int_not_equal(manifest_parse(bad, strlen(bad), &m, why, sizeof(why)), 0);
	snprintf(bad, sizeof(bad), fmt, "0.2.0", machine(), "f.tar.gz", "-1", sha);
	assert_int_not_equal(manifest_parse(bad, strlen(bad), &m, why, sizeof(why)), 0);
	snprintf(bad, sizeof(bad), fmt, "0.2.0", machine(), "f.tar.gz", "100", "ABCDEF");
	assert_int_not_equal(manifest_parse(bad, strlen(bad), &m, why, sizeof(why)), 0);
	assert_int_not_equal(manifest_parse("[]", 2, &m, why, sizeof(why)), 0);
	assert_int_not_equal(manifest_parse("{", 1, &m, why, sizeof(why)), 0);
	/* an unknown field is refused (JSON_STRICT) */
	snprintf(bad, sizeof(bad), "%.*s,\"extra\":1}", (int)strlen(good) - 1, good);
	assert_int_not_equal(manifest_parse(bad, strlen(bad), &m, why, sizeof(why)), 0);
#undef fmt
}

static void test_url_policy(void **state)
{
	char why[512], url[256];

	(void)state;
	assert_int_equal(
		url_check("https://example.org/banger/manifest.json", false, why, sizeof(why)), 0);
	assert_int_equal(url_check("file:///srv/rel/manifest.json", false, why, sizeof(why)), 0);
	assert_int_equal(
		url_check("http://127.0.0.1:8080/manifest.json", false, why, sizeof(why)), 0);
	assert_int_equal(url_check("http://127.9.9.9/manifest.json", false, why, sizeof(why)), 0);
	assert_int_equal(url_check("http://[::1]:8080/manifest.json", false, why, sizeof(why)), 0);
	assert_int_equal(
		url_check("http://example.org/manifest.json", false, why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "--insecure"));
	assert_int_equal(url_check("http://example.org/manifest.json", true, why, sizeof(why)), 0);
	assert_int_equal(
		url_check("http://localhost/manifest.json", false, why, sizeof(why)), -EPERM);
	assert_int_equal(
		url_check("http://10.0.0.1/manifest.json", false, why, sizeof(why)), -EPERM);
	assert_int_not_equal(url_check("ftp://example.org/m.json", true, why, sizeof(why)), 0);
	assert_int_not_equal(url_check("gopher://x/m.json", true, why, sizeof(why)), 0);
	assert_int_not_equal(url_check("not a url", true, why, sizeof(why)), 0);
	assert_int_equal(
		url_sibling("https://h/a/b/manifest.json", "f.tar.gz", url, sizeof(url)), 0);
	assert_string_equal(url, "https://h/a/b/f.tar.gz");
	assert_int_not_equal(url_sibling("https://h/m.json", "../x", url, sizeof(url)), 0);
}

/* ---- unpacking ---- */

struct entry {
	const char *path;
	mode_t type, perm;
	const char *link; /* symlink target, or hardlink name with type 0 */
	const char *data;
};

static int make_tar(const char *name, const struct entry *e, size_t n)
{
	char path[128];
	struct archive *a = archive_write_new();
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
	assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *x = archive_entry_new();
		archive_entry_set_pathname(x, e[i].path);
		if (e[i].type == 0) {
			archive_entry_set_hardlink(x, e[i].link);
			archive_entry_set_filetype(x, AE_IFREG);
		} else {
			archive_entry_set_filetype(x, e[i].type);
			if (e[i].type == AE_IFLNK)
				archive_entry_set_symlink(x, e[i].link);
			if (e[i].type == AE_IFCHR)
				archive_entry_set_rdev(x, makedev(1, 3));
		}
		archive_entry_set_perm(x, e[i].perm);
		archive_entry_set_size(x, e[i].data ? (la_int64_t)strlen(e[i].data) : 0);
		assert_int_equal(archive_write_header(a, x), ARCHIVE_OK);
		if (e[i].data)
			archive_write_data(a, e[i].data, strlen(e[i].data));
		archive_entry_free(x);
	}
	archive_write_close(a);
	archive_write_free(a);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

static int fresh_dest(const char *name)
{
	char path[128], cmd[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(mkdir(path, 0700), 0);
	return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static void test_unpack_good(void **state)
{
	const struct entry e[] = {
		{"banger-0.2.0/", AE_IFDIR, 0755, NULL, NULL},
		{"banger-0.2.0/bin/", AE_IFDIR, 0755, NULL, NULL},
		{"banger-0.2.0/bin/bangerd", AE_IFREG, 0755, NULL,
			"#!/bin/sh\necho bangerd 0.2.0\n"},
		{"banger-0.2.0/share/banger/themes/x.theme", AE_IFREG, 0644, NULL, "[colors]\n"},
	};
	char why[512], path[256];
	struct stat st;
	int tar = make_tar("good.tar.gz", e, ELEMENTSOF(e)), dest = fresh_dest("good");

	(void)state;
	assert_int_equal(release_unpack(tar, dest, "banger-0.2.0", why, sizeof(why)), 0);
	snprintf(path, sizeof(path), "%s/good/bin/bangerd", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_int_equal(st.st_size, 29);
	snprintf(path, sizeof(path), "%s/good/share/banger/themes/x.theme", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	close(tar);
	close(dest);
}

static void test_unpack_refusals(void **state)
{
	const struct {
		struct entry e;
		const char *why;
	} bad[] = {
		{{"/etc/passwd", AE_IFREG, 0644, NULL, "x"}, "not inside"},
		{{"banger-0.2.0/../../etc/cron.d/x", AE_IFREG, 0644, NULL, "x"}, "not inside"},
		{{"banger-0.2.0/bin/../../x", AE_IFREG, 0644, NULL, "x"}, "not inside"},
		{{"other-0.2.0/bin/x", AE_IFREG, 0644, NULL, "x"}, "not inside"},
		{{"banger-0.2.0/bin/link", AE_IFLNK, 0777, "/etc/shadow", NULL}, "is a link"},
		{{"banger-0.2.0/bin/hard", 0, 0644, "banger-0.2.0/bin/bangerd", NULL}, "is a link"},
		{{"banger-0.2.0/dev/null", AE_IFCHR, 0666, NULL, NULL}, "neither a file"},
		{{"banger-0.2.0/fifo", AE_IFIFO, 0644, NULL, NULL}, "neither a file"},
		{{"banger-0.2.0/bin/suid", AE_IFREG, 04755, NULL, "x"}, "set-id"},
	};
	char why[512];

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		const struct entry e[] = {
			{"banger-0.2.0/", AE_IFDIR, 0755, NULL, NULL},
			{"banger-0.2.0/bin/bangerd", AE_IFREG, 0755, NULL, "x"},
			bad[i].e,
		};
		int tar = make_tar("bad.tar.gz", e, ELEMENTSOF(e)), dest = fresh_dest("bad");
		int r = release_unpack(tar, dest, "banger-0.2.0", why, sizeof(why));
		if (r != -EPERM || !strstr(why, bad[i].why))
			fail_msg("entry %s: r=%d why=%s", bad[i].e.path, r, why);
		close(tar);
		close(dest);
	}
}

static void test_unpack_truncated(void **state)
{
	const struct entry e[] = {
		{"banger-0.2.0/", AE_IFDIR, 0755, NULL, NULL},
		{"banger-0.2.0/bin/bangerd", AE_IFREG, 0755, NULL,
			"0123456789012345678901234567890123456789012345678901234567890123456789"},
	};
	char why[512], path[128];
	int tar = make_tar("cut.tar.gz", e, ELEMENTSOF(e)), dest = fresh_dest("cut");
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/cut.tar.gz", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(truncate(path, st.st_size / 2), 0);
	assert_int_not_equal(release_unpack(tar, dest, "banger-0.2.0", why, sizeof(why)), 0);
	close(tar);
	close(dest);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version_parse),
		cmocka_unit_test(test_version_garbage),
		cmocka_unit_test(test_version_from_output),
		cmocka_unit_test(test_manifest_signature),
		cmocka_unit_test(test_manifest_parse),
		cmocka_unit_test(test_url_policy),
		cmocka_unit_test(test_unpack_good),
		cmocka_unit_test(test_unpack_refusals),
		cmocka_unit_test(test_unpack_truncated),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a release is, checked before anything is installed: versions compared, the manifest's
 * Ed25519 signature verified against the root-owned release key (libcrypto), its fields parsed,
 * and a file's SHA-256 compared with the manifest's. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cli/update-release.h"
#include "common/fileio.h"
#include "common/macro.h"
#include "protocol/jsonrpc.h"

#define MANIFEST_MAX (64u * 1024u)

int update_why(char *why, size_t why_size, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, why_size, fmt, ap);
	va_end(ap);
	return r;
}

/* ---- versions -------------------------------------------------------------------------------- */

static int parse_number(const char **p, unsigned *ret)
{
	unsigned long v = 0;
	const char *s = *p;

	if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] >= '0' && s[1] <= '9'))
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > 1000000)
			return -ERANGE;
	}
	*p = s;
	*ret = (unsigned)v;
	return 0;
}

int version_parse(const char *s, struct version *ret)
{
	struct version v = {};
	const char *p = s;

	if (parse_number(&p, &v.major) < 0 || *p++ != '.' || parse_number(&p, &v.minor) < 0 ||
		*p++ != '.' || parse_number(&p, &v.patch) < 0)
		return -EINVAL;
	if (*p == '-') {
		size_t n = strlen(++p);
		if (n == 0 || n >= sizeof(v.pre))
			return -EINVAL;
		for (const char *c = p; *c; c++)
			if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') ||
				    (*c >= 'A' && *c <= 'Z') || *c == '.'))
				return -EINVAL;
		memcpy(v.pre, p, n + 1);
	} else if (*p)
		return -EINVAL;
	*ret = v;
	return 0;
}

int version_compare(const struct version *a, const struct version *b)
{
	if (a->major != b->major)
		return a->major < b->major ? -1 : 1;
	if (a->minor != b->minor)
		return a->minor < b->minor ? -1 : 1;
	if (a->patch != b->patch)
		return a->patch < b->patch ? -1 : 1;
	/* 1.2.3-rc1 < 1.2.3; between two pre-releases, byte order is enough for banger's own. */
	if (!a->pre[0] || !b->pre[0])
		return a->pre[0] ? -1 : b->pre[0] ? 1 : 0;
	int c = strcmp(a->pre, b->pre);
	return c < 0 ? -1 : c > 0 ? 1 : 0;
}

void version_format(const struct version *v, char *buf, size_t size)
{
	snprintf(buf, size, "%u.%u.%u%s%s", v->major, v->minor, v->patch, v->pre[0] ? "-" : "",
		v->pre);
}

int version_from_program_output(const char *out, const char *program, struct version *ret)
{
	char line[256], *end;
	size_t n = strlen(program);

	/* The first line is "PROGRAM X.Y.Z"; anything else on it, or no such line, is garbage. */
	snprintf(line, sizeof(line), "%s", out);
	end = strchr(line, '\n');
	if (!end && strlen(out) >= sizeof(line))
		return -EINVAL;
	if (end)
		*end = '\0';
	if (!strneq(line, program, n) || line[n] != ' ')
		return -EINVAL;
	return version_parse(line + n + 1, ret);
}

/* ---- the manifest ---------------------------------------------------------------------------- */

static const char *arch_name(void)
{
	static struct utsname u;
	return uname(&u) == 0 ? u.machine : "";
}

int manifest_parse(const char *data, size_t len, struct manifest *ret, char *why, size_t why_size)
{
	_cleanup_json_ json_t *o = NULL;
	struct manifest m = {};
	json_error_t e;
	const char *version, *min, *file, *sha, *arch, *name;
	json_int_t size, schema;

	o = json_loadb(data, len, JSON_REJECT_DUPLICATES, &e);
	if (!json_is_object(o))
		return update_why(
			why, why_size, -EBADMSG, "the manifest is not a JSON object: %s", e.text);
	if (json_unpack_ex(o, &e, JSON_STRICT, "{s:I, s:s, s:s, s:s, s:s, s:I, s:s, s:s}",
		    "schema_version", &schema, "name", &name, "version", &version, "arch", &arch,
		    "file", &file, "size", &size, "sha256", &sha, "min_version", &min) < 0)
		return update_why(why, why_size, -EBADMSG, "the manifest is malformed: %s", e.text);
	if (schema != 1)
		return update_why(why, why_size, -EPROTONOSUPPORT,
			"the manifest's schema_version %lld is not one this banger reads",
			(long long)schema);
	if (!streq(name, "banger"))
		return update_why(
			why, why_size, -EBADMSG, "the manifest is for \"%.64s\", not banger", name);
	if (version_parse(version, &m.version) < 0 || version_parse(min, &m.min_version) < 0)
		return update_why(why, why_size, -EBADMSG,
			"the manifest's version or min_version is not X.Y.Z");
	if (!streq(arch, arch_name()))
		return update_why(why, why_size, -EXDEV,
			"the release is for %.32s, this machine is %s", arch, arch_name());
	if (size <= 0 || size > (json_int_t)4 << 30)
		return update_why(why, why_size, -EBADMSG, "the manifest's size is out of range");
	if (strlen(sha) != 64 || strspn(sha, "0123456789abcdef") != 64)
		return update_why(
			why, why_size, -EBADMSG, "the manifest's sha256 is not 64 hex digits");
	/* A plain file name: it is joined to the manifest's URL and to the staging directory. */
	if (!file[0] || strlen(file) >= sizeof(m.file) || strchr(file, '/') || file[0] == '.' ||
		strspn(file, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
			strlen(file))
		return update_why(why, why_size, -EBADMSG,
			"the manifest's file \"%.64s\" is not a plain file name", file);
	memcpy(m.file, file, strlen(file) + 1);
	memcpy(m.sha256, sha, 65);
	m.size = (uint64_t)size;
	*ret = m;
	return 0;
}

int manifest_verify(const char *data, size_t len, const unsigned char *sig, size_t sig_len,
	const char *key_path, char *why, size_t why_size)
{
	EVP_MD_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;
	FILE *f;
	int r;

	if (sig_len != 64)
		return update_why(why, why_size, -EBADMSG,
			"the signature is %zu bytes, an Ed25519 signature is 64", sig_len);
	f = fopen(key_path, "re");
	if (!f)
		return update_why(why, why_size, negative_errno(),
			"cannot read the release key %s: %m", key_path);
	key = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	if (!key)
		return update_why(why, why_size, -EBADMSG, "%s is not a PEM public key", key_path);
	if (EVP_PKEY_id(key) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(key);
		return update_why(why, why_size, -EBADMSG, "%s is not an Ed25519 key", key_path);
	}
	ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) != 1)
		r = update_why(why, why_size, -ENOMEM, "cannot set up the signature check");
	else if (EVP_DigestVerify(ctx, sig, sig_len, (const unsigned char *)data, len) != 1)
		r = update_why(why, why_size, -EKEYREJECTED,
			"the manifest's signature does not verify against the release key %s",
			key_path);
	else
		r = 0;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	return r;
}

int file_sha256(int fd, char ret_hex[65], uint64_t *ret_size)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char buf[1 << 16], md[32];
	unsigned mdlen = 0;
	uint64_t total = 0;
	ssize_t n;
	int r = 0;

	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return -ENOMEM;
	}
	if (lseek(fd, 0, SEEK_SET) < 0)
		r = negative_errno();
	while (r == 0 && (n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = negative_errno();
			break;
		}
		EVP_DigestUpdate(ctx, buf, (size_t)n);
		total += (uint64_t)n;
	}
	if (r == 0 && EVP_DigestFinal_ex(ctx, md, &mdlen) != 1)
		r = -EIO;
	EVP_MD_CTX_free(ctx);
	if (r < 0)
		return r;
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(ret_hex + 2 * i, 3, "%02x", md[i]);
	*ret_size = total;
	return 0;
}

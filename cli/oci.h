/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What `banger image pull` decides itself about an OCI image, apart from the tools that move it:
 * the reference, whether its registry is on a loopback address, which platform of an index to
 * take, whether a layer's entries all stay inside the root filesystem, and who owns each path
 * the layers leave (umoci --rootless and mke2fs in a user namespace cannot keep owners). */
#pragma once

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum oci_transport {
	OCI_TRANSPORT_DOCKER,      /* docker://[HOST[:PORT]/]NAME[:TAG|@sha256:HEX] */
	OCI_TRANSPORT_OCI,         /* oci:DIR[:TAG] */
	OCI_TRANSPORT_OCI_ARCHIVE, /* oci-archive:FILE[:TAG] */
	_OCI_TRANSPORT_MAX,
	_OCI_TRANSPORT_INVALID = -EINVAL,
};

struct oci_ref {
	enum oci_transport transport;
	char host[256]; /* docker: the registry as written (with its port, "[::1]:5000"); else "" */
	char path[1024]; /* docker: the repository ("library/busybox"); else the directory or file
			  */
	char tag[129];   /* "" when none was given */
	char digest[72]; /* docker: "sha256:HEX" when pulled by digest; else "" */
};

/* Parses a reference as skopeo takes it (one of the three transports). A docker reference
 * without a registry host names Docker Hub, as skopeo does. -EINVAL for anything else. */
int oci_ref_parse(const char *s, struct oci_ref *ret);
/* True when the registry (host[:port], IPv6 in brackets) is localhost, 127.0.0.0/8 or ::1: the
 * only registries pulled from over plain HTTP without --insecure. */
bool oci_registry_is_loopback(const char *host);
/* A banger image name from the reference's last path component ("docker://r/a/web:1" → "web"):
 * lower-case letters, digits and '-', starting with a letter, at most 32 bytes. */
int oci_ref_default_name(const struct oci_ref *ref, char *buf, size_t size);

/* A raw manifest or index (skopeo inspect --raw). For an index: 0 when it has a linux/ARCH
 * entry, else -ENOENT with the platforms it has in why. A plain manifest: 0 (its
 * configuration says the architecture; see oci_config_check_arch()). */
int oci_index_check_platform(const json_t *raw, const char *arch, char *why, size_t why_size);
/* The digest of an index's linux/ARCH manifest, NULL when it has none (or raw is no index). */
const char *oci_index_pick(const json_t *raw, const char *arch);
/* The sum of a manifest's layer sizes (as stored, compressed), 0 when it lists none. */
uint64_t oci_manifest_layers_size(const json_t *manifest);
/* An image configuration blob: 0 when its architecture is arch, else -ENOEXEC with why. */
int oci_config_check_arch(const json_t *config, const char *arch, char *why, size_t why_size);
/* A layer entry's path (or a hard link's target): relative (or "/", the root itself, as umoci
 * writes it), without a ".." component. */
bool oci_layer_path_is_safe(const char *path);
/* Reads a whole layer (tar, optionally gzip/zstd compressed) from fd: 0 when every entry's path
 * and hard-link target is safe, -EPERM with the offending entry in why, -EBADMSG when it is not
 * a readable tar. */
int oci_layer_check(int fd, char *why, size_t why_size);

/* The owner and mode of every path a stack of layers leaves, as an OCI runtime would see them:
 * layers applied in order, last writer wins, ".wh.NAME" removes NAME (and what is under it) and
 * ".wh..wh..opq" what lower layers put in its directory, a hard link has its target's inode. */
struct oci_owners;
struct oci_owners *oci_owners_new(void);
void oci_owners_free(struct oci_owners *o);
/* Reads a layer as oci_layer_check() does (same errors) and applies it to o. */
int oci_owners_add_layer(struct oci_owners *o, int fd, char *why, size_t why_size);
/* The owner of PATH ("etc/x", "" the root): 0 and the uid, gid and mode, -ENOENT when no layer
 * left it (what umoci creates itself is root's). */
int oci_owners_get(const struct oci_owners *o, const char *path, uint32_t *ret_uid,
	uint32_t *ret_gid, uint32_t *ret_mode);
/* Writes debugfs commands ("sif \"/PATH\" uid N", gid) for every path not owned by 0:0, except
 * under skip (a top-level name banger writes itself; NULL: none). -EINVAL with the path in why
 * when debugfs cannot name it (a newline); returns the number of paths written. */
int oci_owners_write_debugfs(
	const struct oci_owners *o, FILE *f, const char *skip, char *why, size_t why_size);

/* Reads every layer of the single image in an OCI layout directory (as skopeo copy writes it)
 * and checks its configuration's architecture and each layer as above; adds the layers to
 * owners unless it is NULL. */
int oci_layout_check(
	const char *dir, const char *arch, struct oci_owners *owners, char *why, size_t why_size);
/* Whether a gzip'd cpio initramfs runs /.banger/init when the root has one (banger's minimal
 * initrd from this version on): 1 yes, 0 no, < 0 unreadable. */
int oci_initrd_runs_banger_init(int fd);

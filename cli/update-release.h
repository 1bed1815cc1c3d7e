/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A release checked before anything is installed: versions, the signed manifest, SHA-256. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "common/macro.h"

/* Writes the message into why (as every update-*.c function that can fail does) and returns r. */
int update_why(char *why, size_t why_size, int r, const char *fmt, ...) _printf_(4, 5);

/* MAJOR.MINOR.PATCH[-PRE] */
struct version {
	unsigned major, minor, patch;
	char pre[32]; /* "" for a release */
};

int version_parse(const char *s, struct version *ret);
/* -1, 0 or 1; a pre-release sorts before its release. */
int version_compare(const struct version *a, const struct version *b);
void version_format(const struct version *v, char *buf, size_t size);
/* The version a program prints for --version ("PROGRAM X.Y.Z" on its first line); -EINVAL for
 * anything else. */
int version_from_program_output(const char *out, const char *program, struct version *ret);

struct manifest {
	struct version version, min_version;
	char file[128];  /* a plain file name next to the manifest */
	char sha256[65]; /* lower-case hex */
	uint64_t size;
};

/* Parses and checks a manifest (schema 1, banger, this machine's architecture, a plain file
 * name, sane size and digest). Only ever call it on bytes manifest_verify() accepted. */
int manifest_parse(const char *data, size_t len, struct manifest *ret, char *why, size_t why_size);

/* 0 when sig is a valid Ed25519 signature of exactly these bytes by the PEM public key at
 * key_path; -EKEYREJECTED when it is not. */
int manifest_verify(const char *data, size_t len, const unsigned char *sig, size_t sig_len,
	const char *key_path, char *why, size_t why_size);

/* SHA-256 of a whole file, from its start. */
int file_sha256(int fd, char ret_hex[65], uint64_t *ret_size);

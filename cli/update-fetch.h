/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fetching release files with libcurl. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fetch_opts {
	bool insecure; /* plain http to any host */
	bool progress; /* a progress line on stderr */
};

/* 0 when banger may fetch from url: https://, file://, or http:// to 127.0.0.0/8 or ::1
 * (any host with insecure). */
int url_check(const char *url, bool insecure, char *why, size_t why_size);

/* The URL of name next to url (the tarball and signature beside the manifest). */
int url_sibling(const char *url, const char *name, char *ret, size_t size);

/* The whole body, at most max bytes, NUL-terminated. */
int fetch_to_memory(const char *url, const struct fetch_opts *o, size_t max, char **ret,
	size_t *ret_len, char *why, size_t why_size);

/* Downloads into dir_fd/name, resuming from what an earlier attempt left there (ret_kept: how
 * many bytes of it were kept; all of them when it was already complete). */
int fetch_to_file(const char *url, const struct fetch_opts *o, int dir_fd, const char *name,
	uint64_t expect_size, uint64_t *ret_kept, char *why, size_t why_size);

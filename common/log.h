/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Process-wide logging: to the journal when stderr is connected to it, else to stderr. */
#pragma once

#include <syslog.h>

#include "common/macro.h"

void log_open(const char *ident);
void log_set_max_level(int level);
int log_get_max_level(void);

/* Logs and returns r (a -errno value) so callers can write `return log_error_errno(r, ...)`.
 * When r < 0, %m in fmt prints r's text (errno is set from it for the formatting, and is as it
 * was again on return); with r == 0, %m prints the caller's errno.
 * `fields` may be NULL or a NULL-terminated list of "KEY=value" journal fields. */
int log_internal(int level, int r, const char *const *fields, const char *fmt, ...) _printf_(4, 5);

#define log_full_errno(level, r, ...) log_internal((level), (r), NULL, __VA_ARGS__)
#define log_debug(...) log_internal(LOG_DEBUG, 0, NULL, __VA_ARGS__)
#define log_info(...) log_internal(LOG_INFO, 0, NULL, __VA_ARGS__)
#define log_notice(...) log_internal(LOG_NOTICE, 0, NULL, __VA_ARGS__)
#define log_warning(...) log_internal(LOG_WARNING, 0, NULL, __VA_ARGS__)
#define log_error(...) log_internal(LOG_ERR, 0, NULL, __VA_ARGS__)
#define log_warning_errno(r, ...) log_internal(LOG_WARNING, (r), NULL, __VA_ARGS__)
#define log_error_errno(r, ...) log_internal(LOG_ERR, (r), NULL, __VA_ARGS__)
#define log_info_errno(r, ...) log_internal(LOG_INFO, (r), NULL, __VA_ARGS__)
#define log_oom() log_internal(LOG_ERR, -ENOMEM, NULL, "Out of memory.")

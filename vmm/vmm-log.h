/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* banger-vmm's log in Firecracker's line format, to stdout until a log path is configured. */
#pragma once

#include <stdbool.h>
#include <syslog.h>

#include "common/macro.h"

void vmm_log_set_id(const char *id);
/* Level names as Firecracker's: Off, Trace, Debug, Info, Warn(ing), Error, any case. Returns
 * -EINVAL for an unknown name, -errno when the path cannot be opened. path/level may be NULL. */
int vmm_log_configure(const char *path, const char *level, bool show_level, bool show_origin);
int vmm_log_level_from_string(const char *s);

/* Logs and returns r, like log_error_errno(). */
int vmm_log_internal(int level, int r, const char *file, int line, const char *fmt, ...)
	_printf_(5, 6);

#define vmm_log_error(...) vmm_log_internal(LOG_ERR, 0, __FILE__, __LINE__, __VA_ARGS__)
#define vmm_log_error_errno(r, ...) vmm_log_internal(LOG_ERR, (r), __FILE__, __LINE__, __VA_ARGS__)
#define vmm_log_warning(...) vmm_log_internal(LOG_WARNING, 0, __FILE__, __LINE__, __VA_ARGS__)
#define vmm_log_info(...) vmm_log_internal(LOG_INFO, 0, __FILE__, __LINE__, __VA_ARGS__)
#define vmm_log_debug(...) vmm_log_internal(LOG_DEBUG, 0, __FILE__, __LINE__, __VA_ARGS__)

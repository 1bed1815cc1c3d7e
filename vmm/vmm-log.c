/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* banger-vmm's log in Firecracker's line format, to stdout until a log path is configured. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "vmm/vmm-log.h"

#define VMM_LOG_OFF (-1)
#define VMM_LOG_TRACE (LOG_DEBUG + 1)

static char log_id[65] = "anonymous-instance";
static int log_fd = STDOUT_FILENO;
static int log_level = LOG_INFO; /* Firecracker's default (logging.rs DEFAULT_LEVEL) */
static bool log_show_level, log_show_origin;

static const struct {
	const char *name;
	int level;
} level_names[] = {
	{"Off", VMM_LOG_OFF},
	{"Trace", VMM_LOG_TRACE},
	{"Debug", LOG_DEBUG},
	{"Info", LOG_INFO},
	{"Warn", LOG_WARNING},
	{"Warning", LOG_WARNING},
	{"Error", LOG_ERR},
};

void vmm_log_set_id(const char *id)
{
	snprintf(log_id, sizeof(log_id), "%s", id);
}

int vmm_log_level_from_string(const char *s)
{
	for (size_t i = 0; i < ELEMENTSOF(level_names); i++)
		if (strcasecmp(level_names[i].name, s) == 0)
			return level_names[i].level;
	return -EINVAL;
}

static const char *level_label(int level)
{
	switch (level) {
	case LOG_ERR:
		return "ERROR";
	case LOG_WARNING:
		return "WARN";
	case LOG_INFO:
		return "INFO";
	case LOG_DEBUG:
		return "DEBUG";
	default:
		return "TRACE";
	}
}

int vmm_log_configure(const char *path, const char *level, bool show_level, bool show_origin)
{
	int l = log_level;

	if (level) {
		l = vmm_log_level_from_string(level);
		if (l == -EINVAL)
			return -EINVAL;
	}
	if (path) {
		/* Like Firecracker: O_RDWR and O_NONBLOCK, so a FIFO without a reader neither fails
		 * the open (ENXIO) nor stalls us. */
		int fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0600);

		if (fd < 0)
			return -errno;
		if (log_fd != STDOUT_FILENO)
			close(log_fd);
		log_fd = fd;
	}
	log_level = l;
	log_show_level = show_level;
	log_show_origin = show_origin;
	return 0;
}

int vmm_log_internal(int level, int r, const char *file, int line, const char *fmt, ...)
{
	char msg[2048], prefix[256], stamp[64];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	size_t n;
	int saved = errno;

	if (log_level == VMM_LOG_OFF || level > log_level)
		return r;
	va_start(ap, fmt);
	if (r < 0)
		errno = -r;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	n = (size_t)snprintf(
		prefix, sizeof(prefix), "%s.%09ld [%s:main", stamp, ts.tv_nsec, log_id);
	if (log_show_level && n < sizeof(prefix))
		n += (size_t)snprintf(prefix + n, sizeof(prefix) - n, ":%s", level_label(level));
	if (log_show_origin && n < sizeof(prefix))
		n += (size_t)snprintf(prefix + n, sizeof(prefix) - n, ":%s:%d", file, line);
	dprintf(log_fd, "%s] %s\n", prefix, msg);
	errno = saved;
	return r;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Process-wide logging: to the journal when stderr is connected to it, else to stderr. */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include <time.h>

#include "common/log.h"

static const char *log_ident = "banger";
static int log_max_level = LOG_INFO;
static bool log_to_journal;

/* JOURNAL_STREAM holds "dev:ino" of the stream systemd connected stderr to. */
static bool stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return st.st_dev == dev && st.st_ino == ino;
}

void log_open(const char *ident)
{
	if (ident)
		log_ident = ident;
	log_to_journal = stderr_is_journal();
}

void log_set_max_level(int level)
{
	log_max_level = level;
}

int log_get_max_level(void)
{
	return log_max_level;
}

int log_internal(int level, int r, const char *const *fields, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	int saved = errno;

	if (level > log_max_level) {
		errno = saved;
		return r;
	}

	/* %m names the error this call is about, never whatever errno a callee left behind */
	if (r < 0)
		errno = -r;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	if (log_to_journal) {
		struct iovec iov[24];
		char prio[32], message[sizeof(msg) + 16], errnostr[32], ident[64];
		size_t n = 0;

		snprintf(prio, sizeof(prio), "PRIORITY=%d", level);
		snprintf(message, sizeof(message), "MESSAGE=%s", msg);
		snprintf(ident, sizeof(ident), "SYSLOG_IDENTIFIER=%s", log_ident);
		iov[n++] = (struct iovec){prio, strlen(prio)};
		iov[n++] = (struct iovec){message, strlen(message)};
		iov[n++] = (struct iovec){ident, strlen(ident)};
		if (r < 0) {
			snprintf(errnostr, sizeof(errnostr), "ERRNO=%d", -r);
			iov[n++] = (struct iovec){errnostr, strlen(errnostr)};
		}
		for (size_t i = 0; fields && fields[i] && n < ELEMENTSOF(iov); i++)
			iov[n++] = (struct iovec){(void *)fields[i], strlen(fields[i])};
		if (sd_journal_sendv(iov, (int)n) >= 0) {
			errno = saved;
			return r;
		}
	}

	{
		char extra[512] = "";
		size_t off = 0;
		for (size_t i = 0; fields && fields[i] && off < sizeof(extra) - 1; i++) {
			int w = snprintf(extra + off, sizeof(extra) - off, " %s", fields[i]);
			if (w < 0)
				break;
			off += (size_t)w;
		}
		fprintf(stderr, "%s: %s%s\n", log_ident, msg, extra);
	}
	errno = saved;
	return r;
}

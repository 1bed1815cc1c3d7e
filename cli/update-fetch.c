/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Where releases come from, through libcurl: https://, file://, and http:// only to a loopback
 * address unless the caller says --insecure; no redirects (a redirect could step down from
 * https), no proxy for loopback, bounded times, downloads that resume from what a broken one
 * left, and a progress line on a terminal. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/update-fetch.h"
#include "cli/update-release.h"
#include "common/macro.h"

#define CONNECT_TIMEOUT_SEC 15L
#define LOW_SPEED_BYTES 1024L /* slower than this ... */
#define LOW_SPEED_SEC 30L     /* ... for this long is a stalled transfer */

static bool host_is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	char buf[64];
	size_t n = strlen(host);

	if (n >= sizeof(buf))
		return false;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	/* curl gives IPv6 hosts with their brackets */
	if (n > 2 && host[0] == '[' && host[n - 1] == ']') {
		memcpy(buf, host + 1, n - 2);
		buf[n - 2] = '\0';
		return inet_pton(AF_INET6, buf, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
	}
	return false;
}

int url_check(const char *url, bool insecure, char *why, size_t why_size)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	int r = 0;

	if (!u)
		return -ENOMEM;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
		curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK)
		r = update_why(why, why_size, -EINVAL, "\"%.200s\" is not a URL", url);
	else if (streq(scheme, "https") || streq(scheme, "file"))
		r = 0;
	else if (!streq(scheme, "http"))
		r = update_why(why, why_size, -EPROTONOSUPPORT,
			"%.200s: only https://, file:// and http:// to a loopback address are used",
			url);
	else if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		r = update_why(why, why_size, -EINVAL, "%.200s has no host", url);
	else if (!host_is_loopback(host) && !insecure)
		r = update_why(why, why_size, -EPERM,
			"%.200s: plain http is used only for loopback addresses (127.0.0.0/8, "
			"::1); "
			"use https, or --insecure if you trust the network",
			url);
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return r;
}

int url_sibling(const char *url, const char *name, char *ret, size_t size)
{
	const char *slash = strrchr(url, '/');
	int n;

	if (!slash || strchr(name, '/'))
		return -EINVAL;
	n = snprintf(ret, size, "%.*s/%s", (int)(slash - url), url, name);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

struct sink {
	int fd;    /* file sink, or -1 */
	char *buf; /* memory sink */
	size_t len, max;
	curl_off_t start; /* bytes already there when resuming */
	CURL *curl;
	bool checked; /* the response code was looked at */
	bool overflow;
	bool progress;
	const char *label;
};

static size_t on_data(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct sink *s = userdata;
	size_t n = size * nmemb;

	if (!s->checked) {
		long code = 0;
		s->checked = true;
		curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
		/* asked for a range, got the whole file: start over */
		if (s->start > 0 && code == 200) {
			if (ftruncate(s->fd, 0) < 0 || lseek(s->fd, 0, SEEK_SET) < 0)
				return 0;
			s->start = 0;
		}
	}
	if (s->fd < 0) {
		if (s->len + n > s->max) {
			s->overflow = true;
			return 0;
		}
		memcpy(s->buf + s->len, data, n);
		s->len += n;
		return n;
	}
	for (size_t done = 0; done < n;) {
		ssize_t w = write(s->fd, data + done, n - done);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return 0;
		}
		done += (size_t)w;
	}
	return n;
}

static int on_progress(
	void *userdata, curl_off_t total, curl_off_t now, curl_off_t ut, curl_off_t un)
{
	struct sink *s = userdata;
	static curl_off_t last = -1;

	(void)ut;
	(void)un;
	if (!s->progress || total <= 0 || now == last)
		return 0;
	last = now;
	fprintf(stderr, "\r  %s  %6.1f / %.1f MiB  %3d%%", s->label,
		(double)(now + s->start) / (1 << 20), (double)(total + s->start) / (1 << 20),
		(int)(100 * (now + s->start) / (total + s->start)));
	return 0;
}

static int run(
	const char *url, const struct fetch_opts *o, struct sink *s, char *why, size_t why_size)
{
	CURL *c;
	CURLcode rc;
	long code = 0;
	char errbuf[CURL_ERROR_SIZE] = "";
	int r;

	r = url_check(url, o->insecure, why, why_size);
	if (r < 0)
		return r;
	c = curl_easy_init();
	if (!c)
		return -ENOMEM;
	s->curl = c;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http,file");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_SEC);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, LOW_SPEED_BYTES);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, LOW_SPEED_SEC);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "banger-update/" PACKAGE_VERSION);
	if (s->progress) {
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, s);
	}
	if (s->start > 0)
		curl_easy_setopt(c, CURLOPT_RESUME_FROM_LARGE, s->start);
	{
		/* a proxy must never stand between us and a loopback address */
		CURLU *u = curl_url();
		char *host = NULL;
		if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
			curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
			host_is_loopback(host))
			curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
		curl_free(host);
		curl_url_cleanup(u);
	}
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	if (s->progress)
		fputc('\n', stderr);
	if (s->overflow)
		return update_why(
			why, why_size, -EFBIG, "%.200s is larger than %zu bytes", url, s->max);
	if (rc != CURLE_OK)
		return update_why(why, why_size, rc == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT : -EIO,
			"cannot fetch %.200s: %s", url,
			errbuf[0] ? errbuf : curl_easy_strerror(rc));
	return 0;
}

int fetch_to_memory(const char *url, const struct fetch_opts *o, size_t max, char **ret,
	size_t *ret_len, char *why, size_t why_size)
{
	struct sink s = {.fd = -1, .max = max, .label = url};
	int r;

	s.buf = malloc(max + 1);
	if (!s.buf)
		return -ENOMEM;
	r = run(url, o, &s, why, why_size);
	if (r < 0) {
		free(s.buf);
		return r;
	}
	s.buf[s.len] = '\0';
	*ret = s.buf;
	*ret_len = s.len;
	return 0;
}

int fetch_to_file(const char *url, const struct fetch_opts *o, int dir_fd, const char *name,
	uint64_t expect_size, uint64_t *ret_kept, char *why, size_t why_size)
{
	_cleanup_close_ int fd = -1;
	struct sink s = {.progress = o->progress, .label = name};
	struct stat st;
	int r;

	fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || fstat(fd, &st) < 0)
		return update_why(why, why_size, negative_errno(),
			"cannot open %s for the download: %m", name);
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid())
		return update_why(
			why, why_size, -EPERM, "the staged %s is not a file of ours", name);
	/* What a broken download left: go on from there; more than expected is not ours. */
	if ((uint64_t)st.st_size > expect_size && ftruncate(fd, 0) < 0)
		return update_why(why, why_size, negative_errno(), "cannot truncate %s: %m", name);
	*ret_kept = (uint64_t)st.st_size > expect_size ? 0 : (uint64_t)st.st_size;
	if ((uint64_t)st.st_size == expect_size)
		return 0;
	s.start = (curl_off_t)*ret_kept;
	if (lseek(fd, 0, SEEK_END) < 0)
		return update_why(why, why_size, negative_errno(), "cannot seek in %s: %m", name);
	s.fd = fd;
	r = run(url, o, &s, why, why_size);
	if (r < 0)
		return r;
	if (fsync(fd) < 0)
		return update_why(why, why_size, negative_errno(), "cannot write %s: %m", name);
	return 0;
}

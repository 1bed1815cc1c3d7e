/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bangerd-root-call: a small client for root.sock that opens files as the calling user and passes
 * them as descriptors; used by the tests, the benchmark and people debugging the helper. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/layout.h"
#include "common/macro.h"
#include "protocol/client.h"
#include "protocol/ndjson.h"

static const char usage[] =
	"Usage: bangerd-root-call [OPTIONS] METHOD [PARAMS-JSON]\n"
	"       bangerd-root-call [OPTIONS] --raw < BYTES\n"
	"\n"
	"  --socket PATH      root.sock to use (default: the layout's)\n"
	"  --fd NAME=PATH     open PATH read-only and pass it as descriptor NAME\n"
	"  --fd-rw NAME=PATH  the same, opened read-write\n"
	"  --raw              send stdin unchanged, print every answer line until EOF\n"
	"Prints the result (or {\"error\":{...}}) as JSON; exits 1 on an error answer.\n";

#define MAX_FDS 32

/* Unlike ndjson_send_with_fds, no cap on the count: the tests send more than the helper takes. */
static int send_raw_fds(int fd, const char *buf, size_t len, const int *fds, size_t n_fds)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
	} control = {};
	struct iovec iov = {(void *)buf, len};
	struct msghdr mh = {.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = &control,
		.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * n_fds);
	return sendmsg(fd, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"socket", required_argument, NULL, 's'},
		{"fd", required_argument, NULL, 'f'}, {"fd-rw", required_argument, NULL, 'w'},
		{"raw", no_argument, NULL, 'R'}, {"help", no_argument, NULL, 'h'}, {}};
	_cleanup_rpc_client_ struct rpc_client *client = NULL;
	struct banger_layout layout;
	const char *sock = NULL;
	const char *names[MAX_FDS];
	int fds[MAX_FDS];
	size_t n_fds = 0;
	bool raw = false;
	struct rpc_error err = {};
	json_t *params = NULL, *result = NULL, *names_json;
	int r, c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0) {
		switch (c) {
		case 's':
			sock = optarg;
			break;
		case 'f':
		case 'w': {
			char *eq = strchr(optarg, '=');
			if (!eq || n_fds == MAX_FDS) {
				fputs(usage, stderr);
				return 2;
			}
			*eq = '\0';
			fds[n_fds] = open(eq + 1,
				(c == 'w' ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
			if (fds[n_fds] < 0) {
				fprintf(stderr, "bangerd-root-call: cannot open %s: %m\n", eq + 1);
				return 2;
			}
			names[n_fds++] = optarg;
			break;
		}
		case 'R':
			raw = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (!sock) {
		if (layout_init(&layout, NULL) < 0) {
			fprintf(stderr, "bangerd-root-call: bad BANGER_ROOT\n");
			return 2;
		}
		sock = layout.root_sock;
	}

	if (raw) {
		/* Hostile-input tests: arbitrary bytes in, every answer line out. */
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		char buf[65536];
		ssize_t n;

		if (fd < 0 || strlen(sock) >= sizeof(sa.sun_path))
			return 2;
		memcpy(sa.sun_path, sock, strlen(sock) + 1);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			fprintf(stderr, "bangerd-root-call: cannot connect to %s: %m\n", sock);
			return 2;
		}
		bool first = true;
		while ((n = read(STDIN_FILENO, buf, sizeof(buf))) > 0) {
			if (first && n_fds) {
				r = send_raw_fds(fd, buf, (size_t)n, fds, n_fds);
				first = false;
			} else
				r = send(fd, buf, (size_t)n, MSG_NOSIGNAL) == n ? 0 : -errno;
			if (r < 0)
				break; /* the helper may hang up mid-frame; print what it said */
		}
		shutdown(fd, SHUT_WR);
		for (;;) {
			struct pollfd p = {.fd = fd, .events = POLLIN};
			if (poll(&p, 1, 10000) <= 0)
				break;
			n = read(fd, buf, sizeof(buf));
			if (n <= 0)
				break;
			fwrite(buf, 1, (size_t)n, stdout);
		}
		return 0;
	}

	if (optind >= argc || argc - optind > 2) {
		fputs(usage, stderr);
		return 2;
	}
	if (argc - optind == 2) {
		json_error_t jerr;
		params = json_loads(argv[optind + 1], JSON_REJECT_DUPLICATES, &jerr);
		if (!params) {
			fprintf(stderr, "bangerd-root-call: bad params: %s\n", jerr.text);
			return 2;
		}
	} else
		params = json_object();
	if (n_fds && json_is_object(params) && !json_object_get(params, "fds")) {
		names_json = json_array();
		for (size_t i = 0; i < n_fds; i++)
			json_array_append_new(names_json, json_string(names[i]));
		json_object_set_new(params, "fds", names_json);
	}

	r = rpc_client_connect(sock, &client);
	if (r < 0) {
		json_decref(params);
		for (size_t i = 0; i < n_fds; i++)
			close(fds[i]);
		fprintf(stderr, "bangerd-root-call: cannot connect to %s: %s\n", sock,
			strerror(-r));
		return 2;
	}
	r = rpc_client_call_fds(
		client, argv[optind], params, n_fds ? fds : NULL, n_fds, 120000, &result, &err);
	for (size_t i = 0; i < n_fds; i++)
		close(fds[i]);
	if (r < 0) {
		json_t *e = json_pack("{s:{s:s, s:s}}", "error", "code",
			rpc_error_code_to_string(err.code), "message", err.message);
		json_dumpf(e, stdout, JSON_COMPACT | JSON_SORT_KEYS);
		fputc('\n', stdout);
		json_decref(e);
		return r == -EREMOTEIO ? 1 : 3;
	}
	json_dumpf(result, stdout, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	fputc('\n', stdout);
	json_decref(result);
	return 0;
}

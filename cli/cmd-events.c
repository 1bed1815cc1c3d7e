/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* banger events: the notification stream as NDJSON, until interrupted. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/macro.h"
#include "protocol/client.h"
#include "protocol/jsonrpc.h"

int cmd_events(struct cli *cli)
{
	_cleanup_json_ json_t *params = json_object(), *res = NULL;
	const char *since = cli_opt(cli, "since");
	int r;

	if (!params)
		return cli_error("out of memory");
	if (since) {
		char *end;
		unsigned long long v;
		errno = 0;
		v = strtoull(since, &end, 10);
		if (errno || end == since || *end || since[0] == '-')
			return cli_usage_error(
				cli, "--since wants an event number, not \"%s\"", since);
		json_object_set_new(params, "since_seq", json_integer((json_int_t)v));
	}
	r = cli_call(cli, RPC_METHOD_EVENTS_SUBSCRIBE, TAKE_PTR(params), 30000, &res);
	if (r)
		return r;
	/* "until interrupted" holds for scripts too: a shell starts background jobs with SIGINT
	 * ignored */
	signal(SIGINT, SIG_DFL);
	/* one line per event, as it arrives, also into pipes */
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (;;) {
		struct rpc_message m = {};
		struct rpc_error err = {};
		char *line;

		r = rpc_client_read_notification(cli->client, -1, &m, &err);
		if (r < 0)
			return r == -ECONNRESET
				       ? cli_error("bangerd closed the connection")
				       : cli_error("reading events failed: %s",
						 err.message[0] ? err.message : strerror(-r));
		if (r == 0)
			continue;
		line = json_dumps(m.root, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (line) {
			puts(line);
			free(line);
		}
		rpc_message_done(&m);
		if (ferror(stdout))
			return CLI_EXIT_ERROR;
	}
}

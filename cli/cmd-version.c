/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* banger version: the client's version and the daemon's (from its hello). */
#include <stdio.h>

#include "cli/cli.h"
#include "common/macro.h"
#include "protocol/client.h"
#include "protocol/jsonrpc.h"

int cmd_version(struct cli *cli)
{
	_cleanup_json_ json_t *hello = NULL;
	struct rpc_error err = {};
	int r;

	r = cli_connect(cli);
	if (r == 0)
		r = rpc_client_hello(cli->client, "banger", 5000, &hello, &err) < 0
		            ? cli_error("hello failed: %s", err.message)
		            : 0;
	if (cli->json) {
		_cleanup_json_ json_t *o = json_pack("{s:s, s:O?}", "client", PACKAGE_VERSION,
		        "daemon", json_object_get(hello, "version"));
		cli_print_json(o);
	} else {
		printf("banger %s\n", PACKAGE_VERSION);
		if (hello)
			printf("bangerd %s (protocol %lld)\n",
			        json_string_value(json_object_get(hello, "version")),
			        (long long)json_integer_value(json_object_get(hello, "protocol")));
	}
	return r;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* banger version: the client's version, the daemon's (from its hello) and bangerd-root's (from
 * the daemon's system.status, which asks it). */
#include <stdio.h>

#include "cli/cli.h"
#include "common/macro.h"
#include "protocol/client.h"
#include "protocol/jsonrpc.h"

int cmd_version(struct cli *cli)
{
	_cleanup_json_ json_t *hello = NULL, *st = NULL;
	struct rpc_error err = {};
	const json_t *helper = NULL;
	int r;

	r = cli_connect(cli);
	if (r == 0)
		r = rpc_client_hello(cli->client, "banger", 5000, &hello, &err) < 0
			    ? cli_error("hello failed: %s", err.message)
			    : 0;
	if (r == 0 && rpc_client_call(cli->client, rpc_method_to_string(RPC_METHOD_SYSTEM_STATUS),
			      NULL, 5000, &st, &err) >= 0)
		helper = json_object_get(st, "helper");
	if (cli->json) {
		_cleanup_json_ json_t *o = json_pack("{s:s, s:O?, s:O?}", "client", PACKAGE_VERSION,
			"daemon", json_object_get(hello, "version"), "helper",
			json_is_true(json_object_get(helper, "reachable"))
				? json_object_get(helper, "version")
				: NULL);
		cli_print_json(o);
	} else {
		printf("banger %s\n", PACKAGE_VERSION);
		if (hello)
			printf("bangerd %s (protocol %lld)\n",
				json_string_value(json_object_get(hello, "version")),
				(long long)json_integer_value(json_object_get(hello, "protocol")));
		if (json_is_true(json_object_get(helper, "reachable")))
			printf("bangerd-root %s\n",
				json_string_value(json_object_get(helper, "version")) ?: "?");
		else if (helper)
			printf("bangerd-root: not reachable (%s)\n",
				json_string_value(json_object_get(helper, "error")) ?: "?");
	}
	return r;
}

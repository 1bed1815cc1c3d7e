/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Is bangerd-root there? A hello on root.sock, for system.status and doctor. */
#include <string.h>

#include "common/macro.h"
#include "daemon/helper-probe.h"
#include "protocol/client.h"

json_t *helper_probe(const char *root_sock, int timeout_ms)
{
	_cleanup_rpc_client_ struct rpc_client *c = NULL;
	_cleanup_json_ json_t *hello = NULL;
	struct rpc_error err = {};
	char why[RPC_ERROR_MESSAGE_MAX + 64];
	int r;

	r = rpc_client_connect(root_sock, &c);
	if (r < 0) {
		snprintf(why, sizeof(why), "cannot connect to %s: %s", root_sock, strerror(-r));
		goto unreachable;
	}
	r = rpc_client_hello(c, "bangerd", timeout_ms, &hello, &err);
	if (r < 0) {
		snprintf(why, sizeof(why), "hello on %s failed: %s", root_sock,
		        err.message[0] ? err.message : strerror(-r));
		goto unreachable;
	}
	return json_pack("{s:s, s:b, s:O?, s:O?, s:n}", "socket", root_sock, "reachable", 1,
	        "program", json_object_get(hello, "program"), "version",
	        json_object_get(hello, "version"), "error");

unreachable:
	return json_pack("{s:s, s:b, s:n, s:n, s:s}", "socket", root_sock, "reachable", 0,
	        "program", "version", "error", why);
}

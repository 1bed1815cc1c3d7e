/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon connection: connect, hello, calls, and daemon errors turned into exit codes. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/layout.h"
#include "common/macro.h"
#include "protocol/client.h"

#define HELLO_TIMEOUT_MS 5000

int cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("banger: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CLI_EXIT_ERROR;
}

int cli_exit_for_error(const struct rpc_error *err)
{
	switch (err->code) {
	case RPC_ERROR_NOT_FOUND:
		return CLI_EXIT_NOT_FOUND;
	case RPC_ERROR_INVALID_ARGUMENT:
	case RPC_ERROR_CONFLICT:
	case RPC_ERROR_PERMISSION_DENIED:
	case RPC_ERROR_UNAVAILABLE:
	case RPC_ERROR_TIMEOUT:
	case RPC_ERROR_INTERNAL:
	case RPC_ERROR_PROTOCOL_ERROR:
	case _RPC_ERROR_MAX:
	case _RPC_ERROR_INVALID:
		break;
	}
	return CLI_EXIT_ERROR;
}

static int unreachable(const char *path, const char *why)
{
	fprintf(stderr,
		"banger: cannot reach bangerd at %s: %s\n"
		"Start it with \"systemctl start bangerd\" (installed system) or run "
		"\"bangerd --foreground\" as the owner user.\n",
		path, why);
	return CLI_EXIT_UNREACHABLE;
}

int cli_connect(struct cli *cli)
{
	struct banger_layout layout;
	static char path[PATH_MAX];
	struct rpc_error err = {};
	int r;

	if (cli->client)
		return 0;
	if (!cli->socket) {
		r = layout_init(&layout, NULL);
		if (r < 0)
			return cli_usage_error(
				NULL, "invalid $%s: %s", BANGER_ROOT_ENV, strerror(-r));
		snprintf(path, sizeof(path), "%s", layout.daemon_sock);
		cli->socket = path;
	}
	r = rpc_client_connect(cli->socket, &cli->client);
	if (r < 0)
		return unreachable(cli->socket, strerror(-r));
	r = rpc_client_hello(cli->client, "banger", HELLO_TIMEOUT_MS, NULL, &err);
	if (r < 0) {
		rpc_client_free(cli->client);
		cli->client = NULL;
		if (r == -EREMOTEIO || r == -EPROTONOSUPPORT)
			return cli_error("bangerd at %s refused us: %s", cli->socket, err.message);
		return unreachable(cli->socket, err.message[0] ? err.message : strerror(-r));
	}
	return 0;
}

int cli_call(struct cli *cli, enum rpc_method method, json_t *params, int timeout_ms,
	json_t **ret_result)
{
	const char *name = rpc_method_to_string(method);
	struct rpc_error err = {};
	json_t *result = NULL;
	int r;

	r = cli_connect(cli);
	if (r != 0) {
		json_decref(params);
		return r;
	}
	r = rpc_client_call(cli->client, name, params, timeout_ms, &result, &err);
	if (r == -EREMOTEIO) {
		fprintf(stderr, "banger: %s\n", err.message);
		return cli_exit_for_error(&err);
	}
	if (r < 0) {
		if (r == -ECONNRESET || r == -EPIPE)
			return unreachable(cli->socket, "the daemon closed the connection");
		return cli_error(
			"%s failed: %s", name, err.message[0] ? err.message : strerror(-r));
	}
	if (ret_result)
		*ret_result = result;
	else
		json_decref(result);
	return 0;
}

void cli_print_json(const json_t *v)
{
	size_t flags = JSON_PRESERVE_ORDER | JSON_ENCODE_ANY;

	if (isatty(STDOUT_FILENO) == 1)
		flags |= JSON_INDENT(2);
	else
		flags |= JSON_COMPACT;
	json_dumpf(v, stdout, flags);
	putchar('\n');
}

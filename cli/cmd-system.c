/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* banger system ...: status (from the daemon); install, uninstall and restart come with the
 * packaging work. Also reconcile and update, which the daemon answers. */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "common/macro.h"
#include "protocol/jsonrpc.h"

#define CALL_TIMEOUT_MS 60000

static int not_yet(const char *what)
{
	fprintf(stderr,
	        "banger system %s: not available yet (comes with the packaging/units "
	        "work)\n",
	        what);
	return CLI_EXIT_ERROR;
}

int cmd_system_install(struct cli *cli)
{
	return not_yet("install");
}

int cmd_system_uninstall(struct cli *cli)
{
	return not_yet("uninstall");
}

int cmd_system_restart(struct cli *cli)
{
	return not_yet("restart");
}

static long long get_int(const json_t *o, const char *a, const char *b)
{
	return json_integer_value(json_object_get(json_object_get(o, a), b));
}

int cmd_system_status(struct cli *cli)
{
	_cleanup_json_ json_t *st = NULL;
	const json_t *helper, *by_state;
	char up[32];
	const char *key;
	json_t *v;
	int r;

	r = cli_call(cli, "system.status", NULL, CALL_TIMEOUT_MS, &st);
	if (r)
		return r;
	if (cli->json) {
		cli_print_json(st);
		return 0;
	}
	format_duration(
	        (uint64_t)json_integer_value(json_object_get(st, "uptime_sec")), up, sizeof(up));
	helper = json_object_get(st, "helper");
	printf("bangerd:      %s (protocol %lld, pid %lld)\n", json_str(st, "version", "?"),
	        (long long)json_integer_value(json_object_get(st, "protocol")),
	        (long long)json_integer_value(json_object_get(st, "pid")));
	printf("Up:           %s (since %s)\n", up, json_str(st, "started_at", "?"));
	printf("Owner:        %s (uid %lld)\n", json_str(json_object_get(st, "owner"), "name", "?"),
	        get_int(st, "owner", "uid"));
	printf("State:        %s\n", json_str(json_object_get(st, "paths"), "state_dir", "?"));
	printf("VMs:          %lld", get_int(st, "counts", "vms"));
	by_state = json_object_get(json_object_get(st, "counts"), "vms_by_state");
	json_object_foreach((json_t *)by_state, key, v) if (json_integer_value(v) > 0)
	        printf(", %lld %s", (long long)json_integer_value(v), key);
	printf("\nImages:       %lld\n", get_int(st, "counts", "images"));
	printf("Clients:      %lld (%lld subscribed to events)\n", get_int(st, "counts", "clients"),
	        get_int(st, "counts", "subscribers"));
	if (json_is_true(json_object_get(helper, "reachable")))
		printf("Helper:       %sreachable%s (%s %s)\n", cli->color ? COLOR_GREEN : "",
		        cli->color ? COLOR_RESET : "", json_str(helper, "program", "?"),
		        json_str(helper, "version", "?"));
	else
		printf("Helper:       %snot reachable%s: %s\n", cli->color ? COLOR_RED : "",
		        cli->color ? COLOR_RESET : "", json_str(helper, "error", "?"));
	if (get_int(st, "store", "quarantined") || get_int(st, "store", "refused"))
		printf("Store:        %lld corrupt record(s) quarantined, %lld refused (see the "
		       "daemon log)\n",
		        get_int(st, "store", "quarantined"), get_int(st, "store", "refused"));
	return 0;
}

/* Commands whose daemon method may still answer "unavailable": print its result or error. */
static int simple_call(struct cli *cli, const char *method, json_t *params)
{
	_cleanup_json_ json_t *res = NULL;
	int r;

	r = cli_call(cli, method, params, -1, &res);
	if (r)
		return r;
	cli_print_json(res);
	return 0;
}

int cmd_reconcile(struct cli *cli)
{
	return simple_call(cli, "reconcile", NULL);
}

int cmd_update(struct cli *cli)
{
	json_t *params = json_object();

	if (params && cli_opt(cli, "from"))
		json_object_set_new(params, "from", json_string(cli_opt(cli, "from")));
	return simple_call(cli, cli_opt(cli, "check") ? "update.check" : "update.apply", params);
}

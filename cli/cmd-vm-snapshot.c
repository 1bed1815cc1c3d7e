/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* banger vm snapshot ...: create, list, restore, delete a VM's named snapshots. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "common/macro.h"
#include "protocol/jsonrpc.h"

#define CALL_TIMEOUT_MS 60000
/* the daemon bounds the VMM's snapshot (120 s); the copies take what the disk takes */
#define SNAPSHOT_TIMEOUT_MS (15 * 60 * 1000)

static json_int_t jint(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static void size_of(const json_t *rec, const char *part, char *buf, size_t size)
{
	const json_t *p = json_object_get(rec, part);

	format_size((uint64_t)jint(
			    p, json_object_get(p, "allocated_bytes") ? "allocated_bytes" : "bytes"),
		buf, size);
}

int cmd_vm_snapshot_create(struct cli *cli)
{
	_cleanup_json_ json_t *res = NULL;
	json_t *params = json_pack("{s:s}", "name", cli->args[0]);
	char disk[32], mem[32];
	int r;

	if (params && cli_opt(cli, "name"))
		json_object_set_new(params, "snapshot", json_string(cli_opt(cli, "name")));
	r = cli_call(cli, RPC_METHOD_VM_SNAPSHOT, params, SNAPSHOT_TIMEOUT_MS, &res);
	if (r)
		return r;
	if (cli->json) {
		cli_print_json(res);
		return 0;
	}
	size_of(res, "disk", disk, sizeof(disk));
	size_of(res, "memory", mem, sizeof(mem));
	printf("Snapshot %s of VM %s taken: guest paused %.3f s, %.3f s in all; disk %s (%s), "
	       "memory %s (%s)\n",
		json_str(res, "name", "?"), cli->args[0], (double)jint(res, "paused_us") / 1e6,
		(double)jint(res, "total_us") / 1e6, disk,
		json_is_true(json_object_get(json_object_get(res, "disk"), "reflinked")) ? "reflink"
											 : "copy",
		mem,
		json_is_true(json_object_get(json_object_get(res, "memory"), "reflinked"))
			? "reflink"
			: "copy");
	return 0;
}

int cmd_vm_snapshot_list(struct cli *cli)
{
	static const char *const headers[] = {
		"SNAPSHOT", "CREATED", "IMAGE", "VCPUS", "MEM", "DISK", "PAUSED", "BOOT-ID"};
	_cleanup_json_ json_t *res = NULL;
	struct table t;
	json_t *s;
	size_t i;
	int r;

	r = cli_call(cli, RPC_METHOD_VM_SNAPSHOT_LIST, json_pack("{s:s}", "name", cli->args[0]),
		CALL_TIMEOUT_MS, &res);
	if (r)
		return r;
	if (cli->json) {
		cli_print_json(res);
		return 0;
	}
	table_init(&t, ELEMENTSOF(headers), headers);
	json_array_foreach(json_object_get(res, "snapshots"), i, s)
	{
		char vcpus[16], mem[32], disk[32], paused[32], boot[16];

		snprintf(vcpus, sizeof(vcpus), "%lld", (long long)jint(s, "vcpus"));
		format_size((uint64_t)jint(s, "memory_mib") << 20, mem, sizeof(mem));
		size_of(s, "disk", disk, sizeof(disk));
		snprintf(paused, sizeof(paused), "%.3f s", (double)jint(s, "paused_us") / 1e6);
		snprintf(boot, sizeof(boot), "%.8s", json_str(s, "boot_id", "-"));
		const char *cells[] = {json_str(s, "name", "?"), json_str(s, "created_at", "?"),
			json_str(s, "image", "?"), vcpus, mem, disk, paused, boot};
		if (table_add_row(&t, cells, 0, NULL) < 0) {
			table_done(&t);
			return cli_error("out of memory");
		}
	}
	if (t.n_rows == 0)
		printf("VM %s has no snapshots. Take one with \"banger vm snapshot create %s\".\n",
			cli->args[0], cli->args[0]);
	else
		table_print(&t, cli->color);
	table_done(&t);
	return 0;
}

int cmd_vm_snapshot_restore(struct cli *cli)
{
	_cleanup_json_ json_t *res = NULL;
	int r;

	r = cli_call(cli, RPC_METHOD_VM_SNAPSHOT_RESTORE,
		json_pack("{s:s, s:s}", "name", cli->args[0], "snapshot", cli->args[1]),
		SNAPSHOT_TIMEOUT_MS, &res);
	if (r)
		return r;
	if (cli->json)
		cli_print_json(res);
	else
		printf("Restored snapshot %s into VM %s (suspended): \"banger vm start %s\" "
		       "resumes "
		       "it\n",
			cli->args[1], cli->args[0], cli->args[0]);
	return 0;
}

int cmd_vm_snapshot_delete(struct cli *cli)
{
	int ret = 0;

	for (int i = 1; i < cli->n_args; i++) {
		_cleanup_json_ json_t *res = NULL;
		int r = cli_call(cli, RPC_METHOD_VM_SNAPSHOT_DELETE,
			json_pack("{s:s, s:s}", "name", cli->args[0], "snapshot", cli->args[i]),
			CALL_TIMEOUT_MS, &res);

		if (r == CLI_EXIT_UNREACHABLE)
			return r;
		if (r) {
			ret = r;
			continue;
		}
		if (cli->json)
			cli_print_json(res);
		else
			printf("Deleted snapshot %s of VM %s\n", cli->args[i], cli->args[0]);
	}
	return ret;
}

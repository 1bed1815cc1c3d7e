/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* net.bridge_ensure: banger's bridge exists, carries the gateway address and is up.
 * Security: the name must carry banger's prefix ("banger…"); an existing link of that name that
 * is not a bridge is refused, not changed. Only the address is added (replace semantics), other
 * addresses are left alone. A bridge this call created is deleted again if a later step fails. */
#include <arpa/inet.h>

#include "common/macro.h"
#include "helper/helper.h"
#include "helper/ops.h"
#include "helper/netlink.h"
#include "helper/validate.h"

const struct helper_field op_bridge_ensure_fields[] = {
        {"bridge", HELPER_FIELD_STRING, false, 0, 0, check_bridge_name},
        {"address", HELPER_FIELD_STRING, true, 0, 0, check_ipv4_host_cidr}, {}};

int op_bridge_ensure_validate(
        _unused_ const struct helper_request *req, _unused_ struct rpc_error *err)
{
	return 0;
}

int op_bridge_ensure_run(_unused_ const struct helper_ctx *ctx, const struct helper_request *req,
        json_t **ret_result, struct rpc_error *err)
{
	_cleanup_mnl_ struct mnl_socket *nl = NULL;
	json_t *b = json_object_get(req->params, "bridge");
	const char *name = b ? json_string_value(b) : HELPER_BRIDGE_DEFAULT;
	const char *address = json_string_value(json_object_get(req->params, "address"));
	struct nl_link link;
	struct in_addr addr;
	unsigned prefix;
	bool created = false;
	json_t *o;
	int r;

	r = ipv4_cidr_parse(address, &addr, &prefix);
	if (r < 0)
		return rpc_error_set(err, r, RPC_ERROR_INVALID_ARGUMENT, "Invalid address");
	r = nl_open(&nl, err);
	if (r < 0)
		return r;

	r = nl_link_get(nl, name, &link, err);
	if (r == -ENODEV) {
		r = nl_bridge_create(nl, name, err);
		if (r < 0)
			return r;
		created = true;
		r = nl_link_get(nl, name, &link, err);
		if (r == -ENODEV)
			r = rpc_error_set(err, r, RPC_ERROR_INTERNAL,
			        "Bridge \"%s\" vanished right after it was created", name);
		if (r < 0)
			goto undo;
	} else if (r < 0)
		return r;
	else if (!streq(link.kind, "bridge"))
		return rpc_error_set(err, -EEXIST, RPC_ERROR_CONFLICT,
		        "Link \"%s\" exists and is not a bridge (kind \"%s\"); not touching it",
		        name, link.kind[0] ? link.kind : "none");

	r = nl_addr_add(nl, link.ifindex, name, addr, prefix, err);
	if (r < 0)
		goto undo;
	r = nl_link_set(nl, link.ifindex, name, -1, true, err);
	if (r < 0)
		goto undo;

	o = json_pack("{s:s, s:i, s:b, s:s}", "bridge", name, "ifindex", link.ifindex, "created",
	        created, "address", address);
	if (!o) {
		r = -ENOMEM;
		goto undo;
	}
	*ret_result = o;
	return 0;

undo:
	if (created)
		(void)nl_link_delete(nl, link.ifindex, name, NULL);
	return r;
}

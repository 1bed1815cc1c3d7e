/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* net.tap_delete: removes one of banger's taps; a tap that is already gone is not an error.
 * Security: the name must carry the "bgt-" prefix and the link must be a tun/tap device, so no
 * other kind of interface can be deleted through this op. */
#include "common/macro.h"
#include "helper/helper.h"
#include "helper/ops.h"
#include "helper/netlink.h"
#include "helper/validate.h"

const struct helper_field op_tap_delete_fields[] = {
        {"tap", HELPER_FIELD_STRING, true, 0, 0, check_tap_name},
        {"vm_id", HELPER_FIELD_STRING, false, 0, 0, check_vm_id}, {}};

int op_tap_delete_validate(
        _unused_ const struct helper_request *req, _unused_ struct rpc_error *err)
{
	return 0;
}

int op_tap_delete_run(_unused_ const struct helper_ctx *ctx, const struct helper_request *req,
        json_t **ret_result, struct rpc_error *err)
{
	_cleanup_mnl_ struct mnl_socket *nl = NULL;
	const char *tap = json_string_value(json_object_get(req->params, "tap"));
	struct nl_link link;
	int r;

	r = nl_open(&nl, err);
	if (r < 0)
		return r;
	r = nl_link_get(nl, tap, &link, err);
	if (r == -ENODEV) {
		*ret_result = json_pack("{s:s, s:b}", "tap", tap, "deleted", false);
		return *ret_result ? 0 : -ENOMEM;
	}
	if (r < 0)
		return r;
	if (!streq(link.kind, "tun"))
		return rpc_error_set(err, -EEXIST, RPC_ERROR_CONFLICT,
		        "Link \"%s\" is not a tap (kind \"%s\"); not touching it", tap,
		        link.kind[0] ? link.kind : "none");
	r = nl_link_delete(nl, link.ifindex, tap, err);
	if (r < 0)
		return r;
	*ret_result = json_pack("{s:s, s:b}", "tap", tap, "deleted", true);
	return *ret_result ? 0 : -ENOMEM;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libnftables for banger's own table: one atomic script per change, nft's error text kept. One
 * script at a time (nft_lock): ops run on several threads, and libnftables keeps library-wide
 * state (its interface cache among others). */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <nftables/libnftables.h>
#include <pthread.h>
#include <string.h>

#include "common/macro.h"
#include "helper/helper.h"
#include "helper/netlink.h"
#include "helper/nft.h"

static void nft_ctx_freep(struct nft_ctx **c)
{
	if (*c)
		nft_ctx_free(*c);
}

static pthread_mutex_t nft_lock = PTHREAD_MUTEX_INITIALIZER;

static int run_locked(const char *script, const char *what, bool quiet, struct rpc_error *err)
{
	_cleanup_(nft_ctx_freep) struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
	const char *text;
	char msg[768];
	size_t n;

	if (!nft || nft_ctx_buffer_output(nft) < 0 || nft_ctx_buffer_error(nft) < 0)
		return rpc_error_set(err, -ENOMEM, RPC_ERROR_INTERNAL,
			"Failed to %s: cannot set up libnftables", what);
	if (nft_run_cmd_from_buffer(nft, script) == 0)
		return 0;
	if (quiet)
		return -ENOENT;
	text = nft_ctx_get_error_buffer(nft);
	snprintf(msg, sizeof(msg), "%s", text ? text : "");
	/* nft's text spans lines (message, the script line, a caret line): keep the first. */
	n = strcspn(msg, "\n");
	msg[n] = '\0';
	return rpc_error_set(err, -EINVAL, RPC_ERROR_INTERNAL, "Failed to %s: %s", what,
		msg[0] ? msg : "nftables refused the change");
}

static int run(const char *script, const char *what, bool quiet, struct rpc_error *err)
{
	int r;

	pthread_mutex_lock(&nft_lock);
	r = run_locked(script, what, quiet, err);
	pthread_mutex_unlock(&nft_lock);
	return r;
}

int nft_run(const char *script, const char *what, struct rpc_error *err)
{
	return run(script, what, false, err);
}

struct gen {
	uint32_t id;
	bool found;
};

static int gen_attr(const struct nlattr *a, void *data)
{
	struct gen *g = data;
	if (mnl_attr_get_type(a) == NFTA_GEN_ID && mnl_attr_validate(a, MNL_TYPE_U32) >= 0) {
		g->id = ntohl(mnl_attr_get_u32(a));
		g->found = true;
	}
	return MNL_CB_OK;
}

static int gen_cb(const struct nlmsghdr *nlh, void *data)
{
	if ((nlh->nlmsg_type & 0xff) != NFT_MSG_NEWGEN)
		return MNL_CB_OK;
	return mnl_attr_parse(nlh, sizeof(struct nfgenmsg), gen_attr, data);
}

/* One NFT_MSG_GETGEN over nfnetlink: a few microseconds, where any libnftables command first
 * fetches its whole cache. */
int nft_generation(uint32_t *ret, struct rpc_error *err)
{
	_cleanup_mnl_ struct mnl_socket *nl = NULL;
	char buf[256]; /* header + nfgenmsg: the whole request */
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	struct gen g = {};
	int r;

	r = nl_open_protocol(NETLINK_NETFILTER, &nl, err);
	if (r < 0)
		return r;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETGEN;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	r = nl_transact(nl, nlh, gen_cb, &g, "read the nftables generation", err);
	if (r < 0)
		return r;
	if (!g.found)
		return rpc_error_set(err, -EBADMSG, RPC_ERROR_INTERNAL,
			"Failed to read the nftables generation: no generation in the answer");
	*ret = g.id;
	return 0;
}

int nft_table_exists(struct rpc_error *err)
{
	int r = run("list table " HELPER_NFT_FAMILY " " HELPER_NFT_TABLE, "list table", true, err);
	return r == -ENOENT ? 0 : r < 0 ? r : 1;
}

int nft_publish_tables(json_t **ret, struct rpc_error *err)
{
	_cleanup_(nft_ctx_freep) struct nft_ctx *nft = NULL;
	json_t *a = json_array();
	const char *out, *p;
	int r = 0;

	if (!a)
		return -ENOMEM;
	pthread_mutex_lock(&nft_lock);
	nft = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!nft || nft_ctx_buffer_output(nft) < 0 || nft_ctx_buffer_error(nft) < 0 ||
		nft_run_cmd_from_buffer(nft, "list tables " NFT_PUBLISH_FAMILY) != 0)
		r = rpc_error_set(err, -EIO, RPC_ERROR_INTERNAL, "Failed to list nftables tables");
	out = r >= 0 ? nft_ctx_get_output_buffer(nft) : NULL;
	/* "table ip banger_pub_<32 hex>\n" per table */
	for (p = out; p && (p = strstr(p, "table " NFT_PUBLISH_FAMILY " " NFT_PUBLISH_PREFIX));) {
		const char *id = p + strlen("table " NFT_PUBLISH_FAMILY " " NFT_PUBLISH_PREFIX);
		size_t n = strspn(id, "0123456789abcdef");
		if (n == 32 && (id[n] == '\n' || id[n] == '\0' || id[n] == ' '))
			json_array_append_new(a, json_stringn(id, n));
		p = id + n;
	}
	pthread_mutex_unlock(&nft_lock);
	if (r < 0) {
		json_decref(a);
		return r;
	}
	*ret = a;
	return 0;
}

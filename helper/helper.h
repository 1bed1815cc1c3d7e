/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The helper's shared types: its root-owned configuration, a decoded request and the op table. */
#pragma once

#include <jansson.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <sys/types.h>

#include "common/layout.h"
#include "protocol/error.h"

#define HELPER_BRIDGE_DEFAULT "banger0"
#define HELPER_TAP_PREFIX "bgt-"
#define HELPER_DM_PREFIX "banger-"
#define HELPER_NFT_FAMILY "inet"
#define HELPER_NFT_TABLE "banger"
#define HELPER_MAX_FDS 8
#define HELPER_MAX_CLIENTS 16
#define HELPER_IDLE_TIMEOUT_SEC 300

/* banger.conf's defaults, the daemon's too (daemon/netalloc.h NET_DEFAULT_SUBNET, config.c):
 * the two must agree, which test-helper-request checks. */
#define HELPER_POOL_DEFAULT "172.30.0.0/24"

struct vmm_provider;

/* The address pool the administrator chose (banger.conf [network], read by root): the only
 * subnet the helper ever puts on a bridge or NATs, and the only bridge it manages. */
struct helper_pool {
	struct in_addr network, gateway; /* network byte order; gateway = network + 1 */
	unsigned prefix;
	char text[32];         /* "172.30.0.0/24" */
	char gateway_text[32]; /* "172.30.0.1/24" */
	char bridge[IFNAMSIZ];
	unsigned publish_min_port; /* [network] publish_min_port: lower host ports are refused */
};

/* Everything here comes from root-owned sources (the layout, install.json, the command line of
 * a root process): never from a request. */
struct helper_config {
	struct banger_layout layout;
	uid_t owner_uid;
	gid_t owner_gid;
	char vmm_path[PATH_MAX]; /* "" when install.json names none: jail ops are unavailable */
	char jailer_path[PATH_MAX];
	char exec_name[65]; /* basename of vmm_path, the jail's <exec name> */
	const struct vmm_provider *provider;
	struct helper_pool pool;
	unsigned idle_timeout_sec; /* a connection with nothing in flight is closed after this */
};

enum helper_field_type {
	HELPER_FIELD_STRING,
	HELPER_FIELD_INT,
	HELPER_FIELD_BOOL,
	HELPER_FIELD_ARRAY,
	_HELPER_FIELD_TYPE_MAX,
	_HELPER_FIELD_TYPE_INVALID = -EINVAL,
};

/* One parameter of an op: its type and a syntax check that touches nothing. */
struct helper_field {
	const char *name;
	enum helper_field_type type;
	bool required;
	json_int_t min, max; /* HELPER_FIELD_INT */
	int (*check)(const json_t *v, const char *name, struct rpc_error *err);
	const char *doc; /* for helper/README.md: what the value is, "" when the name says it */
};

struct helper_op;

/* A request that passed frame, schema and field checks. Borrows from the parsed message. */
struct helper_request {
	const struct helper_op *op;
	json_t *params;    /* always an object */
	const char *vm_id; /* set when the op needs one */
	const char *fd_names[HELPER_MAX_FDS];
	size_t n_fds;
	int fds[HELPER_MAX_FDS]; /* filled by the server from SCM_RIGHTS; -1 when not received */
};

struct helper_ctx {
	const struct helper_config *cfg;
	uid_t caller_uid;
	pid_t caller_pid;
};

typedef int (*helper_validate_fn)(const struct helper_request *req, struct rpc_error *err);
typedef int (*helper_run_fn)(const struct helper_ctx *ctx, const struct helper_request *req,
	json_t **ret_result, struct rpc_error *err);

/* Where an op runs and what it may not run alongside (protocol/helper-ops.def). */
enum helper_serial {
	HELPER_SERIAL_LOOP, /* on the loop: instant, touches nothing */
	HELPER_SERIAL_NONE, /* on a worker, alongside anything (reads only) */
	HELPER_SERIAL_NET,  /* on a worker, one net.* / nat.* op at a time */
	HELPER_SERIAL_VM,   /* on a worker, one op per VM id at a time */
	_HELPER_SERIAL_MAX,
	_HELPER_SERIAL_INVALID = -EINVAL,
};

struct helper_op {
	const char *name;
	const struct helper_field *fields; /* terminated by a NULL name */
	helper_validate_fn validate;       /* cross-field checks, no side effects; may be NULL */
	helper_run_fn run;
	bool needs_vm_id;
	enum helper_serial serial;
	const char *descriptors; /* for helper/README.md: the descriptors it takes */
	const char *result;      /* for helper/README.md: what it answers */
};

/* The op table (ops.c, generated from protocol/helper-ops.def). */
const struct helper_op *helper_op_find(const char *name);
extern const struct helper_op helper_ops[];
extern const size_t helper_ops_count;

/* Index of fd name in req (or -ENOENT). */
int helper_request_fd(const struct helper_request *req, const char *name);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The log line for every accepted and refused request, with what the caller chose escaped. */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

#include "protocol/error.h"

/* "caller uid=U pid=P op=OP args={…} outcome=OUTCOME[: message]", plus BANGER_CALLER_UID= and
 * BANGER_OP= journal fields. op and the error message may hold text the caller chose (an op or
 * parameter name): every byte outside printable ASCII is written as \xNN and a backslash as \\,
 * the arguments as ASCII-only JSON, so a request can never start a line, or a field, of its own.
 * Safe from any thread. */
void helper_audit(uid_t uid, pid_t pid, const char *op, const json_t *params, const char *outcome,
	const struct rpc_error *e);

/* The escaping above, into out (always NUL-terminated, cut to fit). Exported for the unit test. */
void helper_audit_escape(const char *in, char *out, size_t size);

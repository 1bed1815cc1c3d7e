/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The log line for every accepted and refused request, with what the caller chose escaped. */
#include <stdio.h>

#include "common/log.h"
#include "common/macro.h"
#include "helper/audit.h"

void helper_audit_escape(const char *in, char *out, size_t size)
{
	size_t o = 0;

	if (size == 0)
		return;
	for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
		char buf[5];
		size_t n;

		if (*p == '\\')
			n = (size_t)snprintf(buf, sizeof(buf), "\\\\");
		else if (*p < 0x20 || *p > 0x7e)
			n = (size_t)snprintf(buf, sizeof(buf), "\\x%02x", *p);
		else
			n = (size_t)snprintf(buf, sizeof(buf), "%c", *p);
		if (o + n >= size)
			break;
		memcpy(out + o, buf, n);
		o += n;
	}
	out[o] = '\0';
}

void helper_audit(uid_t uid, pid_t pid, const char *op, const json_t *params, const char *outcome,
	const struct rpc_error *e)
{
	_cleanup_free_ char *args =
		params ? json_dumps(params, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII)
		       : NULL;
	char safe_op[4 * 64 + 1], safe_msg[4 * 512 + 1], uidf[32], opf[4 * 64 + 16];
	const char *fields[] = {uidf, opf, NULL};
	char op64[65];

	snprintf(op64, sizeof(op64), "%s", op ? op : "-");
	helper_audit_escape(op64, safe_op, sizeof(safe_op));
	helper_audit_escape(e ? e->message : "", safe_msg, sizeof(safe_msg));
	snprintf(uidf, sizeof(uidf), "BANGER_CALLER_UID=%u", (unsigned)uid);
	snprintf(opf, sizeof(opf), "BANGER_OP=%s", op ? safe_op : "");
	log_internal(e ? LOG_WARNING : LOG_INFO, 0, fields,
		"caller uid=%u pid=%d op=%s args=%.512s outcome=%s%s%s", (unsigned)uid, (int)pid,
		safe_op, args ? args : "{}", outcome, e ? ": " : "", safe_msg);
}

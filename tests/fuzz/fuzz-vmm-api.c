/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target for banger-vmm's API decoder: route table, ids, body parsing and every
 * resource's field checks, over a sequence of requests on one --no-boot instance; checks the
 * reply shapes (every 400 says why, 204 has no body) and the configuration's invariants (one
 * root drive and it comes first, valid ids, vCPUs 1-32). Input: requests separated by NUL bytes,
 * each "METHOD PATH\nBODY". */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/vmm-api.h"
#include "vmm/vmm-log.h"
#include "vmm/vmm.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/fuzz-vmm-api.XXXXXX";
static const char *const files[] = {"vmlinux", "initrd", "root.ext4", "d", NULL};

static void remove_dir(void)
{
	for (const char *const *f = files; *f; f++)
		unlink(*f);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* Bodies name files (kernels, drives): relative names then resolve in an empty directory.
	 */
	if (!mkdtemp(dir) || chdir(dir) < 0)
		abort();
	/* ...where these exist, so accepted drives and boot sources are reached too. */
	for (const char *const *f =
			(const char *const[]){"vmlinux", "initrd", "root.ext4", "d", NULL};
		*f; f++) {
		int fd = open(*f, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0)
			abort();
		close(fd);
	}
	atexit(remove_dir);
	vmm_log_configure(NULL, "Off", false, false);
	return 0;
}

static void check_invariants(const struct vmm *v)
{
	json_int_t vcpus = json_integer_value(json_object_get(v->machine_config, "vcpu_count"));
	size_t i, roots = 0;
	json_t *e;

	if (vcpus < 1 || vcpus > 32)
		abort();
	json_array_foreach(v->drives, i, e)
	{
		if (!vmm_resource_id_valid(json_string_value(json_object_get(e, "drive_id")) ?: ""))
			abort();
		if (json_is_true(json_object_get(e, "is_root_device"))) {
			roots++;
			if (i != 0)
				abort();
		}
	}
	if (roots > 1)
		abort();
	json_array_foreach(v->network_interfaces, i,
		e) if (!vmm_resource_id_valid(json_string_value(json_object_get(e, "iface_id"))
						      ?: "")) abort();
}

static void one_request(struct vmm *v, const char *req, size_t len)
{
	const char *nl = memchr(req, '\n', len), *sp;
	char method[16], path[256];
	struct vmm_reply r = {};
	const char *fm;
	size_t mlen, plen;

	if (!nl)
		return;
	sp = memchr(req, ' ', (size_t)(nl - req));
	if (!sp)
		return;
	mlen = (size_t)(sp - req);
	plen = (size_t)(nl - sp - 1);
	if (mlen >= sizeof(method) || plen >= sizeof(path))
		return;
	memcpy(method, req, mlen);
	method[mlen] = 0;
	memcpy(path, sp + 1, plen);
	path[plen] = 0;
	/* Keep the harness from creating files or reopening its log: absolute paths, the logger,
	 * metrics and snapshots (which open files) are left to the integration and e2e tests. */
	if (memchr(nl, '/', len - (size_t)(nl - req)) || strstr(path, "logger") ||
		strstr(path, "metrics") || strstr(path, "snapshot"))
		return;
	if (vmm_api_dispatch(v, method, path, nl + 1, len - (size_t)(nl - req) - 1, &r) < 0)
		return; /* -ENOMEM */
	fm = json_string_value(json_object_get(r.body, "fault_message"));
	if (r.status != 200 && r.status != 204 && r.status != 400)
		abort();
	if (r.status == 400 && (!fm || !fm[0]))
		abort();
	if (r.status == 204 && r.body)
		abort();
	if (r.status == 200 && !json_is_object(r.body))
		abort();
	json_decref(r.body);
	check_invariants(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmm *v = NULL;
	const char *p = (const char *)data, *end = p + size;

	if (vmm_new(&v) < 0)
		return 0;
	v->no_boot = true;
	while (p < end) {
		const char *z = memchr(p, 0, (size_t)(end - p));
		size_t n = z ? (size_t)(z - p) : (size_t)(end - p);

		one_request(v, p, n);
		p += n + 1;
	}
	vmm_free(v);
	return 0;
}

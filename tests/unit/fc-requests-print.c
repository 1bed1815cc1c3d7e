/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Prints the Firecracker API requests daemon/fc-requests.c builds, in the order the lifecycle
 * sends them (the boot configuration, InstanceStart, vm.pause's and vm.resume's PATCH /vm, then
 * SendCtrlAltDel on a graceful stop), one
 * "METHOD PATH BODY" a line: tests/integration/vmm-schema.sh validates them against Firecracker's
 * API description and replays them on banger-vmm. Paths are "@DIR@/…", which the test fills with
 * a directory holding a kernel, an initrd and a root file system. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/fc-requests.h"
#include "daemon/netalloc.h"

#define SAMPLE_PUBKEY                                                                              \
	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBbG2iKJ7c8H4wq4L9mF3X0W2Yx9ZQ1l2b3c4d5e6f7g "        \
	"owner@host"

static int print(struct fc_request *req)
{
	char *body = req->body ? json_dumps(req->body, JSON_COMPACT) : NULL;

	if (req->body && !body)
		return -ENOMEM;
	printf("%s %s%s%s\n", req->method, req->path, body ? " " : "", body ? body : "");
	free(body);
	fc_request_done(req);
	return 0;
}

/* With "restore": what a start of a suspended VM sends instead (into a fresh VMM, from the files
 * the first stream's snapshot/create wrote). */
int main(int argc, char **argv)
{
	bool restore = argc > 1 && strcmp(argv[1], "restore") == 0;
	struct fc_request reqs[FC_BOOT_CONFIG_MAX], req;
	struct net_subnet subnet;
	struct in_addr guest;
	char args[1024];
	size_t n;
	int r;

	if (restore) {
		r = fc_request_snapshot_load(
			"@DIR@/snapshot.state", "@DIR@/snapshot.mem", "eth0", "tap0", &req);
		if (r >= 0)
			r = print(&req);
		goto out;
	}
	r = net_subnet_parse(NET_DEFAULT_SUBNET, &subnet);
	if (r >= 0)
		r = inet_pton(AF_INET, "172.30.0.2", &guest) == 1 ? 0 : -EINVAL;
	if (r >= 0)
		r = net_boot_args(&subnet, guest, "vm1", SAMPLE_PUBKEY, args, sizeof(args));
	if (r >= 0)
		r = fc_boot_config_requests(&(struct fc_boot_config){.vcpus = 2,
						    .mem_size_mib = 1024,
						    .kernel = "@DIR@/vmlinux",
						    .initrd = "@DIR@/initrd",
						    .boot_args = args,
						    .rootfs = "@DIR@/root.ext4",
						    .tap = "tap0",
						    .guest_mac = "06:00:ac:1e:00:02"},
			reqs, &n);
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = print(&reqs[i]);
	if (r >= 0)
		r = fc_request_action(FC_ACTION_INSTANCE_START, &req);
	if (r >= 0)
		r = print(&req);
	/* vm.pause, vm.stop with snapshot (pause, snapshot/create; the VMM is then killed), and
	 * vm.resume */
	r = r >= 0 ? fc_request_vm_state(true, &req) : r;
	if (r >= 0)
		r = print(&req);
	if (r >= 0)
		r = fc_request_snapshot_create("@DIR@/snapshot.state", "@DIR@/snapshot.mem", &req);
	if (r >= 0)
		r = print(&req);
	r = r >= 0 ? fc_request_vm_state(false, &req) : r;
	if (r >= 0)
		r = print(&req);
	if (r >= 0)
		r = fc_request_action(FC_ACTION_SEND_CTRL_ALT_DEL, &req);
	if (r >= 0)
		r = print(&req);
out:
	if (r < 0) {
		fprintf(stderr, "fc-requests-print: %s\n", strerror(-r));
		return EXIT_FAILURE;
	}
	return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bangerd-root: the banger root helper. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "helper/caps.h"
#include "common/install.h"
#include "common/reexec.h"
#include "helper/config.h"
#include "helper/ops.h"
#include "helper/purge.h"
#include "helper/server.h"

static const char usage[] =
	"Usage: bangerd-root [OPTIONS]\n"
	"\n"
	"The banger root helper: serves the privileged ops on root.sock.\n"
	"\n"
	"  -h --help            Show this help\n"
	"     --version         Show the version\n"
	"     --print-ops       Print the op table (helper/README.md's) and exit\n"
	"     --root DIR        Relocate every path under DIR (default: $BANGER_ROOT)\n"
	"     --owner-uid UID   Accept this uid instead of install.json's owner (tests)\n"
	"     --owner-gid GID   The owner's gid with --owner-uid (default: the same number)\n"
	"     --idle-timeout SEC  Close a connection idle this long (default: 300, 0: never)\n"
	"     --debug           Log debug messages\n"
	"     --purge           Remove every jail, tap, bridge, the nftables table and the\n"
	"                       loop and dm devices banger made, then exit (banger system\n"
	"                       uninstall --purge runs it; refused while a VM runs)\n";

static long parse_id(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < 0 || v > 0x7fffffff)
		return -1;
	return v;
}

/* --purge: install.json says who the owner is and which VMM ran; nothing is created. */
static int purge_main(const char *root)
{
	struct helper_config cfg = {};
	struct install_meta meta = {};
	char why[1024] = "";
	const char *b;
	int r;

	r = layout_init(&cfg.layout, root);
	if (r >= 0)
		r = install_meta_load(&cfg.layout, &meta, why, sizeof(why));
	if (r < 0) {
		fprintf(stderr, "bangerd-root --purge: %s\n",
			why[0] ? why : "cannot read the install metadata");
		return EXIT_FAILURE;
	}
	cfg.owner_uid = meta.owner_uid;
	cfg.owner_gid = meta.owner_gid;
	snprintf(cfg.vmm_path, sizeof(cfg.vmm_path), "%s", meta.vmm_path);
	snprintf(cfg.jailer_path, sizeof(cfg.jailer_path), "%s", meta.jailer_path);
	b = strrchr(meta.vmm_path, '/');
	b = b ? b + 1 : meta.vmm_path;
	if (layout_check_component(b) < 0) {
		fprintf(stderr, "bangerd-root --purge: install.json names no usable VMM\n");
		return EXIT_FAILURE;
	}
	memcpy(cfg.exec_name, b, strlen(b) + 1); /* checked: at most 64 bytes */
	r = helper_purge(&cfg, stdout);
	fflush(stdout);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"root", required_argument, NULL, 'r'},
		{"owner-uid", required_argument, NULL, 'u'},
		{"owner-gid", required_argument, NULL, 'g'}, {"debug", no_argument, NULL, 'd'},
		{"idle-timeout", required_argument, NULL, 'i'}, {"purge", no_argument, NULL, 'P'},
		{"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, 'V'},
		{"print-ops", no_argument, NULL, 'O'}, {}};
	struct helper_config cfg;
	struct helper_server *s = NULL;
	const char *root = NULL;
	long owner_uid = -1, owner_gid = -1, idle = HELPER_IDLE_TIMEOUT_SEC;
	char why[1024] = "";
	int r, c, undroppable = -1, reexec_fd = -1;
	bool purge = false;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0) {
		switch (c) {
		case 'r':
			root = optarg;
			break;
		case 'u':
		case 'g':
			if (parse_id(optarg) < 0) {
				fprintf(stderr, "bangerd-root: invalid id \"%s\"\n", optarg);
				return 2;
			}
			*(c == 'u' ? &owner_uid : &owner_gid) = parse_id(optarg);
			break;
		case 'i':
			idle = parse_id(optarg);
			if (idle < 0 || idle > 86400) {
				fprintf(stderr, "bangerd-root: invalid idle timeout \"%s\"\n",
					optarg);
				return 2;
			}
			break;
		case 'd':
			log_set_max_level(LOG_DEBUG);
			break;
		case 'P':
			purge = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_SUCCESS;
		case 'V':
			printf("bangerd-root %s\n", PACKAGE_VERSION);
			return EXIT_SUCCESS;
		case 'O':
			helper_ops_print(stdout);
			return EXIT_SUCCESS;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "bangerd-root: unexpected argument \"%s\"\n", argv[optind]);
		return 2;
	}

	log_open("bangerd-root");
	umask(0022);
	if (geteuid() != 0) {
		log_error("bangerd-root must run as root");
		return EXIT_FAILURE;
	}
	if (purge)
		return purge_main(root);
	r = helper_config_load(&cfg, root, owner_uid, owner_gid, why, sizeof(why));
	if (r < 0) {
		log_error_errno(r, "Refusing to start: %s", why);
		return EXIT_FAILURE;
	}
	cfg.idle_timeout_sec = (unsigned)idle;
	r = caps_restrict(&undroppable);
	if (r == -EPERM) {
		log_error_errno(r,
			"Failed to drop capability %d from the bounding set: CAP_SETPCAP "
			"is missing (a unit's CapabilityBoundingSet= must include it)",
			undroppable);
		return EXIT_FAILURE;
	}
	if (r < 0) {
		log_error_errno(r, "Failed to drop capabilities: %m");
		return EXIT_FAILURE;
	}
	r = helper_server_new(&cfg, &s);
	if (r < 0) {
		log_oom();
		return EXIT_FAILURE;
	}
	r = helper_server_listen(s);
	if (r >= 0) {
		log_info("Listening on %s for uid %u (vmm: %s, jailer: %s, jail base: %s)",
			cfg.layout.root_sock, (unsigned)cfg.owner_uid,
			cfg.vmm_path[0] ? cfg.vmm_path : "none",
			cfg.jailer_path[0] ? cfg.jailer_path : "none", cfg.layout.jail_base);
		r = helper_server_run(s);
	}
	reexec_fd = s ? helper_server_take_reexec_fd(s) : -1;
	helper_server_free(s);
	if (r >= 0 && reexec_fd >= 0) {
		/* SIGHUP: the updated program takes over, same pid, same socket, same namespace */
		r = reexec_with_socket(argv, reexec_fd);
		log_error_errno(r, "Failed to re-execute: %m");
		return EXIT_FAILURE;
	}
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for banger-vmm's QEMU side: the command line built from the API configuration, the
 * kernel command line Firecracker would give, the TSC rate given to TCG guests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/vmm-log.h"
#include "vmm/vmm-qemu.h"
#include "vmm/vmm.h"

/* Index of the word after `opt` whose text starts with prefix, or -1. */
static int find_arg(char **argv, const char *opt, const char *prefix)
{
	for (int i = 0; argv[i] && argv[i + 1]; i++)
		if (strcmp(argv[i], opt) == 0 && strncmp(argv[i + 1], prefix, strlen(prefix)) == 0)
			return i + 1;
	return -1;
}

static struct vmm *configured(void)
{
	struct vmm *v = NULL;

	assert_int_equal(vmm_new(&v), 0);
	v->boot_source = json_pack("{s:s, s:s, s:s}", "kernel_image_path", "/vmlinuz",
		"initrd_path", "/initrd.img", "boot_args", "console=ttyS0 reboot=k");
	json_array_append_new(
		v->drives, json_pack("{s:s, s:s, s:b, s:b, s:s}", "drive_id", "rootfs",
				   "path_on_host", "/root,fs.ext4", "is_root_device", 1,
				   "is_read_only", 0, "cache_type", "Unsafe"));
	json_array_append_new(v->drives, json_pack("{s:s, s:s, s:b, s:b, s:s}", "drive_id", "data",
						 "path_on_host", "/data.img", "is_root_device", 0,
						 "is_read_only", 1, "cache_type", "Writeback"));
	json_array_append_new(v->network_interfaces,
		json_pack("{s:s, s:s, s:s}", "iface_id", "eth0", "host_dev_name", "tap7",
			"guest_mac", "06:00:0a:00:00:02"));
	json_object_set_new(v->machine_config, "vcpu_count", json_integer(2));
	json_object_set_new(v->machine_config, "mem_size_mib", json_integer(300));
	return v;
}

static void test_argv(void **state)
{
	struct vmm *v = configured();
	char **argv = NULL;

	assert_int_equal(vmm_qemu_build_argv(v, VMM_ACCEL_TCG, 7, &argv), 0);
	assert_string_equal(argv[0], "/usr/bin/qemu-system-x86_64");
	assert_true(find_arg(argv, "-machine", "microvm,") > 0);
	assert_true(find_arg(argv, "-accel", "tcg") > 0);
	assert_true(find_arg(argv, "-smp", "2") > 0);
	assert_true(find_arg(argv, "-m", "300M") > 0);
	assert_true(find_arg(argv, "-device", "i8042") > 0);
	assert_true(find_arg(argv, "-kernel", "/vmlinuz") > 0);
	assert_true(find_arg(argv, "-initrd", "/initrd.img") > 0);
	assert_true(find_arg(argv, "-append", "console=ttyS0 reboot=k root=/dev/vda rw") > 0);
	/* a comma in a path is doubled, QEMU's escape */
	assert_true(find_arg(argv, "-drive",
			    "id=drive_rootfs,file=/root,,fs.ext4,format=raw,if=none,"
			    "readonly=off,cache=unsafe") > 0);
	assert_true(find_arg(argv, "-drive",
			    "id=drive_data,file=/data.img,format=raw,if=none,"
			    "readonly=on,cache=writeback") > 0);
	/* root first, so it becomes /dev/vda */
	assert_true(find_arg(argv, "-drive", "id=drive_rootfs") <
		    find_arg(argv, "-drive", "id=drive_data"));
	assert_true(find_arg(argv, "-netdev",
			    "tap,id=net_eth0,ifname=tap7,script=no,downscript=no") > 0);
	assert_true(find_arg(argv, "-device",
			    "virtio-net-device,netdev=net_eth0,mac=06:00:0a:00:00:02") > 0);
	assert_true(find_arg(argv, "-chardev", "stdio,id=console") > 0);
	assert_true(find_arg(argv, "-chardev", "socket,id=qmp,fd=7,server=off") > 0);
	assert_true(find_arg(argv, "-mon", "chardev=qmp,mode=control") > 0);
	vmm_qemu_argv_free(argv);

	assert_int_equal(vmm_qemu_build_argv(v, VMM_ACCEL_KVM, -1, &argv), 0);
	assert_true(find_arg(argv, "-accel", "kvm") > 0);
	assert_int_equal(find_arg(argv, "-qmp", ""), -1);
	vmm_qemu_argv_free(argv);
	vmm_free(v);
}

static void test_reboot_ends_qemu(void **state)
{
	struct vmm *v = configured();
	char **argv = NULL;
	bool no_reboot = false;

	assert_int_equal(vmm_qemu_build_argv(v, VMM_ACCEL_TCG, -1, &argv), 0);
	for (char **a = argv; *a; a++)
		no_reboot = no_reboot || strcmp(*a, "-no-reboot") == 0;
	assert_true(no_reboot);
	vmm_qemu_argv_free(argv);
	vmm_free(v);
}

static void test_serial_out_path(void **state)
{
	struct vmm *v = configured();
	char **argv = NULL;

	v->serial = json_pack("{s:s}", "serial_out_path", "/serial.log");
	assert_int_equal(vmm_qemu_build_argv(v, VMM_ACCEL_TCG, -1, &argv), 0);
	assert_true(find_arg(argv, "-chardev", "file,id=console,path=/serial.log") > 0);
	assert_int_equal(find_arg(argv, "-chardev", "stdio"), -1);
	vmm_qemu_argv_free(argv);
	vmm_free(v);
}

/* A snapshot load: QEMU reads its incoming migration from the descriptor and stays paused. */
static void test_incoming(void **state)
{
	struct vmm *v = configured();
	char **argv = NULL;
	bool paused = false;

	assert_int_equal(vmm_qemu_build_argv(v, VMM_ACCEL_TCG, -1, &argv), 0);
	assert_int_equal(find_arg(argv, "-incoming", ""), -1);
	vmm_qemu_argv_free(argv);
	v->incoming_fd = 7;
	assert_int_equal(vmm_qemu_build_argv(v, VMM_ACCEL_TCG, -1, &argv), 0);
	assert_true(find_arg(argv, "-incoming", "fd:7") > 0);
	for (char **a = argv; *a; a++)
		paused = paused || strcmp(*a, "-S") == 0;
	assert_true(paused);
	vmm_qemu_argv_free(argv);
	v->incoming_fd = -1; /* not ours to close */
	vmm_free(v);
}

static void test_kernel_cmdline(void **state)
{
	struct vmm *v = configured();
	char *c = NULL;

	json_object_del(v->boot_source, "boot_args");
	assert_int_equal(vmm_qemu_kernel_cmdline(v, &c), 0);
	assert_string_equal(c, VMM_DEFAULT_BOOT_ARGS " root=/dev/vda rw");
	free(c);
	json_object_set_new(json_array_get(v->drives, 0), "partuuid", json_string("1234-01"));
	json_object_set_new(json_array_get(v->drives, 0), "is_read_only", json_true());
	assert_int_equal(vmm_qemu_kernel_cmdline(v, &c), 0);
	assert_string_equal(c, VMM_DEFAULT_BOOT_ARGS " root=PARTUUID=1234-01 ro");
	free(c);
	json_array_clear(v->drives);
	assert_int_equal(vmm_qemu_kernel_cmdline(v, &c), 0);
	assert_string_equal(c, VMM_DEFAULT_BOOT_ARGS);
	free(c);
	vmm_free(v);
}

static void test_tsc_khz_under_tcg(void **state)
{
	struct vmm *v = configured();
	char **argv = NULL;

	v->tsc_khz = 2596122;
	assert_int_equal(vmm_qemu_build_argv(v, VMM_ACCEL_TCG, -1, &argv), 0);
	assert_true(find_arg(argv, "-append",
			    "console=ttyS0 reboot=k root=/dev/vda rw "
			    "tsc_early_khz=2596122") > 0);
	vmm_qemu_argv_free(argv);
	/* KVM guests calibrate through kvmclock: nothing added */
	assert_int_equal(vmm_qemu_build_argv(v, VMM_ACCEL_KVM, -1, &argv), 0);
	assert_true(find_arg(argv, "-append", "console=ttyS0 reboot=k root=/dev/vda rw") > 0);
	assert_null(strstr(argv[find_arg(argv, "-append", "")], "tsc_early_khz"));
	vmm_qemu_argv_free(argv);
	/* the caller's own value wins */
	json_object_set_new(v->boot_source, "boot_args", json_string("tsc_early_khz=1000"));
	assert_int_equal(vmm_qemu_build_argv(v, VMM_ACCEL_TCG, -1, &argv), 0);
	assert_true(find_arg(argv, "-append", "tsc_early_khz=1000 root=/dev/vda rw") > 0);
	assert_null(strstr(argv[find_arg(argv, "-append", "")], "2596122"));
	vmm_qemu_argv_free(argv);
	vmm_free(v);
}

static void test_tsc_measurement(void **state)
{
	struct vmm_tsc_sample mark;
	unsigned long khz = vmm_qemu_measure_tsc_khz(NULL), from_mark;

	/* any x86-64 TSC of the last 20 years runs between 100 MHz and 10 GHz */
	assert_true(khz > 100000 && khz < 10000000);
	/* from a mark taken earlier: the same rate (within 1 %), however long ago the mark was */
	vmm_qemu_tsc_sample(&mark);
	assert_true(mark.ns > 0 && mark.err_ns >= 0);
	usleep(30000);
	from_mark = vmm_qemu_measure_tsc_khz(&mark);
	assert_true(from_mark > khz - khz / 100 && from_mark < khz + khz / 100);
}

static void test_accel_names(void **state)
{
	assert_int_equal(vmm_accel_from_string("auto"), VMM_ACCEL_AUTO);
	assert_int_equal(vmm_accel_from_string("kvm"), VMM_ACCEL_KVM);
	assert_int_equal(vmm_accel_from_string("tcg"), VMM_ACCEL_TCG);
	assert_int_equal(vmm_accel_from_string("hvf"), _VMM_ACCEL_INVALID);
	assert_string_equal(vmm_accel_to_string(VMM_ACCEL_TCG), "tcg");
	assert_string_equal(vmm_state_to_string(VMM_NOT_STARTED), "Not started");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_argv),
		cmocka_unit_test(test_reboot_ends_qemu),
		cmocka_unit_test(test_serial_out_path),
		cmocka_unit_test(test_incoming),
		cmocka_unit_test(test_kernel_cmdline),
		cmocka_unit_test(test_tsc_khz_under_tcg),
		cmocka_unit_test(test_tsc_measurement),
		cmocka_unit_test(test_accel_names),
	};

	vmm_log_configure(NULL, "Off", false, false);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

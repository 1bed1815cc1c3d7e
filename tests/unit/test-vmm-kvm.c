/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for banger-vmm's KVM probe: its guest code is correct x86 (run under QEMU TCG from a
 * boot sector, it reports its result), and the probe refuses what is not a working KVM. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmm/vmm-kvm.h"

/* A boot sector that loads sector 2 to 0x4000 (int 13h), builds the probe's page tables (zeroes
 * 0x1000-0x3fff; PML4[0]=0x2003, PDPT[0]=0x3003, PD[0]=0x83) and jumps to 0:0x4000. Assembled
 * with GNU as (.code16) at 0x7c00. */
static const uint8_t boot_sector[] = {
	0xfa,
	0x31,
	0xc0,
	0x8e,
	0xd8,
	0x8e,
	0xc0,
	0x8e,
	0xd0,
	0xbc,
	0x00,
	0x7c,
	0xbb,
	0x00,
	0x40,
	0xb8,
	0x01,
	0x02,
	0xb9,
	0x02,
	0x00,
	0x30,
	0xf6,
	0xcd,
	0x13,
	0xbf,
	0x00,
	0x10,
	0xb9,
	0x00,
	0x18,
	0x31,
	0xc0,
	0xf3,
	0xab,
	0x66,
	0xc7,
	0x06,
	0x00,
	0x10,
	0x03,
	0x20,
	0x00,
	0x00,
	0x66,
	0xc7,
	0x06,
	0x00,
	0x20,
	0x03,
	0x30,
	0x00,
	0x00,
	0x66,
	0xc7,
	0x06,
	0x00,
	0x30,
	0x83,
	0x00,
	0x00,
	0x00,
	0xea,
	0x00,
	0x40,
	0x00,
	0x00,
};

static void test_probe_code_runs_under_tcg(void **state)
{
	char dir[] = "/tmp/test-vmm-kvm.XXXXXX", img[64], cmd[512];
	uint8_t disk[1024] = {};
	size_t n;
	const uint8_t *code = vmm_kvm_probe_code(&n);
	FILE *f;
	int status;

	if (access("/usr/bin/qemu-system-x86_64", X_OK) < 0)
		skip();
	assert_true(n <= 512);
	memcpy(disk, boot_sector, sizeof(boot_sector));
	disk[510] = 0x55;
	disk[511] = 0xaa;
	memcpy(disk + 512, code, n);
	assert_non_null(mkdtemp(dir));
	snprintf(img, sizeof(img), "%s/probe.img", dir);
	f = fopen(img, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(disk, 1, sizeof(disk), f), sizeof(disk));
	fclose(f);
	/* isa-debug-exit turns the guest's write of V to the probe port into exit status 2V+1. */
	snprintf(cmd, sizeof(cmd),
		"timeout 60 /usr/bin/qemu-system-x86_64 -accel tcg -display none -nodefaults "
		"-no-user-config -device isa-debug-exit,iobase=0x%x,iosize=4 "
		"-drive file=%s,format=raw,if=floppy -boot a > /dev/null 2>&1",
		VMM_KVM_PROBE_PORT, img);
	status = system(cmd);
	unlink(img);
	rmdir(dir);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), ((VMM_KVM_PROBE_RESULT << 1) | 1) & 0xff);
}

static void test_probe_refusals(void **state)
{
	assert_int_equal(vmm_kvm_probe("/nonexistent/kvm", 1000), 0);
	assert_int_equal(vmm_kvm_probe("/dev/null", 1000), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe_code_runs_under_tcg),
		cmocka_unit_test(test_probe_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

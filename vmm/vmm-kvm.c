/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Whether KVM really runs guest code here: opening /dev/kvm is not proof (kvm_pvm hosts create
 * VMs whose ordinary guests then hang), so a few real-mode instructions must run to completion. */
#include <fcntl.h>
#include <linux/kvm.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/macro.h"
#include "vmm/vmm-kvm.h"

#define PROBE_PORT VMM_KVM_PROBE_PORT
#define PROBE_MEM 0x10000
#define PML4_ADDR 0x1000
#define PDPT_ADDR 0x2000
#define PD_ADDR 0x3000
#define CODE_ADDR VMM_KVM_PROBE_ENTRY

/* The guest makes the trip a Linux boot makes, itself, from real mode: lgdt, CR0.PE, far jump to
 * 32-bit code, CR4.PAE, CR3, rdmsr/wrmsr EFER.LME, CR0.PG, far jump to 64-bit code, then
 * mov eax,0x1234; add eax,0x101; mov [0x5000],eax; xor eax,eax; mov eax,[0x5000];
 * out 0x10,eax; hlt. Assembled at 0x4000 (GNU as, .code16/.code32/.code64); the GDT (null,
 * 32-bit code 0x08, data 0x10, 64-bit code 0x18) and its descriptor sit at the end. A KVM that
 * only runs real mode, or only paravirtual guests, does not get to the out with 0x1335. */
/* clang-format off */
static const uint8_t probe_code[] = {
	0xfa, 0x66, 0x0f, 0x01, 0x16, 0x98, 0x40, 0x0f, 0x20, 0xc0, 0x66, 0x83, 0xc8, 0x01, 0x0f,
	0x22, 0xc0, 0x66, 0xea, 0x19, 0x40, 0x00, 0x00, 0x08, 0x00, 0x66, 0xb8, 0x10, 0x00, 0x8e,
	0xd8, 0x8e, 0xc0, 0x8e, 0xd0, 0x0f, 0x20, 0xe0, 0x83, 0xc8, 0x20, 0x0f, 0x22, 0xe0, 0xb8,
	0x00, 0x10, 0x00, 0x00, 0x0f, 0x22, 0xd8, 0xb9, 0x80, 0x00, 0x00, 0xc0, 0x0f, 0x32, 0x0d,
	0x00, 0x01, 0x00, 0x00, 0x0f, 0x30, 0x0f, 0x20, 0xc0, 0x0d, 0x00, 0x00, 0x00, 0x80, 0x0f,
	0x22, 0xc0, 0xea, 0x54, 0x40, 0x00, 0x00, 0x18, 0x00, 0xb8, 0x34, 0x12, 0x00, 0x00, 0x05,
	0x01, 0x01, 0x00, 0x00, 0x89, 0x04, 0x25, 0x00, 0x50, 0x00, 0x00, 0x31, 0xc0, 0x8b, 0x04,
	0x25, 0x00, 0x50, 0x00, 0x00, 0x66, 0xba, 0x10, 0x00, 0xef, 0xf4, 0x0f, 0x1f, 0x40, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x9a, 0xcf,
	0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x92, 0xcf, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x9a,
	0xaf, 0x00, 0x1f, 0x00, 0x78, 0x40, 0x00, 0x00,
};
/* clang-format on */

const uint8_t *vmm_kvm_probe_code(size_t *ret_size)
{
	*ret_size = sizeof(probe_code);
	return probe_code;
}

/* Page tables for the guest's CR3: the first 2 MiB identity-mapped with one large page. */
static void setup_page_tables(uint8_t *mem)
{
	uint64_t *pml4 = (uint64_t *)(mem + PML4_ADDR), *pdpt = (uint64_t *)(mem + PDPT_ADDR),
		 *pd = (uint64_t *)(mem + PD_ADDR);

	pml4[0] = PDPT_ADDR | 0x3; /* present, writable */
	pdpt[0] = PD_ADDR | 0x3;
	pd[0] = 0x83; /* present, writable, 2 MiB page */
}

/* Runs in the child: exit status 0 only when the guest computed 0x1335, wrote it and halted. */
static _noreturn_ void probe_child(const char *dev)
{
	struct kvm_userspace_memory_region region = {};
	struct kvm_regs regs = {};
	struct kvm_sregs sregs;
	struct kvm_run *run;
	bool saw_out = false;
	int kvm, vm, vcpu, run_size;
	uint8_t *mem;

	kvm = open(dev, O_RDWR | O_CLOEXEC);
	if (kvm < 0 || ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		_exit(10);
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		_exit(11);
	mem = mmap(NULL, PROBE_MEM, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		_exit(12);
	memcpy(mem + CODE_ADDR, probe_code, sizeof(probe_code));
	region.guest_phys_addr = 0;
	region.memory_size = PROBE_MEM;
	region.userspace_addr = (uintptr_t)mem;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		_exit(13);
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vcpu < 0 || run_size <= 0)
		_exit(14);
	run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		_exit(15);
	setup_page_tables(mem);
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		_exit(16);
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		_exit(17);
	regs.rip = CODE_ADDR;
	regs.rsp = 0x8000;
	regs.rflags = 0x2;
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		_exit(18);
	for (int i = 0; i < 16; i++) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0)
			_exit(19);
		switch (run->exit_reason) {
		case KVM_EXIT_IO: {
			uint32_t value;

			if (run->io.direction != KVM_EXIT_IO_OUT || run->io.port != PROBE_PORT ||
				run->io.size != 4)
				_exit(20);
			memcpy(&value, (uint8_t *)run + run->io.data_offset, sizeof(value));
			if (value != VMM_KVM_PROBE_RESULT)
				_exit(21);
			saw_out = true;
			break;
		}
		case KVM_EXIT_HLT:
			_exit(saw_out ? 0 : 22);
		default:
			_exit(23);
		}
	}
	_exit(24);
}

int vmm_kvm_probe(const char *dev, int timeout_ms)
{
	_cleanup_close_ int pidfd = -1;
	struct pollfd p;
	int status;
	pid_t pid;

	if (access(dev, R_OK | W_OK) < 0)
		return 0;
	pid = fork();
	if (pid < 0)
		return 0;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		probe_child(dev);
	}
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	p = (struct pollfd){.fd = pidfd, .events = POLLIN};
	if (pidfd < 0 || poll(&p, 1, timeout_ms) <= 0)
		kill(pid, SIGKILL);
	if (waitpid(pid, &status, 0) < 0)
		return 0;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

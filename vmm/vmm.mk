# SPDX-License-Identifier: LGPL-2.1-or-later
# vmm/: banger-vmm, the Firecracker-API VMM on QEMU microvm.
bin_PROGRAMS += banger-vmm
banger_vmm_SOURCES = vmm/vmm-main.c $(vmm_core_sources)
banger_vmm_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(MHD_CFLAGS)
banger_vmm_LDADD = $(COMMON_LIBS) $(JANSSON_LIBS) $(MHD_LIBS)

vmm_core_sources = \
	vmm/vmm.h vmm/vmm-instance.c \
	vmm/vmm-body.c vmm/vmm-body.h \
	vmm/vmm-config.c vmm/vmm-config.h \
	vmm/vmm-api.c vmm/vmm-api.h \
	vmm/vmm-qemu.c vmm/vmm-qemu.h \
	vmm/vmm-kvm.c vmm/vmm-kvm.h \
	vmm/vmm-log.c vmm/vmm-log.h

unit_tests += tests/unit/test-vmm-api tests/unit/test-vmm-qemu tests/unit/test-vmm-kvm
tests_unit_test_vmm_api_SOURCES = tests/unit/test-vmm-api.c $(vmm_core_sources)
tests_unit_test_vmm_api_CFLAGS = $(TESTS_CFLAGS) $(MHD_CFLAGS)
tests_unit_test_vmm_api_LDADD = $(COMMON_LIBS) $(JANSSON_LIBS) $(MHD_LIBS) $(CMOCKA_LIBS)
tests_unit_test_vmm_qemu_SOURCES = tests/unit/test-vmm-qemu.c $(vmm_core_sources)
tests_unit_test_vmm_qemu_CFLAGS = $(TESTS_CFLAGS) $(MHD_CFLAGS)
tests_unit_test_vmm_qemu_LDADD = $(COMMON_LIBS) $(JANSSON_LIBS) $(MHD_LIBS) $(CMOCKA_LIBS)
tests_unit_test_vmm_kvm_SOURCES = tests/unit/test-vmm-kvm.c vmm/vmm-kvm.c vmm/vmm-kvm.h
tests_unit_test_vmm_kvm_CFLAGS = $(TESTS_CFLAGS)
tests_unit_test_vmm_kvm_LDADD = $(CMOCKA_LIBS)

# libFuzzer target for the API decoder (configure CC=clang --enable-fuzzing); the VMM's sources are
# compiled into it so they carry the fuzzer's coverage.
if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz-vmm-api
tests_fuzz_fuzz_vmm_api_SOURCES = tests/fuzz/fuzz-vmm-api.c $(vmm_core_sources)
tests_fuzz_fuzz_vmm_api_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(MHD_CFLAGS) -fsanitize=fuzzer,address
tests_fuzz_fuzz_vmm_api_LDFLAGS = -fsanitize=fuzzer,address
tests_fuzz_fuzz_vmm_api_LDADD = $(COMMON_LIBS) $(JANSSON_LIBS) $(MHD_LIBS)
endif

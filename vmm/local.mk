# SPDX-License-Identifier: LGPL-2.1-or-later
# vmm/: banger-vmm (the Firecracker API on QEMU microvm) and banger-jailer (the jailer's
# command-line contract), banger's own Firecracker-compatible provider.
bin_PROGRAMS += banger-vmm
banger_vmm_SOURCES = vmm/vmm-main.c $(vmm_core_sources)
banger_vmm_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(MHD_CFLAGS)
banger_vmm_LDADD = $(COMMON_LIBS) $(JANSSON_LIBS) $(MHD_LIBS)

vmm_core_sources = \
	vmm/vmm.h vmm/vmm-instance.c \
	vmm/vmm-body.c vmm/vmm-body.h \
	vmm/vmm-config.c vmm/vmm-config.h \
	vmm/vmm-api.c vmm/vmm-api.h \
	vmm/vmm-qemu.c vmm/vmm-qemu.h vmm/vmm-snapshot.c vmm/vmm-snapshot.h \
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
tests_fuzz_fuzz_vmm_api_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(MHD_CFLAGS)
tests_fuzz_fuzz_vmm_api_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_vmm_api_LDADD = $(COMMON_LIBS) $(JANSSON_LIBS) $(MHD_LIBS)
endif

# banger-jailer
bin_PROGRAMS += banger-jailer
# The option checks and cgroup code, shared by the program and its unit tests.
noinst_LIBRARIES += libjailer.a
libjailer_a_SOURCES = \
	vmm/jailer-error.c vmm/jailer-error.h \
	vmm/jailer-args.c vmm/jailer-args.h \
	vmm/jailer-validate.c vmm/jailer-validate.h \
	vmm/jailer-cgroup.c vmm/jailer-cgroup.h \
	vmm/jailer-env.c vmm/jailer-env.h
libjailer_a_CFLAGS = $(AM_CFLAGS)
banger_jailer_SOURCES = vmm/jailer-main.c \
	vmm/jailer-jail.c vmm/jailer-jail.h \
	vmm/jailer-launch.c vmm/jailer-launch.h
banger_jailer_CFLAGS = $(AM_CFLAGS)
banger_jailer_LDADD = libjailer.a $(COMMON_LIBS)

# Unit tests: the parser and option checks, cgroup handling and the launch description, on
# fixture trees (no root needed).
unit_tests += tests/unit/test-jailer-args tests/unit/test-jailer-cgroup tests/unit/test-jailer-env
tests_unit_test_jailer_args_SOURCES = tests/unit/test-jailer-args.c \
	tests/unit/test-jailer-fixture.h
tests_unit_test_jailer_args_CFLAGS = $(TESTS_CFLAGS)
tests_unit_test_jailer_args_LDADD = libjailer.a $(COMMON_LIBS) $(CMOCKA_LIBS)
tests_unit_test_jailer_cgroup_SOURCES = tests/unit/test-jailer-cgroup.c \
	tests/unit/test-jailer-fixture.h
tests_unit_test_jailer_cgroup_CFLAGS = $(TESTS_CFLAGS)
tests_unit_test_jailer_cgroup_LDADD = libjailer.a $(COMMON_LIBS) $(CMOCKA_LIBS)
tests_unit_test_jailer_env_SOURCES = tests/unit/test-jailer-env.c \
	tests/unit/test-jailer-fixture.h
tests_unit_test_jailer_env_CFLAGS = $(TESTS_CFLAGS)
tests_unit_test_jailer_env_LDADD = libjailer.a $(COMMON_LIBS) $(CMOCKA_LIBS)

# A static program the integration tests exec through the jailer: it reports, from inside the
# jail, what it was given (argv, environment, descriptors, ids, limits, mounts). Static because
# the jail holds nothing else; no sanitizers for the same reason.
check_PROGRAMS += tests/unit/jailer-probe
tests_unit_jailer_probe_SOURCES = tests/unit/jailer-probe.c
tests_unit_jailer_probe_CFLAGS = $(WARN_CFLAGS)
tests_unit_jailer_probe_LDFLAGS = -static

# SPDX-License-Identifier: LGPL-2.1-or-later
# vmm/: banger-jailer, the Firecracker jailer's command-line contract.
bin_PROGRAMS += banger-jailer
jailer_core_sources = \
	vmm/jailer-error.c vmm/jailer-error.h \
	vmm/jailer-args.c vmm/jailer-args.h \
	vmm/jailer-validate.c vmm/jailer-validate.h \
	vmm/jailer-cgroup.c vmm/jailer-cgroup.h \
	vmm/jailer-env.c vmm/jailer-env.h
banger_jailer_SOURCES = vmm/jailer-main.c $(jailer_core_sources) \
	vmm/jailer-jail.c vmm/jailer-jail.h \
	vmm/jailer-launch.c vmm/jailer-launch.h
banger_jailer_CFLAGS = $(AM_CFLAGS)
banger_jailer_LDADD = $(COMMON_LIBS)

# The parser, id validation and option checks, without touching the system.
unit_tests += tests/unit/test-jailer-args
tests_unit_test_jailer_args_SOURCES = tests/unit/test-jailer-args.c $(jailer_core_sources)
tests_unit_test_jailer_args_CFLAGS = $(TESTS_CFLAGS)
tests_unit_test_jailer_args_LDADD = $(COMMON_LIBS) $(CMOCKA_LIBS)

# A static program the integration tests exec through the jailer: it reports, from inside the
# jail, what it was given (argv, environment, descriptors, ids, limits, mounts). Static because
# the jail holds nothing else; no sanitizers for the same reason.
check_PROGRAMS += tests/unit/jailer-probe
tests_unit_jailer_probe_SOURCES = tests/unit/jailer-probe.c
tests_unit_jailer_probe_CFLAGS = $(WARN_CFLAGS)
tests_unit_jailer_probe_LDFLAGS = -static

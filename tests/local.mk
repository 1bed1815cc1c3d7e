# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/: scripts and shared test code shipped in the tarball; unit-test programs are declared in
# the local.mk of the folder whose code they test.
EXTRA_DIST += tests/lib.sh tests/lib tests/integration tests/e2e tests/tui tests/systemd tests/bench \
	tests/fuzz tests/data tests/chaos

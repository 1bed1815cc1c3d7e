#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bangerd-root timings: milliseconds per op (tap create/delete, disk.prepare by strategy, jail
# stage/cleanup), measured from the owner's side through bangerd-root-call. Each figure includes
# one client process start; the hello line is that baseline. Prints figures only, asserts nothing.
# Usage: tests/bench/helper-bench.sh [ITERATIONS]   (root; runs in private namespaces)
. "$(dirname "$0")/../lib.sh"
t_private_ns "$@"
. "$(dirname "$0")/../integration/helper-common.inc"
N=${1:-20}

h_setup
h_install > /dev/null
h_network 172.31.99.0/24
h_start || { echo "bangerd-root did not start"; exit 1; }
state=$T/var/lib/banger/state/vms/b
mkdir -p "$state"
head -c 8M /dev/urandom > "$state/kernel"
truncate -s 256M "$state/base"
head -c 64M /dev/urandom | dd of="$state/base" conv=notrunc status=none
: > "$state/disk"
chown -R "$H_UID:$H_GID" "$T/var/lib/banger/state"

now() { date +%s%N; }
# bench NAME SETUP-CMD OP-CMD: runs OP N times (SETUP before each, untimed), prints the mean.
bench() {
	local name=$1 setup=$2 op=$3 total=0 t0 i
	for ((i = 0; i < N; i++)); do
		eval "$setup" > /dev/null 2>&1
		t0=$(now)
		eval "$op" > /dev/null
		total=$((total + $(now) - t0))
	done
	printf '%-44s %8.2f ms/op  (n=%d)\n' "$name" "$(awk -v t="$total" -v n="$N" 'BEGIN { print t / n / 1000000 }')" "$N"
}

echo "# bangerd-root, $(nproc) CPUs, $(uname -r), jailer: $H_PROVIDER"
bench "hello (client start + round trip)" ":" "h_call hello '{\"protocol\":1}'"
h_call net.bridge_ensure '{"address":"172.31.99.1/24"}' > /dev/null
bench "net.tap_create" "h_call net.tap_delete '{\"tap\":\"bgt-bench\"}'" "h_call net.tap_create '{\"tap\":\"bgt-bench\"}'"
bench "net.tap_delete" "h_call net.tap_create '{\"tap\":\"bgt-bench\"}'" "h_call net.tap_delete '{\"tap\":\"bgt-bench\"}'"
bench "nat.ensure" ":" "h_call nat.ensure '{\"subnet\":\"172.31.99.0/24\"}'"

reset_disk() { rm -f "$1"; : > "$1"; chown "$H_UID:$H_GID" "$1"; }
bench "disk.prepare sparse-copy (256M, 64M data)" "reset_disk '$state/disk'" \
	"h_call disk.prepare '{\"vm_id\":\"b\",\"strategy\":\"sparse-copy\"}' --fd base='$state/base' --fd-rw disk='$state/disk'"
if grep -qw btrfs /proc/filesystems && command -v mkfs.btrfs > /dev/null; then
	truncate -s 1G "$T/btrfs.img" && mkfs.btrfs -q "$T/btrfs.img" > /dev/null 2>&1
	mkdir -p "$T/btrfs" && mount -o loop "$T/btrfs.img" "$T/btrfs" && t_add_cleanup "umount '$T/btrfs'"
	chmod 0755 "$T/btrfs"
	cp --sparse=always "$state/base" "$T/btrfs/base" && chown "$H_UID:$H_GID" "$T/btrfs/base"
	bench "disk.prepare reflink (256M on btrfs)" "reset_disk '$T/btrfs/disk'" \
		"h_call disk.prepare '{\"vm_id\":\"b\",\"strategy\":\"reflink\"}' --fd base='$T/btrfs/base' --fd-rw disk='$T/btrfs/disk'"
	bench "disk.prepare sparse-copy (btrfs: copy_file_range shares)" "reset_disk '$T/btrfs/disk'" \
		"h_call disk.prepare '{\"vm_id\":\"b\",\"strategy\":\"sparse-copy\"}' --fd base='$T/btrfs/base' --fd-rw disk='$T/btrfs/disk'"
else
	echo "disk.prepare reflink: skipped (no btrfs)"
fi
if [ -c /dev/mapper/control ] && (exec 3<> /dev/mapper/control) 2> /dev/null; then
	bench "disk.prepare dm-snapshot" "h_call disk.release '{\"vm_id\":\"b\"}'; reset_disk '$state/disk'" \
		"h_call disk.prepare '{\"vm_id\":\"b\",\"strategy\":\"dm-snapshot\"}' --fd base='$state/base' --fd-rw disk='$state/disk'"
	h_call disk.release '{"vm_id":"b"}' > /dev/null
else
	echo "disk.prepare dm-snapshot: skipped (no device-mapper: /dev/mapper/control cannot be opened)"
fi

bench "jail.stage (8M kernel, linker + provider binds)" "h_call jail.cleanup '{\"vm_id\":\"b\"}'" \
	"h_call jail.stage '{\"vm_id\":\"b\"}' --fd kernel='$state/kernel'"
bench "jail.cleanup" "h_call jail.stage '{\"vm_id\":\"b\"}' --fd kernel='$state/kernel'" \
	"h_call jail.cleanup '{\"vm_id\":\"b\"}'"
bench "resources.list" ":" "h_call resources.list"

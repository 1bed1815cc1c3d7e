#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Figures for live snapshots (printed, never asserted): how long the guest stands during vm
# snapshot create (the daemon's own measure, PATCH /vm Paused answered → Resumed answered: the
# VMM's snapshot plus the disk copy), the whole call's wall time, whether the copies were
# reflinks, and the snapshot's sizes; then a restore into the stopped VM and its restore-to-SSH.
# Medians of a few runs. Runs inside its own network + mount namespace like the e2e tests.
#
#   sudo tests/bench/vm-snapshot.sh [RUNS (3)] [MEMORY MiB (256)]
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../e2e/vmm-lib.inc"
t_private_ns "$@"
RUNS=${1:-3} MEM=${2:-256}
LC_CONF='[vm]
ssh_timeout_sec = 300
stop_timeout_sec = 20'
. "$(dirname "$0")/../e2e/lifecycle-lib.inc"
lc_setup
banger image import minimal --kernel "$T/img/vmlinuz" --initrd "$T/img/initrd.img" \
	--rootfs "$T/img/rootfs.ext4" > /dev/null || { echo "import failed"; exit 1; }

median() { sort -n | awk '{a[NR]=$1} END {if (NR) print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}'; }
ms() { date +%s%3N; }

banger vm create bench --memory "$MEM" > /dev/null
banger vm start bench > /dev/null || { echo "start failed"; exit 1; }
: > "$T/paused" && : > "$T/call" && : > "$T/total"
for i in $(seq "$RUNS"); do
	t0=$(ms)
	rec=$(banger --json vm snapshot create bench --name "s$i") || { echo "snapshot failed: $rec"; exit 1; }
	echo $(($(ms) - t0)) >> "$T/call"
	jq -r '.paused_us / 1000 | floor' <<< "$rec" >> "$T/paused"
	jq -r '.total_us / 1000 | floor' <<< "$rec" >> "$T/total"
done
banger vm stop bench > /dev/null
t0=$(ms)
banger vm snapshot restore bench "s$RUNS" > /dev/null || { echo "restore failed"; exit 1; }
restore=$(($(ms) - t0))
t0=$(ms)
banger vm start bench > /dev/null || { echo "start after restore failed"; exit 1; }
start=$(($(ms) - t0))
echo "== live snapshots of one running VM ($MEM MiB), $RUNS runs, medians"
printf '  %-40s %8s ms   (runs: %s)\n' "guest paused (Paused → Resumed answered)" "$(median < "$T/paused")" "$(paste -sd' ' "$T/paused")"
printf '  %-40s %8s ms   (runs: %s)\n' "daemon's total (pause → record renamed)" "$(median < "$T/total")" "$(paste -sd' ' "$T/total")"
printf '  %-40s %8s ms   (runs: %s)\n' "vm snapshot create, wall" "$(median < "$T/call")" "$(paste -sd' ' "$T/call")"
printf '  %-40s %s\n' "disk / memory copied by" "$(jq -r '"\(if .disk.reflinked then "reflink" else "sparse copy" end) / \(if .memory.reflinked then "reflink" else "sparse copy" end)"' <<< "$rec")"
printf '  %-40s %8s bytes (%s allocated)\n' "disk copy" "$(jq .disk.bytes <<< "$rec")" "$(jq .disk.allocated_bytes <<< "$rec")"
printf '  %-40s %8s bytes\n' "memory" "$(jq .memory.bytes <<< "$rec")"
printf '  %-40s %8s bytes\n' "state" "$(jq .state_bytes <<< "$rec")"
printf '  %-40s %8s ms\n' "vm snapshot restore (stopped VM)" "$restore"
printf '  %-40s %8s ms\n' "then vm start, restore to SSH" "$start"
banger vm delete --force bench > /dev/null

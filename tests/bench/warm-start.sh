#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Figures for warm starts (printed, never asserted): the same VM's cold boot-to-SSH (vm start of
# a stopped VM) against its restore-to-SSH (vm start of a suspended one), medians of a few runs
# and their ratio; suspend time (vm stop --snapshot), the state and memory files' sizes; pause
# and resume round trips. Both starts are timed the same way, from the CLI call to its answer
# (running: SSH answered, boot id read). Runs inside its own network + mount namespace like the
# e2e tests.
#
#   sudo tests/bench/warm-start.sh [RUNS (3)] [MEMORY MiB (256)]
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
# timed FILE CMD...: appends CMD's wall time in ms to FILE; stops the bench when CMD fails
timed() {
	local f=$1 t0 out
	shift
	t0=$(ms)
	out=$("$@" 2>&1) || { echo "failed: $* — $out"; exit 1; }
	echo $(($(ms) - t0)) >> "$f"
}

banger vm create bench --memory "$MEM" > /dev/null
DIR=$T/var/lib/banger/state/vms/$(banger --json vm get bench | jq -r .id)
: > "$T/cold" && : > "$T/warm" && : > "$T/suspend" && : > "$T/pause" && : > "$T/resume"
for i in $(seq "$RUNS"); do
	timed "$T/cold" banger vm start --cold bench
	timed "$T/pause" banger vm pause bench
	timed "$T/resume" banger vm resume bench
	timed "$T/suspend" banger vm stop --snapshot bench
	timed "$T/warm" banger vm start bench
	state=$(stat -c %s "$DIR/snapshot.state") mem=$(stat -c %s "$DIR/snapshot.mem")
	accel=$(jq -r '.accel // "?"' "$DIR/snapshot.state" 2> /dev/null)
	mem_used=$(($(stat -c %b "$DIR/snapshot.mem") * $(stat -c %B "$DIR/snapshot.mem")))
	banger vm stop bench > /dev/null
done
cold=$(median < "$T/cold") warm=$(median < "$T/warm")
echo "== warm starts of one VM ($MEM MiB, accelerator $accel), $RUNS runs each, medians"
printf '  %-36s %8s ms   (runs: %s)\n' "cold boot to SSH (vm start --cold)" "$cold" "$(paste -sd' ' "$T/cold")"
printf '  %-36s %8s ms   (runs: %s)\n' "restore to SSH (vm start, suspended)" "$warm" "$(paste -sd' ' "$T/warm")"
printf '  %-36s %8s\n' "restore / cold" "$(awk -v w="$warm" -v c="$cold" 'BEGIN {printf "%.3f (%.1f %%)", w / c, 100 * w / c}')"
printf '  %-36s %8s ms   (runs: %s)\n' "suspend (vm stop --snapshot)" "$(median < "$T/suspend")" "$(paste -sd' ' "$T/suspend")"
printf '  %-36s %8s ms\n' "vm pause" "$(median < "$T/pause")"
printf '  %-36s %8s ms\n' "vm resume" "$(median < "$T/resume")"
printf '  %-36s %8s bytes\n' "snapshot.state" "$state"
printf '  %-36s %8s bytes (%s on disk)\n' "snapshot.mem" "$mem" "$mem_used"
banger vm delete bench > /dev/null

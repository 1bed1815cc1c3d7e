#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Figures for the Debian image (printed, never asserted): `banger image build debian` wall time,
# the sizes of what it makes (rootfs apparent and allocated, kernel, initrd) against the minimal
# image's, and boot-to-SSH (`banger vm start` until running: SSH answered with the pinned key,
# boot id read) of fresh Debian guests against fresh minimal ones, medians of BOOTS each, one guest
# at a time, same VM settings. Runs inside its own network + mount namespace like the e2e tests;
# the build downloads through the network it was started in.
#
#   sudo tests/bench/image-debian.sh [BOOTS (3)]
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../e2e/vmm-lib.inc"
t_private_ns "$@"
BOOTS=${1:-3}
command -v mmdebstrap > /dev/null || t_skip_all "mmdebstrap is missing"
HOSTNET=(nsenter --net=/proc/$PPID/ns/net --)
LC_CONF='[vm]
ssh_timeout_sec = 300
stop_timeout_sec = 30'
. "$(dirname "$0")/../e2e/lifecycle-lib.inc"
lc_setup
mkdir -m 0755 "$T/tmp"
median() { sort -n | awk '{a[NR]=$1} END {if (NR) print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}'; }
now() { date +%s.%N; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }

t0=$(now)
"${HOSTNET[@]}" env BANGER_ROOT="$T" HOME="$HOMEDIR" TMPDIR="$T/tmp" "$(t_bin banger)" image build debian \
	> "$T/build.log" 2>&1 || { tail -n 40 "$T/build.log"; echo "image build debian failed"; exit 1; }
build_s=$(echo "$(now) - $t0" | bc)
t0=$(now)
env BANGER_ROOT="$T" HOME="$HOMEDIR" TMPDIR="$T/tmp" "$(t_bin banger)" image build minimal > "$T/build-min.log" 2>&1 ||
	{ tail -n 20 "$T/build-min.log"; echo "image build minimal failed"; exit 1; }
build_min_s=$(echo "$(now) - $t0" | bc)

echo "== image build (recipe + import into bangerd), wall time"
printf '  %-8s %8.1f s\n' debian "$build_s" minimal "$build_min_s"
echo "== image sizes (as imported: images/<name>/)"
printf '  %-8s %-24s %-24s %-12s %-12s\n' image "rootfs apparent" "rootfs allocated" kernel initrd
for name in debian minimal; do
	d=$T/var/lib/banger/state/images/$name
	printf '  %-8s %-24s %-24s %-12s %-12s\n' "$name" "$(mib "$(stat -c %s "$d/rootfs.ext4")")" \
		"$(mib $(($(stat -c %b "$d/rootfs.ext4") * 512)))" "$(mib "$(stat -c %s "$d/vmlinuz")")" \
		"$(mib "$(stat -c %s "$d/initrd.img")")"
done

echo "== boot to SSH: banger vm start → running, $BOOTS starts each, 512 MiB, 1 vCPU, TCG"
# fresh VMs: a first boot, as `banger vm run` gives (host key and machine id made then)
for name in minimal debian; do
	: > "$T/walls-$name"
	for i in $(seq "$BOOTS"); do
		banger vm create "b-$name-$i" --image "$name" > /dev/null
		t0=$(now)
		banger vm start --quiet "b-$name-$i" > "$T/start.out" 2>&1 ||
			{ echo "# $name start $i failed"; cat "$T/start.out"; }
		echo "$(now) - $t0" | bc >> "$T/walls-$name"
		banger vm delete --force "b-$name-$i" > /dev/null
	done
	printf '  %-8s median %6.1f s  (runs: %s)\n' "$name" "$(median < "$T/walls-$name")" \
		"$(xargs printf '%.1f ' < "$T/walls-$name")"
done

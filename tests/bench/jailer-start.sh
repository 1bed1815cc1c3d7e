#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Figures only: how long banger-jailer takes from being spawned to the jailed program running
# and exiting (plain mode, tests/unit/jailer-probe as the exec file), median and p90 over N
# launches (BANGER_BENCH_N, default 50), with and without a pre-staged read-only bind in the jail.
# Upstream's test harness expects a jailer start within about 80 ms.
. "$(dirname "$0")/../lib.sh"
t_private_ns "$@"
t_tmpdir
J=$(t_bin banger-jailer)
PROBE_BIN=$(t_bin tests/unit/jailer-probe)
[ -x "$J" ] && [ -x "$PROBE_BIN" ] || t_skip_all "banger-jailer and tests/unit/jailer-probe must be built"
N=${BANGER_BENCH_N:-50}
mkdir -p "$T/base"
cp "$PROBE_BIN" "$T/probe"

run() { # LABEL STAGE(0|1)
	local label=$1 staged=$2 i t0 t1
	: > "$T/times"
	for ((i = 0; i < N; i++)); do
		local id=$label-$i root=$T/base/probe/$label-$i/root
		if [ "$staged" = 1 ]; then
			mkdir -p "$root/usr/lib"
			mount --bind -o ro /usr/lib "$root/usr/lib"
		fi
		t0=$EPOCHREALTIME
		"$J" --id "$id" --exec-file "$T/probe" --uid 65534 --gid 65534 \
			--chroot-base-dir "$T/base" > /dev/null 2>&1 || { echo "# launch $i failed"; return 1; }
		t1=$EPOCHREALTIME
		echo "$t0 $t1" | awk '{ printf "%.3f\n", ($2 - $1) * 1000 }' >> "$T/times"
		[ "$staged" = 1 ] && umount -l "$root/usr/lib"
	done
	sort -n "$T/times" | awk -v label="$label" -v n="$N" '
		{ v[NR] = $1 }
		END { printf "jailer start (%s): median %.2f ms, p90 %.2f ms, min %.2f ms over %d launches\n",
			label, v[int((NR + 1) / 2)], v[int(NR * 0.9 + 0.5)], v[1], n }'
}
run plain 0
run staged-bind 1

#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# banger-tui benchmark: prints figures only (targets from tui-notes §5.6: key-to-screen p99 under
# 33 ms with 1,000 VMs while a console streams 10,000 lines/s; idle CPU under 0.5 % of a core;
# RSS under 40 MiB). BENCH_VMS, BENCH_LINES_PER_S, BENCH_KEYS, BENCH_IDLE_SECONDS and
# BENCH_ALL_SECONDS (every VM logging, for the memory worst case) tune it.
set -eu
: "${BANGER_SRC:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${BANGER_BUILD:=$BANGER_SRC/build}"
tmp=$(mktemp -d /tmp/tui-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
python3 "$BANGER_SRC/tests/bench/tui-bench.py" "$BANGER_BUILD" "$BANGER_SRC" "$tmp"

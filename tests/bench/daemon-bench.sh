#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bangerd figures (printed, never asserted): vm.list latency and `banger vm list --json` wall
# time with 1,000 records, RSS idle and with 1,000 records, events/s fanned out to 10
# subscribers. Not run by scripts/test. Usage: BANGER_BUILD=DIR tests/bench/daemon-bench.sh
set -eu
: "${BANGER_SRC:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${BANGER_BUILD:=$BANGER_SRC/build}"
ROOT=$(mktemp -d "${BENCH_DIR:-/var/tmp}/banger-bench.XXXXXX")
export BANGER_ROOT=$ROOT
SOCK=$ROOT/run/banger/bangerd.sock
args=()
[ "$(id -u)" -eq 0 ] && args+=(--allow-root)
"$BANGER_BUILD/bangerd" "${args[@]}" --event-queue 100000 > "$ROOT/bangerd.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$ROOT"' EXIT
for _ in $(seq 50); do [ -S "$SOCK" ] && break; sleep 0.1; done
rss() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }
sleep 0.5
echo "bangerd RSS idle:                 $(rss) KiB"

mkdir -p "$ROOT/img"
head -c 1M /dev/urandom > "$ROOT/img/vmlinuz"
truncate -s 64M "$ROOT/img/rootfs.ext4"
"$BANGER_BUILD/banger" image import minimal --kernel "$ROOT/img/vmlinuz" --rootfs "$ROOT/img/rootfs.ext4" > /dev/null

python3 - "$SOCK" <<'PY'
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rwb")
t0 = time.monotonic()
for i in range(1000):
    f.write((json.dumps({"jsonrpc": "2.0", "id": i, "method": "vm.create",
                         "params": {"name": "bench-%04d" % i, "vcpus": 1 + i % 4}}) + "\n").encode())
f.flush()
for i in range(1000):
    assert "result" in json.loads(f.readline())
dt = time.monotonic() - t0
print("vm.create x1000 (pipelined):       %.2f s (%.0f/s, each one fsynced)" % (dt, 1000 / dt))
lat = []
for i in range(100):
    t = time.perf_counter()
    f.write(b'{"jsonrpc":"2.0","id":"l","method":"vm.list"}\n'); f.flush()
    line = f.readline()
    lat.append((time.perf_counter() - t) * 1000)
assert len(json.loads(line)["result"]["vms"]) == 1000
lat.sort()
print("vm.list, 1000 VMs, round trip:    median %.2f ms, p95 %.2f ms, max %.2f ms (%d KiB answer)"
      % (lat[50], lat[95], lat[-1], len(line) // 1024))
PY
times=()
for _ in $(seq 20); do
	s=$(date +%s%N)
	"$BANGER_BUILD/banger" vm list --json > /dev/null
	times+=($(( ($(date +%s%N) - s) / 1000 )))
done
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
printf 'banger vm list --json, 1000 VMs:  median %d.%03d ms, max %d.%03d ms (20 runs)\n' \
	$((sorted[10] / 1000)) $((sorted[10] % 1000)) $((sorted[19] / 1000)) $((sorted[19] % 1000))
s=$(date +%s%N); "$BANGER_BUILD/banger" vm list > /dev/null; e=$(date +%s%N)
echo "banger vm list (table), 1000 VMs: $(( (e - s) / 1000000 )) ms"
echo "bangerd RSS with 1000 VMs:        $(rss) KiB right after the lists, $(sleep 6; rss) KiB after a heartbeat (heap trimmed)"

python3 - "$SOCK" <<'PY'
import json, multiprocessing, socket, sys, time
SUBS, PAIRS = 10, 2000
def subscriber(sock, ready, q):
    s = socket.socket(socket.AF_UNIX); s.connect(sock)
    s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"events.subscribe"}\n')
    f = s.makefile("rb")
    f.readline(); f.readline()  # answer, snapshot
    ready.set()
    n = 0
    while n < 2 * PAIRS:
        line = f.readline()
        if b'"daemon.heartbeat"' not in line:
            n += 1
    q.put((n, time.monotonic()))
ready = [multiprocessing.Event() for _ in range(SUBS)]
q = multiprocessing.Queue()
procs = [multiprocessing.Process(target=subscriber, args=(sys.argv[1], ready[i], q)) for i in range(SUBS)]
for p in procs: p.start()
for r in ready: r.wait()
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rwb")
t0 = time.monotonic()
for i in range(PAIRS):
    for m in ("vm.create", "vm.delete"):
        f.write((json.dumps({"jsonrpc": "2.0", "id": i, "method": m, "params": {"name": "ev-%d" % i}}) + "\n").encode())
f.flush()
for i in range(2 * PAIRS):
    f.readline()
t_pub = time.monotonic() - t0
res = [q.get() for _ in procs]
t_all = max(t for _, t in res) - t0
total = sum(n for n, _ in res)
for p in procs: p.join()
print("events, %d subscribers:           %d events published in %.2f s (%.0f/s; each change writes and fsyncs a record);"
      % (SUBS, 2 * PAIRS, t_pub, 2 * PAIRS / t_pub))
print("                                  %d deliveries in %.2f s = %.0f events/s delivered in total, %.0f/s per subscriber"
      % (total, t_all, total / t_all, total / t_all / SUBS))
PY
echo "bangerd RSS after the event run:  $(sleep 6; rss) KiB (10 subscriber queues of 100000 slots: the bench's --event-queue)"

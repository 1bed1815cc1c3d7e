#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Events: snapshot on subscribe, numbered events for every change, since_seq replay (and the
# snapshot when the backlog cannot serve it), heartbeats, and a subscriber that stops reading:
# it costs nobody else anything and is resynced with events.lagged + events.snapshot.
. "$(dirname "$0")/daemon-lib.sh"
t_require_root
# records on tmpfs: the flood below is about queues, not about fsync
T=$(mktemp -d /dev/shm/banger-test.XXXXXX)
t_add_cleanup "rm -rf '$T'"
d_start --heartbeat 1 --event-queue 16

# subscriber A: subscribes, then records every line for 60 s or until told to stop
python3 - "$SOCK" "$T/a.out" <<'PY' &
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"events.subscribe","params":{}}\n')
out = open(sys.argv[2], "w", buffering=1)
f = s.makefile("rb")
s.settimeout(60)
for line in f:
    out.write(line.decode())
PY
sub_a=$!
t_add_cleanup "kill $sub_a"
t_wait 5 grep -q events.snapshot "$T/a.out"
t_eq "subscribe without since_seq answers snapshot:true" true "$(head -1 "$T/a.out" | jq -r .result.snapshot)"
t_eq "then an events.snapshot with vms and images" "[] []" "$(grep events.snapshot "$T/a.out" | jq -c '.params.vms, .params.images' | tr '\n' ' ' | sed 's/ $//')"
seq0=$(head -1 "$T/a.out" | jq -r .result.seq)

d_image minimal
d_rpc vm.create '{"name":"one"}' > /dev/null
d_rpc vm.delete '{"name":"one"}' > /dev/null
d_rpc image.delete '{"name":"minimal"}' > /dev/null
t_wait 5 grep -q image.deleted "$T/a.out"
t_eq "events arrive in order" "image.imported vm.created vm.deleted image.deleted" "$(grep -v heartbeat "$T/a.out" | jq -r 'select(.params.seq and .method != "events.snapshot") | .method' | tr '\n' ' ' | sed 's/ $//')"
t_eq "seq counts up by one from the subscribe answer" "$((seq0 + 1)) $((seq0 + 2)) $((seq0 + 3)) $((seq0 + 4))" "$(grep -v -e heartbeat -e snapshot "$T/a.out" | jq -r 'select(.method) | .params.seq' | tr '\n' ' ' | sed 's/ $//')"
t_eq "vm.created carries the VM" one "$(grep vm.created "$T/a.out" | jq -r .params.vm.name)"
t_eq "vm.deleted carries id and name" one "$(grep vm.deleted "$T/a.out" | jq -r .params.name)"
# a heartbeat sent after the last event: one sent before it rightly carries an older seq
after_last() { sed -n '/image.deleted/,$p' "$T/a.out" | grep daemon.heartbeat; }
t_check "a heartbeat follows the last event (--heartbeat 1)" t_wait 5 after_last
hb=$(after_last | head -1)
t_eq "heartbeat carries the latest seq" "$((seq0 + 4))" "$(jq -r .params.seq <<< "$hb")"
t_check "heartbeat carries the time" jq -e '.params.time | test("^[0-9]{4}-.*Z$")' <<< "$hb"

# since_seq: a replay from the backlog, in order, then live events
sub() {
	python3 - "$SOCK" "$1" "$2" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(10)
s.sendall((json.dumps({"jsonrpc": "2.0", "id": 1, "method": "events.subscribe", "params": json.loads(sys.argv[2])}) + "\n").encode())
f = s.makefile("rb")
for _ in range(int(sys.argv[3])):
    m = json.loads(f.readline())
    if m.get("method") == "daemon.heartbeat":
        continue
    print(json.dumps(m))
PY
}
out=$(sub "{\"since_seq\":$((seq0 + 1))}" 4)
t_eq "since_seq replays what followed" "3 vm.created vm.deleted image.deleted" "$(jq -r '.result.replayed // .method' <<< "$out" | tr '\n' ' ' | sed 's/ $//')"
out=$(sub "{\"since_seq\":$((seq0 + 4))}" 1)
t_eq "since_seq at the latest replays nothing" 0 "$(jq -r .result.replayed <<< "$out")"
out=$(sub '{"since_seq":0}' 2)
t_eq "since_seq older than the backlog gets a snapshot" "true events.snapshot" "$(jq -r '.result.snapshot // .method' <<< "$out" | tr '\n' ' ' | sed 's/ $//')"
out=$(sub "{\"since_seq\":$((seq0 + 999))}" 1)
t_eq "since_seq from the future gets a snapshot" true "$(jq -r .result.snapshot <<< "$out")"
t_eq "since_seq must be a number" invalid_argument "$(d_code events.subscribe '{"since_seq":"x"}')"
t_eq "subscribing twice on one connection is a conflict" '"conflict"' "$(python3 - "$SOCK" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(10); f = s.makefile("rb")
for i in (1, 2):
    s.sendall(('{"jsonrpc":"2.0","id":%d,"method":"events.subscribe"}\n' % i).encode())
while True:
    m = json.loads(f.readline())
    if m.get("id") == 2:
        print(json.dumps(m["error"]["data"]["code"])); break
PY
)"

# A subscriber that stops reading. It subscribes, then sleeps until "$T/go" exists while
# another client floods changes; then it reads everything that is waiting.
d_image minimal
python3 - "$SOCK" "$T" <<'PY' &
import json, os, socket, sys, time
sock, t = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX); s.connect(sock)
s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"events.subscribe","params":{}}\n')
open(t + "/slow.ready", "w").close()
while not os.path.exists(t + "/go"):
    time.sleep(0.05)
s.settimeout(20)
f = s.makefile("rb")
out = open(t + "/slow.out", "w", buffering=1)
for line in f:
    out.write(line.decode())
    m = json.loads(line)
    if m.get("method") == "vm.created" and m["params"]["vm"]["name"] == "after":
        break
PY
slow=$!
t_wait 5 test -e "$T/slow.ready"
flood=$(python3 - "$SOCK" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(10); f = s.makefile("rwb")
answered = 0
for i in range(800):
    for m in ("vm.create", "vm.delete"):
        f.write((json.dumps({"jsonrpc": "2.0", "id": i, "method": m, "params": {"name": "f%d" % i}}) + "\n").encode()); f.flush()
        if "result" in json.loads(f.readline()):
            answered += 1
print(answered)
PY
)
t_eq "a flooding client gets all 1600 answers while a subscriber is stalled" 1600 "$flood"
t_eq "other clients are answered meanwhile" ok "$(d_code vm.list)"
rss=$(awk '/VmRSS/ {print $2}' /proc/$D_PID/status)
t_check "the daemon did not buffer the backlog without bound (RSS ${rss} kB < 64 MiB)" test "$rss" -lt 65536
touch "$T/go"
d_rpc vm.create '{"name":"after"}' > /dev/null
wait $slow
t_eq "the stalled subscriber got events.lagged" 1 "$(grep -c '"events.lagged"' "$T/slow.out")"
lag=$(grep '"events.lagged"' "$T/slow.out")
t_check "events.lagged counts what was dropped" jq -e '.params.dropped > 16' <<< "$lag"
t_eq "then an events.snapshot" events.snapshot "$(grep -A1 '"events.lagged"' "$T/slow.out" | tail -1 | jq -r .method)"
snap=$(grep -A1 '"events.lagged"' "$T/slow.out" | tail -1)
t_eq "the snapshot shows the state after the flood" "" "$(jq -r '.params.vms[].name' <<< "$snap")"
t_eq "and live events continue after it" after "$(tail -1 "$T/slow.out" | jq -r .params.vm.name)"
t_check "with a seq above the snapshot's" test "$(tail -1 "$T/slow.out" | jq -r .params.seq)" -gt "$(jq -r .params.seq <<< "$snap")"
t_eq "subscriber A, which kept reading, never lagged" 0 "$(grep -c '"events.lagged"' "$T/a.out")"
d_stop
t_check "subscribers hear daemon.stopping" grep -q daemon.stopping "$T/a.out"
t_done

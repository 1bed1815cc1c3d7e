#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bangerd across restarts: every record kept; corrupt ones quarantined, older ones migrated,
# newer ones refused, interrupted writes cleaned up; one daemon per socket; a stale socket
# reclaimed; systemd socket activation and sd_notify.
. "$(dirname "$0")/daemon-lib.sh"
t_require_root
d_start
d_image minimal
d_image other
python3 - "$SOCK" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rwb")
for i in range(50):
    p = {"name": "vm-%02d" % i, "vcpus": 1 + i % 4, "memory_mib": 128 * (1 + i % 3), "image": ("minimal", "other")[i % 2]}
    f.write((json.dumps({"jsonrpc": "2.0", "id": i, "method": "vm.create", "params": p}) + "\n").encode()); f.flush()
    assert "result" in json.loads(f.readline())
PY
before_vms=$(d_rpc vm.list | jq -c .result)
before_images=$(d_rpc image.list | jq -c .result)
t_eq "50 VMs created" 50 "$(jq '.vms | length' <<< "$before_vms")"
d_stop
t_eq "clean stop" 0 "$?"
d_start
t_eq "every VM record survives a restart unchanged" "$before_vms" "$(d_rpc vm.list | jq -c .result)"
t_eq "every image record survives a restart unchanged" "$before_images" "$(d_rpc image.list | jq -c .result)"

state=$BANGER_ROOT/var/lib/banger/state
id3=$(jq -r '.vms[3].id' <<< "$before_vms")
id4=$(jq -r '.vms[4].id' <<< "$before_vms")
kill -9 "$D_PID"; wait "$D_PID" 2>/dev/null
# while it is down: one record truncated, one interrupted write, one old and one future record
truncate -s 40 "$state/vms/$id3/vm.json"
printf '{"id":"%s","name":"vm-04","vc' "$id4" > "$state/vms/$id4/vm.json.tmp.999"
old=0123456789abcdef0123456789abcdef
mkdir -p "$state/vms/$old" "$state/vms/fedcba9876543210fedcba9876543210"
printf '{"id":"%s","name":"legacy","vcpus":2}' "$old" > "$state/vms/$old/vm.json"
printf '{"schema_version":42,"id":"fedcba9876543210fedcba9876543210","name":"future"}' > "$state/vms/fedcba9876543210fedcba9876543210/vm.json"
t_check "a stale socket is left by the killed daemon" test -S "$SOCK"
d_start
t_eq "a new daemon reclaims the stale socket" ok "$(d_code vm.list)"
st=$(d_rpc system.status)
t_eq "the truncated record is quarantined" "1" "$(jq -r .result.store.quarantined <<< "$st")"
t_check "as vm.json.corrupt" test -f "$state/vms/$id3/vm.json.corrupt"
t_check "and the log says so" grep -q "is corrupt" "$T/bangerd.log"
t_eq "the VM with the interrupted write keeps its last complete record" vm-04 "$(d_rpc vm.get "{\"id\":\"$id4\"}" | jq -r .result.name)"
t_check "and the leftover temporary file is gone" test ! -e "$state/vms/$id4/vm.json.tmp.999"
t_eq "the old record is migrated" "1 stopped 2" "$(jq -r .result.store.migrated <<< "$st") $(d_rpc vm.get '{"name":"legacy"}' | jq -r '.result | "\(.state) \(.vcpus)"')"
t_eq "and rewritten with the current schema_version" 1 "$(jq .schema_version "$state/vms/$old/vm.json")"
t_eq "the newer record is refused" "1 not_found" "$(jq -r .result.store.refused <<< "$st") $(d_code vm.get '{"name":"future"}')"
t_check "and left as it was" grep -q '"schema_version":42' "$state/vms/fedcba9876543210fedcba9876543210/vm.json"
t_check "the log says why" grep -q "newer banger" "$T/bangerd.log"
t_eq "the other 49 + legacy records are there" 50 "$(d_rpc vm.list | jq '.result.vms | length')"

out=$(timeout 10 "$(t_bin bangerd)" --allow-root 2>&1)
t_eq "a second daemon on the same socket exits 1" 1 "$?"
t_check "saying another one answers" grep -q "Another bangerd already answers" <<< "$out"
t_eq "and the first keeps serving" ok "$(d_code vm.list)"
d_stop

# socket activation: systemd hands over a listening socket
if command -v systemd-socket-activate > /dev/null; then
	rm -f "$SOCK"
	systemd-socket-activate -l "$SOCK" "$(t_bin bangerd)" --allow-root >> "$T/bangerd.log" 2>&1 &
	act=$!
	t_wait 5 test -S "$SOCK"
	t_eq "a socket-activated bangerd answers" ok "$(d_code vm.list)"
	t_check "and says it used the passed socket" grep -q "Using the passed listening socket" "$T/bangerd.log"
	kill "$act"; wait "$act" 2>/dev/null
else
	t_skip "socket activation" "systemd-socket-activate is not installed"
fi

# SIGHUP: the daemon re-executes its program in place (how an update takes effect without
# systemd): the same pid, the same socket (a client's connection ends, a new one is served),
# the records as they were; the program file replaced underneath first, as an update does
d_answers() { [ "$(d_code vm.list 2> /dev/null)" = ok ]; }
cp "$(t_bin bangerd)" "$T/bangerd-copy"
rm -f "$SOCK" # the socket-activated run above may leave its socket file behind
"$T/bangerd-copy" --allow-root --foreground >> "$T/bangerd.log" 2>&1 &
D_PID=$!
t_add_cleanup 'kill $D_PID'
# the inode of the socket this daemon serves (not a stale file's): taken once it answers
t_wait 10 d_answers
ino=$(stat -Lc %i "$SOCK")
before=$(d_rpc vm.list | jq -c '[.result.vms[].name] | sort')
cp "$T/bangerd-copy" "$T/bangerd-new" && mv "$T/bangerd-new" "$T/bangerd-copy"
t_check "the running program's file was replaced (deleted underneath it)" \
	bash -c "readlink /proc/$D_PID/exe | grep -q '(deleted)'"
kill -HUP "$D_PID"
t_wait 10 bash -c "! readlink /proc/$D_PID/exe | grep -q '(deleted)'"
t_check "after SIGHUP the same pid runs the file now at that path" bash -c "[ \"\$(readlink /proc/$D_PID/exe)\" = '$T/bangerd-copy' ]"
t_wait 10 d_answers
t_eq "it answers on the same socket" "ok $ino" "$(d_code vm.list) $(stat -Lc %i "$SOCK")"
t_eq "with the same records" "$before" "$(d_rpc vm.list | jq -c '[.result.vms[].name] | sort')"
t_check "and says it re-executed" grep -q "Received SIGHUP, re-executing in place" "$T/bangerd.log"
d_stop
rm -f "$T/bangerd-copy"

# sd_notify: READY=1 with a STATUS, then STOPPING=1
python3 - "$T/notify" <<'PY' > "$T/notify.out" &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); s.settimeout(20)
while True:
    msg = s.recv(4096).decode()
    print(msg.replace("\n", " "), flush=True)
    if "STOPPING=1" in msg:
        break
PY
listener=$!
t_wait 5 test -S "$T/notify"
NOTIFY_SOCKET=$T/notify d_start
t_wait 5 grep -q READY=1 "$T/notify.out"
t_check "READY=1 comes with a STATUS" grep -q "READY=1 STATUS=Serving 50 VMs, 2 images" "$T/notify.out"
d_stop
wait $listener
t_check "STOPPING=1 on the way out" grep -q STOPPING=1 "$T/notify.out"
t_done

#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# banger-vmm's QEMU side without a guest: a stand-in QEMU (--qemu, a small Python QMP server)
# records the command line and the QMP commands it gets, so InstanceStart, SendCtrlAltDel,
# pause/resume, start failures, exit codes and signal handling are checked in a second.
. "$(dirname "$0")/../lib.sh"

command -v curl > /dev/null || t_skip_all "curl is missing"
PY=/usr/bin/python3
[ -x $PY ] || t_skip_all "$PY is missing"
VMM=$(t_bin banger-vmm)
[ -x "$VMM" ] || t_skip_all "$VMM is not built"
t_tmpdir
: > "$T/vmlinux"
truncate -s 1M "$T/root.ext4"

# The stand-in: FAKE_MODE (or the file $FAKE_LOG.mode) = ok|fail-start|exit1-on-cad. Writes argv, QMP commands and signals to
# $FAKE_LOG; "powers off" (exit 0) on send-key, like the minimal image does.
cat > "$T/fake-qemu" << PYEOF
#!$PY
import json, os, signal, socket, sys
log = open(os.environ["FAKE_LOG"], "a", buffering=1)
mode = os.environ.get("FAKE_MODE", "ok")
if os.path.exists(os.environ["FAKE_LOG"] + ".mode"):  # changed after the VMM started
    mode = open(os.environ["FAKE_LOG"] + ".mode").read().strip()
log.write("argv " + json.dumps(sys.argv[1:]) + "\n")
log.write("sigmask " + open("/proc/self/status").read().split("SigBlk:")[1].split()[0] + "\n")
if mode == "fail-start":
    sys.stderr.write("qemu-system-x86_64: -netdev tap,id=net_eth0,ifname=tapX: could not open /dev/net/tun: Permission denied\n")
    sys.exit(1)
def term(signo, frame):
    log.write("signal %d\n" % signo)
    sys.exit(0)
signal.signal(signal.SIGTERM, term)
# the monitor: -chardev socket,id=qmp,fd=N,server=off (an inherited, connected socket) + -mon
spec = [a for a in sys.argv if a.startswith("socket,id=qmp,")][0]
fd = int([o for o in spec.split(",") if o.startswith("fd=")][0][3:])
assert "chardev=qmp,mode=control" in sys.argv[sys.argv.index("-mon") + 1]
conn = socket.socket(fileno=fd)
f = conn.makefile("rw")
f.write(json.dumps({"QMP": {"version": {}, "capabilities": []}}) + "\n"); f.flush()
for line in f:
    cmd = json.loads(line)
    log.write("qmp " + cmd["execute"] + "\n")
    if cmd["execute"] == "stop":
        f.write(json.dumps({"event": "STOP"}) + "\n")
    f.write(json.dumps({"return": {}}) + "\n"); f.flush()
    if cmd["execute"] == "send-key":
        log.write("keys " + ",".join(k["data"] for k in cmd["arguments"]["keys"]) + "\n")
        sys.exit(1 if mode == "exit1-on-cad" else 0)
PYEOF
chmod +x "$T/fake-qemu"

api() { curl -s -o "$T/resp" -w '%{http_code}' --unix-socket "$S" -X "$1" --data-binary "$3" "http://localhost$2"; }
# launch NAME MODE: a configured banger-vmm using the stand-in; sets S, pid, FAKE_LOG
launch() {
	S=$T/$1.sock
	export FAKE_LOG=$T/$1.log FAKE_MODE=$2
	"$VMM" --api-sock "$S" --qemu "$T/fake-qemu" --accel tcg --id "$1" > "$T/$1.out" 2>&1 &
	pid=$!
	t_add_cleanup "kill -9 $pid"
	t_wait 5 test -S "$S"
	api PUT /machine-config '{"vcpu_count":2,"mem_size_mib":300}' > /dev/null
	api PUT /boot-source "{\"kernel_image_path\":\"$T/vmlinux\",\"boot_args\":\"console=ttyS0\"}" > /dev/null
	api PUT /drives/rootfs "{\"drive_id\":\"rootfs\",\"path_on_host\":\"$T/root.ext4\",\"is_root_device\":true,\"is_read_only\":false}" > /dev/null
	api PUT /network-interfaces/eth0 '{"iface_id":"eth0","host_dev_name":"tapX","guest_mac":"06:00:00:00:00:09"}' > /dev/null
}
exited() { ! kill -0 "$1" 2> /dev/null; }

launch a ok
t_eq "InstanceStart with QEMU up and answering QMP -> 204" 204 "$(api PUT /actions '{"action_type":"InstanceStart"}')"
argv=$(sed -n 's/^argv //p' "$FAKE_LOG")
for want in '"-machine", "microvm,' '"-accel", "tcg"' '"-smp", "2"' '"-m", "300M"' '"-device", "i8042"' '"-no-reboot"' \
	"\"-kernel\", \"$T/vmlinux\"" '"-append", "console=ttyS0 root=/dev/vda rw tsc_early_khz=' \
	"file=$T/root.ext4,format=raw" '"tap,id=net_eth0,ifname=tapX,script=no,downscript=no"' \
	'"virtio-net-device,netdev=net_eth0,mac=06:00:00:00:00:09"' '"stdio,id=console,signal=off"'; do
	t_check "QEMU command line has $want" grep -qF -- "$want" <<< "$argv"
done
t_eq "QEMU starts with no signals blocked (SIGTERM reaches it)" 0000000000000000 "$(sed -n 's/^sigmask //p' "$FAKE_LOG")"
t_check "QMP handshake done (qmp_capabilities)" grep -qx 'qmp qmp_capabilities' "$FAKE_LOG"
t_check "the monitor socket is gone once connected" bash -c "! ls '$T'/a.sock.qmp 2> /dev/null"
t_eq "PATCH /vm Paused -> 204" 204 "$(api PATCH /vm '{"state":"Paused"}')"
t_check "Paused is QMP stop" grep -qx 'qmp stop' "$FAKE_LOG"
t_eq "PATCH /vm Resumed -> 204" 204 "$(api PATCH /vm '{"state":"Resumed"}')"
t_check "Resumed is QMP cont" grep -qx 'qmp cont' "$FAKE_LOG"
t_eq "SendCtrlAltDel -> 204" 204 "$(api PUT /actions '{"action_type":"SendCtrlAltDel"}')"
t_check "SendCtrlAltDel is QMP send-key ctrl-alt-delete" grep -qx 'keys ctrl,alt,delete' "$FAKE_LOG"
t_wait 5 exited $pid
wait $pid
t_eq "guest power-off (QEMU exit 0) ends the VMM with 0" 0 $?
t_check "the log says Firecracker's success line" grep -q 'Firecracker exiting successfully. exit_code=0' "$T/a.out"
t_check "the API socket is removed" test ! -e "$S"

launch b exit1-on-cad
api PUT /actions '{"action_type":"InstanceStart"}' > /dev/null
api PUT /actions '{"action_type":"SendCtrlAltDel"}' > /dev/null
t_wait 5 exited $pid
wait $pid
t_eq "QEMU failing (exit 1) ends the VMM with 1" 1 $?
t_check "the log says Firecracker's error line" grep -q 'Firecracker exiting with error. exit_code=1' "$T/b.out"

launch c fail-start
t_eq "InstanceStart when QEMU cannot start -> 400" 400 "$(api PUT /actions '{"action_type":"InstanceStart"}')"
t_check "the fault carries QEMU's own error" grep -q '"fault_message":"Failed to start the microVM: QEMU exited: qemu-system-x86_64: -netdev tap,id=net_eth0,ifname=tapX: could not open /dev/net/tun: Permission denied"' "$T/resp"
api GET / '' > /dev/null
t_check "still Not started after the failure (may retry)" grep -q '"state":"Not started"' "$T/resp"
echo ok > "$FAKE_LOG.mode"
t_eq "InstanceStart retried after the cause is fixed -> 204" 204 "$(api PUT /actions '{"action_type":"InstanceStart"}')"
kill -TERM $pid
t_wait 5 exited $pid
wait $pid
t_eq "SIGTERM ends the VMM by that signal" 143 $?
t_check "and QEMU got SIGTERM (not only SIGKILL)" grep -qx 'signal 15' "$FAKE_LOG"

launch d ok
S2=$S
"$VMM" --api-sock "$T/e.sock" --qemu "$T/nonexistent-qemu" --accel tcg > "$T/e.out" 2>&1 &
epid=$!
t_add_cleanup "kill -9 $epid"
t_wait 5 test -S "$T/e.sock"
S=$T/e.sock
api PUT /boot-source "{\"kernel_image_path\":\"$T/vmlinux\"}" > /dev/null
t_eq "InstanceStart with a missing QEMU binary -> 400" 400 "$(api PUT /actions '{"action_type":"InstanceStart"}')"
t_check "the fault says QEMU cannot be executed" grep -q 'cannot execute' "$T/resp"
kill $epid

# An API socket path with no room left for ".qmp" in sun_path (108 bytes): the monitor goes
# elsewhere and the guest still starts.
long=$T/$(printf 'd%.0s' $(seq $((104 - ${#T} - 2))))
mkdir -p "$long"
S=$long/s
export FAKE_LOG=$T/long.log FAKE_MODE=ok
t_eq "an API socket path of 105 bytes" 105 ${#S}
"$VMM" --api-sock "$S" --qemu "$T/fake-qemu" --accel tcg > "$T/long.out" 2>&1 &
lpid=$!
t_add_cleanup "kill -9 $lpid"
t_wait 5 test -S "$S"
api PUT /boot-source "{\"kernel_image_path\":\"$T/vmlinux\"}" > /dev/null
t_eq "InstanceStart with the long API socket path -> 204" 204 "$(api PUT /actions '{"action_type":"InstanceStart"}')"
kill $lpid

mkfifo "$T/log.fifo"
"$VMM" --api-sock "$T/f.sock" --no-boot --log-path "$T/log.fifo" > /dev/null 2>&1 &
fpid=$!
t_add_cleanup "kill -9 $fpid"
if t_wait 5 test -S "$T/f.sock"; then t_ok "--log-path on a FIFO with no reader does not fail or block"; else t_fail "--log-path on a FIFO with no reader does not fail or block"; fi
kill $fpid
t_done

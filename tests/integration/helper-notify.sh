#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bangerd-root as a Type=notify service with a watchdog, against a stand-in for systemd's notify
# socket: READY=1 once root.sock listens, WATCHDOG=1 keep-alives that come from the loop itself
# (they go on while an op hangs on a worker, and stop while the loop's own thread is held), and
# STOPPING=1 on SIGTERM.
. "$(dirname "$0")/../lib.sh"
t_private_ns "$@"
. "$(dirname "$0")/helper-common.inc"
command -v jq > /dev/null || t_skip_all "jq is missing"
[ -x /usr/bin/python3 ] || t_skip_all "/usr/bin/python3 is missing"
export PYTHONDONTWRITEBYTECODE=1

h_setup
h_install
cat > "$T/slow-jailer" <<-'SH'
	#!/bin/sh
	sleep 3
	exit 1
	SH
chmod 0755 "$T/slow-jailer"
sed -i "s|\"jailer\":\"[^\"]*\"|\"jailer\":\"$T/slow-jailer\"|" "$T/etc/banger/install.json"
mkdir -p "$T/var/lib/banger/state/vms/vm1"
head -c 4096 /dev/urandom > "$T/var/lib/banger/state/vms/vm1/kernel"
: > "$T/var/lib/banger/state/vms/vm1/console.log"
chown -R "$H_UID:$H_GID" "$T/var/lib/banger/state"

# systemd's side: every datagram, with the time it came and whether root.sock existed then
NOTIFY=$T/notify.sock
/usr/bin/python3 -c '
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "w", buffering=1) as out:
    while True:
        msg = s.recv(4096).decode()
        for line in msg.split("\n"):
            if line:
                out.write("%.3f %s %s\n" % (time.monotonic(), os.path.exists(sys.argv[3]), line))
' "$NOTIFY" "$T/notify.log" "$H_SOCK" &
t_add_cleanup "kill $!"
t_wait 5 test -S "$NOTIFY"
: > "$T/notify.log"
now() { /usr/bin/python3 -c 'import time; print("%.3f" % time.monotonic())'; }
# keepalives FROM TO: WATCHDOG=1 messages that arrived between the two times
keepalives() { awk -v a="$1" -v b="$2" '$3 == "WATCHDOG=1" && $1 >= a && $1 <= b' "$T/notify.log" | wc -l; }

NOTIFY_SOCKET=$NOTIFY WATCHDOG_USEC=200000 h_start || t_skip_all "bangerd-root did not start"
t_check "READY=1 arrives" t_wait 5 grep -q " READY=1$" "$T/notify.log"
t_eq "root.sock existed when READY=1 was sent" "True" "$(awk '$3 == "READY=1" { print $2 }' "$T/notify.log")"
t0=$(now)
sleep 1
t1=$(now)
n=$(keepalives "$t0" "$t1")
t_check "WATCHDOG=1 about every 100 ms with WATCHDOG_USEC=200000 ($n in 1 s)" test "$n" -ge 6

# An op that hangs on a worker (a jailer that sleeps 3 s): the loop goes on, so do keep-alives.
h_call jail.stage '{"vm_id":"vm1"}' --fd kernel="$T/var/lib/banger/state/vms/vm1/kernel" > /dev/null
h_call jail.launch '{"vm_id":"vm1"}' --fd-rw console="$T/var/lib/banger/state/vms/vm1/console.log" > "$T/launch.out" &
launch=$!
sleep 0.5
t0=$(now)
sleep 1.5
t1=$(now)
n=$(keepalives "$t0" "$t1")
t_check "keep-alives go on while an op hangs on a worker ($n in 1.5 s)" test "$n" -ge 9
wait $launch
t_check "the hung op ended in its own error" grep -q "jailer exited before the VMM started" "$T/launch.out"

# The loop's own thread held (ptrace-stopped: only that thread, workers untouched): no
# keep-alive until it runs again. A timer thread sending them would go on here.
/usr/bin/python3 -c '
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
PTRACE_SEIZE, PTRACE_INTERRUPT, PTRACE_DETACH, WALL = 0x4206, 0x4207, 17, 0x40000000
tid, log = int(sys.argv[1]), sys.argv[2]
count = lambda: sum(1 for l in open(log) if l.rstrip().endswith(" WATCHDOG=1"))
if libc.ptrace(PTRACE_SEIZE, tid, None, None) or libc.ptrace(PTRACE_INTERRUPT, tid, None, None):
    sys.exit("ptrace: " + os.strerror(ctypes.get_errno()))
os.waitpid(tid, WALL)
time.sleep(0.5)          # whatever was sent before the stop has reached the log by now
held = count()
time.sleep(1.5)
print("held %d" % (count() - held), flush=True)
libc.ptrace(PTRACE_DETACH, tid, None, None)
print("%.3f" % time.monotonic(), flush=True)
' "$H_PID" "$T/notify.log" > "$T/held.out" 2>&1
held=$(sed -n 1p "$T/held.out") held_to=$(sed -n 2p "$T/held.out")
if [ -z "$held_to" ]; then
	t_fail "the loop's thread could be held" "$(cat "$T/held.out")"
else
	t_eq "no keep-alive in 1.5 s while the loop's own thread is held" "held 0" "$held"
	sleep 0.5
	t1=$(now)
	n=$(keepalives "$held_to" "$t1")
	t_check "keep-alives resume once it runs ($n)" test "$n" -ge 2
	t_check "and the helper still answers" bash -c "h_call() { setpriv --reuid=$H_UID --regid=$H_GID --clear-groups '$(t_bin bangerd-root-call)' --socket '$H_SOCK' \"\$@\"; }; h_call hello '{\"protocol\":1}' | grep -q bangerd-root"
fi

h_stop
t_check "STOPPING=1 on SIGTERM" grep -q " STOPPING=1$" "$T/notify.log"
t_eq "READY=1 came once" 1 "$(grep -c " READY=1$" "$T/notify.log")"
t_done

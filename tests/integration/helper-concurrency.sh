#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bangerd-root with several clients at once: one client's long work (a disk copy, a launch that
# hangs, a flood of requests) never holds up another client's answer; each client's answers
# come in the order it asked; ops on one VM never overlap and net ops never race; a SIGTERM
# answers what is in flight before the helper exits. Orderings are asserted, never timings
# (tests/bench/helper-fairness.sh prints those).
. "$(dirname "$0")/../lib.sh"
t_private_ns "$@"
. "$(dirname "$0")/helper-common.inc"
command -v jq > /dev/null || t_skip_all "jq is missing"
[ -x /usr/bin/python3 ] || t_skip_all "/usr/bin/python3 is missing"
export PYTHONDONTWRITEBYTECODE=1

h_setup
h_install
h_network 172.31.9.0/24
# A jailer that hangs (as a stuck launch does) for the VM "stuck", the real one otherwise.
cat > "$T/slow-jailer" <<-SH
	#!/bin/sh
	case " \$* " in *" --id stuck "*) sleep 8; exit 1 ;; esac
	exec "$H_JAILER" "\$@"
	SH
chmod 0755 "$T/slow-jailer"
sed -i "s|\"jailer\":\"[^\"]*\"|\"jailer\":\"$T/slow-jailer\"|" "$T/etc/banger/install.json"
h_start || t_skip_all "bangerd-root did not start"
state=$T/var/lib/banger/state
for v in big stuck vm2 race; do mkdir -p "$state/vms/$v"; done
# 512 MiB of real data (no holes: a sparse copy must move all of it)
head -c $((512 * 1024 * 1024)) /dev/urandom > "$state/vms/big/base"
: > "$state/vms/big/disk"
head -c 4096 /dev/urandom > "$state/vms/stuck/kernel"
cp "$state/vms/stuck/kernel" "$state/vms/vm2/kernel"
cp "$state/vms/stuck/kernel" "$state/vms/race/kernel"
: > "$state/vms/stuck/console.log"
chown -R "$H_UID:$H_GID" "$state"

# py SCRIPT ARGS...: Python as the owner with helper_rpc importable; prints what the script does
py() {
	local script=$1
	shift
	setpriv --reuid="$H_UID" --regid="$H_GID" --clear-groups env PYTHONDONTWRITEBYTECODE=1 \
		PYTHONPATH="$BANGER_SRC/tests/integration" /usr/bin/python3 -c "$script" "$H_SOCK" "$@"
}

# ---- a 512 MiB copy on one connection; hello on another, and pipelined behind the copy ----
out=$(py '
import sys, helper_rpc as h
sock, base, disk = sys.argv[1:4]
a, b = h.Conn(sock), h.Conn(sock)
names, fds = h.open_files(["base=" + base, "disk=" + disk + ":rw"])
a.send("disk.prepare", {"vm_id": "big", "strategy": "sparse-copy"}, fds, names)
a.send("hello", {"protocol": 1})          # same connection: after the copy
b.send("hello", {"protocol": 1})          # another connection: at once
got = h.gather({a: 2, b: 1})
order = [("b" if c is b else "a") + str(m["id"]) for _, c, m in got]
ra1 = [m for _, c, m in got if c is a][0]
print("other-hello-first" if order[0] == "b1" else "order:" + ",".join(order))
print("copy:" + ra1.get("result", {}).get("strategy", str(ra1.get("error"))))
print("same-conn-order:" + ",".join(str(m["id"]) for _, c, m in got if c is a))
' "$state/vms/big/base" "$state/vms/big/disk")
t_eq "hello on another connection is answered before a 512 MiB copy finishes" "other-hello-first" "$(sed -n 1p <<< "$out")"
t_eq "the copy itself succeeds" "copy:sparse-copy" "$(sed -n 2p <<< "$out")"
t_eq "a connection's own answers come in its order (copy, then its hello)" "same-conn-order:1,2" "$(sed -n 3p <<< "$out")"
t_check "the copy is complete" cmp "$state/vms/big/base" "$state/vms/big/disk"
rm -f "$state/vms/big/base" "$state/vms/big/disk"

# ---- a launch that hangs on one connection; another VM's ops and hello go on ----
h_call jail.stage '{"vm_id":"stuck"}' --fd kernel="$state/vms/stuck/kernel" > /dev/null
out=$(py '
import sys, helper_rpc as h
sock, console, kernel = sys.argv[1:4]
a, b = h.Conn(sock), h.Conn(sock)
names, fds = h.open_files(["console=" + console + ":rw"])
a.send("jail.launch", {"vm_id": "stuck"}, fds, names)
b.send("hello", {"protocol": 1})
names, fds = h.open_files(["kernel=" + kernel])
b.send("jail.stage", {"vm_id": "vm2"}, fds, names)
b.send("jail.cleanup", {"vm_id": "vm2"})
b.send("net.tap_delete", {"tap": "bgt-none"})
got = h.gather({a: 1, b: 4}, 30)
print(" ".join("ok" if "result" in m else "error" for _, c, m in got if c is b))
print("others-first" if got[-1][1] is a else "order:" + ",".join("a" if c is a else "b" for _, c, m in got))
print([m for _, c, m in got if c is a][0].get("error", {}).get("message", "no error"))
' "$state/vms/stuck/console.log" "$state/vms/vm2/kernel")
t_eq "hello, another VM's stage and cleanup and a net op all succeed during a hung launch" "ok ok ok ok" "$(sed -n 1p <<< "$out")"
t_eq "... and are all answered before the hung launch is" "others-first" "$(sed -n 2p <<< "$out")"
t_check "the hung launch ends in its own error" grep -q "jailer exited before the VMM started" <<< "$(sed -n 3p <<< "$out")"
h_call jail.cleanup '{"vm_id":"stuck"}' > /dev/null

# ---- a flood of pipelined requests on one connection; hello on another goes first ----
out=$(py '
import sys, helper_rpc as h
sock = sys.argv[1]
a, b = h.Conn(sock), h.Conn(sock)
n = 300
for _ in range(n):
    a.send("resources.list")
b.send("hello", {"protocol": 1})
got = h.gather({a: n, b: 1})
pos = [i for i, (_, c, m) in enumerate(got) if c is b]
flood = [m["id"] for _, c, m in got if c is a]
print("hello-before-flood-ends" if pos and pos[0] < len(got) - 1 else "hello-after-flood")
print("flood-answered:%d" % len(flood) if flood == list(range(1, n + 1)) else "flood-out-of-order")
')
t_eq "hello is answered before 300 pipelined requests of another connection are" "hello-before-flood-ends" "$(sed -n 1p <<< "$out")"
t_eq "every request of the flood is answered, in order" "flood-answered:300" "$(sed -n 2p <<< "$out")"

# ---- one VM, several connections at once: its ops never overlap ----
# Three stages of the same VM at once: one builds the jail, the others are refused, and a
# refused one never tears down what the winner built.
out=$(py '
import sys, helper_rpc as h
sock, kernel = sys.argv[1:3]
conns = [h.Conn(sock) for _ in range(3)]
for c in conns:
    names, fds = h.open_files(["kernel=" + kernel])
    c.send("jail.stage", {"vm_id": "race"}, fds, names)
res = [c.recv(30)[1] for c in conns]
print(sorted("ok" if "result" in r else r["error"]["message"].split(" (")[0].split("/")[-1] for r in res))
' "$state/vms/race/kernel")
t_eq "three concurrent stages of one VM: one succeeds, two are refused" "['ok', 'root already exists', 'root already exists']" "$out"
race_root=$(h_jail_root race)
t_check "the winner's jail is whole (kernel bound in)" h_in_helper_ns cmp "$state/vms/race/kernel" "$race_root/kernel"
t_eq "the winner's jail is mounted (self-bind) in the helper's namespace" "$race_root" "$(h_mounts_under "$race_root" | head -1)"
h_call jail.cleanup '{"vm_id":"race"}' > /dev/null

# Four bridge_ensure at once on a fresh network: all succeed, one creates, one bridge, one address.
out=$(py '
import sys, helper_rpc as h
sock = sys.argv[1]
conns = [h.Conn(sock) for _ in range(4)]
for c in conns:
    c.send("net.bridge_ensure", {"address": "172.31.9.1/24"})
res = [c.recv(30)[1] for c in conns]
print(" ".join(sorted(str(r["result"]["created"]) if "result" in r else "error:" + r["error"]["message"] for r in res)))
')
t_eq "four concurrent bridge_ensure: all succeed, exactly one created it" "False False False True" "$out"
t_eq "kernel: one banger bridge with one address" "banger0 172.31.9.1/24" \
	"$(ip -j addr show type bridge | jq -r '.[] | "\(.ifname) \([.addr_info[] | select(.family == "inet") | "\(.local)/\(.prefixlen)"] | join(","))"')"

# ---- SIGTERM with a request in flight: it is answered, then the helper exits ----
h_call jail.stage '{"vm_id":"stuck"}' --fd kernel="$state/vms/stuck/kernel" > /dev/null
py '
import sys, helper_rpc as h
sock, console = sys.argv[1:3]
a = h.Conn(sock)
names, fds = h.open_files(["console=" + console + ":rw"])
a.send("jail.launch", {"vm_id": "stuck"}, fds, names)
print("sent", flush=True)
got = a.recv(30)
print("answered" if got else "lost")
' "$state/vms/stuck/console.log" > "$T/inflight.out" &
inflight=$!
t_wait 5 grep -q sent "$T/inflight.out"
sleep 0.5
kill -TERM "$H_PID"
t_check "after SIGTERM the socket is gone at once (no new connections)" t_wait 2 test ! -e "$H_SOCK"
wait $inflight
t_eq "the request in flight at SIGTERM was still answered" "answered" "$(sed -n 2p "$T/inflight.out")"
t_check "then the helper exited" t_wait 10 bash -c "! kill -0 $H_PID 2> /dev/null"
t_check "the log says it waited for the request" grep -q "exiting once 1 request(s) in flight are answered" "$H_LOG"
t_done

#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bangerd-root fairness: how long another connection's hello takes (median and max round trip,
# one hello after the other on a connection of its own) with no load, while one connection runs
# a 1 GiB kernel copy (jail.stage), while one floods 700 pipelined nat.ensure, and while a launch
# hangs (a jailer that sleeps 5 s). The target is a hello answered within 50 ms under each load.
# Prints figures only, asserts nothing.
# Usage: tests/bench/helper-fairness.sh [BUILD]   (root; runs in private namespaces; BUILD
# defaults to $BANGER_BUILD, so an older build can be measured the same way)
. "$(dirname "$0")/../lib.sh"
t_private_ns "$@"
[ -n "${1:-}" ] && BANGER_BUILD=$(cd "$1" && pwd)
. "$(dirname "$0")/../integration/helper-common.inc"
export PYTHONDONTWRITEBYTECODE=1

h_setup
h_install > /dev/null
cat > "$T/slow-jailer" <<-SH
	#!/bin/sh
	case " \$* " in *" --id stuck "*) sleep 5; exit 1 ;; esac
	exec "$H_JAILER" "\$@"
	SH
chmod 0755 "$T/slow-jailer"
sed -i "s|\"jailer\":\"[^\"]*\"|\"jailer\":\"$T/slow-jailer\"|" "$T/etc/banger/install.json"
printf '[network]\nsubnet = 172.31.9.0/24\nbridge = banger0\n' > "$T/etc/banger/banger.conf"
h_start || { echo "bangerd-root did not start"; exit 1; }
state=$T/var/lib/banger/state/vms
mkdir -p "$state/big" "$state/stuck"
echo "# writing a 1 GiB kernel of real data..."
head -c $((1024 * 1024 * 1024)) /dev/urandom > "$state/big/kernel"
head -c 4096 /dev/urandom > "$state/stuck/kernel"
: > "$state/stuck/console.log"
chown -R "$H_UID:$H_GID" "$T/var/lib/banger/state"
h_call net.bridge_ensure '{"address":"172.31.9.1/24"}' > /dev/null
h_call jail.stage '{"vm_id":"stuck"}' --fd kernel="$state/stuck/kernel" > /dev/null

setpriv --reuid="$H_UID" --regid="$H_GID" --clear-groups env PYTHONPATH="$BANGER_SRC/tests/integration" \
	/usr/bin/python3 - "$H_SOCK" "$state" "$(nproc)" "$(uname -r)" <<-'PY'
	import statistics, sys, time, helper_rpc as h
	sock, state, cpus, kernel = sys.argv[1:5]

	def hellos(probe, until):
	    """hello after hello on probe until until() says stop; returns round trips in ms"""
	    rtt = []
	    while not until():
	        t0 = time.monotonic()
	        probe.call("hello", {"protocol": 1}, timeout=60)
	        rtt.append((time.monotonic() - t0) * 1000)
	        time.sleep(0.005)
	    return rtt

	def report(name, rtt, load_s=None):
	    extra = "" if load_s is None else ", load took %.2f s" % load_s
	    print("%-42s median %7.2f ms   max %8.2f ms   (n=%d%s)" % (
	        name, statistics.median(rtt), max(rtt), len(rtt), extra), flush=True)

	def under(name, start_load, n_answers):
	    """start_load(conn) sends the load; hellos run on another connection until it is done"""
	    load, probe = h.Conn(sock), h.Conn(sock)
	    probe.call("hello", {"protocol": 1})
	    t0 = time.monotonic()
	    start_load(load)
	    load.sock.setblocking(False)
	    left = [n_answers]

	    def done():
	        try:
	            chunk = load.sock.recv(1 << 20)
	            if not chunk:
	                return True
	            left[0] -= chunk.count(b"\n")
	        except BlockingIOError:
	            pass
	        return left[0] <= 0

	    rtt = hellos(probe, done)
	    report(name, rtt, time.monotonic() - t0)

	print("# bangerd-root fairness, %s CPUs, %s" % (cpus, kernel))
	base = h.Conn(sock)
	end = time.monotonic() + 2
	report("baseline (no other load)", hellos(base, lambda: time.monotonic() > end))

	def copy(c):
	    names, fds = h.open_files(["kernel=%s/big/kernel" % state])
	    c.send("jail.stage", {"vm_id": "big"}, fds, names)
	under("during a 1 GiB kernel copy (jail.stage)", copy, 1)
	h.Conn(sock).call("jail.cleanup", {"vm_id": "big"})

	def flood(c):
	    for _ in range(700):
	        c.send("nat.ensure", {"subnet": "172.31.9.0/24"})
	under("during 700 pipelined nat.ensure", flood, 700)

	def hang(c):
	    names, fds = h.open_files(["console=%s/stuck/console.log:rw" % state])
	    c.send("jail.launch", {"vm_id": "stuck"}, fds, names)
	under("during a launch that hangs 5 s", hang, 1)
	PY

#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# banger-vmm figures (printed, never asserted): API request latency over one keep-alive
# connection (median, p99), --no-boot start time (exec to API answering), and InstanceStart to
# SSH under TCG with the minimal image. Root, private network namespace for the guest part.
#   tests/bench/vmm-bench.sh [--no-guest] [ROUNDS]
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../e2e/vmm-lib.inc"
t_private_ns "$@"
no_guest=
[ "${1:-}" = --no-guest ] && { no_guest=1; shift; }
ROUNDS=${1:-3}
VMM=$(t_bin banger-vmm)
[ -x "$VMM" ] || t_skip_all "$VMM is not built"
t_tmpdir

/usr/bin/python3 - "$VMM" "$T" << 'PYEOF'
import http.client, os, socket, statistics, subprocess, sys, time
vmm, tmp = sys.argv[1], sys.argv[2]

class UnixConn(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost")
        self.path = path
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)

def start(sock):
    t0 = time.perf_counter()
    p = subprocess.Popen([vmm, "--api-sock", sock, "--no-boot", "--level", "Off"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        try:
            c = UnixConn(sock); c.request("GET", "/"); r = c.getresponse(); r.read()
            if r.status == 200:
                return p, c, time.perf_counter() - t0
        except OSError:
            time.sleep(0.0005)

def pct(xs, q):
    xs = sorted(xs); return xs[min(len(xs) - 1, int(q * len(xs)))]

starts = []
for i in range(20):
    sock = os.path.join(tmp, "s%d.sock" % i)
    p, c, dt = start(sock)
    starts.append(dt * 1000)
    c.close(); p.terminate(); p.wait()
print("no-boot start, exec to first GET / answered: median %.1f ms, min %.1f ms, max %.1f ms (20 runs)"
      % (statistics.median(starts), min(starts), max(starts)))

sock = os.path.join(tmp, "lat.sock")
p, c, _ = start(sock)
def bench(method, path, body, n):
    lat = []
    for _ in range(n):
        t = time.perf_counter()
        c.request(method, path, body=body, headers={"Content-Type": "application/json"} if body else {})
        r = c.getresponse(); r.read()
        lat.append((time.perf_counter() - t) * 1e6)
        assert r.status in (200, 204), r.status
    print("%-6s %-16s median %6.0f us, p99 %6.0f us (%d requests, one keep-alive connection)"
          % (method, path, statistics.median(lat), pct(lat, 0.99), n))
bench("GET", "/", None, 2000)
bench("GET", "/vm/config", None, 1000)
bench("PUT", "/machine-config", '{"vcpu_count":2,"mem_size_mib":256}', 1000)
bench("PUT", "/network-interfaces/eth0", '{"iface_id":"eth0","host_dev_name":"tap0","guest_mac":"06:00:00:00:00:02"}', 1000)
c.close(); p.terminate(); p.wait()
PYEOF

[ -n "$no_guest" ] && exit 0
for c in ssh ssh-keygen qemu-system-x86_64; do command -v $c > /dev/null || { echo "# no $c: guest figures skipped"; exit 0; }; done
vmm_image || { echo "# image build failed: guest figures skipped"; exit 0; }
ip link add br0 type bridge && ip addr add 10.78.0.1/24 dev br0 && ip link set br0 up
ip tuntap add bgtap0 mode tap && ip link set bgtap0 master br0 && ip link set bgtap0 up
ssh-keygen -q -t ed25519 -N '' -f "$T/id"
read -r kt kb _ < "$T/id.pub"
api() { curl -s -o /dev/null -w '%{http_code}' --unix-socket "$T/g.sock" -X PUT --data-binary "$2" "http://localhost$1"; }
now() { date +%s.%N; }
for i in $(seq "$ROUNDS"); do
	cp --sparse=always "$IMG/rootfs.ext4" "$T/root.ext4"
	rm -f "$T/g.sock"
	"$VMM" --api-sock "$T/g.sock" --accel tcg --level Warning > "$T/console" 2>&1 &
	vpid=$!
	t_wait 5 test -S "$T/g.sock"
	api /machine-config '{"vcpu_count":1,"mem_size_mib":256}' > /dev/null
	api /boot-source "{\"kernel_image_path\":\"$IMG/vmlinuz\",\"initrd_path\":\"$IMG/initrd.img\",\"boot_args\":\"console=ttyS0 reboot=k panic=1 quiet ip=10.78.0.2::10.78.0.1:255.255.255.0::eth0:off banger.ssh_key=$kt:$kb\"}" > /dev/null
	api /drives/rootfs "{\"drive_id\":\"rootfs\",\"path_on_host\":\"$T/root.ext4\",\"is_root_device\":true,\"is_read_only\":false}" > /dev/null
	api /network-interfaces/eth0 '{"iface_id":"eth0","host_dev_name":"bgtap0","guest_mac":"06:00:0a:4e:00:02"}' > /dev/null
	t0=$(now)
	api /actions '{"action_type":"InstanceStart"}' > /dev/null
	t1=$(now)
	t_wait 180 grep -q '^banger-hostkey: ' "$T/console"
	t2=$(now)
	echo "10.78.0.2 $(sed -n 's/^banger-hostkey: \(ssh-ed25519 [^ ]*\).*/\1/p' "$T/console" | tr -d '\r')" > "$T/kh"
	t_wait 120 ssh -i "$T/id" -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$T/kh" -o BatchMode=yes \
		-o ConnectTimeout=2 -o LogLevel=ERROR root@10.78.0.2 cat /proc/sys/kernel/random/boot_id
	t3=$(now)
	api /actions '{"action_type":"SendCtrlAltDel"}' > /dev/null
	wait $vpid
	rc=$?
	t4=$(now)
	awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v e="$t4" -v i="$i" -v rc="$rc" 'BEGIN {
		printf "guest run %d (TCG, 1 vCPU, 256 MiB): InstanceStart answered %.0f ms; host key on console %.2f s; SSH boot_id read %.2f s; Ctrl-Alt-Del to VMM exit %.2f s (exit %d)\n",
			i, (b - a) * 1000, c - a, d - a, e - d, rc }'
done

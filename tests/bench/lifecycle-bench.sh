#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Figures for the VM lifecycle (printed, never asserted): the control-plane cost of vm.start up to
# InstanceStart with its breakdown by step, banger's boot-to-SSH against plain QEMU booting the
# same kernel, initrd and root disk with SSH polled by hand (the two interleaved, start by start),
# and N VMs started at once (wall time, daemon and helper CPU). Runs inside its own network + mount namespace like the e2e tests.
#
#   sudo tests/bench/lifecycle-bench.sh [STARTS (10)] [BASELINE RUNS (5)] [CONCURRENT (10)]
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../e2e/vmm-lib.inc"
t_private_ns "$@"
STARTS=${1:-10} BASELINE=${2:-5} CONC=${3:-10}
LC_CONF='[vm]
ssh_timeout_sec = 300
stop_timeout_sec = 20'
. "$(dirname "$0")/../e2e/lifecycle-lib.inc"
lc_setup
banger image import minimal --kernel "$T/img/vmlinuz" --initrd "$T/img/initrd.img" \
	--rootfs "$T/img/rootfs.ext4" > /dev/null || { echo "import failed"; exit 1; }

median() { sort -n | awk '{a[NR]=$1} END {if (NR) print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}'; }
now() { date +%s.%N; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# ---- sequential starts, each followed by plain QEMU on the same files ---------------------------
# Interleaved, so that the two see the same machine: the host's load drifts over a run, and a
# block of banger starts then a block of baseline runs compared two different machines.
banger vm create bench --memory 256 > /dev/null
ip link add bgbench0 type bridge 2> /dev/null; ip addr add 10.88.0.1/24 dev bgbench0 2> /dev/null
ip link set bgbench0 up
ip tuntap add bgbtap0 mode tap && ip link set bgbtap0 master bgbench0 && ip link set bgbtap0 up
ssh-keygen -q -t ed25519 -N '' -f "$T/bkey" -C bench
read -r kt kb _ < "$T/bkey.pub"
: > "$T/timings"
: > "$T/walls"
: > "$T/base"
: > "$T/ratios"
# banger_once: one start to running (SSH answered, boot id read), its wall time appended to walls
banger_once() {
	local t0 t1
	t0=$(now)
	banger --json vm start bench > "$T/start.json" || { echo "start $1 failed"; cat "$T/start.json"; exit 1; }
	t1=$(now)
	echo "$t1 - $t0" | bc | tee -a "$T/walls" > "$T/last.banger"
	jq -c .start_timings_us "$T/start.json" >> "$T/timings"
	# the TSC rate banger-vmm measured for the guest: the plain-QEMU baseline passes the same, or
	# the Debian kernel can stall calibrating against the PIT under TCG on a busy host
	[ -n "${TSC_ARG:-}" ] || TSC_ARG=$(tr '\0' '\n' < "/proc/$(pgrep -u "$OWNER" -n qemu-system)/cmdline" | grep -o 'tsc_early_khz=[0-9]*' | head -n1)
	banger vm stop bench > /dev/null
}
# base_once: plain QEMU booting the same kernel, initrd and a fresh copy of the root disk, SSH
# polled by hand; its time appended to base (nothing when it did not reach SSH)
base_once() {
	local t0 t1 qpid hk
	: > "$T/last.base"
	cp --sparse=always "$T/img/rootfs.ext4" "$T/base.ext4"
	t0=$(now)
	qemu-system-x86_64 -M microvm,x-option-roms=off,isa-serial=on,rtc=on,acpi=on -accel tcg -smp 1 -m 256M \
		-nodefaults -no-user-config -display none -no-reboot -device i8042 \
		-kernel "$T/img/vmlinuz" -initrd "$T/img/initrd.img" \
		-append "console=ttyS0 reboot=k panic=1 ip=10.88.0.2::10.88.0.1:255.255.255.0:b:eth0:off banger.ssh_key=$kt:$kb root=/dev/vda rw $TSC_ARG" \
		-drive id=d,file="$T/base.ext4",format=raw,if=none -device virtio-blk-device,drive=d \
		-netdev tap,id=n,ifname=bgbtap0,script=no,downscript=no -device virtio-net-device,netdev=n \
		-serial stdio > "$T/base.console" 2>&1 &
	qpid=$!
	if t_wait 120 grep -q '^banger-hostkey: ' "$T/base.console"; then
		hk=$(sed -n 's/^banger-hostkey: \([^ ]* [A-Za-z0-9+/=]*\).*/\1/p' "$T/base.console" | tr -d '\r' | head -n1)
		echo "10.88.0.2 $hk" > "$T/base.known"
		if t_wait 60 ssh -i "$T/bkey" -o UserKnownHostsFile="$T/base.known" -o StrictHostKeyChecking=yes \
			-o BatchMode=yes -o ConnectTimeout=3 -o LogLevel=ERROR root@10.88.0.2 cat /proc/sys/kernel/random/boot_id > /dev/null; then
			t1=$(now)
			echo "$t1 - $t0" | bc | tee -a "$T/base" > "$T/last.base"
		else
			echo "# baseline run: SSH did not answer"
		fi
	else
		echo "# baseline run: no host key on the console"
	fi
	kill "$qpid"
	wait "$qpid" 2> /dev/null
}
for i in $(seq "$STARTS"); do
	banger_once "$i"
	if [ "$i" -le "$BASELINE" ]; then
		base_once
		[ -s "$T/last.base" ] && echo "scale=4; $(cat "$T/last.banger") / $(cat "$T/last.base")" | bc >> "$T/ratios"
	fi
done
echo "== vm.start, $STARTS sequential starts of one VM (256 MiB, TCG)"
printf '  %-12s %12s\n' step "median ms"
for s in address bridge nat tap disk jail launch api configure boot hostkey ssh file_sync; do
	printf '  %-12s %12.2f\n' "$s" "$(jq -r ".$s" "$T/timings" | median | awk '{print $1 / 1000}')"
done
cp_ms=$(jq -r '.address + .bridge + .nat + .tap + .disk + .jail + .launch + .api + .configure + .boot' "$T/timings" | median | awk '{print $1 / 1000}')
own_ms=$(jq -r '.address + .bridge + .nat + .tap + .disk + .jail + .launch + .api + .configure' "$T/timings" | median | awk '{print $1 / 1000}')
echo "  control plane, vm.start → InstanceStart answered (address…boot): median $cp_ms ms"
echo "  of which banger's own steps (address…configure, without InstanceStart): median $own_ms ms"

# The floor under InstanceStart on this provider: QEMU's own start with what banger-vmm gives it
# (machine, accelerator, memory, the image's kernel, initrd and root disk, console, QMP), from exec
# to its first answered command. QEMU greets before it has finished building the machine (the
# greeting alone came at ~56 ms, qmp_capabilities answered ~50 ms later), so the greeting is not
# "ready"; -S: nothing runs yet, as when banger-vmm answers InstanceStart.
: > "$T/qemu_start"
for i in $(seq "$STARTS"); do
	python3 - "$T/img/vmlinuz" "$T/img/initrd.img" "$T/img/rootfs.ext4" >> "$T/qemu_start" << 'PY'
import socket, subprocess, sys, time
kernel, initrd, disk = sys.argv[1:4]
a, b = socket.socketpair()
t0 = time.monotonic()
p = subprocess.Popen(["qemu-system-x86_64", "-M", "microvm,x-option-roms=off,isa-serial=on,rtc=on,acpi=on",
    "-accel", "tcg", "-smp", "1", "-m", "256M", "-nodefaults", "-no-user-config", "-display", "none", "-S",
    "-no-reboot", "-device", "i8042", "-kernel", kernel, "-initrd", initrd, "-append", "console=ttyS0",
    "-drive", "id=d,file=%s,format=raw,if=none,readonly=on" % disk, "-device", "virtio-blk-device,drive=d",
    "-chardev", "stdio,id=console,signal=off", "-serial", "chardev:console",
    "-chardev", "socket,id=qmp,fd=%d,server=off" % b.fileno(), "-mon", "chardev=qmp,mode=control"],
    pass_fds=[b.fileno()], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
b.close()
a.settimeout(30)
f = a.makefile("rwb")
f.readline()
f.write(b'{"execute":"qmp_capabilities"}\n'); f.flush()
f.readline()
print("%.2f" % ((time.monotonic() - t0) * 1000))
p.kill(); p.wait()
PY
done
echo "  QEMU's own start (exec → first QMP answer, same machine, kernel, initrd and disk, -S): median $(median < "$T/qemu_start") ms"
banger_s=$(median < "$T/walls")
base_s=$(median < "$T/base")
echo "== boot to SSH: banger median $banger_s s ($STARTS starts), plain QEMU median $base_s s ($(wc -l < "$T/base") runs, each right after a banger start)"
echo "  banger / plain QEMU = $(echo "scale=3; $banger_s / $base_s" | bc) (ratio of medians); median of the $(wc -l < "$T/ratios") per-pair ratios: $(median < "$T/ratios")"

# ---- N VMs at once ----------------------------------------------------------------------------
for i in $(seq "$CONC"); do banger vm create "c$i" --memory 256 > /dev/null; done
HPID_CPU0=$(cpu_ticks "$HPID") DPID_CPU0=$(cpu_ticks "$DPID")
t0=$(now)
pids=()
for i in $(seq "$CONC"); do
	banger vm start "c$i" > "$T/c$i.out" 2>&1 &
	pids+=($!)
done
ok=0
for p in "${pids[@]}"; do wait "$p" && ok=$((ok + 1)); done
t1=$(now)
hz=$(getconf CLK_TCK)
echo "== $CONC VMs started at once: $ok running after $(echo "$t1 - $t0" | bc) s"
echo "  bangerd CPU: $(echo "scale=2; ($(cpu_ticks "$DPID") - $DPID_CPU0) / $hz" | bc) s, bangerd-root CPU: $(echo "scale=2; ($(cpu_ticks "$HPID") - $HPID_CPU0) / $hz" | bc) s"
spids=()
for i in $(seq "$CONC"); do
	banger vm stop "c$i" > /dev/null 2>&1 &
	spids+=($!)
done
[ ${#spids[@]} -eq 0 ] || wait "${spids[@]}" # (a bare wait would wait for the daemons too)

#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# banger-vmm's Firecracker snapshots, without the daemon: boot the minimal guest in a jail, pause
# it, PUT /snapshot/create, then PUT /snapshot/load into a fresh banger-vmm in another jail on
# another tap (network_overrides) and check it is the same guest — same boot_id, the same
# process still running, its uptime carried on — reached over SSH with the pinned host key.
# Also the refusals, each with Firecracker's status and a fault_message: create while running,
# a Diff snapshot, load after configuring, the Uffd backend, and a failed load ending the process.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/vmm-lib.inc"
t_private_ns "$@"
for c in curl ssh ssh-keygen qemu-system-x86_64 mke2fs cpio busybox jq; do
	command -v "$c" > /dev/null || t_skip_all "$c is missing"
done
[ -x /usr/sbin/dropbear ] || t_skip_all "dropbear-bin is missing"
VMM=$(t_bin banger-vmm)
JAILER=$(t_bin banger-jailer)
[ -x "$VMM" ] && [ -x "$JAILER" ] || t_skip_all "banger-vmm/banger-jailer are not built"
t_tmpdir
chmod 0755 "$T"
vmm_image || t_skip_all "the minimal image could not be built"

JUID=64124
BASE=$T/jail
GUEST=10.78.0.2 HOST=10.78.0.1
ip link add br0 type bridge && ip addr add $HOST/24 dev br0 && ip link set br0 up
for tap in bgtap0 bgtap1; do
	ip tuntap add $tap mode tap user $JUID && ip link set $tap master br0 && ip link set $tap up
done
ssh-keygen -q -t ed25519 -N '' -f "$T/id" -C e2e
read -r ktype kblob _ < "$T/id.pub"

# jail ID: stages <base>/banger-vmm/ID/root with the image and a directory the VMM may write,
# launches banger-vmm there through the jailer; sets S (API socket) and JPID.
jail() {
	local id=$1 root=$BASE/banger-vmm/$1/root
	vmm_stage_jail "$root" || t_fail "staging the jail's read-only binds for $id"
	cp "$IMG/vmlinuz" "$IMG/initrd.img" "$root/"
	mkdir -p "$root/snap" && chown $JUID:$JUID "$root/snap"
	"$JAILER" --id "$id" --exec-file "$VMM" --uid $JUID --gid $JUID --chroot-base-dir "$BASE" \
		-- --api-sock /run/firecracker.socket > "$T/$id.console" 2> "$T/$id.err" &
	JPID=$!
	t_add_cleanup "kill -9 $JPID"
	S=$root/run/firecracker.socket
	t_wait 10 test -S "$S"
	ROOT=$root
}
api() { curl -s -S -o "$T/resp" -w '%{http_code}' --unix-socket "$S" -X "$1" "http://localhost$2" -H 'Content-Type: application/json' ${3+--data-binary "$3"}; }
fault() { jq -r .fault_message "$T/resp" 2> /dev/null; }
sshg() {
	ssh -i "$T/id" -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$T/known_hosts" \
		-o BatchMode=yes -o ConnectTimeout=5 -o LogLevel=ERROR root@$GUEST "$@"
}
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

# ---- boot A ----
jail snap-a
A_ROOT=$ROOT A_JPID=$JPID
cp --sparse=always "$IMG/rootfs.ext4" "$ROOT/rootfs.ext4" && chown $JUID:$JUID "$ROOT/rootfs.ext4"
boot_args="console=ttyS0 reboot=k panic=1 quiet ip=$GUEST::$HOST:255.255.255.0::eth0:off banger.ssh_key=$ktype:$kblob"
code=$(api PUT /snapshot/create '{"snapshot_path":"/snap/state","mem_file_path":"/snap/mem"}')
t_eq "snapshot/create before boot: 400" 400 "$code"
t_eq "saying it is not supported before starting" "The requested operation is not supported before starting the microVM." "$(fault)"
for r in "/machine-config {\"vcpu_count\":1,\"mem_size_mib\":256}" \
	"/boot-source {\"kernel_image_path\":\"/vmlinuz\",\"initrd_path\":\"/initrd.img\",\"boot_args\":\"$boot_args\"}" \
	'/drives/rootfs {"drive_id":"rootfs","path_on_host":"/rootfs.ext4","is_root_device":true,"is_read_only":false}' \
	'/network-interfaces/eth0 {"iface_id":"eth0","host_dev_name":"bgtap0","guest_mac":"06:00:0a:4e:00:02"}' \
	'/actions {"action_type":"InstanceStart"}'; do
	code=$(api PUT "${r%% *}" "${r#* }")
	[ "$code" = 204 ] || t_fail "PUT ${r%% *}" "$code $(cat "$T/resp")"
done
t_wait 180 grep -q '^banger-hostkey: ssh-ed25519 ' "$T/snap-a.console"
hostkey=$(sed -n 's/^banger-hostkey: \(ssh-ed25519 [A-Za-z0-9+\/=]*\).*/\1/p' "$T/snap-a.console" | tr -d '\r' | head -n1)
echo "$GUEST $hostkey" > "$T/known_hosts"
if ! t_wait 90 sshg true; then
	t_fail "guest A answers SSH" "$(tail -n 20 "$T/snap-a.console")"
	t_done
	exit
fi
boot_id=$(sshg cat /proc/sys/kernel/random/boot_id)
sleeper=$(sshg 'sleep 100000 > /dev/null 2>&1 < /dev/null & echo $!')
up_a=$(sshg cut -d. -f1 /proc/uptime)
t_check "guest A runs with a boot id ($boot_id) and a sleeper (pid $sleeper)" test -n "$boot_id" -a -n "$sleeper"

# ---- refusals on a running guest ----
code=$(api PUT /snapshot/create '{"snapshot_path":"/snap/state","mem_file_path":"/snap/mem"}')
t_eq "snapshot/create while running: 400" 400 "$code"
t_check "saying the guest must be paused" grep -q "must be paused" <<< "$(fault)"
code=$(api PUT /snapshot/load '{"snapshot_path":"/snap/state","mem_backend":{"backend_type":"File","backend_path":"/snap/mem"}}')
t_eq "snapshot/load after boot: 400, not supported after starting" \
	"400 The requested operation is not supported after starting the microVM." "$code $(fault)"

# ---- pause, snapshot, resume ----
t_eq "PATCH /vm Paused -> 204" 204 "$(api PATCH /vm '{"state":"Paused"}')"
code=$(api PUT /snapshot/create '{"snapshot_path":"/snap/state","mem_file_path":"/snap/mem","snapshot_type":"Diff"}')
t_eq "a Diff snapshot: 400, saying Full only" "400 yes" "$code $(fault | grep -q 'Full' && echo yes)"
code=$(api PUT /snapshot/create '{"snapshot_path":"/snap/state","mem_file_path":"/snap/state"}')
t_eq "state and memory in one file: 400" 400 "$code"
t0=$(date +%s%N)
code=$(api PUT /snapshot/create '{"snapshot_path":"/snap/state","mem_file_path":"/snap/mem","snapshot_type":"Full"}')
create_ms=$(ms_since "$t0")
t_eq "PUT /snapshot/create (Full) of the paused guest -> 204" 204 "$code"
[ "$code" = 204 ] || cat "$T/resp"
mem_bytes=$(stat -c %s "$A_ROOT/snap/mem" 2> /dev/null || echo 0)
t_check "the memory file holds the guest ($mem_bytes bytes)" test "$mem_bytes" -gt $((8 * 1024 * 1024))
t_eq "the state file records the configuration, the accelerator and the memory file's size" \
	"1 bgtap0 /rootfs.ext4 $mem_bytes" \
	"$(jq -r '"\(.banger_vmm_snapshot) \(.config."network-interfaces"[0].host_dev_name) \(.config.drives[0].path_on_host) \(.mem_file_size)"' "$A_ROOT/snap/state")"
t_eq "the files are the VMM's (jail uid), not world-readable" "$JUID 600 $JUID 600" \
	"$(stat -c '%u %a' "$A_ROOT/snap/state" "$A_ROOT/snap/mem" | tr '\n' ' ' | sed 's/ $//')"
# the disk at the moment of the snapshot goes with it (the caller's job, as with Firecracker)
cp --sparse=always "$A_ROOT/rootfs.ext4" "$T/rootfs.snap"
echo "# snapshot/create of a $(jq -r '.config."machine-config".mem_size_mib' "$A_ROOT/snap/state") MiB guest: $create_ms ms, memory file $((mem_bytes / 1024 / 1024)) MiB"
t_eq "GET / still says Paused" Paused "$(api GET / > /dev/null; jq -r .state "$T/resp")"
t_eq "PATCH /vm Resumed -> 204" 204 "$(api PATCH /vm '{"state":"Resumed"}')"
t_eq "guest A runs on after the snapshot (same boot id)" "$boot_id" "$(sshg cat /proc/sys/kernel/random/boot_id 2> /dev/null)"
kill -9 "$A_JPID" 2> /dev/null; wait "$A_JPID" 2> /dev/null
t_wait 10 bash -c "! kill -0 $A_JPID 2> /dev/null"

# ---- refusals before a load (a banger-vmm of its own, no jail, no guest) ----
S=$T/c.sock
"$VMM" --api-sock "$S" > "$T/c.out" 2>&1 &
cpid=$!
t_add_cleanup "kill -9 $cpid"
t_wait 5 test -S "$S"
api PUT /machine-config '{"vcpu_count":1,"mem_size_mib":128}' > /dev/null
code=$(api PUT /snapshot/load "{\"snapshot_path\":\"$A_ROOT/snap/state\",\"mem_backend\":{\"backend_type\":\"File\",\"backend_path\":\"$A_ROOT/snap/mem\"}}")
t_eq "load after PUT /machine-config: 400 (Firecracker's LoadSnapshotNotAllowed)" \
	"400 Loading a microVM snapshot not allowed after configuring boot-specific resources." "$code $(fault)"
t_check "and the VMM keeps serving" kill -0 $cpid
kill $cpid; wait $cpid 2> /dev/null
"$VMM" --api-sock "$S" > "$T/c.out" 2>&1 &
cpid=$!
t_wait 5 test -S "$S"
code=$(api PUT /snapshot/load "{\"snapshot_path\":\"$A_ROOT/snap/state\",\"mem_backend\":{\"backend_type\":\"Uffd\",\"backend_path\":\"/x.sock\"}}")
t_eq "the Uffd backend: 400" "400 yes" "$code $(fault | grep -q 'Uffd' && echo yes)"
code=$(api PUT /snapshot/load "{\"snapshot_path\":\"$A_ROOT/snap/state\",\"mem_file_path\":\"/x\",\"mem_backend\":{\"backend_type\":\"File\",\"backend_path\":\"/x\"}}")
t_eq "both mem_file_path and mem_backend: 400" 400 "$code"
code=$(api PUT /snapshot/load "{\"snapshot_path\":\"$T/no-such-state\",\"mem_backend\":{\"backend_type\":\"File\",\"backend_path\":\"$A_ROOT/snap/mem\"}}")
t_eq "a missing state file: 400 naming it" "400 yes" "$code $(fault | grep -q 'no-such-state' && echo yes)"
if t_wait 5 bash -c "! kill -0 $cpid 2> /dev/null"; then
	wait $cpid
	t_eq "and a failed load ends the VMM (exit 1), as Firecracker's does" 1 $?
else
	t_fail "a failed load ends the VMM"
fi

# ---- load B: another jail, another tap ----
jail snap-b
B_JPID=$JPID
cp --sparse=always "$T/rootfs.snap" "$ROOT/rootfs.ext4"
cp "$A_ROOT/snap/state" "$A_ROOT/snap/mem" "$ROOT/snap/"
chown $JUID:$JUID "$ROOT/rootfs.ext4" "$ROOT/snap/state" "$ROOT/snap/mem"
t0=$(date +%s%N)
code=$(api PUT /snapshot/load '{"snapshot_path":"/snap/state","mem_backend":{"backend_type":"File","backend_path":"/snap/mem"},"resume_vm":true,"network_overrides":[{"iface_id":"eth0","host_dev_name":"bgtap1"}]}')
load_ms=$(ms_since "$t0")
t_eq "PUT /snapshot/load into a fresh VMM, resume_vm, eth0 moved to bgtap1 -> 204" 204 "$code"
[ "$code" = 204 ] || { cat "$T/resp"; tail -n 20 "$T/snap-b.err" "$T/snap-b.console"; }
echo "# snapshot/load with resume_vm: $load_ms ms"
t_eq "GET / says Running" Running "$(api GET / > /dev/null; jq -r .state "$T/resp")"
t_eq "GET /vm/config shows the snapshot's drive and the overridden tap" "/rootfs.ext4 bgtap1" \
	"$(api GET /vm/config > /dev/null; jq -r '"\(.drives[0].path_on_host) \(."network-interfaces"[0].host_dev_name)"' "$T/resp")"
qpid=$(pgrep -P $B_JPID qemu-system || true)
t_check "QEMU of B uses bgtap1" grep -q 'ifname=bgtap1' <(tr '\0' ' ' < /proc/${qpid:-0}/cmdline 2> /dev/null)
if t_wait 30 sshg true; then
	t_ok "the restored guest answers SSH with the same pinned host key"
else
	t_fail "the restored guest answers SSH" "$(tail -n 20 "$T/snap-b.console" "$T/snap-b.err")"
fi
t_eq "the same guest: the same boot id" "$boot_id" "$(sshg cat /proc/sys/kernel/random/boot_id 2> /dev/null)"
t_check "the sleeper started before the snapshot still runs (pid $sleeper)" sshg kill -0 "$sleeper"
up_b=$(sshg cut -d. -f1 /proc/uptime 2> /dev/null)
t_check "its uptime carried on ($up_a s before, $up_b s now)" test "${up_b:-0}" -ge "$up_a"
t_eq "SendCtrlAltDel -> 204" 204 "$(api PUT /actions '{"action_type":"SendCtrlAltDel"}')"
if t_wait 90 bash -c "! kill -0 $B_JPID 2> /dev/null"; then
	wait $B_JPID
	t_eq "the restored VMM exits 0 when its guest powers off" 0 $?
else
	t_fail "the restored VMM exits after Ctrl-Alt-Del" "$(tail -n 20 "$T/snap-b.console")"
fi
t_done

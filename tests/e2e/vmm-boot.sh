#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# End to end without the daemon: build (or reuse) the minimal image, stage a jail by hand in a
# private network + mount namespace, launch banger-vmm through banger-jailer as an unprivileged
# uid on a tap behind a bridge, configure it with curl, InstanceStart, SSH in with the host key
# pinned from the console line, read the guest's boot_id, SendCtrlAltDel, see the VMM exit 0.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/vmm-lib.inc"
t_private_ns "$@"
for c in curl ssh ssh-keygen qemu-system-x86_64 mke2fs cpio busybox; do
	command -v "$c" > /dev/null || t_skip_all "$c is missing"
done
[ -x /usr/sbin/dropbear ] || t_skip_all "dropbear-bin is missing"
VMM=$(t_bin banger-vmm)
JAILER=$(t_bin banger-jailer)
[ -x "$VMM" ] && [ -x "$JAILER" ] || t_skip_all "banger-vmm/banger-jailer are not built"
t_tmpdir
chmod 0755 "$T"

vmm_image || t_skip_all "the minimal image could not be built"
t_ok "minimal image at $IMG"
for f in vmlinuz initrd.img rootfs.ext4; do
	t_eq "image.json's sha256 of $f matches the file" \
		"$(sed -n "/\"file\": \"$f\"/,/sha256/s/.*\"sha256\": \"\(.*\)\".*/\1/p" "$IMG/image.json")" \
		"$(sha256sum < "$IMG/$f" | cut -d' ' -f1)"
done

JUID=64123
ID=e2e-vm1
BASE=$T/jail
ROOT=$BASE/banger-vmm/$ID/root
GUEST=10.77.0.2 HOST=10.77.0.1 TAP=bgtap0

ip link add br0 type bridge && ip addr add $HOST/24 dev br0 && ip link set br0 up
ip tuntap add $TAP mode tap user $JUID && ip link set $TAP master br0 && ip link set $TAP up
t_check "tap $TAP owned by uid $JUID on bridge br0" bash -c "ip -d link show $TAP | grep -q 'tun type tap .* user $JUID .*' && ip link show $TAP | grep -q 'master br0'"

vmm_stage_jail "$ROOT" || t_fail "staging the jail's read-only binds"
cp "$IMG/vmlinuz" "$IMG/initrd.img" "$ROOT/"
cp --sparse=always "$IMG/rootfs.ext4" "$ROOT/rootfs.ext4"
chown $JUID:$JUID "$ROOT/rootfs.ext4"

ssh-keygen -q -t ed25519 -N '' -f "$T/id" -C e2e
read -r ktype kblob _ < "$T/id.pub"

"$JAILER" --id $ID --exec-file "$VMM" --uid $JUID --gid $JUID --chroot-base-dir "$BASE" \
	-- --api-sock /run/firecracker.socket > "$T/console.log" 2> "$T/vmm.err" &
jpid=$!
t_add_cleanup "kill -9 $jpid"
S=$ROOT/run/firecracker.socket
if ! t_wait 10 test -S "$S"; then
	t_fail "the API socket appears in the jail" "$(cat "$T/vmm.err" "$T/console.log")"
	t_done
	exit
fi
t_ok "banger-vmm launched through banger-jailer; API socket in the jail"
t_eq "the jailer's pid file names the VMM (plain mode: same pid)" "$jpid" "$(cat "$ROOT/banger-vmm.pid")"
t_eq "the VMM runs as the jail uid" $JUID "$(stat -c %u /proc/$jpid)"
t_check "the VMM is chrooted in the jail (its / is the jail root)" test /proc/$jpid/root -ef "$ROOT"

api() { curl -s -S -o "$T/resp" -w '%{http_code}' --unix-socket "$S" -X "$1" "http://localhost$2" -H 'Content-Type: application/json' ${3+--data-binary "$3"}; }
put() { local code; code=$(api PUT "$1" "$2"); t_eq "PUT $1 -> 204" 204 "$code"; [ "$code" = 204 ] || cat "$T/resp"; }
boot_args="console=ttyS0 reboot=k panic=1 quiet ip=$GUEST::$HOST:255.255.255.0::eth0:off banger.ssh_key=$ktype:$kblob"
put /machine-config '{"vcpu_count":1,"mem_size_mib":256}'
put /boot-source "{\"kernel_image_path\":\"/vmlinuz\",\"initrd_path\":\"/initrd.img\",\"boot_args\":\"$boot_args\"}"
put /drives/rootfs '{"drive_id":"rootfs","path_on_host":"/rootfs.ext4","is_root_device":true,"is_read_only":false}'
put /network-interfaces/eth0 "{\"iface_id\":\"eth0\",\"host_dev_name\":\"$TAP\",\"guest_mac\":\"06:00:0a:4d:00:02\"}"
t0=$(date +%s.%N)
put /actions '{"action_type":"InstanceStart"}'
qpid=$(pgrep -P $jpid qemu-system || true)
t_check "QEMU runs as a child of the VMM" test -n "$qpid"
[ -n "$qpid" ] && t_eq "QEMU runs as the jail uid" $JUID "$(stat -c %u /proc/$qpid)"
# --accel auto, as bangerd-root launches it: KVM only if the probe guest ran (never on kvm_pvm).
accel=$(sed -n 's/.*Acceleration: \([a-z]*\) (KVM probe.*/\1/p' "$T/console.log")
t_check "the VMM chose an accelerator with its KVM probe ($accel)" test -n "$accel"
[ -n "$qpid" ] && t_eq "QEMU runs with that accelerator" "$accel" \
	"$(tr '\0' '\n' < /proc/$qpid/cmdline | sed -n '/^-accel$/{n;p}')"
if [ -d /sys/module/kvm_pvm ]; then
	t_eq "on a kvm_pvm host the probe refuses KVM" tcg "$accel"
fi
t_eq "GET / says Running" '"state":"Running"' "$(api GET / > /dev/null; grep -o '"state":"[A-Za-z ]*"' "$T/resp")"

if t_wait 180 grep -q '^banger-hostkey: ssh-ed25519 ' "$T/console.log"; then
	t_ok "the guest printed its host key on the console"
else
	t_fail "the guest printed its host key on the console" "$(tail -n 30 "$T/console.log")"
fi
hostkey=$(sed -n 's/^banger-hostkey: \(ssh-ed25519 [A-Za-z0-9+\/=]*\).*/\1/p' "$T/console.log" | tr -d '\r' | head -n1)
echo "$GUEST $hostkey" > "$T/known_hosts"
t_wait 60 grep -q '^banger-ready' "$T/console.log"
t_check "the guest printed its ready marker" grep -q '^banger-ready' "$T/console.log"

sshg() {
	ssh -i "$T/id" -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$T/known_hosts" \
		-o BatchMode=yes -o ConnectTimeout=5 -o LogLevel=ERROR root@$GUEST "$@"
}
t_wait 60 sshg true
boot_id=$(sshg cat /proc/sys/kernel/random/boot_id 2> "$T/ssh.err")
t1=$(date +%s.%N)
if [[ $boot_id =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]]; then
	t_ok "SSH with the pinned host key reads the guest's boot_id ($boot_id)"
	echo "# InstanceStart to boot_id over SSH: $(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }") s (TCG)"
else
	t_fail "SSH with the pinned host key reads the guest's boot_id" "$(cat "$T/ssh.err")" "$(tail -n 20 "$T/console.log")"
fi
t_eq "the guest's root is the virtio-blk drive, writable" "/dev/vda / ext4 rw" \
	"$(sshg "grep ' / ext4 ' /proc/mounts | cut -d' ' -f1-4 | cut -d, -f1" 2> /dev/null)"
t_eq "the guest's eth0 has the MAC from the API" "06:00:0a:4d:00:02" "$(sshg cat /sys/class/net/eth0/address 2> /dev/null)"
t_eq "the guest booted with the boot args given (and root= appended)" "yes" \
	"$(sshg "grep -q 'banger.ssh_key=$ktype:$kblob.* root=/dev/vda rw' /proc/cmdline && echo yes" 2> /dev/null)"
ssh-keygen -q -t ed25519 -N '' -f "$T/other" -C other
read -r _ wrongblob _ < "$T/other.pub"
echo "$GUEST ssh-ed25519 $wrongblob" > "$T/known_hosts.wrong"
if ssh -i "$T/id" -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$T/known_hosts.wrong" \
	-o BatchMode=yes -o ConnectTimeout=5 root@$GUEST true 2> /dev/null; then
	t_fail "SSH refuses a host key other than the pinned one"
else
	t_ok "SSH refuses a host key other than the pinned one"
fi

code=$(api PUT /actions '{"action_type":"SendCtrlAltDel"}')
t_eq "SendCtrlAltDel -> 204" 204 "$code"
if t_wait 90 bash -c "! kill -0 $jpid 2> /dev/null"; then
	wait $jpid
	rc=$?
	t_eq "the VMM exits 0 after Ctrl-Alt-Del (guest powered off)" 0 $rc
else
	t_fail "the VMM exits after Ctrl-Alt-Del" "$(tail -n 20 "$T/console.log")"
fi
t_check "the guest powered off cleanly (console)" grep -q 'reboot: Power down' "$T/console.log"
t_check "the guest's init ran its shutdown (console)" grep -q 'The system is going down NOW' "$T/console.log"
t_check "no QEMU left behind" bash -c "[ -z \"$qpid\" ] || ! kill -0 $qpid 2> /dev/null"
t_done

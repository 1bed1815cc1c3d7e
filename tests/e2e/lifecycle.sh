#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The whole path for real, in a private network + mount namespace: bangerd-root (root) and
# bangerd (an unprivileged owner) with the real banger CLI; banger-jailer + banger-vmm boot the
# minimal image under QEMU. Two guests run at once; SSH, boot ids, ping between guests, NAT,
# console logs, events, stop/start/delete with the kernel's own view of what is left, failure
# injection (missing kernel, a VMM that exits at once, a guest that never answers SSH) and
# file_sync (a file in the home arrives; a symlink out of the home is refused).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/vmm-lib.inc"
t_private_ns "$@"
LC_CONF='[vm]
ssh_timeout_sec = 90
stop_timeout_sec = 20

[file_sync]
path = ~/.gitconfig
path = escape'
. "$(dirname "$0")/lifecycle-lib.inc"
# the file_sync subjects: one file in the home, one symlink that leaves it
lc_setup
printf '[user]\n\tname = e2e\n' > "$HOMEDIR/.gitconfig"
ln -s /etc/hostname "$HOMEDIR/escape"
chown -h $OWNER:$OWNER "$HOMEDIR/.gitconfig" "$HOMEDIR/escape"
t_ok "bangerd-root (root) and bangerd (uid $OWNER) are up"

as_owner_exec "$(t_bin banger)" events > "$T/events.ndjson" 2>&1 &
EPID=$!
t_add_cleanup "kill $EPID"

t_check "image import minimal" banger image import minimal --kernel "$T/img/vmlinuz" \
	--initrd "$T/img/initrd.img" --rootfs "$T/img/rootfs.ext4"

vmget() { banger --json vm get "$1" | jq -r ".$2 // empty"; }
# What resources.list still shows matching the regex, or why it could not be asked: a helper
# that does not answer must not read as "nothing leaked".
leftovers() {
	local out
	out=$(helper_call resources.list 2>&1) || { echo "resources.list failed: ${out:0:200}"; return; }
	grep -o "$1" <<< "$out" | sort -u
}
# Mounts under a prefix in the helper's namespace, or why its mount table could not be read.
helper_mounts_under() {
	awk -v p="$1" 'index($5, p) == 1' "/proc/$HPID/mountinfo" 2>&1 || echo "(cannot read the helper's mountinfo)"
}

# ---- two guests -----------------------------------------------------------------------------
t0=$SECONDS
out_a=$(banger vm run a 2>&1) && t_ok "vm run a" || t_fail "vm run a" "$out_a" "$(tail -n 30 "$T/bangerd.log")"
out_b=$(banger vm run b 2>&1) && t_ok "vm run b" || t_fail "vm run b" "$out_b" "$(tail -n 30 "$T/bangerd.log")"
echo "# two guests running after $((SECONDS - t0)) s"
t_eq "a is running" running "$(vmget a state)"
t_eq "b is running" running "$(vmget b state)"
IP_A=$(vmget a ip) IP_B=$(vmget b ip)
t_check "a and b have distinct addresses in $SUBNET_PREFIX.0/24" \
	bash -c "[[ '$IP_A' == $SUBNET_PREFIX.* && '$IP_B' == $SUBNET_PREFIX.* && '$IP_A' != '$IP_B' ]]"
BOOT_A=$(vmget a boot_id)
t_eq "banger vm ssh a -- cat boot_id equals vm get a's boot_id" "$BOOT_A" \
	"$(banger vm ssh a -- cat /proc/sys/kernel/random/boot_id 2>&1)"
t_check "the ssh exit status is the remote command's" bash -c "! setpriv --reuid=$OWNER --regid=$OWNER --clear-groups env BANGER_ROOT='$T' '$(t_bin banger)' vm ssh a -- false"
t_check "a pings b over the bridge" banger vm ssh a -- ping -c 1 -W 5 "$IP_B"
t_check "known_hosts pins a's host key for its IP" grep -q "^$IP_A ssh-ed25519 " "$HOMEDIR/.config/banger/ssh/known_hosts"

TAP_A=bgt-$(vmget a id | cut -c1-11)
t_eq "a's tap is on banger0" banger0 "$(ip -j link show "$TAP_A" | jq -r '.[0].master')"
t_check "a's tap is owned by the owner" bash -c "ip -d link show $TAP_A | grep -Eq 'tun type tap .*user (nobody|$OWNER)'"
JAIL_DIR_A=$T/var/lib/banger/jail/banger-vmm/$(vmget a id)
t_eq "a's jail directory is root 0700 (the host's view)" "0 700" "$(stat -c '%u %a' "$JAIL_DIR_A")"
t_check "the owner cannot reach into a's jail from the host" bash -c "! setpriv --reuid=$OWNER --regid=$OWNER --clear-groups ls '$JAIL_DIR_A/root' 2> /dev/null"
t_eq "a's API socket link goes through its VMM's /proc/PID/root" "/proc/$(vmget a pid)/root/run/firecracker.socket" \
	"$(readlink "$T/run/banger/vm/$(vmget a id).sock")"
t_check "the NAT rule for the subnet is in the ruleset" \
	bash -c "nft list table inet banger | grep -q 'ip saddr $SUBNET_PREFIX.0/24' && nft list table inet banger | grep -q masquerade"
t_check "vm logs a shows the kernel's boot lines" bash -c "setpriv --reuid=$OWNER --regid=$OWNER --clear-groups env BANGER_ROOT='$T' '$(t_bin banger)' vm logs a --tail 2000 | grep -q 'Linux version'"
t_check "the event stream showed a starting → running" \
	bash -c "jq -c 'select(.method==\"vm.state\" and .params.name==\"a\") | .params.new' '$T/events.ndjson' | tr -d '\"' | tr '\n' ' ' | grep -q 'starting running'"
t_check "the event stream carried a's vm.boot_id" \
	bash -c "jq -se 'any(.[]; .method==\"vm.boot_id\" and .params.name==\"a\" and .params.boot_id==\"$BOOT_A\")' '$T/events.ndjson' > /dev/null"
t_check "the event stream carried a's console lines" \
	bash -c "jq -se 'any(.[]; .method==\"vm.log\" and .params.name==\"a\" and (.params.lines | length) > 0)' '$T/events.ndjson' > /dev/null"
t_eq "file_sync: ~/.gitconfig arrived in a" "$(cat "$HOMEDIR/.gitconfig")" "$(banger vm ssh a -- cat /root/.gitconfig 2>&1)"
t_check "file_sync: the symlink out of the home was refused (not in the guest)" \
	bash -c "! setpriv --reuid=$OWNER --regid=$OWNER --clear-groups env BANGER_ROOT='$T' '$(t_bin banger)' vm ssh a -- test -e /root/escape"
t_check "file_sync: the refusal is logged with its reason" grep -q 'refused "escape": it resolves outside' "$T/bangerd.log"

[ -n "${LC_STOP_EARLY:-}" ] && { t_done; exit; }
# ---- stop releases everything ------------------------------------------------------------------
ID_A=$(vmget a id)
JAIL_A=$T/var/lib/banger/jail/banger-vmm/$ID_A
t_check "vm stop a" banger vm stop a
t_eq "a is stopped" stopped "$(vmget a state)"
t_check "a's tap is gone" bash -c "! ip link show $TAP_A 2> /dev/null"
t_check "a's chroot directory is gone" test ! -e "$JAIL_A"
t_eq "no mounts under a's chroot (the helper's namespace)" "" "$(helper_mounts_under "$JAIL_A")"
t_eq "no mounts under a's chroot (the host's)" "" "$(awk -v p="$JAIL_A" 'index($5, p) == 1' /proc/self/mountinfo)"
t_check "a's API socket link is gone" test ! -e "$T/run/banger/vm/$ID_A.sock"
t_eq "resources.list shows nothing of a" "" "$(leftovers "$ID_A\|$TAP_A")"
t_check "b still runs" banger vm ssh b -- true

# Restarting the daemons never kills a running VM: the new bangerd re-adopts it.
PID_B=$(vmget b pid) BOOT_B=$(vmget b boot_id)
kill "$DPID"
wait "$DPID" 2> /dev/null
t_check "b's VMM outlives bangerd" kill -0 "$PID_B"
start_daemon
t_check "the new bangerd re-adopts b (running, same VMM pid)" t_wait 10 bash -c \
	"[ \"\$(setpriv --reuid=$OWNER --regid=$OWNER --clear-groups env BANGER_ROOT='$T' '$(t_bin banger)' --json vm get b | jq -r '\"\(.state) \(.pid)\"')\" = 'running $PID_B' ]"
t_eq "b's boot id is unchanged (same boot)" "$BOOT_B" "$(banger vm ssh b -- cat /proc/sys/kernel/random/boot_id 2>&1)"
banger vm ssh b -- 'echo readopt-marker > /dev/ttyS0' > /dev/null 2>&1
t_check "console capture resumed after the restart" t_wait 10 bash -c \
	"setpriv --reuid=$OWNER --regid=$OWNER --clear-groups env BANGER_ROOT='$T' '$(t_bin banger)' vm logs b --tail 20 | grep -q readopt-marker"
kill "$HPID"
wait "$HPID" 2> /dev/null
"${T_OWN_MOUNTNS[@]}" "$(t_bin bangerd-root)" --root "$T" >> "$T/helper.log" 2>&1 &
HPID=$!
t_add_cleanup "kill $HPID"
t_wait 10 test -S "$T/run/banger/root.sock"
t_check "b survives a bangerd-root restart too" banger vm ssh b -- true

out=$(banger vm start a 2>&1) && t_ok "vm start a again" || t_fail "vm start a again" "$out"
BOOT_A2=$(vmget a boot_id)
t_check "a has a new boot id after the restart" bash -c "[ -n '$BOOT_A2' ] && [ '$BOOT_A2' != '$BOOT_A' ]"
t_eq "a keeps its address" "$IP_A" "$(vmget a ip)"
t_check "vm stop a" banger vm stop a
ID_B=$(vmget b id)
banger vm delete b > "$T/del.out" 2>&1
t_eq "vm delete of a running VM without --force: exit 1" 1 "$?"
t_check "saying to stop it first or force" grep -q "stop it first or delete with force" "$T/del.out"
t_eq "b still runs after the refused delete" running "$(vmget b state)"
t_check "vm delete --force b stops and deletes it" banger vm delete --force b
t_eq "b is gone" 4 "$(banger vm get b > /dev/null 2>&1; echo $?)"
t_eq "resources.list shows nothing of b" "" "$(leftovers "$ID_B\|bgt-${ID_B:0:11}")"
t_check "b's state directory (disk, console log) is gone" test ! -e "$T/var/lib/banger/state/vms/$ID_B"
t_check "vm delete a" banger vm delete a
out=$(banger vm create c && banger vm start c 2>&1) && t_ok "vm run c" || t_fail "vm run c" "$out"
t_eq "deleting a freed its IP: c got it" "$IP_A" "$(vmget c ip)"
t_check "vm stop c" banger vm stop c

# A stop while the guest is still booting: the start is cancelled, everything released.
banger vm create s1 > /dev/null
as_owner_exec "$(t_bin banger)" vm start s1 > "$T/s1.out" 2>&1 &
SPID=$!
t_check "s1 reaches a launched VMM while starting" t_wait 30 bash -c "[ -n \"\$(setpriv --reuid=$OWNER --regid=$OWNER --clear-groups env BANGER_ROOT='$T' '$(t_bin banger)' --json vm get s1 | jq -r '.pid // empty')\" ]"
t_check "vm stop s1 during its start" banger vm stop s1
wait $SPID
t_eq "the cancelled start exits 1" 1 "$?"
t_check "saying the stop cancelled it" grep -q "cancelled by a stop" "$T/s1.out"
t_eq "s1 is stopped" stopped "$(vmget s1 state)"
ID_S1=$(vmget s1 id)
t_eq "s1 leaked nothing (resources.list)" "" "$(leftovers "$ID_S1\|bgt-${ID_S1:0:11}")"
t_check "vm start s1 afterwards works" banger vm start s1
t_check "vm delete --force s1" banger vm delete --force s1

# ---- failure injection -----------------------------------------------------------------------
# A missing kernel file: the image's kernel vanished after import.
mkdir -p "$T/img2" && cp "$T/img/"* "$T/img2/" && chown -R $OWNER:$OWNER "$T/img2"
banger image import nokernel --kernel "$T/img2/vmlinuz" --initrd "$T/img2/initrd.img" --rootfs "$T/img2/rootfs.ext4" > /dev/null
rm -f "$T/var/lib/banger/state/images/nokernel/vmlinuz"
banger vm create k1 --image nokernel > /dev/null
banger vm start k1 > "$T/k1.out" 2>&1
t_eq "missing kernel: the VM ends in error" error "$(vmget k1 state)"
t_check "missing kernel: the reason names the step and the file" bash -c "banger_reason=\$(setpriv --reuid=$OWNER --regid=$OWNER --clear-groups env BANGER_ROOT='$T' '$(t_bin banger)' --json vm get k1 | jq -r .reason); [[ \$banger_reason == *'step \"jail\"'*kernel* ]]"

# A VMM that exits at once: QEMU refuses a kernel that is not one. Not random bytes: QEMU boots
# any file whose setup-sector count (byte 0x1f1) fits in it as an old-style kernel, 1 in 32 of
# random ones. 0xff there claims 256 sectors of a 4 KiB file: "invalid kernel header", always.
head -c 4096 /dev/zero | tr '\0' '\377' > "$T/img2/garbage" && chown $OWNER:$OWNER "$T/img2/garbage"
banger image import garbage --kernel "$T/img2/garbage" --rootfs "$T/img2/rootfs.ext4" > /dev/null
banger vm create k2 --image garbage > /dev/null
banger vm start k2 > "$T/k2.out" 2>&1
t_eq "a VMM that exits at once: the VM ends in error" error "$(vmget k2 state)"
reason=$(vmget k2 reason)
echo "# k2 reason: $reason"
# banger-vmm answers InstanceStart with QEMU's own error when QEMU dies at once
t_check "a VMM whose guest exits at once: the reason names the boot step and QEMU's error" \
	bash -c "[[ \"\$1\" == *'step \"boot\"'* && \"\$1\" == *[Qq][Ee][Mm][Uu]* ]]" _ "$reason"
t_check "a VMM whose guest exits at once: QEMU's own reason, no warning about its jail before it" \
	bash -c "[[ \"\$1\" == *'QEMU exited: qemu: invalid kernel header'* ]]" _ "$reason"

# A guest that never answers SSH: the host's packets to port 22 dropped, a short bounded wait.
nft add table inet e2e && nft add chain inet e2e out '{ type filter hook output priority -10; }' \
	&& nft add rule inet e2e out tcp dport 22 drop
kill $DPID; wait $DPID 2> /dev/null
# long enough for a TCG guest under load to print its host key (else the start ends at the
# hostkey step, not the SSH one), short enough to keep the wait bounded
sed -i "s/^ssh_timeout_sec = .*/ssh_timeout_sec = 30/" "$T/etc/banger/banger.conf"
start_daemon
banger vm create k3 > /dev/null
s0=$SECONDS
banger vm start k3 > "$T/k3.out" 2>&1
echo "# ssh wait gave up after $((SECONDS - s0)) s"
t_eq "no SSH: the VM ends in error" error "$(vmget k3 state)"
t_check "no SSH: the reason says SSH did not answer" bash -c "grep -q 'did not answer SSH' <<< \"\$(setpriv --reuid=$OWNER --regid=$OWNER --clear-groups env BANGER_ROOT='$T' '$(t_bin banger)' --json vm get k3 | jq -r .reason)\""
nft delete table inet e2e

# reconcile: a tap with banger's prefix that no VM owns is planned, then swept
helper_call net.tap_create '{"tap":"bgt-0123456789a","bridge":"banger0"}' > /dev/null
plan=$(banger --json reconcile --dry-run)
t_check "reconcile --dry-run plans to sweep the stray tap" jq -e '.sweep | index("tap bgt-0123456789a")' <<< "$plan"
t_check "the dry run changed nothing" ip link show bgt-0123456789a
t_check "reconcile sweeps it" bash -c "setpriv --reuid=$OWNER --regid=$OWNER --clear-groups env BANGER_ROOT='$T' '$(t_bin banger)' reconcile | grep -q 'tap bgt-0123456789a'"
t_check "the stray tap is gone" bash -c "! ip link show bgt-0123456789a 2> /dev/null"
t_eq "a second dry run finds nothing to sweep" 0 "$(banger --json reconcile --dry-run | jq '.sweep | length')"

for v in k1 k2 k3; do
	ID=$(vmget $v id)
	t_eq "$v leaked nothing (resources.list)" "" "$(leftovers "$ID\|bgt-${ID:0:11}")"
done
t_eq "no banger tap left in the kernel" "" "$(ip -br link | awk '$1 ~ /^bgt-/')"
t_eq "no mount left under the jail base (the helper's namespace)" "" "$(helper_mounts_under "$T/var/lib/banger/jail/")"
t_eq "no mount left under the jail base (the host's)" "" "$(awk -v p="$T/var/lib/banger/jail/" 'index($5, p) == 1' /proc/self/mountinfo)"
# (losetup itself must answer: a failure to list is not an empty list)
loops=$(losetup --noheadings --output BACK-FILE 2>&1)
t_eq "no loop device backed by the state dir" "0:" "$?:$(grep -F "$T" <<< "$loops")"
# the VMM is gone once the lifecycle finishes; its QEMU follows it (PDEATHSIG) a moment later.
# Only this suite's guests count (QEMU's -name is the VM id): other owner-uid QEMUs on the
# machine are not this suite's to judge.
vm_ids=$(grep -o 'Created VM "[^"]*" ([0-9a-f]*' "$T/bangerd.log" | grep -o '[0-9a-f]*$')
no_qemu_of_ours() {
	local id
	for id in $vm_ids; do
		pgrep -u "$OWNER" -f "qemu-system.* -name $id " > /dev/null && return 1
	done
	return 0
}
t_check "this suite created VMs ($(wc -w <<< "$vm_ids") ids from bangerd's log)" test -n "$vm_ids"
t_check "no QEMU of this suite's VMs left" t_wait 10 no_qemu_of_ours
if [ "$_t_failed" -gt 0 ]; then
	echo "# bangerd.log (last 60 lines):"
	tail -n 60 "$T/bangerd.log" | sed 's/^/#   /'
	echo "# events (methods seen):"
	jq -r .method "$T/events.ndjson" 2> /dev/null | sort | uniq -c | sed 's/^/#   /'
fi
t_done

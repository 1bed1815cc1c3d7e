#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bangerd-root jail and proc ops in a private mount + network namespace: stage (checked against
# /proc/self/mountinfo, owners, modes, device numbers), launch through the jailer install.json
# names, find and signal the VMM, cleanup; and that failures and hostile layouts leave nothing.
. "$(dirname "$0")/../lib.sh"
t_private_ns "$@"
. "$(dirname "$0")/helper-common.inc"
command -v jq > /dev/null || t_skip_all "jq is missing"

h_setup
h_install
h_start || t_skip_all "bangerd-root did not start"
state=$T/var/lib/banger/state
vmdir=$state/vms/vm1
mkdir -p "$vmdir" "$state/vms/vm2"
head -c 300000 /dev/urandom > "$vmdir/kernel"
head -c 100000 /dev/urandom > "$vmdir/initrd"
truncate -s 8M "$vmdir/data"
truncate -s 16M "$vmdir/disk"
truncate -s 16M "$state/vms/vm2/disk"
: > "$vmdir/console.log"
chown -R "$H_UID:$H_GID" "$state"
root=$(h_jail_root vm1)

loop=$(losetup -f --show "$vmdir/disk")
t_add_cleanup "losetup -d $loop"
loop2=$(losetup -f --show "$state/vms/vm2/disk")
t_add_cleanup "losetup -d $loop2"

# --- failure undo first: a block drive of another VM is refused and nothing is left behind.
out=$(h_call jail.stage "{\"vm_id\":\"vm1\",\"block_drives\":[{\"name\":\"rootfs\",\"device\":\"$loop2\"}]}" \
	--fd kernel="$vmdir/kernel")
h_expect_err "stage refuses a loop device of another VM" "$out" "not a loop device backed by a file of VM"
t_eq "failed stage left no mounts" "" "$(h_mounts_under "$root")"
t_check "failed stage left no chroot" test ! -e "$root"

out=$(h_call jail.stage "{\"vm_id\":\"vm1\",\"block_drives\":[{\"name\":\"rootfs\",\"device\":\"/dev/mapper/banger-vm2\"}]}" \
	--fd kernel="$vmdir/kernel")
h_expect_err "stage refuses another VM's dm device" "$out" "is not VM \"vm1\"'s disk"
t_check "failed stage left no chroot (dm)" test ! -e "$root"

# --- stage
out=$(h_call jail.stage "{\"vm_id\":\"vm1\",\"block_drives\":[{\"name\":\"rootfs\",\"device\":\"$loop\"}]}" \
	--fd kernel="$vmdir/kernel" --fd initrd="$vmdir/initrd" --fd-rw drive:data="$vmdir/data")
h_expect_ok "jail.stage succeeds" "$out"
t_eq "stage answers the chroot path" "$root" "$(printf '%s' "$out" | jq -r .root)"
mi=$(h_mounts_under "$root")
t_eq "mountinfo: the chroot is bound onto itself" "$root" "$(printf '%s\n' "$mi" | head -1)"
t_check "mountinfo: /usr/lib bound read-only" bash -c "[[ '$(h_mount_opts "$root/usr/lib")' == ro* ]]"
if [ -e /usr/share/qemu ] && [ "$H_EXEC" = banger-vmm ]; then
	t_check "mountinfo: provider path /usr/share/qemu bound read-only" bash -c "[[ '$(h_mount_opts "$root/usr/share/qemu")' == ro* ]]"
fi
if [ -L /lib ]; then
	t_eq "/lib recreated as the host's link" "$(readlink /lib)" "$(readlink "$root/lib")"
fi
# kernel and initrd: the daemon's very files bound in read-only (no copy), seen where the VMM
# runs, in the helper's namespace
t_eq "kernel: bound in, the same inode as the daemon's file" "$(stat -c '%d:%i' "$vmdir/kernel")" \
	"$(h_in_helper_ns stat -c '%d:%i' "$root/kernel")"
t_check "kernel: the VMM reads it unchanged" h_in_helper_ns cmp "$vmdir/kernel" "$root/kernel"
t_eq "initrd: bound in, the same inode as the daemon's file" "$(stat -c '%d:%i' "$vmdir/initrd")" \
	"$(h_in_helper_ns stat -c '%d:%i' "$root/initrd")"
for f in kernel initrd; do
	o=$(h_mount_opts "$root/$f")
	t_check "$f: the bind is read-only, nosuid, nodev, noexec ($o)" bash -c \
		"[[ '$o' == ro,* && '$o' == *nosuid* && '$o' == *nodev* && '$o' == *noexec* ]]"
done
t_check "kernel: a write through the bind is refused, even as root" \
	bash -c "! nsenter -t $H_PID -m -- dd if=/dev/zero of='$root/kernel' bs=1 count=1 conv=notrunc status=none 2> /dev/null"
t_check "kernel: unchanged after that write" h_in_helper_ns cmp "$vmdir/kernel" "$root/kernel"
t_eq "the daemon's kernel file still has one link" "1" "$(stat -c %h "$vmdir/kernel")"
t_eq "block drive: node with the loop's device number" "$(stat -c '%t:%T' "$loop")" "$(stat -c '%t:%T' "$root/drives/rootfs")"
t_eq "block drive: block node, 0600, owner" "block special file 600 $H_UID" "$(stat -c '%F %a %u' "$root/drives/rootfs")"
if [ "$H_EXEC" = banger-vmm ]; then
	# QEMU probes open-file-description locks on /dev/null: the node itself, the owner's, 0600
	t_eq "/dev/null: character node 1:3, 0600, owner" "character special file 1:3 600 $H_UID" \
		"$(stat -c '%F %t:%T %a %u' "$root/dev/null")"
fi
t_check "file drive: bind mount of the passed descriptor" test -n "$(h_mount_opts "$root/drives/data")"
echo hello-drive | h_in_helper_ns dd of="$root/drives/data" conv=notrunc status=none
t_eq "file drive: writes reach the VM's file" "hello-drive" "$(head -c 11 "$vmdir/data")"
out=$(h_call jail.stage '{"vm_id":"vm1"}' --fd kernel="$vmdir/kernel")
h_expect_err "staging again is refused" "$out" "already exists"
t_eq "refused restage changed no mounts" "$mi" "$(h_mounts_under "$root")"

# --- launch
out=$(h_call jail.launch '{"vm_id":"vm1"}' --fd-rw console="$vmdir/console.log")
h_expect_ok "jail.launch succeeds" "$out"
pid=$(printf '%s' "$out" | jq -r .pid)
t_eq "the VMM runs with the exec name as comm" "$H_EXEC" "$(cat /proc/$pid/comm 2> /dev/null)"
t_eq "the VMM runs as the owner" "$H_UID" "$(awk '/^Uid:/ { print $2 }' /proc/$pid/status 2> /dev/null)"
t_eq "the pid file holds the VMM pid" "$pid" "$(cat "$root/$H_EXEC.pid")"
t_eq "the VM's jail directory is root 0700" "0 700" "$(stat -c '%u %a' "$(dirname "$root")")"
t_eq "the launch record (root 0600, outside the chroot) holds the VMM's pid and start time" \
	"0 600 $pid $(awk '{ print $22 }' "/proc/$pid/stat")" \
	"$(stat -c '%u %a' "$(dirname "$root")/launch") $(cat "$(dirname "$root")/launch")"
sock=$(printf '%s' "$out" | jq -r .api_sock)
t_eq "api_sock is the jail's socket through the VMM's /proc/PID/root" "/proc/$pid/root/run/firecracker.socket" "$sock"
t_check "the owner cannot reach the chroot from the host" \
	bash -c "! setpriv --reuid=$H_UID --regid=$H_GID --clear-groups ls '$root' > /dev/null 2>&1"
if [ "$H_PROVIDER" = real ]; then
	t_check "the owner reaches the VMM's API through api_sock" t_wait 10 setpriv --reuid=$H_UID --regid=$H_GID --clear-groups \
		/usr/bin/python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
sys.exit(0 if s.recv(64).startswith(b"HTTP/1.1 200") else 1)' "$sock"
fi
t_check "the VMM is not the helper's child" test "$(awk '{ print $4 }' /proc/$pid/stat)" != "$H_PID"
t_check "the VMM is in a session of its own (setsid), not the helper's" \
	test "$(ps -o sid= -p "$pid" | tr -d ' ')" != "$(ps -o sid= -p "$H_PID" | tr -d ' ')"
t_check "the console log receives the VMM's output" t_wait 5 test -s "$vmdir/console.log"
out=$(h_call jail.launch '{"vm_id":"vm1"}' --fd-rw console="$vmdir/console.log")
h_expect_err "launching twice is refused" "$out" "already launched"

out=$(h_call proc.find '{"vm_id":"vm1"}')
t_eq "proc.find finds the VMM" "$pid" "$(printf '%s' "$out" | jq -r .pid)"
t_eq "proc.find found it by command line" "cmdline" "$(printf '%s' "$out" | jq -r .found_by)"
out=$(h_call proc.find '{"vm_id":"vm2"}')
t_eq "proc.find for a VM without a VMM" "null" "$(printf '%s' "$out" | jq -r .pid)"

out=$(h_call jail.cleanup '{"vm_id":"vm1"}')
h_expect_err "cleanup of a jail whose VMM runs is refused" "$out" "still runs"
t_eq "the refused cleanup changed no mounts" "$mi" "$(h_mounts_under "$root")"

# --- signalling only the VMM
setpriv --reuid=$H_UID --regid=$H_GID --clear-groups sleep 300 &
other=$!
t_add_cleanup "kill $other"
out=$(h_call proc.signal '{"vm_id":"vm1","signal":"KILL","pid":1}')
h_expect_err "signalling pid 1 is refused" "$out" "pid 1"
out=$(h_call proc.signal "{\"vm_id\":\"vm1\",\"signal\":\"KILL\",\"pid\":$H_PID}")
h_expect_err "signalling the helper is refused" "$out" "helper itself"
out=$(h_call proc.signal "{\"vm_id\":\"vm1\",\"signal\":\"KILL\",\"pid\":$other}")
h_expect_err "signalling another owner process is refused" "$out" "not VM"
t_check "that process is still alive" kill -0 "$other"
out=$(h_call proc.signal '{"vm_id":"vm2","signal":"KILL"}')
h_expect_err "signalling a VM without a VMM is refused" "$out" "No VMM runs"
out=$(h_call proc.signal '{"vm_id":"vm1","signal":"HUP"}')
h_expect_err "an unlisted signal is refused" "$out" "TERM, KILL, INT"
t_check "the VMM is still alive after the refusals" kill -0 "$pid"
out=$(h_call proc.signal "{\"vm_id\":\"vm1\",\"signal\":\"TERM\",\"pid\":$pid}")
t_eq "proc.signal TERM answers the pid" "$pid" "$(printf '%s' "$out" | jq -r .pid)"
if ! t_wait 10 bash -c "! kill -0 $pid 2>/dev/null || [ \"\$(awk '{print \$3}' /proc/$pid/stat)\" = Z ]"; then
	h_call proc.signal '{"vm_id":"vm1","signal":"KILL"}' > /dev/null
	t_fail "the VMM exits on TERM"
else
	t_ok "the VMM exits on TERM"
fi

# --- cleanup, with an owner-planted symlink inside the chroot pointing outside the base
mkdir -p "$T/victim" && echo keep > "$T/victim/file"
ln -s "$T/victim" "$root/evil" 2> /dev/null || setpriv --reuid=$H_UID --regid=$H_GID --clear-groups ln -s "$T/victim" "$root/evil"
out=$(h_call jail.cleanup '{"vm_id":"vm1"}')
h_expect_ok "jail.cleanup succeeds" "$out"
t_eq "cleanup unmounted the self-bind last" "$root" "$(printf '%s' "$out" | jq -r '.unmounted[-1]')"
t_eq "mountinfo: nothing left under the chroot" "" "$(h_mounts_under "$root")"
t_check "the VM's jail directory is gone" test ! -e "$(dirname "$root")"
t_eq "the symlink's target outside the base is untouched" "keep" "$(cat "$T/victim/file")"
t_check "the loop device is untouched" test -b "$loop"
out=$(h_call jail.cleanup '{"vm_id":"vm1"}')
t_eq "cleanup of a missing jail is not an error" "false" "$(printf '%s' "$out" | jq -r .removed)"

# --- hostile layout: a chroot component replaced by a symlink to outside the base
mkdir -p "$T/outside"
mkdir -p "$T/var/lib/banger/jail/$H_EXEC"
ln -s "$T/outside" "$T/var/lib/banger/jail/$H_EXEC/vm2"
out=$(h_call jail.stage '{"vm_id":"vm2"}' --fd kernel="$vmdir/kernel")
h_expect_err "stage refuses a symlinked chroot component" "$out" "symlink"
t_eq "nothing was created through the symlink" "" "$(ls -A "$T/outside")"
out=$(h_call jail.cleanup '{"vm_id":"vm2"}')
h_expect_err "cleanup refuses a symlinked chroot component" "$out" "symlink"
t_check "the symlink target still exists" test -d "$T/outside"
rm "$T/var/lib/banger/jail/$H_EXEC/vm2"

# An owner-writable chroot level is refused as well.
mkdir -p "$T/var/lib/banger/jail/$H_EXEC/vm3" && chown "$H_UID" "$T/var/lib/banger/jail/$H_EXEC/vm3"
out=$(h_call jail.stage '{"vm_id":"vm3"}' --fd kernel="$vmdir/kernel")
h_expect_err "stage refuses a chroot level owned by the owner" "$out" "owned by uid $H_UID"
rmdir "$T/var/lib/banger/jail/$H_EXEC/vm3"

# The jail base itself replaced by a symlink: refused before anything is created.
mv "$T/var/lib/banger/jail" "$T/var/lib/banger/jail.real"
ln -s "$T/outside" "$T/var/lib/banger/jail"
out=$(h_call jail.stage '{"vm_id":"vm4"}' --fd kernel="$vmdir/kernel")
h_expect_err "stage refuses a symlinked jail base" "$out" "is a symlink"
t_eq "nothing was created in the symlink's target" "" "$(ls -A "$T/outside")"
rm "$T/var/lib/banger/jail" && mv "$T/var/lib/banger/jail.real" "$T/var/lib/banger/jail"

# A jailer that fails: the launch says so, the jailer's words are in the console log, nothing runs.
h_stop
cat > "$T/fail-jailer" <<-'SH'
	#!/bin/sh
	echo "fail-jailer: refusing to start $*" >&2
	exit 1
	SH
chmod 0755 "$T/fail-jailer"
sed -i "s|\"jailer\":\"[^\"]*\"|\"jailer\":\"$T/fail-jailer\"|" "$T/etc/banger/install.json"
h_start
: > "$vmdir/console.log"
h_call jail.stage '{"vm_id":"vm1"}' --fd kernel="$vmdir/kernel" > /dev/null
out=$(h_call jail.launch '{"vm_id":"vm1"}' --fd-rw console="$vmdir/console.log")
h_expect_err "a failing jailer fails the launch" "$out" "jailer exited before the VMM started"
t_check "the jailer's output went to the console log" grep -q "fail-jailer: refusing to start --id vm1 --exec-file" "$vmdir/console.log"
t_check "the jailer got the contract's arguments" grep -q -- "--uid $H_UID --gid $H_GID --chroot-base-dir $T/var/lib/banger/jail --cgroup-version 2 -- --api-sock /run/firecracker.socket" "$vmdir/console.log"
out=$(h_call jail.cleanup '{"vm_id":"vm1"}')
h_expect_ok "cleanup after a failed launch" "$out"
t_eq "nothing mounted after the failed launch" "" "$(h_mounts_under "$root")"

out=$(h_call resources.list)
t_eq "resources.list: the loop device backed by a state file" "$loop $vmdir/disk" \
	"$(printf '%s' "$out" | jq -r --arg d "$loop" '.loop_devices[] | select(.device == $d) | "\(.device) \(.backing_file)"')"
t_eq "resources.list: no chroots left" "0" "$(printf '%s' "$out" | jq '.chroots | length')"
t_eq "resources.list: no mounts left" "0" "$(printf '%s' "$out" | jq '.mounts | length')"
t_done

#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bangerd-root in the test's mount namespace and in one of its own (as systemd runs it): the
# same jail.stage with a file drive works both ways, and only the first shows the jail's mounts
# to the host. A drive descriptor binds the very file the daemon opened, never another file
# that the helper's namespace shows at its path, and is writable even where the helper's own
# view of the state directory is read-only (ProtectSystem=).
. "$(dirname "$0")/../lib.sh"
t_private_ns "$@"
. "$(dirname "$0")/helper-common.inc"
command -v jq > /dev/null || t_skip_all "jq is missing"
command -v nsenter > /dev/null || t_skip_all "nsenter is missing"

h_setup
h_install
state=$T/var/lib/banger/state
vmdir=$state/vms/vm1
mkdir -p "$vmdir"
head -c 65536 /dev/urandom > "$vmdir/kernel"
truncate -s 1M "$vmdir/data"
chown -R "$H_UID:$H_GID" "$state"
root=$(h_jail_root vm1)

# stage_and_write WHAT: stage vm1 with drive "data", write through the bind as the helper's
# namespace sees it, check the VM's file got it.
stage_and_write() {
	local out
	out=$(h_call jail.stage '{"vm_id":"vm1"}' --fd kernel="$vmdir/kernel" --fd-rw drive:data="$vmdir/data")
	h_expect_ok "$1: jail.stage with a file drive" "$out"
	t_check "$1: the drive is a bind mount in the helper's namespace" test -n "$(h_mount_opts "$root/drives/data")"
	echo "written-$1" | h_in_helper_ns dd of="$root/drives/data" conv=notrunc status=none 2> /dev/null
	t_eq "$1: writes through the bind reach the VM's file" "written-$1" "$(head -c $((8 + ${#1})) "$vmdir/data")"
}

# ---- the helper in the test's own mount namespace (as the tests used to run it) ----
H_SHARED_NS=1 h_start || t_skip_all "bangerd-root did not start"
t_eq "shared: the helper's mount namespace is the test's" "$(readlink /proc/self/ns/mnt)" "$(readlink "/proc/$H_PID/ns/mnt")"
stage_and_write shared
t_check "shared: the host sees the jail's mounts too" test -n "$(h_host_mounts_under "$root")"
h_expect_ok "shared: jail.cleanup" "$(h_call jail.cleanup '{"vm_id":"vm1"}')"
h_stop

# ---- a mount namespace of its own: the bind's source is on a mount of another namespace ----
h_start || t_skip_all "bangerd-root did not start"
t_check "own: the helper's mount namespace is not the test's" test "$(readlink /proc/self/ns/mnt)" != "$(readlink "/proc/$H_PID/ns/mnt")"
stage_and_write own
t_eq "own: the host sees none of the jail's mounts" "" "$(h_host_mounts_under "$root")"
t_eq "own: the drive bind is nosuid, nodev, noexec" "nosuid nodev noexec" \
	"$(h_mount_opts "$root/drives/data" | tr ',' '\n' | grep -E '^no(suid|dev|exec)$' | tr '\n' ' ' | sed 's/ $//')"
out=$(h_call jail.cleanup '{"vm_id":"vm1"}')
h_expect_ok "own: jail.cleanup" "$out"
t_eq "own: nothing left mounted in the helper's namespace" "" "$(h_mounts_under "$root")"

# The state directory read-only in the helper's view (ProtectSystem=strict without
# ReadWritePaths=): the drive is still the owner's read-write file.
h_in_helper_ns mount --bind -o ro "$state" "$state"
h_in_helper_ns mount -o remount,bind,ro "$state"
t_check "the helper's view of the state dir is read-only" bash -c "[[ \$(awk -v p='$state' '\$5 == p { print \$6 }' /proc/$H_PID/mountinfo) == ro* ]]"
stage_and_write readonly-view
h_call jail.cleanup '{"vm_id":"vm1"}' > /dev/null
h_in_helper_ns umount "$state"

# Another file at the same path in the helper's namespace: never bound in place of the passed one.
mkdir -p "$T/decoy" && truncate -s 1M "$T/decoy/data" && cp "$vmdir/kernel" "$T/decoy/kernel"
chown -R "$H_UID:$H_GID" "$T/decoy"
h_in_helper_ns mount --bind "$T/decoy" "$vmdir"
before=$(sha256sum < "$T/decoy/data")
out=$(h_call jail.stage '{"vm_id":"vm1"}' --fd kernel="$vmdir/kernel" --fd-rw drive:data="$vmdir/data")
h_expect_err "a different file at the descriptor's path in the helper's namespace is refused" "$out" "is not the file .* shows in the helper's mount namespace"
t_eq "the refused stage left no jail" "" "$(h_mounts_under "$root")"
t_check "the refused stage left no chroot" test ! -e "$root"
t_eq "the decoy is untouched" "$before" "$(sha256sum < "$T/decoy/data")"
h_in_helper_ns umount "$vmdir"
t_done

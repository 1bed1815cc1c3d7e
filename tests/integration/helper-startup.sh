#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bangerd-root refuses to start on a layout the owner could steer: an owner-writable or symlinked
# jail base (or parent), a VMM or jailer in an owner-writable place, no owner, root as owner.
. "$(dirname "$0")/../lib.sh"
t_private_ns "$@"
. "$(dirname "$0")/helper-common.inc"

# refuses DESC REGEX ARGS...: the helper exits non-zero at once, says why, and never listens.
refuses() {
	local desc=$1 re=$2 out rc
	shift 2
	out=$(t_own_mountns timeout 10 "$(t_bin bangerd-root)" --root "$T" "$@" 2>&1)
	rc=$?
	if [ $rc -ne 0 ] && [ $rc -ne 124 ] && [[ "$out" =~ $re ]] && [ ! -S "$H_SOCK" ]; then
		t_ok "$desc"
	else
		t_fail "$desc" "exit $rc, expected a refusal matching: $re" "output: ${out:0:400}"
	fi
}

h_setup
refuses "no install.json and no --owner-uid" "install.json is missing"
refuses "root as the owner" "must not be root" --owner-uid 0
refuses "root's group as the owner's" "group must not be root's \(gid 0\)" --owner-uid "$H_UID" --owner-gid 0

mkdir -p "$T/var/lib"
chown "$H_UID" "$T/var/lib"
refuses "a parent of the jail base owned by the owner" "owned by uid $H_UID" --owner-uid "$H_UID"
t_check "nothing was created inside the owner's directory" test ! -e "$T/var/lib/banger"
chown 0 "$T/var/lib"
chmod 0777 "$T/var/lib"
refuses "a world-writable parent of the jail base" "writable by the owner" --owner-uid "$H_UID"
chmod 0755 "$T/var/lib"

setfacl -m "u:$H_UID:rwx" "$T/var/lib"
refuses "a parent of the jail base with an ACL granting the owner rwx" "ACL entry letting uid $H_UID write" --owner-uid "$H_UID"
setfacl -b "$T/var/lib"

rm -rf "$T/var/lib/banger"
mkdir -p "$T/elsewhere" "$T/var/lib/banger"
ln -s "$T/elsewhere" "$T/var/lib/banger/jail"
refuses "a symlinked jail base" "is a symlink" --owner-uid "$H_UID"
rm "$T/var/lib/banger/jail"

h_install > /dev/null
mkdir -p "$T/ownerbin" && chown "$H_UID" "$T/ownerbin"
cp "$BANGER_SRC/tests/integration/helper-fake-vmm" "$T/ownerbin/banger-vmm"
sed -i "s|\"vmm\":\"[^\"]*\"|\"vmm\":\"$T/ownerbin/banger-vmm\"|" "$T/etc/banger/install.json"
refuses "a VMM in an owner-writable directory" "ownerbin.*owned by uid $H_UID"
h_install > /dev/null
sed -i 's/"gid":65534/"gid":0/' "$T/etc/banger/install.json"
refuses "install.json naming gid 0 for the owner" "group must not be root's \(gid 0\)"
h_install > /dev/null
chmod 0666 "$T/etc/banger/install.json"
refuses "an install.json others can write" "install.json.*writable by the owner"
chmod 0644 "$T/etc/banger/install.json"

# banger.conf chooses what root puts on the host's network: root's, and ordinary unicast only.
h_network 127.0.0.0/8
refuses "a pool in loopback space" "127.0.0.0/8 is not ordinary unicast"
h_network 224.0.0.0/24
refuses "a multicast pool" "224.0.0.0/24 is not ordinary unicast"
h_network 172.31.7.0/24 bangerX
refuses "a bridge name the helper would not manage" "bridge = \"bangerX\""
h_network 172.31.7.0/24
chown "$H_UID" "$T/etc/banger/banger.conf"
refuses "a banger.conf owned by the owner" "banger.conf.*owned by uid $H_UID"
chown 0 "$T/etc/banger/banger.conf"

h_start && t_ok "starts on a sound layout" || t_fail "starts on a sound layout" "$(cat "$H_LOG")"
# Capabilities: nothing outside the kept set, in the bounding set or the effective set.
keep=$((0x92415ff)) # CHOWN..SETPCAP, NET_BIND_SERVICE (dnsmasq on the gateway), NET_ADMIN, SYS_CHROOT,
# SYS_ADMIN, SYS_RESOURCE, MKNOD
bnd=$((16#$(awk '/^CapBnd:/ { print $2 }' /proc/$H_PID/status)))
eff=$((16#$(awk '/^CapEff:/ { print $2 }' /proc/$H_PID/status)))
t_eq "bounding set holds only the kept capabilities" "0" "$((bnd & ~keep))"
t_eq "effective set holds only the kept capabilities" "0" "$((eff & ~keep))"
t_check "CAP_SYS_MODULE is gone from the bounding set" test "$((bnd & (1 << 16)))" -eq 0
t_check "CAP_NET_ADMIN is still effective" test "$((eff & (1 << 12)))" -ne 0
t_eq "the jail base was created root 0755" "0 755" "$(stat -c '%u %a' "$T/var/lib/banger/jail")"
t_eq "the run dir is root:root 1770 (owner sockets, root.sock safe)" "0 0 1770" "$(stat -c "%u %g %a" "$T/run/banger")"
t_eq "the owner reaches it through an ACL entry, not its group" "user:$H_UID:rwx" \
	"$(getfacl -cpn "$T/run/banger" 2> /dev/null | grep "^user:[0-9]")"
# SIGHUP: re-executes its program in place (an update without systemd): the same pid, the same
# mount namespace (where the jails live), root.sock handed on, not bound again
ns=$(readlink "/proc/$H_PID/ns/mnt") ino=$(stat -c %i "$H_SOCK")
kill -HUP "$H_PID"
t_wait 10 grep -q "Took over the listening socket" "$H_LOG"
t_check "SIGHUP: it took over its listening socket" grep -q "Took over the listening socket $H_SOCK" "$H_LOG"
t_eq "the same pid, mount namespace and socket" "bangerd-root $ns $ino" \
	"$(cat "/proc/$H_PID/comm") $(readlink "/proc/$H_PID/ns/mnt") $(stat -c %i "$H_SOCK")"
h_expect_ok "and it serves the owner" "$(h_call hello '{"protocol":1}')"
bnd=$((16#$(awk '/^CapBnd:/ { print $2 }' /proc/$H_PID/status)))
t_eq "with no capability it did not keep before" "0" "$((bnd & ~keep))"
h_stop
t_check "removes its socket on SIGTERM" test ! -e "$H_SOCK"
t_done

#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bangerd-root net ops against the kernel in a private network namespace: bridge, taps, and
# that failures leave nothing behind.
. "$(dirname "$0")/../lib.sh"
t_private_ns "$@"
. "$(dirname "$0")/helper-common.inc"
command -v jq > /dev/null || t_skip_all "jq is missing"

h_setup
h_start || t_skip_all "bangerd-root did not start"

# root.sock: root 0600 plus the owner's ACL entry.
t_eq "root.sock is root-owned" "0" "$(stat -c %u "$H_SOCK")"
t_check "root.sock ACL grants the owner rw" bash -c "getfacl -n '$H_SOCK' 2>/dev/null | grep -qx 'user:$H_UID:rw-'"
t_check "root.sock gives other users nothing" bash -c "getfacl -n '$H_SOCK' 2>/dev/null | grep -qx 'other::---'"

out=$(h_call hello '{"protocol":1,"program":"test","version":"0"}')
t_eq "hello names the helper" "bangerd-root" "$(printf '%s' "$out" | jq -r .program)"

# Bridge: created, addressed, up.
out=$(h_call net.bridge_ensure '{"address":"172.31.7.1/24"}')
h_expect_ok "bridge_ensure succeeds" "$out"
t_eq "bridge_ensure reports it created banger0" "true" "$(printf '%s' "$out" | jq -r .created)"
l=$(h_link banger0)
t_eq "kernel: banger0 is a bridge" "bridge" "$(printf '%s' "$l" | jq -r .linkinfo.info_kind)"
t_check "kernel: banger0 is up" bash -c "ip -j link show dev banger0 | jq -e '.[0].flags | index(\"UP\")' >/dev/null"
t_eq "kernel: banger0 carries 172.31.7.1/24" "172.31.7.1/24" \
	"$(ip -j addr show dev banger0 | jq -r '.[0].addr_info[] | select(.family=="inet") | "\(.local)/\(.prefixlen)"')"
out=$(h_call net.bridge_ensure '{"address":"172.31.7.1/24"}')
t_eq "bridge_ensure is idempotent" "false" "$(printf '%s' "$out" | jq -r .created)"
t_eq "kernel: still exactly one address" "1" "$(ip -j addr show dev banger0 | jq '[.[0].addr_info[] | select(.family=="inet")] | length')"

# A non-bridge link under a banger name is not touched.
ip link add banger9 type ifb
out=$(h_call net.bridge_ensure '{"bridge":"banger9","address":"172.31.9.1/24"}')
h_expect_err "bridge_ensure refuses a non-bridge link" "$out" "not a bridge"
t_eq "kernel: banger9 still has no address" "0" "$(ip -j addr show dev banger9 | jq '[.[0].addr_info[]] | length')"
ip link del banger9

# Failure undo: an address the kernel rejects after the bridge was created removes the bridge.
ip link add hostif0 type ifb && ip addr add 172.31.8.1/24 dev hostif0
out=$(h_call net.bridge_ensure '{"bridge":"banger2","address":"172.31.8.1/24"}')
if [ -n "$(h_err "$out")" ]; then
	t_ok "bridge_ensure with a conflicting address failed: $(h_err "$out")"
	t_eq "kernel: the half-made bridge was removed" "" "$(h_link banger2)"
else
	# The kernel accepts the same address on two links; then clean up and say so.
	t_ok "bridge_ensure with a duplicate address is accepted by this kernel"
	h_call net.bridge_remove '{"bridge":"banger2"}' > /dev/null
	t_eq "bridge_remove removed banger2" "" "$(h_link banger2)"
fi
ip link del hostif0

# Tap: persistent, owned by the owner, enslaved, up.
out=$(h_call net.tap_create '{"tap":"bgt-vm1"}')
h_expect_ok "tap_create succeeds" "$out"
l=$(h_link bgt-vm1)
t_eq "kernel: bgt-vm1 is a tun device" "tun" "$(printf '%s' "$l" | jq -r .linkinfo.info_kind)"
t_eq "kernel: bgt-vm1 is a tap" "tap" "$(printf '%s' "$l" | jq -r .linkinfo.info_data.type)"
owner=$(printf '%s' "$l" | jq -r .linkinfo.info_data.user)
[ "$owner" = "$H_UID" ] || owner=$(getent passwd "$owner" | cut -d: -f3)
t_eq "kernel: bgt-vm1 is owned by the owner uid" "$H_UID" "$owner"
t_eq "kernel: bgt-vm1 is persistent" "true" "$(printf '%s' "$l" | jq -r '.linkinfo.info_data.persist // .linkinfo.info_data.persistent // "false"' | sed 's/^persist$/true/')"
t_eq "kernel: bgt-vm1 is enslaved to banger0" "banger0" "$(printf '%s' "$l" | jq -r .master)"
t_check "kernel: bgt-vm1 is up" bash -c "ip -j link show dev bgt-vm1 | jq -e '.[0].flags | index(\"UP\")' >/dev/null"
t_eq "owner can open the tap through /dev/net/tun" "ok" \
	"$(setpriv --reuid=$H_UID --regid=$H_GID --clear-groups /usr/bin/python3 -c '
import fcntl, struct, os
fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", b"bgt-vm1", 0x0002 | 0x1000))
print("ok")' 2>&1)"

out=$(h_call net.tap_create '{"tap":"bgt-vm1"}')
h_expect_err "tap_create refuses an existing tap" "$out" "already exists"
out=$(h_call net.bridge_remove)
h_expect_err "bridge_remove refuses a bridge with ports" "$out" "still has 1 port"
t_check "kernel: banger0 still there" test -n "$(h_link banger0)"

# Failure undo: a missing bridge leaves no tap behind.
out=$(h_call net.tap_create '{"tap":"bgt-vm2","bridge":"banger5"}')
h_expect_err "tap_create on a missing bridge fails" "$out" "does not exist"
t_eq "kernel: no bgt-vm2 left behind" "" "$(h_link bgt-vm2)"

# Deleting: only taps with banger's prefix, only tun devices.
ip link add bgt-dummy type ifb
out=$(h_call net.tap_delete '{"tap":"bgt-dummy"}')
h_expect_err "tap_delete refuses a non-tap bgt- link" "$out" "not a tap"
t_check "kernel: bgt-dummy untouched" test -n "$(h_link bgt-dummy)"
ip link del bgt-dummy
out=$(h_call net.tap_delete '{"tap":"bgt-vm1"}')
t_eq "tap_delete deletes" "true" "$(printf '%s' "$out" | jq -r .deleted)"
t_eq "kernel: bgt-vm1 gone" "" "$(h_link bgt-vm1)"
out=$(h_call net.tap_delete '{"tap":"bgt-vm1"}')
t_eq "tap_delete of a missing tap is not an error" "false" "$(printf '%s' "$out" | jq -r .deleted)"
out=$(h_call net.bridge_remove)
t_eq "bridge_remove removes" "true" "$(printf '%s' "$out" | jq -r .removed)"
t_eq "kernel: banger0 gone" "" "$(h_link banger0)"

# Every request is logged with caller, op, args and outcome.
t_check "log has an accepted request line" grep -q "caller uid=$H_UID pid=[0-9]* op=net.tap_create args={\"tap\":\"bgt-vm1\"} outcome=ok" "$H_LOG"
t_check "log has a refused request line with its reason" grep -q "op=net.tap_delete args={\"tap\":\"bgt-dummy\"} outcome=failed: .*not a tap" "$H_LOG"
t_done

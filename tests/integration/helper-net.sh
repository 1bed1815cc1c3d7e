#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bangerd-root net ops against the kernel in a private network namespace: bridge, taps, and
# that failures leave nothing behind.
. "$(dirname "$0")/../lib.sh"
t_private_ns "$@"
. "$(dirname "$0")/helper-common.inc"
command -v jq > /dev/null || t_skip_all "jq is missing"

h_setup
h_network 172.31.7.0/24
h_start || t_skip_all "bangerd-root did not start"

# root.sock: root 0600 plus the owner's ACL entry.
t_eq "root.sock is root-owned" "0" "$(stat -c %u "$H_SOCK")"
t_check "root.sock ACL grants the owner rw" bash -c "getfacl -n '$H_SOCK' 2>/dev/null | grep -qx 'user:$H_UID:rw-'"
t_check "root.sock gives other users nothing" bash -c "getfacl -n '$H_SOCK' 2>/dev/null | grep -qx 'other::---'"

out=$(h_call hello '{"protocol":1,"program":"test","version":"0"}')
t_eq "hello names the helper" "bangerd-root" "$(printf '%s' "$out" | jq -r .program)"

# A non-bridge link under banger's bridge name is not touched.
ip link add banger0 type ifb
out=$(h_call net.bridge_ensure)
h_expect_err "bridge_ensure refuses a non-bridge link named banger0" "$out" "not a bridge"
t_eq "kernel: that banger0 still has no address" "0" "$(ip -j addr show dev banger0 | jq '[.[0].addr_info[]] | length')"
ip link del banger0

# The pool is banger.conf's, and must be the host's free space: refusals before anything changes.
ip link add hostif0 type ifb && ip link set hostif0 up
ip addr add 172.31.7.77/24 dev hostif0
out=$(h_call net.bridge_ensure)
h_expect_err "bridge_ensure refuses a pool that overlaps a host address" "$out" "overlaps the address 172.31.7.77/24 of hostif0"
t_eq "kernel: no bridge was created" "" "$(h_link banger0)"
ip addr del 172.31.7.77/24 dev hostif0
ip route add 172.31.0.0/16 dev hostif0
out=$(h_call net.bridge_ensure)
h_expect_err "bridge_ensure refuses a pool inside a host route" "$out" "overlaps the route to 172.31.0.0/16"
ip route del 172.31.0.0/16 dev hostif0
ip route add 172.31.7.128/25 dev hostif0 table 100
out=$(h_call net.bridge_ensure)
h_expect_err "... or overlapping a route of another table" "$out" "overlaps the route to 172.31.7.128/25 .*table 100"
ip route del 172.31.7.128/25 dev hostif0 table 100
ip route add default dev hostif0
t_eq "kernel: still no bridge" "" "$(h_link banger0)"

# Bridge: created, addressed with the pool's gateway, up (a default route overlaps nothing).
out=$(h_call net.bridge_ensure '{"address":"172.31.7.1/24"}')
h_expect_ok "bridge_ensure succeeds (with a default route on another link)" "$out"
t_eq "bridge_ensure reports it created banger0 for the pool" "true 172.31.7.1/24 172.31.7.0/24" \
	"$(printf '%s' "$out" | jq -r '"\(.created) \(.address) \(.pool)"')"
l=$(h_link banger0)
t_eq "kernel: banger0 is a bridge" "bridge" "$(printf '%s' "$l" | jq -r .linkinfo.info_kind)"
t_check "kernel: banger0 is up" bash -c "ip -j link show dev banger0 | jq -e '.[0].flags | index(\"UP\")' >/dev/null"
t_eq "kernel: banger0 carries 172.31.7.1/24" "172.31.7.1/24" \
	"$(ip -j addr show dev banger0 | jq -r '.[0].addr_info[] | select(.family=="inet") | "\(.local)/\(.prefixlen)"')"
out=$(h_call net.bridge_ensure)
t_eq "bridge_ensure is idempotent (and needs no address: the pool is banger.conf's)" "false" "$(printf '%s' "$out" | jq -r .created)"
t_eq "kernel: still exactly one address" "1" "$(ip -j addr show dev banger0 | jq '[.[0].addr_info[] | select(.family=="inet")] | length')"
t_eq "  and changes nothing on a bridge that is as it should be (unchanged)" "true" "$(printf '%s' "$out" | jq -r .unchanged)"
ip link set banger0 down
out=$(h_call net.bridge_ensure)
t_eq "a bridge found down: not unchanged" "false" "$(printf '%s' "$out" | jq -r .unchanged)"
t_check "kernel: banger0 is up again" bash -c "ip -j link show dev banger0 | jq -e '.[0].flags | index(\"UP\")' >/dev/null"
ip addr del 172.31.7.1/24 dev banger0
out=$(h_call net.bridge_ensure)
t_eq "a bridge that lost its address: not unchanged" "false" "$(printf '%s' "$out" | jq -r .unchanged)"
t_eq "kernel: banger0 carries 172.31.7.1/24 again" "172.31.7.1/24" \
	"$(ip -j addr show dev banger0 | jq -r '.[0].addr_info[] | select(.family=="inet") | "\(.local)/\(.prefixlen)"')"

# Only the pool's address, only banger.conf's bridge.
for a in 8.8.8.1/24 172.31.8.1/24 172.31.7.2/24 172.31.7.1/25; do
	out=$(h_call net.bridge_ensure "{\"address\":\"$a\"}")
	h_expect_err "bridge_ensure refuses address $a (not the pool's gateway)" "$out" "Refusing address $a: banger's address pool is 172.31.7.0/24"
done
out=$(h_call net.bridge_ensure '{"bridge":"banger2"}')
h_expect_err "bridge_ensure refuses a bridge other than banger.conf's" "$out" "Refusing bridge \"banger2\": banger's bridge is \"banger0\""
t_eq "kernel: no banger2" "" "$(h_link banger2)"
t_eq "kernel: banger0 still carries only the pool's address" "172.31.7.1/24" \
	"$(ip -j addr show dev banger0 | jq -r '[.[0].addr_info[] | select(.family=="inet") | "\(.local)/\(.prefixlen)"] | join(" ")')"
# One address per bridge: a stray one (an older configuration's) is removed.
ip addr add 10.99.0.1/24 dev banger0
out=$(h_call net.bridge_ensure)
t_eq "bridge_ensure removes a stray address" '["10.99.0.1/24"] false' "$(printf '%s' "$out" | jq -r '"\(.removed_addresses | tojson) \(.unchanged)"')"
t_eq "kernel: banger0 carries one address again" "172.31.7.1/24" \
	"$(ip -j addr show dev banger0 | jq -r '[.[0].addr_info[] | select(.family=="inet") | "\(.local)/\(.prefixlen)"] | join(" ")')"
ip route del default dev hostif0
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

out=$(h_call net.tap_create '{"tap":"bgt-vm2","bridge":"banger5"}')
h_expect_err "tap_create refuses a bridge other than banger.conf's" "$out" "Refusing bridge \"banger5\""
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
# Failure undo: a missing bridge leaves no tap behind.
out=$(h_call net.tap_create '{"tap":"bgt-vm2"}')
h_expect_err "tap_create without the bridge fails" "$out" "does not exist"
t_eq "kernel: no bgt-vm2 left behind" "" "$(h_link bgt-vm2)"

# Every request is logged with caller, op, args and outcome.
t_check "log has an accepted request line" grep -q "caller uid=$H_UID pid=[0-9]* op=net.tap_create args={\"tap\":\"bgt-vm1\"} outcome=ok" "$H_LOG"
t_check "log has a refused request line with its reason" grep -q "op=net.tap_delete args={\"tap\":\"bgt-dummy\"} outcome=failed: .*not a tap" "$H_LOG"
t_done

#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bangerd-root nat ops against nftables in a private network namespace: banger's own table only,
# applied atomically, ip_forward enabled and reported, other tables untouched.
. "$(dirname "$0")/../lib.sh"
t_private_ns "$@"
. "$(dirname "$0")/helper-common.inc"
command -v jq > /dev/null || t_skip_all "jq is missing"
command -v nft > /dev/null || t_skip_all "nft is missing"

h_setup
h_network 172.31.7.0/24
h_start || t_skip_all "bangerd-root did not start"

# Someone else's table, which banger must never touch.
nft add table ip other
nft add chain ip other input '{ type filter hook input priority 0; policy accept; }'
nft add rule ip other input tcp dport 22 counter accept
other_before=$(nft -j list table ip other | jq -c '[.nftables[] | select(.rule) | .rule.expr]')
echo 0 > /proc/sys/net/ipv4/ip_forward

out=$(h_call nat.ensure '{"subnet":"172.31.7.0/24"}')
h_expect_ok "nat.ensure succeeds" "$out"
t_eq "nat.ensure says it enabled ip_forward" "true" "$(printf '%s' "$out" | jq -r .ip_forward_changed)"
t_eq "kernel: ip_forward is on" "1" "$(cat /proc/sys/net/ipv4/ip_forward)"
rs=$(nft -j list ruleset)
t_eq "kernel: table inet banger exists" "1" "$(printf '%s' "$rs" | jq '[.nftables[] | select(.table and .table.family=="inet" and .table.name=="banger")] | length')"
t_eq "kernel: postrouting is a nat hook" "nat/postrouting" \
	"$(printf '%s' "$rs" | jq -r '.nftables[] | select(.chain and .chain.table=="banger" and .chain.name=="postrouting") | "\(.chain.type)/\(.chain.hook)"')"
masq=$(printf '%s' "$rs" | jq -c '[.nftables[] | select(.rule and .rule.table=="banger" and .rule.chain=="postrouting") | .rule.expr]')
t_check "kernel: masquerade for 172.31.7.0/24" bash -c "printf '%s' '$masq' | jq -e '.[0] | (map(select(.masquerade!=null or has(\"masquerade\"))) | length == 1) and (tostring | test(\"172.31.7.0\"))' >/dev/null"
t_check "kernel: masquerade excludes the bridge itself" bash -c "printf '%s' '$masq' | jq -e '.[0] | tostring | test(\"!=\") and test(\"banger0\")' >/dev/null"
t_eq "kernel: two forward accept rules" "2" \
	"$(printf '%s' "$rs" | jq '[.nftables[] | select(.rule and .rule.table=="banger" and .rule.chain=="forward")] | length')"
t_eq "kernel: the other table is untouched" "$other_before" "$(nft -j list table ip other | jq -c '[.nftables[] | select(.rule) | .rule.expr]')"

# Re-applying replaces the table as a whole (no duplicate rules), and a new pool (banger.conf
# changed, the helper restarted) replaces the old.
h_stop
h_network 172.31.8.0/24 banger1
h_start
out=$(h_call nat.ensure)
t_eq "nat.ensure again reports a replacement" "true" "$(printf '%s' "$out" | jq -r .replaced)"
t_eq "ip_forward was already on" "false" "$(printf '%s' "$out" | jq -r .ip_forward_changed)"
rs=$(nft -j list table inet banger)
t_eq "kernel: still one masquerade rule" "1" "$(printf '%s' "$rs" | jq '[.nftables[] | select(.rule and .rule.chain=="postrouting")] | length')"
t_check "kernel: the rule names the new subnet and bridge" bash -c "nft list table inet banger | grep -q 'ip saddr 172.31.8.0/24 oifname != \"banger1\" masquerade'"
t_check "kernel: the old subnet is gone" bash -c "! nft list table inet banger | grep -q 172.31.7.0"

# Set up once, checked after: an unchanged ruleset is not rewritten (the table keeps its handle),
# any change to it is (our chain flushed, our table deleted, someone else's rule), and
# ip_forward is checked either way.
handle() { nft -j list table inet banger | jq -r '.nftables[] | select(.table) | .table.handle'; }
h0=$(handle)
out=$(h_call nat.ensure)
t_eq "nat.ensure on an unchanged ruleset says unchanged" "true false" "$(printf '%s' "$out" | jq -r '"\(.unchanged) \(.replaced)"')"
t_eq "kernel: the table was not rewritten (same handle)" "$h0" "$(handle)"
echo 0 > /proc/sys/net/ipv4/ip_forward
out=$(h_call nat.ensure)
t_eq "  ip_forward switched off meanwhile is switched on again" "true true 1" \
	"$(printf '%s' "$out" | jq -r '"\(.unchanged) \(.ip_forward_changed)"') $(cat /proc/sys/net/ipv4/ip_forward)"
nft flush chain inet banger postrouting
out=$(h_call nat.ensure)
t_eq "after our chain was flushed, nat.ensure rewrites the table" "false true" "$(printf '%s' "$out" | jq -r '"\(.unchanged) \(.replaced)"')"
t_check "kernel: the masquerade rule is back" bash -c "nft list table inet banger | grep -q 'ip saddr 172.31.8.0/24 oifname != \"banger1\" masquerade'"
nft delete table inet banger
out=$(h_call nat.ensure)
t_eq "after our table was deleted, nat.ensure creates it again" "false false" "$(printf '%s' "$out" | jq -r '"\(.unchanged) \(.replaced)"')"
t_check "kernel: table inet banger is back" nft list table inet banger
h_call nat.ensure > /dev/null
nft add rule ip other input udp dport 53 counter accept
out=$(h_call nat.ensure)
t_eq "after another program's change, nat.ensure rewrites (it cannot tell what changed)" "false true" "$(printf '%s' "$out" | jq -r '"\(.unchanged) \(.replaced)"')"
out=$(h_call nat.ensure)
t_eq "  and the next call is unchanged again" "true" "$(printf '%s' "$out" | jq -r .unchanged)"
nft delete rule ip other input handle "$(nft -a list chain ip other input | awk '/udp dport 53/ { print $NF }')"

# Refusals change nothing.
before=$(nft -j list ruleset | jq -S -c 'del(.nftables[0])')
out=$(h_call nat.ensure '{"subnet":"0.0.0.0/0"}')
h_expect_err "nat.ensure refuses 0.0.0.0/0" "$out" "prefix length"
out=$(h_call nat.ensure '{"subnet":"172.31.7.1/24"}')
h_expect_err "nat.ensure refuses a subnet with host bits" "$out" "host bits"
out=$(h_call nat.ensure '{"subnet":"172.31.7.0/24","bridge":"eth0"}')
h_expect_err "nat.ensure refuses a foreign interface" "$out" "bridge"
out=$(h_call nat.ensure '{"subnet":"172.31.7.0/24","table":"filter"}')
h_expect_err "nat.ensure refuses an extra field" "$out" "Unknown parameter"
for sn in 172.31.7.0/24 10.0.0.0/8 172.31.8.0/25 172.31.0.0/16; do
	out=$(h_call nat.ensure "{\"subnet\":\"$sn\"}")
	h_expect_err "nat.ensure refuses $sn (not the pool)" "$out" "Refusing to NAT $sn: banger NATs its own pool, 172.31.8.0/24"
done
out=$(h_call nat.ensure '{"bridge":"banger0"}')
h_expect_err "nat.ensure refuses a bridge other than banger.conf's" "$out" "Refusing bridge \"banger0\""
t_eq "kernel: ruleset unchanged by refusals" "$before" "$(nft -j list ruleset | jq -S -c 'del(.nftables[0])')"

out=$(h_call nat.remove)
t_eq "nat.remove removes the table" "true" "$(printf '%s' "$out" | jq -r .removed)"
t_eq "kernel: table inet banger is gone" "0" "$(nft -j list ruleset | jq '[.nftables[] | select(.table and .table.name=="banger")] | length')"
t_eq "kernel: the other table is still untouched" "$other_before" "$(nft -j list table ip other | jq -c '[.nftables[] | select(.rule) | .rule.expr]')"
t_eq "kernel: ip_forward left on" "1" "$(cat /proc/sys/net/ipv4/ip_forward)"
out=$(h_call nat.remove)
t_eq "nat.remove with no table is not an error" "false" "$(printf '%s' "$out" | jq -r .removed)"
t_done

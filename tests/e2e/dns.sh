#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The guests' resolver for real (two QEMU guests, in a private network + mount namespace): the
# test's own dnsmasq on 127.0.0.2 is the host's "upstream" (/etc/resolv.conf is bind-mounted in
# this mount namespace); a guest resolves a name only that upstream knows through the gateway,
# and the other guest's NAME.banger; a change of upstream is followed; a dnsmasq that dies is
# started again; the resolver answers on the gateway address only, and not from outside.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/vmm-lib.inc"
t_private_ns "$@"
command -v dnsmasq > /dev/null || t_skip_all "dnsmasq is missing (apt-get install dnsmasq-base)"
LC_CONF='[vm]
ssh_timeout_sec = 150
stop_timeout_sec = 20'

# the host's upstreams, as this namespace sees them: before bangerd-root starts, so its mount
# namespace (a slave of this one) sees the same file
UP=$(mktemp -d /tmp/banger-dns-up.XXXXXX)
t_add_cleanup "rm -rf '$UP'"
upstream() { # ADDR NAME=IP: a dnsmasq answering NAME and nothing else
	dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces \
		--listen-address="$1" --address="/${2%%=*}/${2#*=}" --pid-file="$UP/$1.pid" \
		--user=root > "$UP/$1.log" 2>&1 &
	t_add_cleanup "kill $!"
}
upstream 127.0.0.2 deb.debian.org=10.9.8.7
upstream 127.0.0.3 deb.debian.org=10.9.8.8
# where systemd-resolved runs, its upstream list (which bangerd-root prefers): a tmpfs /run of
# this mount namespace holds it (the test's own files live under $T, not /run), so that its changes are renames dnsmasq's inotify sees
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/systemd/resolve
set_upstream() { echo "nameserver $1" > /run/systemd/resolve/.new && mv /run/systemd/resolve/.new /run/systemd/resolve/resolv.conf; }
set_upstream 127.0.0.2

. "$(dirname "$0")/lifecycle-lib.inc"
lc_setup
t_ok "bangerd-root (root) and bangerd (uid $OWNER) are up"
t_check "image import minimal" banger image import minimal --kernel "$T/img/vmlinuz" \
	--initrd "$T/img/initrd.img" --rootfs "$T/img/rootfs.ext4"
t_check "vm run demo" banger vm run --quiet demo < /dev/null
t_check "vm run two" banger vm run --quiet two < /dev/null
GW=172.30.0.1
IP_TWO=$(banger --json vm get two | jq -r .ip)
gsh() { banger vm ssh demo -- "$@" < /dev/null 2> /dev/null; }

t_eq "the guest's resolv.conf names the gateway (from the kernel command line)" "nameserver $GW" "$(gsh cat /etc/resolv.conf)"
resolves() { gsh nslookup "$1" | awk '/^Name:/ { n = 1 } n && /^Address/ { print $NF; exit }'; }
answer_is() { [ "$(resolves "$1")" = "$2" ]; }
t_check "deb.debian.org resolves through the gateway to what the upstream says" t_wait 15 answer_is deb.debian.org 10.9.8.7
t_eq "two.banger resolves to two's address from demo" "$IP_TWO" "$(resolves two.banger)"
t_eq "  and so does the bare name two" "$IP_TWO" "$(resolves two)"
bound() { ss -Hln"$1" 'sport = :53' | awk '{ print $4 }' | grep -v '^127\.0\.0\.[23]:' | sort -u | tr '\n' ' '; }
t_eq "dnsmasq binds the gateway address only (UDP)" "$GW:53 " "$(bound u)"
t_eq "  and TCP" "$GW:53 " "$(bound t)"
DPIDF=$T/run/banger-dns/dnsmasq.pid
t_check "  and runs as the dnsmasq user (or nobody), not root" bash -c "u=\$(ps -o user= -p \$(cat '$DPIDF')) && [ -n \"\$u\" ] && [ \"\$u\" != root ]"

# a machine on the LAN that routes the pool through this host gets no answer (nat.ensure's
# input chain); the host itself does
ip netns add lanpeer && t_add_cleanup "ip netns del lanpeer"
ip link add lan0 type veth peer name lan1 && ip link set lan1 netns lanpeer
ip addr add 192.168.77.1/24 dev lan0 && ip link set lan0 up
ip -n lanpeer addr add 192.168.77.2/24 dev lan1 && ip -n lanpeer link set lan1 up && ip -n lanpeer link set lo up
ip -n lanpeer route add 172.30.0.0/24 via 192.168.77.1
lan_ask() { ip netns exec lanpeer busybox timeout 4 busybox nslookup deb.debian.org "$GW" 2>&1 | grep -c 10.9.8; }
t_eq "from the LAN side: no answer from the guests' resolver" 0 "$(lan_ask)"
t_check "  while the host itself is answered" bash -c "busybox nslookup deb.debian.org $GW | grep -q 10.9.8.7"

# a laptop moving between networks: the upstream changes under it
set_upstream 127.0.0.3
t_check "a new upstream is followed" t_wait 15 answer_is deb.debian.org 10.9.8.8

# two stops: its name goes
t_check "vm stop two" banger vm stop two
gone() { [ -z "$(resolves two.banger)" ] && answer_is demo.banger "$(banger --json vm get demo | jq -r .ip)"; }
t_check "two.banger no longer resolves" t_wait 10 gone

# the resolver dies: bangerd has bangerd-root start it again
OLD=$(cat "$DPIDF")
t_check "kill dnsmasq (pid $OLD)" kill "$OLD"
t_check "a killed dnsmasq is started again (within the daemon's 5 s watch)" t_wait 15 answer_is deb.debian.org 10.9.8.8
t_check "  as a new process" test "$(cat "$DPIDF")" != "$OLD"
t_done

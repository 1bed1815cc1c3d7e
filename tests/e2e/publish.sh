#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Published ports for real (one QEMU guest, in a private network + mount namespace): refusals
# (privileged, overlapping, taken, malformed), then a guest's busybox httpd answered through
# --publish 18080:80 on 127.0.0.1 and UDP reaching the guest through 18053:5353/udp; the publish
# goes when the VM stops and comes back with it, survives a daemon restart (while reconcile
# removes the table of a VM no record owns), and vm set changes it on a stopped VM only; banger
# doctor reports route_localnet, resolved and the guests' resolver in each state.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/vmm-lib.inc"
t_private_ns "$@"
LC_CONF='[vm]
ssh_timeout_sec = 150
stop_timeout_sec = 20'
. "$(dirname "$0")/lifecycle-lib.inc"
command -v curl > /dev/null || t_skip_all "curl is missing"
lc_setup
t_ok "bangerd-root (root) and bangerd (uid $OWNER) are up"
t_check "image import minimal" banger image import minimal --kernel "$T/img/vmlinuz" \
	--initrd "$T/img/initrd.img" --rootfs "$T/img/rootfs.ext4"

# ---- refusals: each with its reason, and no VM made -------------------------------------------
refuse() { # DESC EXIT REGEX ARGS...
	local desc=$1 want=$2 re=$3 out st
	shift 3
	out=$(banger vm create "$@" 2>&1)
	st=$?
	if [ "$st" != "$want" ] || ! grep -Eq "$re" <<< "$out"; then
		t_fail "$desc" "exit $st (want $want): $out"
	else
		t_ok "$desc: $out"
	fi
}
refuse "a privileged host port" 1 "host port 80 is privileged.*publish_min_port" x --publish 80:80
refuse "two publishes of one host port" 1 "overlaps" x --publish 18080:80 --publish 0.0.0.0:18080:81
refuse "a port range" 2 "no ranges" x --publish 18080-18090:80
refuse "rule text in a publish" 2 "publish" x --publish '18080:80;flush ruleset'
refuse "an unknown protocol" 2 "tcp or udp" x --publish 18080:80/sctp
python3 -c 'import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 18081)); s.listen(); time.sleep(600)' &
HOLDER=$!
t_add_cleanup "kill $HOLDER"
t_wait 5 bash -c 'ss -ltn | grep -q 127.0.0.1:18081'
refuse "a host port another program holds" 1 "taken by another program" x --publish 18081:80
t_eq "no VM was made by any of them" "" "$(banger --json vm list | jq -r '.vms[].name')"

# ---- a VM that publishes TCP and UDP ------------------------------------------------------------
t_check "vm create web --publish 18080:80 --publish 18053:5353/udp" \
	banger vm create web --publish 18080:80 --publish 18053:5353/udp
t_eq "vm get --json: canonical publishes" '["127.0.0.1:18080:80/tcp","127.0.0.1:18053:5353/udp"]' \
	"$(banger --json vm get web | jq -c .publish)"
t_check "vm get shows them (while it runs)" grep -q '^Published: *127.0.0.1:18080:80/tcp, 127.0.0.1:18053:5353/udp (while it runs)' <<< "$(banger vm get web)"
t_check "vm list has a PORTS column" grep -q ' 127.0.0.1:18080:80/tcp, 127.0.0.1:18053:5353/udp$' <<< "$(banger vm list)"
refuse "a second VM on web's host port" 1 'VM "web" publishes 127.0.0.1:18080:80/tcp' other --publish 18080:8080

pubtable() { nft list tables ip | grep -c "banger_pub_$(banger --json vm get web | jq -r .id)"; }
t_eq "no publish table while web is created" 0 "$(pubtable)"
t_check "vm start web" banger vm start --quiet web
t_check "the publish table comes with the start" t_wait 10 bash -c "[ \"\$(nft list tables ip | grep -c banger_pub_)\" = 1 ]"
t_eq "route_localnet on banger's bridge only" "1 0" \
	"$(cat /proc/sys/net/ipv4/conf/banger0/route_localnet /proc/sys/net/ipv4/conf/all/route_localnet | tr '\n' ' ' | sed 's/ $//')"

serve() { banger vm ssh web -- 'mkdir -p /www && echo hello-from-$(cat /proc/sys/kernel/random/boot_id) > /www/index.html && httpd -p 80 -h /www' < /dev/null; }
t_check "busybox httpd serves in the guest" serve
BOOT=$(banger --json vm get web | jq -r .boot_id)
t_eq "curl http://127.0.0.1:18080/ reaches the guest's server" "hello-from-$BOOT" "$(curl -s --max-time 5 http://127.0.0.1:18080/)"

noports() { banger vm ssh web -- "awk '/^Udp:/ { n++; if (n == 2) print \$3 }' /proc/net/snmp" < /dev/null; }
udp_send() { python3 - "$1" << 'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.send(b"ping")
try:
    s.recv(64)
    print("answer")
except ConnectionRefusedError:
    print("refused")  # the guest's ICMP port unreachable, NATed back
except socket.timeout:
    print("nothing")
PY
}
before=$(noports)
t_eq "UDP to 127.0.0.1:18053 is answered (the guest's port unreachable, NATed back)" refused "$(udp_send 18053)"
after=$(noports)
t_check "  and the guest counted a datagram to a port nothing listens on ($before -> $after)" test "$after" -gt "$before"
udp_send 18054 > /dev/null
t_eq "UDP to a port not published does not reach the guest" "$after" "$(noports)"

out=$(banger vm set web --no-publish 2>&1)
t_eq "vm set on a running VM: exit 1" 1 "$?"
t_check "  saying to stop it first" grep -q "stop it first" <<< "$out"

# ---- banger doctor: the name features, as they are -------------------------------------------
doctor() { banger doctor --json | jq -r --arg n "$1" '.checks[] | select(.name == $n) | "\(.status): \(.detail)"'; }
t_check "doctor: route_localnet on while a publish on 127.0.0.1 runs" \
	grep -q "^ok: route_localnet is on for banger0" <<< "$(doctor publish)"
t_check "doctor: no systemd-resolved here, and what to do instead" \
	grep -q '^warn: systemd-resolved is not running: .*"nameserver 172.30.0.1".*ssh NAME.banger' <<< "$(doctor resolved)"
if command -v dnsmasq > /dev/null; then
	t_check "doctor: dnsmasq answers on the gateway" grep -q "^ok: dnsmasq (pid [0-9]*) answers NAME.banger on 172.30.0.1" <<< "$(doctor dns)"
else
	t_check "doctor: dnsmasq missing, with the package to install" grep -q "^fail: .*apt-get install dnsmasq-base" <<< "$(doctor dns)"
fi

# ---- stop: the publish goes; start: it comes back ----------------------------------------------
t_check "vm stop web" banger vm stop web
t_eq "the publish table went with the stop" 0 "$(nft list tables ip | grep -c banger_pub_)"
t_eq "route_localnet back to 0" 0 "$(cat /proc/sys/net/ipv4/conf/banger0/route_localnet)"
curl -s --max-time 3 http://127.0.0.1:18080/ > /dev/null
t_check "curl fails while web is stopped" test $? -ne 0
t_check "doctor: route_localnet off with no publish running" \
	grep -q "^ok: route_localnet is off for banger0" <<< "$(doctor publish)"
t_check "vm start web again" banger vm start --quiet web
t_check "the publish table is back" t_wait 10 bash -c "[ \"\$(nft list tables ip | grep -c banger_pub_)\" = 1 ]"
serve
BOOT=$(banger --json vm get web | jq -r .boot_id)
t_eq "curl reaches the new boot's server" "hello-from-$BOOT" "$(curl -s --max-time 5 http://127.0.0.1:18080/)"

# ---- a daemon restart: the guest and its publish stay -----------------------------------------
WEB_ID=$(banger --json vm get web | jq -r .id)
kill "$DPID"
wait "$DPID" 2> /dev/null
t_eq "with bangerd down, the publish still answers" "hello-from-$BOOT" "$(curl -s --max-time 5 http://127.0.0.1:18080/)"
# a VM deleted while the daemon was down left its table: no record owns that id
ORPHAN=0123456789abcdef0123456789abcdef
nft add table ip banger_pub_$ORPHAN && nft add chain ip banger_pub_$ORPHAN prerouting \
	'{ type nat hook prerouting priority dstnat; policy accept; }'
nft add table ip banger_pub_x # not a VM id: never banger's to remove
t_add_cleanup "nft delete table ip banger_pub_x 2> /dev/null"
start_daemon
web_runs() { [ "$(banger --json vm get web | jq -r .state)" = running ]; }
t_check "bangerd is back and re-adopted web" t_wait 20 web_runs
orphan_gone() { ! nft list table ip banger_pub_$ORPHAN > /dev/null 2>&1; }
t_check "reconcile removed the publish table of a VM no record owns" t_wait 15 orphan_gone
t_check "  and said so" grep -q "reconcile: released publish $ORPHAN" "$T/bangerd.log"
t_check "  left web's own table" nft list table ip banger_pub_$WEB_ID
t_check "  and a table that is not a VM's" nft list table ip banger_pub_x
nft delete table ip banger_pub_x
t_eq "after the restart: one publish table" 1 "$(nft list tables ip | grep -c banger_pub_)"
t_eq "  and curl still reaches the guest" "hello-from-$BOOT" "$(curl -s --max-time 5 http://127.0.0.1:18080/)"

# ---- vm set on a stopped VM -------------------------------------------------------------------
t_check "vm stop web" banger vm stop web
t_check "vm set web --publish 18082:80 (stopped)" banger vm set web --publish 18082:80
t_eq "  replaces the list" '["127.0.0.1:18082:80/tcp"]' "$(banger --json vm get web | jq -c .publish)"
t_check "vm set web --no-publish" banger vm set web --no-publish
t_eq "  empties it" '[]' "$(banger --json vm get web | jq -c .publish)"
t_check "vm start web with nothing published" banger vm start --quiet web
sleep 1
t_eq "  makes no publish table" 0 "$(nft list tables ip | grep -c banger_pub_)"
t_done

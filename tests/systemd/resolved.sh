#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The host's names for the VMs through systemd-resolved, under a real systemd PID 1
# (tests/lib/nspawn.sh) with systemd-resolved running in the container: systemd-resolved is
# unpacked from its .deb (scripts/install-deps caches it) into the container's overlay and
# enabled there, never installed on this host. banger is installed with scripts/quickstart; then
# the bridge is resolved's link for ~banger with the gateway as its DNS server, demo.banger
# resolves through resolved, a restarted resolved gets the registration back, a stopped one is
# logged once, doctor reports it, a publish on 127.0.0.1 works under the unit's sandbox, and
# uninstall --purge reverts the registration.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib/nspawn.sh"
ns_require
for c in jq qemu-system-x86_64 ssh dpkg-deb; do command -v "$c" > /dev/null || t_skip_all "$c is missing"; done
SYSV=$(dpkg-query -W -f='${Version}' systemd 2> /dev/null) || t_skip_all "systemd is not installed as a package"
DEB=/var/cache/banger-test/systemd-resolved_${SYSV//:/%3a}_$(dpkg --print-architecture).deb
[ -f "$DEB" ] || t_skip_all "$DEB is missing (scripts/install-deps downloads it as root)"
suite_start=$SECONDS

# systemd-resolved in the container only: its files in the overlay, enabled like its postinst
# would, without the postinst (the container's /etc/resolv.conf stays what it is)
ns_preboot() {
	# through tar: dpkg-deb -x would replace the merged-/usr links (/lib, /sbin) with directories
	dpkg-deb --fsys-tarfile "$DEB" | tar -x -C "$NS_ROOT" --keep-directory-symlink || return 1
	mkdir -p "$NS_ROOT/etc/systemd/system/multi-user.target.wants"
	ln -sf /lib/systemd/system/systemd-resolved.service \
		"$NS_ROOT/etc/systemd/system/multi-user.target.wants/systemd-resolved.service"
	ln -sf /lib/systemd/system/systemd-resolved.service \
		"$NS_ROOT/etc/systemd/system/dbus-org.freedesktop.resolve1.service"
}
ns_boot || t_skip_all "systemd-nspawn cannot boot a container on this machine (see above)"
t_eq "systemd-resolved runs in the container" active "$(ns_exec systemctl is-active systemd-resolved.service)"
t_check "  and owns org.freedesktop.resolve1 on the system bus" \
	ns_exec busctl --system status org.freedesktop.resolve1

OWNER=alice
ns_exec useradd --create-home --user-group --shell /bin/bash "$OWNER" ||
	{ t_fail "the owner account is created"; t_done; exit 1; }
as_owner() { ns_exec setpriv --reuid="$OWNER" --regid="$OWNER" --init-groups env HOME=/home/$OWNER "$@"; }
banger() { as_owner banger "$@"; }
vmget() { banger --json vm get "$1" | jq -r ".$2 // empty"; }
helper_log() { ns_exec journalctl -u bangerd-root.service --no-pager -o cat; }

start=$SECONDS
out=$(ns_exec env -u SUDO_USER "$BANGER_SRC/scripts/quickstart" --owner "$OWNER" 2>&1)
rc=$?
echo "# quickstart took $((SECONDS - start)) s"
if [ $rc -ne 0 ]; then
	t_fail "scripts/quickstart --owner $OWNER exits 0 under systemd" "$(tail -n 25 <<< "$out")"
	ns_exec journalctl -u bangerd -u bangerd-root --no-pager -n 40 | sed 's/^/#   /'
	t_done
	exit 1
fi
t_ok "scripts/quickstart --owner $OWNER exits 0 under systemd"
t_eq "demo is running" running "$(vmget demo state)"
BR=$(ns_exec sed -n 's/^[[:space:]]*bridge[[:space:]]*=[[:space:]]*//p' /etc/banger/banger.conf | tail -1)
BR=${BR:-banger0}
GW=$(ns_exec ip -4 -j addr show dev "$BR" | jq -r '.[0].addr_info[0].local')
IP=$(vmget demo ip)
echo "# bridge $BR, gateway $GW, demo at $IP"

status() { ns_exec resolvectl status "$BR" 2>&1; }
registered() {
	local s
	s=$(status)
	grep -q "DNS Servers: $GW\$" <<< "$s" && grep -q "DNS Domain: ~banger\$" <<< "$s"
}
if t_wait 20 registered; then
	t_ok "resolvectl status $BR: DNS server $GW, domain ~banger"
else
	t_fail "resolvectl status $BR: DNS server $GW, domain ~banger" "$(status)"
fi
t_check "  and not a default route: other names never go to the guests' resolver" \
	grep -q -- "-DefaultRoute" <<< "$(status)"
t_check "  DNSSEC off for the link (nothing signs .banger)" grep -q "DNSSEC=no" <<< "$(status)"
doctor() { banger doctor --json | jq -r --arg n "$1" '.checks[] | select(.name == $n) | "\(.status): \(.detail)"'; }
t_check "banger doctor: resolved ok, sending *.banger to $GW on $BR" \
	grep -q "^ok: systemd-resolved sends \*.banger to $GW on $BR" <<< "$(doctor resolved)"
t_check "banger doctor: dnsmasq answers on $GW" grep -q "^ok: dnsmasq (pid [0-9]*) answers NAME.banger on $GW" <<< "$(doctor dns)"
query() { ns_exec resolvectl query -4 --legend=no "$1" 2>&1 | tr -s ' '; }
t_eq "resolvectl query demo.banger: demo's address, through $BR" "demo.banger: $IP -- link: $BR" "$(query demo.banger)"
t_eq "dnsmasq runs as banger-dns.service, out of bangerd-root's sandbox" "active $(ns_exec cat /run/banger-dns/dnsmasq.pid)" \
	"$(ns_exec systemctl is-active banger-dns.service) $(ns_exec systemctl show -P MainPID banger-dns.service)"
score=$(ns_exec systemd-analyze security --no-pager banger-dns.service | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
echo "# systemd-analyze security banger-dns.service: $score"
t_check "banger-dns.service runs sandboxed (exposure $score <= 5.5, measured 4.9)" awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 5.5) }'
t_check "the helper logged the registration" grep -q "systemd-resolved: $BR (ifindex [0-9]*) answers ~banger through $GW" <<< "$(helper_log)"
n_set=$(helper_log | grep -c "answers ~banger")
sleep 11 # two rounds of the daemon's 5 s watch
t_eq "the daemon's watch changes nothing while resolved keeps it (no new log line)" "$n_set" "$(helper_log | grep -c "answers ~banger")"

# resolved forgets link settings when it restarts: the next dns.ensure puts them back
ns_exec systemctl restart systemd-resolved.service
t_check "after systemctl restart systemd-resolved: registered again (within the 5 s watch)" t_wait 20 registered
t_eq "  demo.banger resolves again" "demo.banger: $IP -- link: $BR" "$(query demo.banger)"

# resolved stopped: the helper says so once, and dns.ensure keeps working for the guests
ns_exec systemctl stop systemd-resolved.service
nolog() { [ "$(helper_log | grep -c "systemd-resolved is not running")" -ge 1 ]; }
t_check "stopped resolved: the helper logs that it is not running" t_wait 20 nolog
sleep 11
t_eq "  once, not on every watch round" 1 "$(helper_log | grep -c "systemd-resolved is not running")"
t_eq "  and dns.ensure (not bus activation) did not start it" inactive "$(ns_exec systemctl is-active systemd-resolved.service)"
t_check "banger doctor: resolved not running, with what to do instead" \
	grep -q "^warn: systemd-resolved is not running: .*nameserver $GW.*ssh NAME.banger" <<< "$(doctor resolved)"
ns_exec systemctl start systemd-resolved.service
t_check "started again: registered again" t_wait 20 registered

# a publish on 127.0.0.1 under the shipped unit's sandbox: publish.apply binds the host port to
# see it is free (AF_INET) and sets route_localnet on the bridge (/proc/sys/net is writable in a
# container with a private network)
t_check "banger vm stop demo" banger vm stop demo
t_check "vm set demo --publish 18022:22" banger vm set demo --publish 18022:22
out=$(banger vm start --quiet demo 2>&1)
t_eq "vm start demo with a publish: exit 0" 0 "$?" || echo "$out" | sed 's/^/#   /'
banner() { ns_exec timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/18022 && head -c 16 <&3' 2> /dev/null; }
t_eq "127.0.0.1:18022 reaches demo's SSH server" "SSH-2.0-dropbear" "$(banner)"
t_eq "route_localnet is on for $BR" 1 "$(ns_exec cat /proc/sys/net/ipv4/conf/$BR/route_localnet)"
t_check "banger doctor: publish ok, route_localnet on" grep -q "^ok: route_localnet is on for $BR" <<< "$(doctor publish)"
t_check "after the restart: registered again" t_wait 20 registered

# the bridge goes away with uninstall --purge: what banger set in resolved is reverted first
t_check "banger vm stop demo" banger vm stop demo
out=$(ns_exec banger system uninstall --purge 2>&1)
t_eq "uninstall --purge exits 0" 0 "$?"
echo "$out" | sed 's/^/#   /'
t_check "  it reverted resolved's settings for the bridge" grep -q "reverted systemd-resolved's DNS settings for bridge $BR" <<< "$out"
t_check "  it stopped the guests' resolver" grep -q "stopped banger-dns.service (dnsmasq, pid [0-9]*)" <<< "$out"
t_eq "  banger-dns.service is gone" inactive "$(ns_exec systemctl is-active banger-dns.service)"
t_check "  the bridge is gone" bash -c "! nsenter -t $NS_LEADER -a ip link show $BR > /dev/null 2>&1"
t_check "  and resolved has no ~banger domain or $GW server left" \
	bash -c "! nsenter -t $NS_LEADER -a resolvectl status | grep -q -e '~banger' -e 'DNS Servers: $GW'"
echo "# the whole suite took $((SECONDS - suite_start)) s"
t_done

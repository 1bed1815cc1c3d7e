#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# banger as a user installs it, under a real systemd PID 1 (tests/lib/nspawn.sh): README's first
# command (scripts/quickstart) builds, installs and brings up `demo` through the real units;
# then the units' state through sd-bus, the helper's own mount namespace, a second VM, five
# restarts of both services and a SIGKILL of each with both guests kept (same VMM pids, same
# guest boot ids), socket activation, the watchdog restarting a hung loop while the guests run,
# the units' exposure scores, a stop that releases everything, and uninstall --purge leaving
# nothing of banger behind.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib/nspawn.sh"
ns_require
for c in jq qemu-system-x86_64 ssh; do command -v "$c" > /dev/null || t_skip_all "$c is missing"; done
suite_start=$SECONDS
# A signed release of this tree with the next version, for `banger update` further down: built
# on the host (the container sees /var/tmp through its overlay).
REL=$(mktemp -d /var/tmp/banger-release.XXXXXX)
t_add_cleanup "rm -rf '$REL'"
OLD=$(cat "$BANGER_SRC/VERSION")
IFS=. read -r maj min pat <<< "${OLD%%-*}"
NEW=$maj.$min.$((pat + 1))
openssl genpkey -algorithm ed25519 -out "$REL/key.pem" 2> /dev/null &&
	openssl pkey -in "$REL/key.pem" -pubout -out "$REL/pub.pem" &&
	"$BANGER_SRC/scripts/release" --version "$NEW" --key "$REL/key.pem" --out "$REL" > "$REL/release.log" 2>&1 ||
	{ tail -n 20 "$REL/release.log" | sed 's/^/#   /'; t_fail "scripts/release builds $NEW"; }
chmod -R go+rX "$REL"
ns_boot || t_skip_all "systemd-nspawn cannot boot a container on this machine (see above)"

OWNER=alice
ns_exec useradd --create-home --user-group --shell /bin/bash "$OWNER" ||
	{ t_fail "the owner account is created"; t_done; exit 1; }
as_owner() { ns_exec setpriv --reuid="$OWNER" --regid="$OWNER" --init-groups env HOME=/home/$OWNER "$@"; }
banger() { as_owner banger "$@"; }
vmget() { banger --json vm get "$1" | jq -r ".$2 // empty"; }
unit_prop() { ns_exec systemctl show -P "$2" "$1"; }
main_pid() { unit_prop "$1" MainPID; }

# ---- README's first command, on a systemd host ----
start=$SECONDS
out=$(ns_exec env -u SUDO_USER "$BANGER_SRC/scripts/quickstart" --owner "$OWNER" 2>&1)
rc=$?
echo "# quickstart took $((SECONDS - start)) s"
if [ $rc -ne 0 ]; then
	t_fail "scripts/quickstart --owner $OWNER exits 0 under systemd" "$(tail -n 25 <<< "$out")"
	ns_exec journalctl -u bangerd -u bangerd-root --no-pager -n 40 | sed 's/^/#   /'
	echo "# the whole suite took $((SECONDS - suite_start)) s"
t_done
	exit 1
fi
t_ok "scripts/quickstart --owner $OWNER exits 0 under systemd"
t_check "it ends with what to try next" grep -q "banger vm ssh demo" <<< "$out"

for u in bangerd-root.service bangerd.socket bangerd.service; do
	t_eq "$u is enabled" enabled "$(ns_exec systemctl is-enabled "$u" 2>&1)"
	t_eq "$u is active" active "$(ns_exec systemctl is-active "$u" 2>&1)"
done
t_eq "bangerd-root is Type=notify (ready once root.sock listens)" notify "$(unit_prop bangerd-root.service Type)"
t_check "both services have a watchdog" test "$(unit_prop bangerd-root.service WatchdogUSec)" != 0 -a "$(unit_prop bangerd.service WatchdogUSec)" != 0
HPID=$(main_pid bangerd-root.service) DPID=$(main_pid bangerd.service)
t_check "bangerd-root runs in a mount namespace of its own" \
	test "$(ns_exec readlink "/proc/$HPID/ns/mnt")" != "$(ns_exec readlink /proc/1/ns/mnt)"
t_eq "bangerd runs as the owner" "$(ns_exec id -u "$OWNER")" "$(ns_exec stat -c %u "/proc/$DPID")"

# `banger system status` reports the units as systemd sees them, not from pid files.
st=$(banger --json system status)
t_eq "system status: bangerd-root.service's pid from systemd" "$HPID" \
	"$(jq -r '.units[] | select(.name == "bangerd-root.service") | .main_pid' <<< "$st")"
t_eq "system status: bangerd.service active (running)" "active running" \
	"$(jq -r '.units[] | select(.name == "bangerd.service") | "\(.active) \(.sub)"' <<< "$st")"
# a socket whose service runs is "running", one waiting for a connection "listening"
t_eq "system status: bangerd.socket active" "active running" \
	"$(jq -r '.units[] | select(.name == "bangerd.socket") | "\(.active) \(.sub)"' <<< "$st")"
t_check "system status (text) lists the units" grep -q "bangerd-root.service .*active (running), pid $HPID" <<< "$(banger system status)"
t_check "no pid files: systemd tracks the daemons" test ! -e "$NS_ROOT/run/banger/bangerd.pid" -a ! -e "$NS_ROOT/run/banger/bangerd-root.pid"

# ---- the lifecycle under the units ----
t_eq "demo is running" running "$(vmget demo state)"
t_check "a second VM starts" banger vm run two --image minimal
boot_of() { banger vm ssh "$1" -- cat /proc/sys/kernel/random/boot_id 2> /dev/null; }
for v in demo two; do
	t_eq "$v: the guest's boot id is the one banger reports" "$(vmget $v boot_id)" "$(boot_of $v)"
done
# under bangerd.service's sandbox (a read-only home but for ~/.config/banger) the daemon keeps
# the owner's SSH config, and README's Include line makes the VMs' names reach them
t_eq "bangerd.service keeps ~alice/.config/banger/ssh/config: a block per VM" \
	"Host demo demo.banger;Host two two.banger;" \
	"$(ns_exec grep '^Host ' /home/$OWNER/.config/banger/ssh/config | tr '\n' ';')"
as_owner sh -c 'mkdir -p ~/.ssh && printf "Include ~/.config/banger/ssh/config\n" > ~/.ssh/config && chmod 600 ~/.ssh/config'
t_eq "ssh demo.banger through the Include line in ~/.ssh/config" "$(vmget demo boot_id)" \
	"$(as_owner ssh -o BatchMode=yes demo.banger cat /proc/sys/kernel/random/boot_id < /dev/null 2>&1)"
t_eq "banger doctor sees the Include line" ok \
	"$(banger doctor --json | jq -r '.checks[] | select(.name == "ssh-config") | .status')"
PID_DEMO=$(vmget demo pid) PID_TWO=$(vmget two pid)
# `systemctl kill` signals every process of a unit's cgroup, whatever KillMode= says
for v in demo two; do
	scope=banger-vm-$(vmget $v id).scope
	t_eq "$v's VMM runs in a scope of its own, out of bangerd-root.service" "active $scope" \
		"$(ns_exec systemctl is-active "$scope") $(ns_exec grep -o "$scope" "/proc/$(vmget $v pid)/cgroup" | head -1)"
done
BOOT_DEMO=$(vmget demo boot_id) BOOT_TWO=$(vmget two boot_id)

# banger's objects as the kernel and the file system show them, counted
taps() { ns_exec ip -d -j link show | jq '[.[] | select(.linkinfo.info_kind == "tun" and (.ifname | startswith("bgt-")))] | length'; }
bridges() { ns_exec ip -d -j link show | jq '[.[] | select(.linkinfo.info_kind == "bridge" and (.ifname | startswith("banger")))] | length'; }
jails() { ns_exec find /var/lib/banger/jail -mindepth 2 -maxdepth 2 -type d 2> /dev/null | wc -l; }
nft_tables() { ns_exec nft -j list tables | jq '[.nftables[] | select(.table.name? == "banger")] | length'; }
vmms() { ns_exec pgrep -c -x banger-vmm; }
fleet() { echo "taps=$(taps) bridges=$(bridges) jails=$(jails) nft=$(nft_tables) vmms=$(vmms)"; }
FLEET="taps=2 bridges=1 jails=2 nft=1 vmms=2"
t_eq "two VMs hold two taps, one bridge, two jails, one table, two VMMs" "$FLEET" "$(fleet)"

# both services back and the daemon reaching the helper
ready() { banger --json system status 2> /dev/null | jq -e '.helper.reachable and (.units | all(.active == "active"))' > /dev/null; }
# the same VMM pid and guest boot id for both VMs, running
kept() {
	[ "$(vmget demo state) $(vmget demo pid) $(vmget two state) $(vmget two pid)" = "running $PID_DEMO running $PID_TWO" ] &&
		[ "$(boot_of demo) $(boot_of two)" = "$BOOT_DEMO $BOOT_TWO" ]
}

restarts_ok=0 times=
for i in 1 2 3 4 5; do
	t0=$(date +%s%N)
	ns_exec systemctl restart bangerd-root.service bangerd.service
	if t_wait 30 ready; then
		times="$times $((($(date +%s%N) - t0) / 1000000))"
	fi
	if kept && [ "$(fleet)" = "$FLEET" ]; then
		restarts_ok=$((restarts_ok + 1))
	else
		echo "# restart $i: $(fleet); demo $(vmget demo state) $(vmget demo pid), two $(vmget two state) $(vmget two pid)"
	fi
done
echo "# restart of both services until the daemon reaches the helper again, ms:$times"
t_eq "5 restarts of both services: both guests kept (VMM pid, boot id), nothing duplicated" 5 "$restarts_ok"
t_check "each restart gave new daemon pids" test "$(main_pid bangerd-root.service)" != "$HPID" -a "$(main_pid bangerd.service)" != "$DPID"

for u in bangerd-root.service bangerd.service; do
	before=$(main_pid $u)
	ns_exec systemctl kill -s KILL "$u"
	if t_wait 30 bash -c "[ \"\$(nsenter -t $NS_LEADER -a systemctl show -P MainPID $u)\" != $before ]" && t_wait 30 ready; then
		t_ok "systemctl kill -s KILL $u: systemd starts it again"
	else
		t_fail "systemctl kill -s KILL $u: systemd starts it again" "$(ns_exec systemctl status "$u" --no-pager 2>&1 | head -5)"
	fi
	t_check "after SIGKILL of $u: both guests kept" kept
	t_eq "after SIGKILL of $u: nothing duplicated" "$FLEET" "$(fleet)"
done

# ---- socket activation ----
ns_exec systemctl stop bangerd.service
t_eq "bangerd stopped (its socket stays)" "inactive active" "$(ns_exec systemctl is-active bangerd.service bangerd.socket | tr '\n' ' ' | sed 's/ $//')"
t_check "banger vm list starts bangerd through bangerd.socket" banger vm list
t_eq "bangerd is active again" active "$(ns_exec systemctl is-active bangerd.service)"
t_check "and re-adopted both VMs" t_wait 20 kept

# ---- the watchdog: a hung loop is restarted, the guests keep running ----
# A shorter WatchdogSec= for the test only; everything else is the shipped unit.
for u in bangerd-root bangerd; do
	ns_exec mkdir -p "/run/systemd/system/$u.service.d"
	printf '[Service]\nWatchdogSec=3\nTimeoutAbortSec=2\n' | ns_exec tee "/run/systemd/system/$u.service.d/watchdog.conf" > /dev/null
done
ns_exec systemctl daemon-reload
ns_exec systemctl restart bangerd-root.service bangerd.service
t_wait 30 ready
for u in bangerd-root.service bangerd.service; do
	before=$(main_pid $u)
	restarts=$(unit_prop $u NRestarts)
	sleep 4 # longer than WatchdogSec: keep-alives arrive while the loop turns
	t_eq "$u: keep-alives keep it up" "$before" "$(main_pid $u)"
	ns_exec kill -STOP "$before" # the loop hangs
	if t_wait 30 bash -c "[ \"\$(nsenter -t $NS_LEADER -a systemctl show -P NRestarts $u)\" -gt $restarts ]" && t_wait 30 ready; then
		t_ok "$u: a hung loop is restarted by the watchdog"
	else
		t_fail "$u: a hung loop is restarted by the watchdog" "$(ns_exec systemctl status "$u" --no-pager 2>&1 | head -8)"
	fi
	t_check "$u: the guests kept running through it" kept
done
ns_exec rm -rf /run/systemd/system/bangerd-root.service.d /run/systemd/system/bangerd.service.d
ns_exec systemctl daemon-reload

# ---- banger update under systemd: both guests kept, or rolled back ----
ns_exec banger system install --owner "$OWNER" --release-key "$REL/pub.pem" > /dev/null
printf '[update]\nurl = file://%s/manifest.json\n' "$REL" | ns_exec tee -a /etc/banger/banger.conf > /dev/null
versions() { banger --json system status | jq -r '"\(.version) \(.helper.version)"'; }
t_eq "both daemons run $OLD" "$OLD $OLD" "$(versions)"
HPID=$(main_pid bangerd-root.service) DPID=$(main_pid bangerd.service)
out=$(ns_exec banger update 2>&1)
rc=$?
echo "$out" | sed 's/^/#   /'
t_eq "sudo banger update: exit 0" 0 "$rc"
t_check "through systemd: helper, then daemon restarted" grep -q "restart: bangerd-root, then bangerd$" <<< "$out"
t_eq "both daemons run $NEW" "$NEW $NEW" "$(versions)"
t_check "new main pids for both services" test "$(main_pid bangerd-root.service)" != "$HPID" -a "$(main_pid bangerd.service)" != "$DPID"
t_check "both guests kept (VMM pid, boot id)" kept
t_eq "nothing duplicated" "$FLEET" "$(fleet)"
out=$(ns_exec banger update --rollback 2>&1)
t_eq "sudo banger update --rollback: exit 0" 0 "$?"
t_eq "both daemons run $OLD again" "$OLD $OLD" "$(versions)"
t_check "both guests kept through the rollback" kept
# the owner starts it: bangerd asks bangerd-root, which starts banger-update.service
out=$(banger update 2>&1)
rc=$?
echo "$out" | sed 's/^/#   /'
t_eq "banger update as the owner: exit 0" 0 "$rc"
t_check "bangerd-root started banger-update.service" grep -q "Update started by bangerd-root (banger-update.service)" <<< "$out"
t_eq "the unit ran and is gone (a oneshot, collected)" inactive "$(ns_exec systemctl is-active banger-update.service)"
t_eq "both daemons run $NEW" "$NEW $NEW" "$(versions)"
t_check "both guests kept (VMM pid, boot id)" kept

# ---- hardening, measured on the loaded units ----
for u in bangerd:2.5 bangerd-root:5.0; do
	name=${u%:*} max=${u#*:}
	score=$(ns_exec systemd-analyze security --no-pager "$name.service" | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
	echo "# systemd-analyze security $name.service: $score (target <= $max)"
	t_check "$name.service exposure $score <= $max" awk -v s="$score" -v m="$max" 'BEGIN { exit !(s != "" && s <= m) }'
done

# ---- stop releases everything ----
t_check "banger vm stop two" banger vm stop two
t_eq "two's tap, jail and VMM are gone" "taps=1 bridges=1 jails=1 nft=1 vmms=1" "$(fleet)"
t_eq "two's jail mounts are gone from the helper's namespace" 0 \
	"$(ns_exec grep -c "/jail/banger-vmm/$(vmget two id)/" "/proc/$(main_pid bangerd-root.service)/mountinfo")"

# ---- uninstall --purge ----
out=$(ns_exec banger system uninstall --purge 2>&1)
t_eq "uninstall --purge is refused while demo runs" 1 "$?"
t_check "saying which VM" grep -q demo <<< "$out"
t_check "banger vm stop demo" banger vm stop demo
out=$(ns_exec banger system uninstall --purge 2>&1)
t_eq "uninstall --purge exits 0" 0 "$?"
echo "$out" | sed 's/^/#   /'
for u in bangerd-root.service bangerd.socket bangerd.service; do
	t_eq "$u is disabled and stopped" "disabled inactive" "$(ns_exec systemctl is-enabled "$u" 2>&1) $(ns_exec systemctl is-active "$u" 2>&1)"
done
t_eq "no tap, bridge, jail, table or VMM is left" "taps=0 bridges=0 jails=0 nft=0 vmms=0" "$(fleet)"
for p in /etc/banger /var/lib/banger /var/log/banger /run/banger /etc/systemd/system/bangerd.service.d /etc/systemd/system/bangerd.socket.d; do
	t_check "$p is gone" test ! -e "$NS_ROOT$p"
done
t_check "the output says what it kept and why" grep -q "purged. Kept:" <<< "$out"
t_check "(the forwarding switch, with the reason)" grep -q "ip_forward: .*rely on it" <<< "$out"
echo "# the whole suite took $((SECONDS - suite_start)) s"
t_done

#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# banger system install/restart/uninstall as root under a temporary BANGER_ROOT (no systemd:
# the daemons are spawned directly): install.json, directory owners and modes, banger.conf
# written once, both daemons answering, idempotence, restart with new pids, uninstall by the
# recorded pids, --purge, and the refusals (non-root, root or unknown owner, missing VMM).
. "$(dirname "$0")/../lib.sh"
t_require_root
command -v setpriv > /dev/null || t_skip_all "setpriv (util-linux) is missing"
command -v jq > /dev/null || t_skip_all "jq is missing"
getent passwd nobody > /dev/null || t_skip_all "no passwd entry for nobody"
t_private_ns "$@"
t_tmpdir
chmod 0755 "$T"
export BANGER_ROOT=$T/root
B=$(t_bin banger)
R=$BANGER_ROOT
RUN=$R/run/banger
uid=$(id -u nobody) gid=$(id -g nobody)
as_owner() { setpriv --reuid=nobody --regid="$gid" --clear-groups -- env HOME=/ "$@"; }
# alive PID NAME: the process exists, is not a zombie and runs NAME
alive() {
	[ -r "/proc/$1/stat" ] && [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ] &&
		[ "$(sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f1)" != Z ]
}
gone() { ! alive "$@"; }
# Whatever the recorded pids are at exit, end those processes (they are the ones we started).
t_add_cleanup 'for n in bangerd bangerd-root; do p=$(cat "$RUN/$n.pid" 2>/dev/null) && alive "$p" "$n" && kill "$p"; done'
unset SUDO_USER

# ---- refusals, before anything is installed ----
out=$(setpriv --reuid=nobody --regid="$gid" --clear-groups -- "$B" system install --owner nobody 2>&1)
t_eq "install as a user: exit 1" 1 "$?"
t_eq "saying it needs root" "banger system install: must run as root (try: sudo banger system install)" "$out"
out=$("$B" system install --owner root 2>&1)
t_eq "root as the owner: exit 1" 1 "$?"
t_check "saying the owner must not be root" grep -q "the owner must not be root" <<< "$out"
out=$("$B" system install 2>&1)
t_eq "no --owner and no SUDO_USER: exit 1" 1 "$?"
t_check "asking for --owner" grep -q "Pass --owner USER" <<< "$out"
out=$("$B" system install --owner banger-no-such-user 2>&1)
t_eq "an unknown owner: exit 1" 1 "$?"
t_check "naming it" grep -q 'unknown user "banger-no-such-user"' <<< "$out"
mkdir -p "$T/bin"
cp "$B" "$T/bin/banger"
out=$("$T/bin/banger" system install --owner nobody 2>&1)
t_eq "a banger without banger-vmm next to it: exit 1" 1 "$?"
t_check "naming the missing VMM" grep -q "$T/bin/banger-vmm is missing" <<< "$out"
t_check "nothing was written by the refusals" test ! -e "$R/etc/banger/install.json"

# ---- install ----
out=$("$B" system install --owner nobody 2>&1)
t_eq "install: exit 0" 0 "$?"
echo "$out" | sed 's/^/# /'
j=$R/etc/banger/install.json
t_eq "install.json: schema and owner" "1 $uid $gid nobody $(getent passwd nobody | cut -d: -f6)" \
	"$(jq -r '"\(.schema_version) \(.owner.uid) \(.owner.gid) \(.owner.name) \(.owner.home)"' "$j")"
t_eq "install.json: vmm and jailer next to banger" "$BANGER_BUILD/banger-vmm $BANGER_BUILD/banger-jailer" \
	"$(jq -r '"\(.vmm) \(.jailer)"' "$j")"
t_eq "install.json: version" "$("$B" --version | cut -d' ' -f2)" "$(jq -r .version "$j")"
t_check "install.json: installed_at is RFC 3339 UTC" grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' <<< "$(jq -r .installed_at "$j")"
t_eq "install.json: root, 0644" "root root 644" "$(stat -c '%U %G %a' "$j")"
for spec in "etc/banger root root 755" "var/lib/banger root root 755" \
	"var/lib/banger/state nobody $(id -gn nobody) 700" "var/lib/banger/jail root root 755" \
	"var/log/banger root root 755" "run/banger root root 1770"; do
	set -- $spec
	t_eq "/$1: owner and mode" "$2 $3 $4" "$(stat -c '%U %G %a' "$R/$1")"
done
t_eq "/run/banger: the owner's through an ACL entry" "user:$uid:rwx" \
	"$(getfacl -cpn "$R/run/banger" 2> /dev/null | grep "^user:[0-9]")"
conf=$R/etc/banger/banger.conf
t_check "banger.conf written with its sections" grep -q '^\[network\]' "$conf"
t_eq "banger.conf: root, 0644" "root 644" "$(stat -c '%U %a' "$conf")"
hp=$(cat "$RUN/bangerd-root.pid") dp=$(cat "$RUN/bangerd.pid")
t_check "bangerd-root runs at its recorded pid" alive "$hp" bangerd-root
t_check "bangerd runs at its recorded pid" alive "$dp" bangerd
t_eq "bangerd-root runs as root" 0 "$(stat -c %u "/proc/$hp")"
t_check "bangerd-root has a mount namespace of its own, as under its unit" \
	test "$(readlink "/proc/$hp/ns/mnt")" != "$(readlink /proc/self/ns/mnt)"
t_eq "bangerd shares the caller's" "$(readlink /proc/self/ns/mnt)" "$(readlink "/proc/$dp/ns/mnt")"
t_eq "bangerd runs as the owner" "$uid" "$(stat -c %u "/proc/$dp")"
t_check "daemon logs in the log dir" test -f "$R/var/log/banger/bangerd.log" -a -f "$R/var/log/banger/bangerd-root.log"
out=$(as_owner "$B" system status 2>&1)
t_check "system status as the owner: the helper is reachable" grep -q "^Helper: *reachable" <<< "$out"
t_eq "and the daemon is the recorded one" "$dp" "$(as_owner "$B" --json system status | jq .pid)"

# ---- a second install changes nothing; it fixes what is wrong and keeps banger.conf ----
echo "# mine" >> "$conf"
cp "$j" "$T/install.json.before"
out=$("$B" system install --owner nobody 2>&1)
t_eq "second install: exit 0" 0 "$?"
t_check "saying there is nothing to change" grep -q "nothing to change" <<< "$out"
t_check "install.json byte for byte the same" cmp "$j" "$T/install.json.before"
t_check "banger.conf not overwritten" grep -q '^# mine$' "$conf"
t_eq "same daemons" "$hp $dp" "$(cat "$RUN/bangerd-root.pid") $(cat "$RUN/bangerd.pid")"
chmod 0755 "$R/var/lib/banger/state"
out=$("$B" system install --owner nobody 2>&1)
t_check "a wrong mode is fixed and said so" grep -q "fixed $R/var/lib/banger/state" <<< "$out"
t_eq "state dir back to 0700" 700 "$(stat -c %a "$R/var/lib/banger/state")"

# ---- restart ----
out=$("$B" system restart 2>&1)
t_eq "restart: exit 0" 0 "$?"
hp2=$(cat "$RUN/bangerd-root.pid") dp2=$(cat "$RUN/bangerd.pid")
t_check "new bangerd-root pid" test "$hp2" != "$hp"
t_check "new bangerd pid" test "$dp2" != "$dp"
t_check "the old bangerd-root is gone" gone "$hp" bangerd-root
t_check "the old bangerd is gone" gone "$dp" bangerd
t_check "the new ones run" bash -c "$(declare -f alive); alive $hp2 bangerd-root && alive $dp2 bangerd"
out=$(as_owner "$B" system status 2>&1)
t_check "after restart the helper is reachable again" grep -q "^Helper: *reachable" <<< "$out"

# ---- uninstall ----
out=$("$B" system uninstall 2>&1)
t_eq "uninstall: exit 0" 0 "$?"
t_check "bangerd-root stopped" gone "$hp2" bangerd-root
t_check "bangerd stopped" gone "$dp2" bangerd
t_check "install.json removed" test ! -e "$j"
t_check "pid files removed" test ! -e "$RUN/bangerd.pid" -a ! -e "$RUN/bangerd-root.pid"
t_check "state kept" test -d "$R/var/lib/banger/state/vms"
t_check "banger.conf kept" grep -q '^# mine$' "$conf"
out=$("$B" system uninstall 2>&1)
t_check "a second uninstall has nothing to remove" grep -q "nothing to remove" <<< "$out"
echo '{"vm1":{"pid":1}}' > "$R/var/lib/banger/state/handles.json"
out=$("$B" system uninstall --purge 2>&1)
t_eq "--purge while handles.json records a running VM: exit 1" 1 "$?"
t_check "saying why" grep -q "running VM" <<< "$out"
t_check "state still there" test -d "$R/var/lib/banger/state"
rm "$R/var/lib/banger/state/handles.json"
out=$("$B" system uninstall --purge 2>&1)
t_eq "--purge: exit 0" 0 "$?"
t_check "state removed" test ! -e "$R/var/lib/banger/state"
t_done

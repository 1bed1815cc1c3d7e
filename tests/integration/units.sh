#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The shipped systemd units pass `systemd-analyze verify` once rendered and given the owner
# drop-in, and keep the properties that protect running VMs across restarts.
. "$(dirname "$0")/../lib.sh"
command -v systemd-analyze > /dev/null || t_skip_all "systemd-analyze is missing (package systemd)"
t_tmpdir

u=$T/units
mkdir -p "$u"
for f in "$BANGER_SRC"/units/*.in; do
	name=$(basename "$f" .in)
	sed -e "s|@bindir@|$BANGER_BUILD|g" -e "s|@sbindir@|$BANGER_BUILD|g" "$f" > "$u/$name"
done
# What `banger system install` adds for the owner (nobody here: any existing account works).
mkdir -p "$u/bangerd.service.d" "$u/bangerd.socket.d"
printf '[Service]\nUser=daemon\nGroup=daemon\n' > "$u/bangerd.service.d/owner.conf"
printf '[Socket]\nSocketUser=daemon\nSocketGroup=daemon\n' > "$u/bangerd.socket.d/owner.conf"

out=$(cd "$u" && SYSTEMD_UNIT_PATH="$u:" systemd-analyze verify --man=no \
	bangerd.service bangerd-root.service bangerd.socket 2>&1)
rc=$?
t_eq "systemd-analyze verify exits 0" 0 "$rc"
t_eq "systemd-analyze verify prints no complaint" "" "$out"

for s in bangerd.service bangerd-root.service; do
	t_check "$s uses KillMode=process (restarts never kill VMs)" grep -qx 'KillMode=process' "$u/$s"
	t_check "$s runs the built binary" grep -q "^ExecStart=$BANGER_BUILD/" "$u/$s"
done
t_check "bangerd.service is Type=notify" grep -qx 'Type=notify' "$u/bangerd.service"
t_check "bangerd.socket is 0600" grep -qx 'SocketMode=0600' "$u/bangerd.socket"
t_check "bangerd-root keeps /run/banger across restarts" grep -qx 'RuntimeDirectoryPreserve=yes' "$u/bangerd-root.service"

# A unit with a typo must be caught, or the check above proves nothing.
sed 's/^KillMode=process/KillMod=process/' "$u/bangerd.service" > "$u/broken.service"
bad=$(cd "$u" && SYSTEMD_UNIT_PATH="$u:" systemd-analyze verify --man=no broken.service 2>&1)
t_check "verify rejects a misspelt directive" grep -q 'Unknown key' <<< "$bad"
t_done

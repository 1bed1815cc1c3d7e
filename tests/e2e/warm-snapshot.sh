#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Suspend and restore for real, one QEMU guest in a private network + mount namespace: vm stop
# --snapshot saves the guest next to its disk and ends its VMM; vm start restores it (the same
# boot id, a file written before is there, SSH answers with the same pinned host key), also
# after a daemon restart; a truncated state file is refused with the VM left suspended and
# nothing lost; a disk that changed is refused with the offer of a cold start, which boots; a
# suspended VM is deleted with its snapshot.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/vmm-lib.inc"
t_private_ns "$@"
LC_CONF='[vm]
ssh_timeout_sec = 150
stop_timeout_sec = 30'
. "$(dirname "$0")/lifecycle-lib.inc"
lc_setup
t_ok "bangerd-root (root) and bangerd (uid $OWNER) are up"
t_check "image import minimal" banger image import minimal --kernel "$T/img/vmlinuz" \
	--initrd "$T/img/initrd.img" --rootfs "$T/img/rootfs.ext4"

vmget() { banger --json vm get "$1" | jq -r ".$2 // empty"; }
# PID is gone, or a zombie: nobody may reap a detached VMM in a test's namespace
gone() { case $(awk '{print $3}' "/proc/$1/stat" 2> /dev/null) in "" | Z) return 0 ;; *) return 1 ;; esac; }
ms() { date +%s%3N; }

out=$(banger vm run s 2>&1) && t_ok "vm run s" || t_fail "vm run s" "$out" "$(tail -n 30 "$T/bangerd.log")"
ID=$(vmget s id) IP=$(vmget s ip) BOOT=$(vmget s boot_id) PID=$(vmget s pid)
DIR=$T/var/lib/banger/state/vms/$ID
MARK=$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')
t_check "a file is written in the guest" banger vm ssh s -- "echo $MARK > /root/marker"
KH=$(grep "^$IP " "$HOMEDIR/.config/banger/ssh/known_hosts")

# ---- suspend ----------------------------------------------------------------------------------
t0=$(ms)
out=$(banger vm stop --snapshot s 2>&1)
t_eq "vm stop --snapshot s: exit 0" 0 "$?"
echo "# suspend took $(($(ms) - t0)) ms"
t_eq "  says so" "Suspended VM s" "$out"
t_eq "  the record says suspended" suspended "$(vmget s state)"
t_check "  its VMM is gone" gone "$PID"
t_check "  the memory, state and record files are next to its disk" \
	test -s "$DIR/snapshot.mem" -a -s "$DIR/snapshot.state" -a -s "$DIR/snapshot.json" -a -s "$DIR/disk"
echo "# snapshot.mem $(stat -c %s "$DIR/snapshot.mem") bytes ($(du -k "$DIR/snapshot.mem" | cut -f1) KiB used), snapshot.state $(stat -c %s "$DIR/snapshot.state") bytes"
t_check "  vm list shows it suspended" grep -Eq '^s[[:space:]].*suspended' <<< "$(banger vm list)"
out=$(banger vm stop --snapshot --force s 2>&1)
t_eq "--snapshot with --force is a usage error: exit 2" 2 "$?"

# ---- a daemon restart keeps it suspended --------------------------------------------------------
kill "$DPID"
wait "$DPID" 2> /dev/null
start_daemon
t_eq "after a daemon restart it is still suspended" suspended "$(vmget s state)"

# ---- restore ----------------------------------------------------------------------------------
t0=$(ms)
out=$(banger vm start s 2>&1)
st=$?
echo "# restore to SSH took $(($(ms) - t0)) ms"
t_eq "vm start of a suspended VM: exit 0" 0 "$st"
[ "$st" = 0 ] || echo "$out" | sed 's/^/#   /'
t_eq "  running" running "$(vmget s state)"
t_eq "  the same boot id (the record's)" "$BOOT" "$(vmget s boot_id)"
t_eq "  the same boot id (the guest's own)" "$BOOT" "$(banger vm ssh s -- cat /proc/sys/kernel/random/boot_id 2>&1)"
t_eq "  the file written before the suspend is there" "$MARK" "$(banger vm ssh s -- cat /root/marker 2>&1)"
t_eq "  SSH answers with the same pinned host key" "$KH" "$(grep "^$IP " "$HOMEDIR/.config/banger/ssh/known_hosts")"
t_check "  no boot happened (no second kernel banner in its console)" \
	test "$(grep -c 'Linux version ' "$DIR/console.log")" = 1

# ---- a truncated state file: refused, still suspended, nothing lost ----------------------------
banger vm stop --snapshot s > /dev/null
cp -p "$DIR/snapshot.state" "$T/state.good"
truncate -s 20 "$DIR/snapshot.state"
out=$(banger vm start s 2>&1)
t_eq "a truncated state file: vm start exits 1" 1 "$?"
t_check "  saying the restore failed and the snapshot is kept" grep -q 'restore failed.*snapshot is kept' <<< "$out"
t_eq "  still suspended" suspended "$(vmget s state)"
t_check "  no VMM, tap or jail left" bash -c "[ -z \"\$(ls '$T/var/lib/banger/jail/'*/'$ID' 2> /dev/null)\" ] && ! ip link show bgt-${ID:0:11} 2> /dev/null"
cp -p "$T/state.good" "$DIR/snapshot.state"
out=$(banger vm start s 2>&1)
t_eq "  with the state file put back, it restores: exit 0" 0 "$?"
t_eq "  the same boot" "$BOOT" "$(banger vm ssh s -- cat /proc/sys/kernel/random/boot_id 2>&1)"

# ---- a changed disk: refused, a cold start offered and booting ---------------------------------
banger vm stop --snapshot s > /dev/null
touch "$DIR/disk"
out=$(banger vm start s 2>&1)
t_eq "a disk changed since the snapshot: vm start exits 1" 1 "$?"
t_check "  saying so and offering a cold start" grep -q 'disk changed since the snapshot.*banger vm start --cold s' <<< "$out"
t_eq "  still suspended" suspended "$(vmget s state)"
out=$(banger vm start --cold s 2>&1)
t_eq "vm start --cold: exit 0" 0 "$?"
t_check "  a new boot" bash -c "[ -n '$(vmget s boot_id)' ] && [ '$(vmget s boot_id)' != '$BOOT' ]"
t_check "  the snapshot record is gone" test ! -e "$DIR/snapshot.json"
out=$(banger vm stop --snapshot s 2>&1)
t_eq "suspended once more: exit 0" 0 "$?"
out=$(banger vm pause s 2>&1)
t_eq "  a pause of a suspended VM is refused: exit 1" 1 "$?"
t_check "  saying it is not running (suspended)" grep -q 'not running (suspended)' <<< "$out"
t_check "  a suspended VM is deleted without --force" banger vm delete s
t_check "  its directory, snapshot files and all, is gone" test ! -e "$DIR"
t_done

#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Live named snapshots for real, one QEMU guest in a private network + mount namespace: vm
# snapshot create keeps a running guest running (the same boot and VMM, SSH answers at once);
# a snapshot that fails half-way (its directory runs out of inodes) or cannot start (no space)
# leaves the guest running and no snapshot; restore is refused while the VM runs and for an
# unknown snapshot; once stopped, restore and start bring back the guest as it was at the
# snapshot (its boot id, a file written before it, none written after), and the snapshot stays
# for another restore until deleted. The events stream carries created/restored/deleted. The
# copies run off bangerd's loop: with a disk that takes seconds to copy, vm list answers at once
# while a snapshot is taken, and a start is refused (not stalled) while a restore copies. A
# bangerd killed while a snapshot has the guest paused: the next one resumes it.
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
ms() { date +%s%3N; }
gssh() { banger vm ssh v -- "$@" 2>&1; }
(as_owner_exec "$(t_bin banger)" events > "$T/events.ndjson" 2>&1) &
EPID=$!
t_add_cleanup "kill $EPID"

out=$(banger vm run v 2>&1) && t_ok "vm run v" || t_fail "vm run v" "$out" "$(tail -n 30 "$T/bangerd.log")"
ID=$(vmget v id) BOOT=$(vmget v boot_id) PID=$(vmget v pid)
SNAPS=$T/var/lib/banger/state/vms/$ID/snapshots
BEFORE=$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')
t_check "a file is written in the guest before the snapshot" gssh "echo $BEFORE > /root/before"

# ---- take one while it runs ------------------------------------------------------------------
t0=$(ms)
out=$(banger vm snapshot create v --name s1 2>&1)
st=$?
t1=$(ms)
t_eq "vm snapshot create v --name s1: exit 0" 0 "$st"
echo "# $out (the call took $((t1 - t0)) ms)"
t_check "  says how long the guest stood" grep -q '^Snapshot s1 of VM v taken: guest paused [0-9.]* s' <<< "$out"
t_eq "  SSH answers right after, the same boot" "$BOOT" "$(gssh cat /proc/sys/kernel/random/boot_id)"
t_eq "  still running" running "$(vmget v state)"
t_eq "  the same VMM" "$PID" "$(vmget v pid)"
t_check "  its disk copy, memory, state and record are in snapshots/s1" \
	test -s "$SNAPS/s1/disk" -a -s "$SNAPS/s1/snapshot.mem" -a -s "$SNAPS/s1/snapshot.state" -a -s "$SNAPS/s1/snapshot.json"
t_check "  nothing half-built is left" bash -c "! ls -a '$SNAPS' | grep -q '^\.new-'"
echo "# s1: disk $(du -k "$SNAPS/s1/disk" | cut -f1) KiB used of $(stat -c %s "$SNAPS/s1/disk") bytes, memory $(stat -c %s "$SNAPS/s1/snapshot.mem") bytes"
AFTER=$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')
t_check "a file is written in the guest after the snapshot" gssh "echo $AFTER > /root/after && sync"

out=$(banger vm snapshot list v)
t_check "vm snapshot list shows s1" grep -Eq '^s1[[:space:]]+20[0-9-]+T.*minimal' <<< "$out"
t_eq "  --json: one snapshot, the guest's boot id" "1 $BOOT" \
	"$(banger --json vm snapshot list v | jq -r '"\(.snapshots | length) \(.snapshots[0].boot_id)"')"

# ---- refusals -----------------------------------------------------------------------------------
out=$(banger vm snapshot create v --name s1 2>&1)
t_eq "a second snapshot named s1: exit 1" 1 "$?"
t_check "  saying it exists" grep -q 'already has a snapshot named "s1"' <<< "$out"
out=$(banger vm snapshot create v --name Bad_Name 2>&1)
t_eq "an invalid snapshot name: exit 1" 1 "$?"
t_check "  saying so" grep -qi 'snapshot name' <<< "$out"
out=$(banger vm snapshot restore v s1 2>&1)
t_eq "restore while it runs: exit 1" 1 "$?"
t_check "  saying to stop it first" grep -q 'it is running; stop it first' <<< "$out"

# ---- the daemon answers while a copy runs ------------------------------------------------------
# $T is on ext4 here (no reflinks): a snapshot's disk copy is a sparse copy of the data the disk
# holds, and 1.5 GiB written in the guest make it last seconds. It runs in a child process, so
# vm list, sent once the copy has begun, is answered in a fraction of the time the guest stands
# for it; bangerd copying in its own loop answered only once the disk was copied.
DISK=$T/var/lib/banger/state/vms/$ID/disk
t_check "the guest writes 1.5 GiB (its disk copy becomes slow)" \
	gssh "dd if=/dev/zero of=/root/big bs=1M count=1536 conv=fsync status=none"
echo "# the VM's disk: $(du -k "$DISK" | cut -f1) KiB allocated"
(banger vm snapshot create v --name big > "$T/big.out" 2>&1; echo $? > "$T/big.rc") &
SPID=$!
t_wait 120 test -e "$SNAPS/.new-big/disk"
t0=$(ms)
banger vm list > /dev/null
st=$?
t1=$(ms)
inprog=no
test -e "$SNAPS/.new-big" && inprog=yes
wait $SPID
t_eq "vm list while the snapshot's disk is copied: exit 0" 0 "$st"
t_eq "  answered while the snapshot was still in progress" yes "$inprog"
t_eq "  the snapshot completes: exit 0" 0 "$(cat "$T/big.rc")"
paused=$(banger --json vm snapshot list v | jq '.snapshots[] | select(.name == "big") | .paused_us / 1000 | floor')
echo "# vm list took $((t1 - t0)) ms; the guest stood $paused ms for the snapshot's disk copy"
t_check "  the copy took long enough to tell (>= 500 ms)" test "${paused:-0}" -ge 500
t_check "  vm list took under a quarter of it" test $((4 * (t1 - t0))) -lt "${paused:-0}"
t_eq "  running again" running "$(vmget v state)"

# ---- bangerd killed while a snapshot has the guest paused ----------------------------------------
# The disk copy takes seconds (the 1.5 GiB above): bangerd is SIGKILLed in the middle of it. The
# VMM runs on, paused, with the snapshot's mark in the VM's directory; the next bangerd re-adopts
# it, sees the mark and resumes the guest rather than keep a pause nobody asked for.
VMDIR=$T/var/lib/banger/state/vms/$ID
vmm_state() { curl -s --max-time 5 --unix-socket "/proc/$PID/root/run/firecracker.socket" http://localhost/ | jq -r '.state // empty'; }
(banger vm snapshot create v --name cut > "$T/cut.out" 2>&1; echo $? > "$T/cut.rc") &
CPID=$!
t_wait 120 test -e "$SNAPS/.new-cut/disk"
t_check "a snapshot in progress: its pause mark is in the VM's directory" test -e "$VMDIR/snapshot.paused"
kill -KILL "$DPID"
wait "$DPID" 2> /dev/null
wait "$CPID"
t_eq "  bangerd SIGKILLed mid-copy: the VMM runs on, paused" Paused "$(vmm_state)"
t_check "  the mark stays" test -e "$VMDIR/snapshot.paused"
kill "$EPID" 2> /dev/null
start_daemon || t_fail "bangerd starts again" "$(tail -n 20 "$T/bangerd.log")"
(as_owner_exec "$(t_bin banger)" events >> "$T/events.ndjson" 2>&1) &
EPID=$!
t_add_cleanup "kill \$EPID"
resumed() { [ "$(vmm_state)" = Running ] && [ "$(vmget v state)" = running ]; }
t_check "  the next bangerd resumes the guest (VMM Running, record running)" t_wait 30 resumed
t_check "  and says so in its log" grep -q 'resumed the guest, which a snapshot or suspend had paused' "$T/bangerd.log"
t_check "  the mark is gone" test ! -e "$VMDIR/snapshot.paused"
t_eq "  SSH answers, the same boot" "$BOOT" "$(gssh cat /proc/sys/kernel/random/boot_id)"
t_eq "  the same VMM" "$PID" "$(vmget v pid)"
no_cut() { banger --json vm snapshot list v | jq -e '[.snapshots[].name] | index("cut") == null' > /dev/null; }
t_check "  no snapshot named cut was kept" no_cut

# ---- bangerd killed during a suspend ------------------------------------------------------------
# banger-vmm is stopped (SIGSTOP; QEMU and the guest run on) before `vm stop --snapshot`, so the
# suspend's pause waits unanswered while bangerd is SIGKILLed: the record says stopping
# (suspending). The next bangerd undoes the suspend rather than release the guest and its memory.
kill -STOP "$PID"
(banger vm stop --snapshot v > "$T/susp.out" 2>&1; echo $? > "$T/susp.rc") &
SPID=$!
susp_recorded() { [ "$(jq -r '"\(.state) \(.reason)"' "$VMDIR/vm.json")" = "stopping suspending" ]; }
t_check "a suspend in progress: the record says stopping (suspending)" t_wait 10 susp_recorded
t_check "  and the pause mark is in the VM's directory" test -e "$VMDIR/snapshot.paused"
kill -KILL "$DPID"
wait "$DPID" 2> /dev/null
kill -CONT "$PID"
wait "$SPID"
kill "$EPID" 2> /dev/null
start_daemon || t_fail "bangerd starts again" "$(tail -n 20 "$T/bangerd.log")"
(as_owner_exec "$(t_bin banger)" events >> "$T/events.ndjson" 2>&1) &
EPID=$!
t_check "  the next bangerd undoes the suspend: VMM Running, record running" t_wait 30 resumed
t_check "  and says so in its log" grep -q 'ended during its suspend; the suspend is undone' "$T/bangerd.log"
t_check "  the mark is gone" test ! -e "$VMDIR/snapshot.paused"
t_eq "  SSH answers, the same boot" "$BOOT" "$(gssh cat /proc/sys/kernel/random/boot_id)"
t_eq "  the same VMM" "$PID" "$(vmget v pid)"
t_check "  nothing is recorded as suspended" test ! -e "$VMDIR/snapshot.json"

# ---- failures leave the guest running and no snapshot ------------------------------------------
# Its snapshots directory on a tmpfs of its own (this test's mount namespace): 1 MiB is too
# little for the space check; 3 inodes pass it but run out at the disk copy, after the pause and
# the VMM's snapshot.
mount -t tmpfs -o size=1m,uid=$OWNER,gid=$OWNER,mode=0700 snaptest "$SNAPS"
out=$(banger vm snapshot create v --name s2 2>&1)
t_eq "a snapshot into a full directory: exit 1" 1 "$?"
t_check "  saying there is not enough space" grep -q 'not enough space' <<< "$out"
t_eq "  still running" running "$(vmget v state)"
umount "$SNAPS"
mount -t tmpfs -o size=8g,nr_inodes=3,uid=$OWNER,gid=$OWNER,mode=0700 snaptest "$SNAPS"
out=$(banger vm snapshot create v --name s2 2>&1)
t_eq "a snapshot failing half-way (no inode for the disk copy): exit 1" 1 "$?"
echo "# $out"
t_check "  saying it failed and the VM runs again" grep -q 'Failed to snapshot VM "v".*running again' <<< "$out"
t_check "  after the VMM's snapshot was taken" grep -q "cannot copy its disk" <<< "$out"
t_eq "  running" running "$(vmget v state)"
t_eq "  SSH answers, the same boot" "$BOOT" "$(gssh cat /proc/sys/kernel/random/boot_id)"
t_check "  no snapshot directory left, complete or not" test -z "$(ls -A "$SNAPS")"
umount "$SNAPS"
t_check "  and s1 and big are the only snapshots" test "$(banger --json vm snapshot list v | jq -r '[.snapshots[].name] | join(",")')" = s1,big

# ---- stop, restore, start ----------------------------------------------------------------------
t_check "vm stop v" banger vm stop v
out=$(banger vm snapshot create v 2>&1)
t_eq "a snapshot of a stopped VM: exit 1" 1 "$?"
t_check "  saying it is not running and to start it" grep -q 'it is not running (stopped).*banger vm start v' <<< "$out"
out=$(banger vm snapshot restore v nope 2>&1)
t_eq "restore of an unknown snapshot: exit 4" 4 "$?"
t_check "  saying there is none by that name" grep -q 'has no snapshot named "nope"' <<< "$out"
# a restore copies off the loop as well: a start meanwhile is refused at once, not stalled
# (--quiet: no progress follower, which waits a second for a start that never comes)
r0=$(ms)
(banger vm snapshot restore v big > "$T/rbig.out" 2>&1; echo $? > "$T/rbig.rc") &
RPID=$!
t_wait 120 test -e "$T/var/lib/banger/state/vms/$ID/disk.restore"
t0=$(ms)
out=$(banger vm start --quiet v 2>&1)
st=$?
t1=$(ms)
wait $RPID
r1=$(ms)
echo "# vm start answered in $((t1 - t0)) ms while the restore (all of it: $((r1 - r0)) ms) copied"
t_eq "vm start while a restore copies: exit 1" 1 "$st"
t_check "  saying it is being restored" grep -q 'is being restored from its snapshot "big"' <<< "$out"
t_check "  answered in under a quarter of the restore's time" test $((4 * (t1 - t0))) -lt $((r1 - r0))
t_eq "  the restore completes: exit 0" 0 "$(cat "$T/rbig.rc")"
t_eq "  suspended" suspended "$(vmget v state)"
t_check "  no .restore file is left" bash -c "! ls '$T/var/lib/banger/state/vms/$ID' | grep -q '\.restore$'"
out=$(banger vm snapshot restore v s1 2>&1)
t_eq "vm snapshot restore v s1: exit 0" 0 "$?"
t_eq "  suspended" suspended "$(vmget v state)"
t0=$(ms)
out=$(banger vm start v 2>&1)
st=$?
echo "# restore to SSH took $(($(ms) - t0)) ms"
t_eq "vm start after the restore: exit 0" 0 "$st"
[ "$st" = 0 ] || echo "$out" | sed 's/^/#   /'
t_eq "  the boot id at snapshot time" "$BOOT" "$(gssh cat /proc/sys/kernel/random/boot_id)"
t_eq "  the file written before the snapshot is there" "$BEFORE" "$(gssh cat /root/before)"
t_check "  the one written after it is not" gssh "test ! -e /root/after"
t_check "  the snapshot is still there to restore again" test -s "$SNAPS/s1/disk" -a -s "$SNAPS/s1/snapshot.mem"

# ---- a snapshot of a paused VM stays paused ------------------------------------------------------
banger vm pause v > /dev/null
out=$(banger vm snapshot create v 2>&1)
t_eq "a snapshot of a paused VM, default name: exit 0" 0 "$?"
t_check "  named snap-<UTC time>" grep -q '^Snapshot snap-[0-9]\{8\}-[0-9]\{6\} of VM v' <<< "$out"
t_eq "  still paused" paused "$(vmget v state)"
t_check "  resumes" banger vm resume v

# ---- delete -----------------------------------------------------------------------------------
out=$(banger vm snapshot delete v s1 2>&1)
t_eq "vm snapshot delete v s1: exit 0" 0 "$?"
t_check "  its directory is gone" test ! -e "$SNAPS/s1"
t_eq "  two snapshots left" 2 "$(banger --json vm snapshot list v | jq '.snapshots | length')"
out=$(banger vm snapshot delete v s1 2>&1)
t_eq "  deleting it again: exit 4" 4 "$?"
t_check "events: created, restored and deleted were published" bash -c \
	"grep -q '\"vm.snapshot_created\"' '$T/events.ndjson' && grep -q '\"vm.snapshot_restored\"' '$T/events.ndjson' && grep -q '\"vm.snapshot_deleted\"' '$T/events.ndjson'"
t_check "vm delete --force removes the VM with its snapshots" banger vm delete --force v
t_check "  its directory is gone" test ! -e "$T/var/lib/banger/state/vms/$ID"
t_done

#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Failures a chaos campaign found (issue 12), each on the real stack with real guests: bangerd-root
# killed inside jail.launch (the VMM it had just launched is found and stopped, the undo waits for
# the helper to come back); VMMs in jails no running record owns (reconcile and a daemon start
# stop them); a full state directory (records keep the truth in memory, a restart does not kill a
# guest whose "running" never reached the disk); a stop after a restart; a guest that halts.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/vmm-lib.inc"
t_private_ns "$@"
REL_CONF='[vm]
ssh_timeout_sec = 90
stop_timeout_sec = 20
[state]
min_free_mib = 32'
REL_STATE_MB=200
REL_JAILER_DELAY=2
. "$(dirname "$0")/reliability-lib.inc"
rl_setup

no_leaks() { [ -z "$(vm_leaks "$@")" ]; }
# VM FIELD EXPECTED: for t_wait
vm_is() { [ "$(vmget "$1" "$2")" = "$3" ]; }
# PIDS are gone (or zombies: nobody may reap a detached VMM in a test's container)
gone() {
	local p
	for p; do
		[ "$(awk '{print $3}' "/proc/$p/stat" 2> /dev/null)" = "" ] ||
			[ "$(awk '{print $3}' "/proc/$p/stat" 2> /dev/null)" = Z ] || return 1
	done
}
alive() { ! gone "$@"; }
random_id() { od -An -tx1 -N16 /dev/urandom | tr -d ' \n'; }

as_owner_exec "$(t_bin banger)" events > "$T/events.ndjson" 2>&1 &
EPID=$!
t_add_cleanup "kill $EPID"
t0=$SECONDS

# ---- bangerd-root killed inside jail.launch --------------------------------------------------
banger vm create r1 > /dev/null
ID1=$(vmget r1 id)
as_owner_exec "$(t_bin banger)" vm start r1 > "$T/r1.out" 2>&1 &
SPID=$!
t_check "r1's start reaches jail.launch (the jailer is starting)" t_wait 60 pgrep -f "slow-jailer --id $ID1"
sleep 0.$((RANDOM % 8 + 1))
helper_kill KILL
t_check "the jailer outlives bangerd-root and starts r1's VMM" t_wait 10 pgrep -f "banger-vmm.*--id $ID1"
# the helper stays down past the launch's deadline: the undo has to wait for it
t_check "the undo waits for bangerd-root instead of giving up" \
	t_wait 20 grep -q "VM r1: releasing its launch must wait for bangerd-root" "$T/bangerd.log"
helper_start
wait $SPID
t_eq "the start fails (exit 1)" 1 "$?"
t_check "at step \"launch\"" grep -q 'step "launch"' "$T/r1.out"
t_eq "r1 is in error" error "$(vmget r1 state)"
t_check "the daemon found and killed the VMM whose launch was not answered" \
	grep -q "VM r1: its launch was not answered, but its VMM runs" "$T/bangerd.log"
t_eq "nothing of r1 is left: no VMM, jail, disk or tap (bangerd-root's view and /proc)" "" "$(vm_leaks "$ID1")"
out=$(banger vm start r1 2>&1) && t_ok "vm start r1 afterwards works" || t_fail "vm start r1 afterwards works" "$out"
echo "# helper-kill scenario done after $((SECONDS - t0)) s"

# ---- a full state directory ---------------------------------------------------------------------
PID1=$(vmget r1 pid)
fill_state
t_check "a full state directory is announced (daemon.low_space)" t_wait 10 grep -q '"daemon.low_space"' "$T/events.ndjson"
out=$(banger vm stop r1 2>&1)
t_eq "vm stop r1 while the state dir is full: exit 0" 0 "$?"
t_eq "r1 is stopped in memory (vm get), not running with a dead pid" "stopped " "$(vmget r1 state) $(vmget r1 pid)"
t_check "vm get says the record is not saved yet" test -n "$(vmget r1 save_error)"
t_check "its VMM is gone" gone "$PID1"
t_eq "nothing of r1 is left" "" "$(vm_leaks "$ID1")"
t_eq "the disk still holds the old record (running)" running "$(jq -r .state "$STATE/vms/$ID1/vm.json")"
t_check "events: vm.save_failed for r1" grep -q "\"vm.save_failed\".*\"r1\"" "$T/events.ndjson"
out=$(banger doctor 2>&1)
t_check "banger doctor fails the state check, naming r1" grep -Eq "state +fail .*r1" <<< "$out"
unfill_state
t_check "once there is room the record lands: stopped" t_wait 5 bash -c "[ \"\$(jq -r .state '$STATE/vms/$ID1/vm.json')\" = stopped ]"
t_eq "and vm get no longer reports a save error" "" "$(vmget r1 save_error)"
t_check "events: vm.saved for r1" t_wait 3 grep -q "\"vm.saved\".*\"r1\"" "$T/events.ndjson"

# "running" cannot be saved: the start is held at its SSH step (the host's packets to port 22
# dropped) while the state dir fills, then let go
nft add table inet rel && nft add chain inet rel out '{ type filter hook output priority -10; }' &&
	nft add rule inet rel out tcp dport 22 drop
t_add_cleanup "nft delete table inet rel"
banger vm create r2 > /dev/null
ID2=$(vmget r2 id)
as_owner_exec "$(t_bin banger)" vm start r2 > "$T/r2.out" 2>&1 &
SPID=$!
has_ip() { [ -n "$(vmget r2 ip)" ]; }
t_wait 90 has_ip
IP2=$(vmget r2 ip)
t_check "r2's start pins the guest's host key (and waits for SSH)" t_wait 90 grep -q "^$IP2 " "$HOMEDIR/.config/banger/ssh/known_hosts"
fill_state
nft delete table inet rel
wait $SPID
t_eq "the start answers (exit 0)" 0 "$?"
t_eq "r2 runs: vm get says so" running "$(vmget r2 state)"
t_check "though its record is not saved" test -n "$(vmget r2 save_error)"
t_eq "the disk says starting" starting "$(jq -r .state "$STATE/vms/$ID2/vm.json")"
PID2=$(vmget r2 pid) BOOT2=$(vmget r2 boot_id)
daemon_kill TERM
daemon_start
t_check "the restarted daemon finishes r2's start instead of killing its guest" t_wait 60 vm_is r2 state running
t_eq "with the same VMM" "$PID2" "$(vmget r2 pid)"
t_check "r2's VMM never stopped" alive "$PID2"
t_eq "same boot id in the guest" "$BOOT2" "$(banger vm ssh r2 -- cat /proc/sys/kernel/random/boot_id 2>&1)"
unfill_state
t_check "once there is room r2's record says running" t_wait 5 bash -c "[ \"\$(jq -r .state '$STATE/vms/$ID2/vm.json')\" = running ]"
t_check "the state dir is announced fine again (daemon.space_ok)" t_wait 10 grep -q '"daemon.space_ok"' "$T/events.ndjson"
echo "# full-state-dir scenarios done after $((SECONDS - t0)) s"

# ---- VMMs no running record owns ----------------------------------------------------------------
# What an interrupted start of an older daemon left: a jail staged and launched by hand, for a
# record that says "created" and for an id no record has. Their VMMs wait for configuration.
orphan() { # ID: stages and launches a jail for ID through bangerd-root
	local d=$T/orphan-$1
	mkdir -p "$d" && cp "$T/img/vmlinuz" "$d/kernel" && truncate -s 64M "$d/disk" && : > "$d/console"
	chown -R $OWNER:$OWNER "$d"
	helper_call --fd kernel="$d/kernel" --fd-rw drive:rootfs="$d/disk" jail.stage "{\"vm_id\":\"$1\"}" > /dev/null &&
		helper_call --fd-rw console="$d/console" jail.launch "{\"vm_id\":\"$1\"}" | jq -r .pid
}
banger vm create o1 > /dev/null
IDO=$(vmget o1 id)
IDX=$(random_id)
PO=$(orphan "$IDO") PX=$(orphan "$IDX")
t_check "two orphaned VMMs run (o1's, and one of no record)" alive "$PO" "$PX"
out=$(banger --json reconcile 2>&1)
t_check "reconcile hands o1 to the lifecycle and sweeps the unowned jail" \
	jq -e '(.readopted | index("o1")) and (.swept | index("jail '$IDX'"))' <<< "$out"
t_check "both VMMs are stopped" t_wait 15 gone "$PO" "$PX"
t_check "and nothing of either is left" t_wait 15 no_leaks "$IDO" "$IDX"
t_eq "o1's record keeps its state" created "$(vmget o1 state)"
IDY=$(random_id)
PY=$(orphan "$IDY")
daemon_kill TERM
daemon_start
t_check "a daemon start stops an orphaned VMM without being asked" t_wait 20 gone "$PY"
t_check "and releases its jail" t_wait 15 no_leaks "$IDY"
t_check "r2 runs on, re-adopted" t_wait 10 vm_is r2 pid "$PID2"
# a daemon restarted while bangerd-root is down cannot know whether r2's VMM runs: a stop is
# refused rather than answered with a guess
helper_kill TERM
daemon_kill TERM
daemon_start
out=$(banger vm stop r2 2>&1)
t_eq "vm stop before r2 could be re-adopted (helper down): refused" 1 "$?"
t_check "saying why" grep -q "being re-adopted" <<< "$out"
out=$(banger vm start r2 2>&1)
t_eq "so is vm start: no second VMM beside one that may run" 1 "$?"
t_check "r2's VMM still runs" alive "$PID2"
readopted=$(grep -c "Re-adopted VM r2" "$T/bangerd.log")
helper_start
more_readopted() { [ "$(grep -c "Re-adopted VM r2" "$T/bangerd.log")" -gt "$readopted" ]; }
t_check "once bangerd-root is back r2 is re-adopted" t_wait 15 more_readopted
t_eq "with the same VMM" "running $PID2" "$(vmget r2 state) $(vmget r2 pid)"

# ---- a stop 0.3 s after a restart --------------------------------------------------------------
as_owner_exec "$(t_bin banger)" vm restart r2 > "$T/restart.out" 2>&1 &
RPID=$!
sleep 0.3
out=$(banger vm stop r2 2>&1)
t_eq "vm stop during a restart: exit 0" 0 "$?"
wait $RPID
t_eq "the restart answers exit 1" 1 "$?"
t_check "saying the stop cancelled it" grep -q "cancelled by a stop" "$T/restart.out"
sleep 3
t_eq "r2 stays stopped" stopped "$(vmget r2 state)"
t_eq "nothing of r2 is left" "" "$(vm_leaks "$ID2")"

# ---- a guest that halts -----------------------------------------------------------------------
out=$(banger vm start r1 2>&1) && t_ok "vm start r1" || t_fail "vm start r1" "$out"
PID1=$(vmget r1 pid)
timeout 20 setpriv --reuid=$OWNER --regid=$OWNER --clear-groups env BANGER_ROOT="$T" HOME="$HOMEDIR" \
	"$(t_bin banger)" vm ssh r1 -- halt > /dev/null 2>&1
halted() { [ "$(banger --json vm get r1 | jq -r .halted)" = true ]; }
t_check "vm get r1 says the guest halted" t_wait 30 halted
t_check "with the reason" grep -q "System halted" <<< "$(vmget r1 reason)"
t_check "vm list shows it halted" grep -Eq "^r1 +halted" <<< "$(banger vm list)"
t_check "its VMM still runs (banger does not stop it behind the user's back)" alive "$PID1"
s0=$SECONDS
t_check "vm stop r1 stops it" banger vm stop r1
echo "# stopping the halted guest took $((SECONDS - s0)) s (stop_timeout_sec is 20)"
t_check "without waiting for a Ctrl-Alt-Del it cannot hear" test $((SECONDS - s0)) -lt 15
t_eq "r1 is stopped, no longer halted" "stopped false" "$(banger --json vm get r1 | jq -r '"\(.state) \(.halted)"')"
t_eq "nothing of r1 is left" "" "$(vm_leaks "$ID1")"

echo "# reliability suite took $((SECONDS - t0)) s"
if [ "$_t_failed" -gt 0 ]; then
	echo "# bangerd.log (last 60 lines):"
	tail -n 60 "$T/bangerd.log" | sed 's/^/#   /'
fi
t_done

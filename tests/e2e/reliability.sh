#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A failure a chaos campaign found (issue 12), on the real stack with a real guest: bangerd-root
# killed inside jail.launch (the VMM it had just launched is found and stopped, the undo waits for
# the helper to come back).
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

echo "# reliability suite took $((SECONDS - t0)) s"
if [ "$_t_failed" -gt 0 ]; then
	echo "# bangerd.log (last 60 lines):"
	tail -n 60 "$T/bangerd.log" | sed 's/^/#   /'
fi
t_done

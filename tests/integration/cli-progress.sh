#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Live start progress against a real bangerd (no bangerd-root, so every start fails at its
# second step, "bridge"): vm.start_step as each step begins (step, n of N, elapsed ms) and
# vm.start_done at the end, with the failing step; banger vm start shows them as plain lines
# when stderr is not a terminal, as one updating line when it is, and nothing with --quiet.
. "$(dirname "$0")/daemon-lib.sh"
t_require_root
t_tmpdir
B=$(t_bin banger)
d_start

python3 - "$SOCK" "$T/events.out" << 'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"events.subscribe","params":{}}\n')
out = open(sys.argv[2], "w", buffering=1)
for line in s.makefile("rb"):
    out.write(line.decode())
PY
sub=$!
t_add_cleanup "kill $sub"
t_wait 5 grep -q events.snapshot "$T/events.out"

d_image minimal
"$B" vm create p1 > /dev/null
"$B" vm start p1 > "$T/start.out" 2> "$T/start.err"
t_eq "the start fails without bangerd-root (exit 1)" 1 "$?"
t_wait 5 grep -q vm.start_done "$T/events.out"
steps=$(jq -c 'select(.method == "vm.start_step") | .params | [.name, .step, .n, .of]' "$T/events.out" | tr '\n' ' ')
t_eq "vm.start_step for each step as it begins: name, step, n of N" \
	'["p1","address",1,13] ["p1","bridge",2,13] ' "$steps"
t_check "elapsed_ms starts at 0 and never goes back" bash -c "jq -r 'select(.method == \"vm.start_step\") | .params.elapsed_ms' '$T/events.out' | awk 'NR == 1 && \$1 > 1000 { exit 1 } \$1 < last { exit 1 } { last = \$1 }'"
done=$(grep '"vm.start_done"' "$T/events.out")
t_eq "vm.start_done says it failed, at which step" "failed bridge" "$(jq -r '.params | "\(.result) \(.step)"' <<< "$done")"
t_check "with the reason" jq -e '.params.error | test("start failed at step \"bridge\"")' <<< "$done"
t_check "and the time of the steps that finished" jq -e '.params.steps.address >= 0 and .params.steps.bridge >= 0 and .params.elapsed_ms >= 0' <<< "$done"
t_eq "in order: steps, the error state, then vm.start_done" "vm.start_step vm.start_step vm.state vm.start_done" \
	"$(jq -r 'select((.method // "") | test("^vm\\.(start_|state)")) | select(.params.new != "starting") | .method' "$T/events.out" | tr '\n' ' ' | sed 's/ $//')"

# not a terminal: a plain line per step, then the daemon's error
t_check "stderr (not a terminal): a line per step" grep -qx "p1: step 1/13 address (at 0\.[0-9]s)" "$T/start.err"
t_check "  ... the second step" grep -q "^p1: step 2/13 bridge (at [0-9.]*s)$" "$T/start.err"
t_check "  ... then the daemon's reason" grep -q '^banger: .*bridge' "$T/start.err"
t_check "  no cursor control" bash -c "! grep -q \$'\\e' '$T/start.err'"
t_eq "stdout says nothing of a failed start" "" "$(cat "$T/start.out")"

# --quiet: errors only
"$B" vm start --quiet p1 > "$T/q.out" 2> "$T/q.err"
t_check "--quiet: no step lines" bash -c "! grep -q 'step 1/13' '$T/q.err'"
t_check "--quiet: the error still" grep -q '^banger: ' "$T/q.err"

# a terminal: one line rewritten in place
script -qec "$B vm start p1" /dev/null > "$T/tty.out" 2>&1
t_check "a terminal: the line is rewritten in place (CR, erase line)" grep -q $'\r\e\\[Kp1: \\[2/13\\] bridge' "$T/tty.out"
t_check "  with no line per step" bash -c "! grep -q 'step 1/13' '$T/tty.out'"

# vm run --rm whose start fails: the VM is deleted all the same, the start's error is the exit
"$B" vm run --rm --quiet gone-1 -- true > "$T/rm.out" 2> "$T/rm.err"
t_eq "vm run --rm, start failed: exit 1" 1 "$?"
t_check "  the daemon's reason is printed" grep -q '^banger: .*bridge' "$T/rm.err"
t_eq "  and the VM is deleted" not_found "$(d_code vm.get '{"name":"gone-1"}')"
t_done

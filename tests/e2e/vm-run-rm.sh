#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# banger vm run --rm NAME --image IMG -- CMD... for real (one QEMU guest at a time, in a
# private network + mount namespace): it creates, starts and runs CMD over SSH, passes CMD's
# output (stdout only CMD's) and exit status through, and deletes the VM afterwards, also when
# CMD fails and when interrupted during the start; it refuses a name that exists.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/vmm-lib.inc"
t_private_ns "$@"
LC_CONF='[vm]
ssh_timeout_sec = 150
stop_timeout_sec = 20'
. "$(dirname "$0")/lifecycle-lib.inc"
lc_setup
t_ok "bangerd-root (root) and bangerd (uid $OWNER) are up"
t_check "image import minimal" banger image import minimal --kernel "$T/img/vmlinuz" \
	--initrd "$T/img/initrd.img" --rootfs "$T/img/rootfs.ext4"
gone() { banger vm get "$1" > /dev/null 2>&1; [ $? -eq 4 ]; }

# ---- CMD fails: its output and status come through, the VM goes ----------------------------
t0=$SECONDS
# CMD goes to the guest's shell, as with ssh: one quoted string keeps its ; and >&2 there
banger vm run --rm box --image minimal -- 'echo to-stdout; echo to-stderr >&2; cat /proc/sys/kernel/random/boot_id; exit 3' \
	> "$T/out" 2> "$T/err" < /dev/null
st=$?
echo "# vm run --rm took $((SECONDS - t0)) s"
t_eq "CMD's exit status is banger's" 3 "$st"
t_eq "stdout is CMD's alone" "to-stdout" "$(head -1 "$T/out")"
t_check "  and the guest's own boot id came from inside it" grep -qE '^[0-9a-f-]{36}$' "$T/out"
t_eq "  nothing else on stdout" 2 "$(wc -l < "$T/out")"
t_check "CMD's stderr comes through" grep -qx "to-stderr" "$T/err"
t_check "banger's own lines are on stderr: created, running, deleted" bash -c \
	"grep -q '^Created VM box' '$T/err' && grep -q '^VM box is running at ' '$T/err' && grep -q '^Deleted VM box' '$T/err'"
t_check "the VM is gone" gone box
t_eq "no VM left" "" "$(banger --json vm list | jq -r '.vms[].name')"

# ---- CMD succeeds: exit 0 ----------------------------------------------------------------------
banger vm run --rm --quiet box2 -- true > "$T/out2" 2> "$T/err2" < /dev/null
t_eq "a command that succeeds: exit 0" 0 "$?"
t_eq "--quiet: nothing but CMD's (empty) output" "" "$(cat "$T/out2" "$T/err2")"
t_check "box2 is gone too" gone box2

# ---- an existing name is refused and left alone ------------------------------------------------
banger vm create keep > /dev/null
banger vm run --rm keep -- true > /dev/null 2> "$T/err3" < /dev/null
t_eq "--rm on an existing VM: exit 1" 1 "$?"
t_check "  saying why" grep -q "keep already exists: --rm runs a VM of its own" "$T/err3"
t_check "  and the VM is still there" banger vm get keep
banger vm delete keep > /dev/null

# ---- Ctrl-C during the start: the start is abandoned and the VM deleted ------------------------
( as_owner_exec "$(t_bin banger)" vm run --rm box3 -- true > "$T/out4" 2> "$T/err4" < /dev/null ) &
RPID=$!
starting() { [ "$(banger --json vm get box3 2> /dev/null | jq -r .state)" = starting ]; }
t_check "box3 is starting" t_wait 30 starting
kill -INT $RPID
wait $RPID
st=$?
t_eq "interrupted: exit 130" 130 "$st"
t_check "  says it deletes the VM" grep -q "interrupted: deleting VM box3" "$T/err4"
t_check "  and box3 is gone" gone box3
t_check "  its VMM and jail with it" bash -c "! ls '$T/var/lib/banger/jail'/*/* > /dev/null 2>&1"
t_done

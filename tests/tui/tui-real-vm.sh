#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# banger-tui against the whole real stack (tests/e2e/lifecycle-lib.inc: bangerd-root as root,
# bangerd as the owner, one QEMU guest) in tmux, run as the owner: `s` starts the VM and the row
# goes starting → running with its IP and boot id, the console pane shows the guest's own lines,
# `e` opens a real shell in the guest and the dashboard comes back, a TUI opened while the VM
# already runs shows the console's earlier lines (the vm.logs backlog), also when a live line
# came first (the backlog goes in before it, nothing twice), `S` stops it; the start shows its
# steps live in the row and the console header; the CLI's start prints its steps and a summary;
# `K` kills it.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../e2e/vmm-lib.inc"
t_private_ns "$@"
LC_CONF='[vm]
ssh_timeout_sec = 150
stop_timeout_sec = 20'
. "$(dirname "$0")/../e2e/lifecycle-lib.inc"
. "$(dirname "$0")/lib-tui.sh"
tui_require
lc_setup
t_ok "bangerd-root (root) and bangerd (uid $OWNER) are up"

t_check "image import minimal" banger image import minimal --kernel "$T/img/vmlinuz" \
	--initrd "$T/img/initrd.img" --rootfs "$T/img/rootfs.ext4"
t_check "vm create web" banger vm create web
vmget() { banger --json vm get web | jq -r ".$1 // empty"; }

# banger-tui as the owner, in a fixed-size tmux window (the tmux server itself is root's).
tui_launch_owner() {
	tmux -L "$TUI_TMUX" kill-server 2> /dev/null
	t_wait 5 _tui_no_server
	tmux -L "$TUI_TMUX" -f /dev/null new-session -d -x "$TUI_W" -y "$TUI_H" \
		"setpriv --reuid=$OWNER --regid=$OWNER --clear-groups env BANGER_ROOT=$T \
		HOME=$HOMEDIR TERM=tmux-256color LANG=C.UTF-8 TZ=UTC $(t_bin banger-tui) \
		--socket $T/run/banger/bangerd.sock; echo '[banger-tui exited]'; sleep 60"
}
t_add_cleanup "tmux -L $TUI_TMUX kill-server"
row() { tui_screen | grep -E '^.{1,3}web ' | head -1; }
_row_has() { row | grep -qE -- "$1"; }
expect_row() {
	if t_wait "${3:-20}" _row_has "$2"; then t_ok "$1"; else t_fail "$1" "no /$2/ in web's row:" "$(tui_screen)" "$(tail -n 20 "$T/bangerd.log")"; fi
}
dump_on_fail() { echo "# screen:"; tui_screen | sed 's/^/#   /'; }

tui_launch_owner
tui_expect_selected "web selected" web
expect_row "web is created" ' created '
tui_expect "its (empty) console is attached" "console: web"

# ---- s: starting → running, IP and boot id fill in ---------------------------------------------
t0=$SECONDS
tui_keys s
expect_row "s: the row shows starting" ' starting ' 30
expect_row "the row shows the start's step, n of 13 and the elapsed time, live" ' starting +[a-z_]+ [0-9]+/13 [0-9]+\.[0-9]s' 30
tui_expect_re "the console header shows it too" "starting: [a-z_]+ [0-9]+/13" 30
expect_row "the row turns running" ' running ' 240
echo "# running $((SECONDS - t0)) s after s"
BOOT=$(vmget boot_id)
IP=$(vmget ip)
t_check "vm get has a boot id and an IP" test -n "$BOOT" -a -n "$IP"
expect_row "the IP column shows $IP" " ${IP//./\\.} "
expect_row "the BOOT column shows the boot id's start (${BOOT:0:8})" " ${BOOT:0:8} "
tui_expect "the start was answered" "start web: done" 30
tui_expect_re "the console pane shows the guest's own lines, live" "^banger-ready|^banger-hostkey: ssh-" 30
tui_keys i
tui_expect "i: the inspect overlay has the whole boot id" "$BOOT"
tui_keys q
tui_expect_gone "q closes it" "$BOOT"

# ---- e: a real shell in the guest, in the same terminal ----------------------------------------
tui_keys e
tui_expect "e hands the terminal to banger vm ssh" "banger: ssh web ($IP)"
_tui_prompt() { tui_screen | grep -v 'banger: ssh' | grep -qE '[#$] *$'; }
t_check "the guest's shell prompt appears" t_wait 60 _tui_prompt || dump_on_fail
tui_keys 'cat /proc/sys/kernel/random/boot_id' Enter
tui_expect "the guest's boot id is printed in the terminal" "$BOOT" 30
tui_expect_gone "the dashboard is not drawn over the shell" "sort: name" 2
tui_keys 'exit' Enter
tui_expect "after exit the dashboard is back" "sort: name" 30
tui_expect "ssh's exit status in the status line" "ssh exited (status 0)"
tui_expect_selected "selection intact after ssh" web
expect_row "the row is intact after ssh" " running .* ${BOOT:0:8} "
tui_expect "the console pane is back" "console: web"

# ---- a TUI opened while the VM runs shows the console's earlier lines (vm.logs backlog) --------
tui_keys q
tui_expect "q quits" "[banger-tui exited]"
# As the console pane stores them: CR progress collapsed, escapes other than colours gone (the
# guest shell's prompt asks for the cursor position), tabs expanded.
banger vm logs web --tail 200 | sed 's/\r*$//; s/.*\r//; s/\x1b\[[0-9;?]*[A-Za-z]//g' | expand > "$T/logs-200"
t_eq "vm logs gives 200 lines" 200 "$(wc -l < "$T/logs-200")"
tui_launch_owner
tui_expect_selected "web selected again" web
expect_row "the new TUI shows web running" ' running '
last=$(sed 's/ *$//' "$T/logs-200" | grep -E '^[[:print:]]{4,}$' | tail -n 1)
tui_expect "the console shows a line the guest printed before this TUI started" "${last:0:60}" 20
tui_keys Enter W
tui_expect_re "W saves the console" "saved [0-9]+ lines to " 10
saved=$(ls "$HOMEDIR"/.local/state/banger/console-web-*.log 2> /dev/null | head -1)
grep -v '^-- .* --$' "$saved" > "$T/saved-lines" 2> /dev/null
t_check "the backlog reaches back to the kernel's boot messages" grep -qE '^\[ *[0-9]+\.[0-9]+\] ' "$T/saved-lines"
# Lines printed after vm logs ran would follow; the 200 backlog lines come first, in order.
head -n 200 "$T/saved-lines" > "$T/saved-head"
if cmp -s "$T/logs-200" "$T/saved-head"; then
	t_ok "the console starts with exactly the last 200 log lines, in order, none twice"
else
	t_fail "the console starts with exactly the last 200 log lines" "$(diff "$T/logs-200" "$T/saved-head" | head -n 20)"
fi
tui_keys Escape h

# ---- the backlog arriving after live lines: web's console gets a line while another VM is shown;
# showing web then brings the older lines in before it, and that line only once -------------------
tui_keys q
tui_expect "q quits" "[banger-tui exited]"
t_check "vm create other (never started: it sorts first)" banger vm create other
rm -f "$HOMEDIR"/.local/state/banger/console-web-*.log
tui_launch_owner
tui_expect_selected "other is selected first" other
expect_row "web runs in the background" ' running '
# The daemon's own event says when it has counted the line (vm.logs reads the file, which may
# be ahead of the numbering); the guest's idle shell prompt on its console starts that line.
( as_owner_exec "$(t_bin banger)" events > "$T/events.ndjson" 2>&1 ) &
EPID=$!
t_add_cleanup "kill $EPID"
t_wait 10 test -s "$T/events.ndjson"
banger vm ssh web -- 'echo tui-live-mark > /dev/console' > "$T/mark.log" 2>&1
t_wait 20 grep -q tui-live-mark "$T/events.ndjson" && t_ok "the guest's console line came as a vm.log event" ||
	t_fail "the guest's console line came as a vm.log event" "$(cat "$T/mark.log")" "$(banger vm logs web --tail 5)"
banger vm logs web --tail 200 | sed 's/\r*$//; s/.*\r//; s/\x1b\[[0-9;?]*[A-Za-z]//g' | expand > "$T/logs-200"
# Events reach the TUI in order: once a VM created after it is listed, the line is in web's
# (background) console.
t_check "vm create probe" banger vm create probe
tui_expect "the TUI lists probe: it has read the vm.log event before it" "probe"
tui_keys G
tui_expect_selected "G shows web" web
tui_expect "web's console has the line printed while it was not shown" "tui-live-mark"
tui_keys Enter W
tui_expect_re "W saves the console" "saved [0-9]+ lines to " 10
saved=$(ls "$HOMEDIR"/.local/state/banger/console-web-*.log 2> /dev/null | head -1)
grep -v '^-- .* --$' "$saved" > "$T/saved-lines" 2> /dev/null
if cmp -s "$T/logs-200" "$T/saved-lines"; then
	t_ok "the console is exactly the last 200 log lines, in order, the live one not twice"
else
	t_fail "the console is exactly the last 200 log lines" "$(diff "$T/logs-200" "$T/saved-lines" | head -n 20)"
fi
t_check "the live line is the last one, once" bash -c "tail -n 1 '$T/saved-lines' | grep -q 'tui-live-mark\$' && [ \$(grep -c tui-live-mark '$T/saved-lines') = 1 ]"
# The live line came before web's console was shown, so the attach marker follows it; the
# backlog went in before the live line (had it come first, the marker would lead).
t_check "the attach marker follows the live line: the backlog went in before it" \
	bash -c "grep -v '^\$' '$saved' | grep -A1 tui-live-mark | tail -n 1 | grep -q '^-- console attached'"
tui_keys Escape h

# ---- S + confirm: stopped ----------------------------------------------------------------------
tui_keys S
tui_expect "S asks first" "Stop web?"
tui_keys y
tui_expect_gone "the dialog closes" "Stop web?"
expect_row "the row goes stopped" ' stopped ' 60
t_eq "vm get agrees: stopped" stopped "$(vmget state)"
tui_expect "the console says the VM stopped" "VM stopped"

# ---- the CLI's start: a line per step (stderr is not a terminal), then where the time went ---
banger vm start web > "$T/start.out" 2> "$T/start.err"
t_eq "banger vm start web: exit 0" 0 "$?"
t_check "a line per step, from the first to the last" bash -c "grep -q '^web: step 1/13 address' '$T/start.err' && grep -q '^web: step 13/13 file_sync' '$T/start.err'"
t_check "then where the time went" grep -qE '^Started VM web in [0-9]+\.[0-9] s \(([a-z_]+ [0-9]+\.[0-9] s, ){3}[0-9]+ more [0-9]+\.[0-9] s\)$' "$T/start.out"
sed 's/^/# /' "$T/start.out"
expect_row "the TUI follows the CLI's start" ' running ' 60

# ---- K + confirm: killed at once, no graceful shutdown -------------------------------------------
tui_keys K
tui_expect "K asks first" "Kill web?"
t0=$SECONDS
tui_keys y
tui_expect "the kill is answered on the message line" "kill web: done (stopped)" 30
echo "# killed in $((SECONDS - t0)) s (a graceful stop waits up to stop_timeout_sec = 20 s)"
expect_row "the row goes stopped" ' stopped ' 10
t_check "faster than a graceful stop could time out" test $((SECONDS - t0)) -lt 15
tui_keys q
tui_expect "q quits" "[banger-tui exited]"
t_done

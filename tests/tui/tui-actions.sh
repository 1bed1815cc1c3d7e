#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# banger-tui actions against a real bangerd in tmux: confirm dialogs (Cancel first, cancel and
# accept), a daemon error shown readably, start without confirm, and `e` handing the terminal to
# `banger vm ssh` and getting the screen back intact.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-tui.sh"
tui_require
t_tmpdir
tui_bangerd_start
tui_image || t_fail "import a stand-in image"
tui_vm_create web-1
tui_vm_create web-2

# ssh: the real CLI when it implements `vm ssh` (it fails: no VM runs), else a stand-in that
# fails the same way, so the hand-off and the return are tested either way.
cat > "$T/fake-ssh" << 'EOS'
#!/bin/sh
echo "ssh: connect to host $1 port 22: Connection refused" >&2
exit 255
EOS
chmod +x "$T/fake-ssh"
ssh_env=
if BANGER_ROOT=$TUI_ROOT "$(t_bin banger)" vm ssh web-1 < /dev/null > /dev/null 2>&1; then
	ssh_env="BANGER_TUI_SSH=$T/fake-ssh"
	echo "# banger vm ssh is not implemented yet: using a stand-in that fails like ssh"
fi
tui_launch BANGER_ROOT=$TUI_ROOT $ssh_env
tui_expect_selected "web-1 selected" web-1

# Stop asks first, with Cancel focused; n cancels.
tui_keys S
tui_expect "stop opens a confirm dialog" "Stop web-1?"
focus_on_cancel() { tui_screen -e | grep -F '[ Cancel ]' | grep -qE $'\e\\[([0-9;]*;)?(7|48;5;75|44)m\\[ Cancel'; }
t_check "Cancel is focused first" t_wait 5 focus_on_cancel
tui_keys n
tui_expect_gone "n closes the dialog" "Stop web-1?"
tui_expect "cancel is confirmed in the status line" "cancelled"

# Enter on the focused Cancel also cancels; Tab then Enter confirms.
tui_keys S
tui_expect "dialog again" "Stop web-1?"
tui_keys Enter
tui_expect_gone "Enter on Cancel cancels" "Stop web-1?"
tui_keys S
tui_expect "dialog once more" "[ Stop ]"
tui_keys Tab Enter
tui_expect_gone "confirmed: dialog closes" "Stop web-1?"
# web-1 was never started: the daemon's "conflict" answer must be readable.
tui_expect_re "daemon error readable in the status line" "stop web-1 failed \(conflict\): .*not running"
tui_keys j
tui_expect_gone "an error toast stays until a key, then clears" "stop web-1 failed"

# K kills: it asks, says there is no graceful shutdown, and the daemon's answer is reported.
tui_keys K
tui_expect "K opens a kill dialog" "Kill web-2?"
tui_expect "it says the guest gets no graceful shutdown" "without a graceful shutdown"
tui_keys y
tui_expect_re "the kill's answer is on the message line" "kill web-2 failed \(conflict\): .*not running"
tui_keys j

# Start needs no confirm; its error is shown the same way (no bangerd-root in this suite, so
# the start fails at its first privileged step).
tui_expect_selected "web-2 selected" web-2
tui_keys s
tui_expect_re "start sends at once and shows the daemon's answer" "start web-2 failed \(unavailable\): .*bangerd-root"

# Restart confirms too; y confirms directly.
tui_keys R
tui_expect "restart opens a confirm dialog" "Restart web-2?"
tui_keys y
tui_expect_re "y confirms" "restart web-2 failed \(unavailable\)"

# Tagging: Space tags and moves down; actions apply to the tagged VMs that are visible.
tui_keys g Space Space
tui_expect "the title counts tagged VMs" "── 2 tagged ──"
t_check "tagged rows are marked" t_wait 5 _tui_grep '^.\* ?web-1'
tui_keys S
tui_expect "a bulk stop names how many" "Stop 2 VMs?"
tui_expect "and lists them" "web-1, web-2"
tui_keys y
tui_expect_re "each VM gets its own request and answer" "stop web-[12] failed \(conflict\)"
tui_keys M
tui_expect "M shows the message history" "messages"
tui_expect "the history keeps the first VM's answer" "stop web-1 failed (conflict)"
tui_expect "and the second's" "stop web-2 failed (conflict)"
tui_keys q
tui_expect_gone "q closes the history" "error stop web-1"
tui_keys / w e b - 2 Enter
tui_keys S
tui_expect "a filter narrows a bulk action to the visible tagged VMs" "Stop web-2?"
tui_keys Escape Escape
tui_keys u
tui_expect_gone "u untags everything" "tagged"

# ssh: curses is left, the command's error stays readable, a key brings the screen back.
tui_keys e
tui_expect "ssh announces what it runs" "banger: ssh web-2"
if [ -n "$ssh_env" ]; then
	tui_expect "ssh's own error is readable" "port 22: Connection refused"
else
	printed() { tui_screen | grep -v 'banger: ssh' | grep -v 'press any key' | grep -q .; }
	t_check "banger vm ssh's own error is readable" t_wait 10 printed
fi
tui_expect "the exit status is shown with a prompt" "press any key to return"
tui_expect_gone "the dashboard is not drawn over it" "sort: name"
tui_resize 80 24
tui_keys x
tui_expect "after a key the dashboard is repainted" "sort: name"
tui_expect_gone "the size is re-read on return (80 columns: BOOT dropped)" "BOOT"
tui_expect "header back" "2 VMs"
tui_expect_selected "selection intact after ssh" web-2
tui_expect_re "ssh's exit status in the status line" "ssh exited with [0-9]+"
tui_expect_gone "the ssh output is gone from the screen" "press any key to return"
# At 80x24 the stop dialog grows to its text: the last word is whole (it once read "ha").
tui_keys S
tui_expect "80x24: the stop dialog's text is whole" "force-stops what does not halt."
tui_keys n
tui_expect_gone "80x24: dialog closed" "Stop web-2?"
tui_resize 100 30

# --readonly: nothing that changes a VM or the daemon.
TUI_ARGS=--readonly tui_launch BANGER_ROOT=$TUI_ROOT
tui_expect "read-only: list drawn" "web-1"
tui_keys S
tui_expect "read-only: stop refused with a reason" "read-only mode: stop is disabled"
tui_expect_gone "read-only: no dialog" "Stop web-1?"
tui_keys s
tui_expect "read-only: start refused too" "read-only mode: start is disabled"
t_done

#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# banger-tui's console tools in tmux, driven by the fake daemon: the timestamp toggle, the mouse
# (with [ui] mouse = on: a click selects a VM and focuses the list, a click in the console
# focuses it and selects a line, the wheel scrolls) and copying through OSC 52, which tmux
# (set-clipboard on) turns into a paste buffer the test reads back.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-tui.sh"
tui_require
t_tmpdir
mkdir -p "$T/config/banger"
printf '[ui]\nmouse = on\n' > "$T/config/banger/tui.conf"
tui_fake_start --vms 3
tui_launch
tmux -L "$TUI_TMUX" set -g set-clipboard on
tui_expect_selected "vm-0000 selected" vm-0000
tui_fake lines vm-0000 5
tui_expect "its console lines" "line 5 of vm-0000"

# X10 mouse reports, as the terminal sends them: ESC [ M, button+32, column+33, row+33 (0-based);
# a press of button 1 (0) is followed by its release (3), as a click is
x10() { printf '\033[M%b%b%b' "\\x$(printf %x $(($1 + 32)))" "\\x$(printf %x $(($2 + 33)))" "\\x$(printf %x $(($3 + 33)))"; }
mouse() {
	tui_keys -l "$(x10 "$@")"
	[ "$1" = 0 ] && tui_keys -l "$(x10 3 "$2" "$3")"
	return 0
}
row_of() { tui_screen | grep -n -- "$1" | head -1 | cut -d: -f1; }
vm2=$(($(row_of ' vm-0002 ') - 1))
mouse 0 5 $vm2
tui_expect_selected "a click on a row selects that VM" vm-0002
mouse 64 5 $vm2
tui_expect_selected "the wheel up over the list moves the selection up" vm-0001
mouse 64 5 $vm2
tui_expect_selected "and again" vm-0000
tui_expect "vm-0000's console is shown" "line 5 of vm-0000"
line3=$(($(row_of '^line 3 of vm-0000') - 1))
mouse 0 2 $line3
tui_expect "a click in the console focuses it (its key hints)" "F follow"

# y copies the clicked line through OSC 52
tui_keys y
tui_expect "y copies the selected line" "copied 1 line (18 bytes) via OSC 52"
buffer_is() { [ "$(tmux -L "$TUI_TMUX" show-buffer 2> /dev/null)" = "$1" ]; }
if t_wait 5 buffer_is "line 3 of vm-0000"; then t_ok "the terminal got it (tmux's paste buffer)"; else
	t_fail "the terminal got it" "buffer: $(tmux -L "$TUI_TMUX" show-buffer 2>&1)"; fi
# a second click unselects: y copies what is visible
mouse 0 2 $line3
tui_keys y
tui_expect_re "y copies the visible console" "copied [0-9]+ lines"
has_all() { tmux -L "$TUI_TMUX" show-buffer 2> /dev/null | grep -c '^line [1-5] of vm-0000$' | grep -qx 5; }
t_check "  every visible line, in the paste buffer" t_wait 5 has_all

# t: timestamps
tui_keys t
tui_expect_re "t shows when each line arrived" "^[0-9]{2}:[0-9]{2}:[0-9]{2} line 5 of vm-0000"
tui_keys t
tui_expect_re "t again hides it" "^line 5 of vm-0000"

# the wheel over the console scrolls it (and pauses follow)
tui_fake lines vm-0000 60
tui_expect "more lines" "line 65 of vm-0000"
mouse 64 2 $line3
tui_expect "the wheel up over the console scrolls back" "PAUSED"

# :mouse off: clicks are the terminal's again
tui_keys : m o u s e Space o f f Enter
tui_expect "mouse off" "mouse off"
t_done

#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# banger-tui against a real bangerd in tmux: empty state, VMs appearing and going live, filter,
# sort, help overlay, resize (columns dropping, "too small"), colours and NO_COLOR mono.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-tui.sh"
tui_require
t_tmpdir
tui_bangerd_start
tui_launch

tui_expect "empty state says how to create a VM" "no VMs yet"
tui_expect_re "header: daemon version and connection dot" "daemon [0-9]+\.[0-9]+\.[0-9]+.* connected"
tui_expect "header: no VMs counted" "0 VMs"
tui_expect "key hints line" "? help"

tui_image || t_fail "import a stand-in image"
tui_vm_create web-1
tui_expect "a VM created after start appears live" "web-1"
tui_vm_create web-2
tui_vm_create db-1
tui_expect "header counts 3 VMs" "3 VMs"
tui_expect_re "state shown as glyph and text" "db-1 +○ created"
tui_expect_selected "the first VM stays selected as others arrive" web-1

# Sort: name ascending puts db-1 first; inverting puts web-2 first.
first_row() { tui_screen | sed -n 4p | sed 's/^>//' | awk '{print $1}'; }
_first_is() { [ "$(first_row)" = "$1" ]; }
t_check "sorted by name: db-1 first" t_wait 5 _first_is db-1
tui_keys I
tui_expect "sort inverted shows in the title" "sort: name ▼"
t_check "inverted: web-2 first" t_wait 5 _first_is web-2
tui_expect_selected "selection follows the VM, not the row" web-1
tui_keys I

# Filter as you type; Enter keeps it; Esc clears it.
tui_keys / w e b
tui_expect "filter prompt counts matches" "(2/3)"
tui_keys Enter
tui_expect "filter shows in the list title" "filter: web (2/3)"
tui_expect_gone "db-1 filtered out" "db-1"
tui_expect_selected "selection moved to a visible VM" web-1
tui_keys Escape
tui_expect "Esc clears the filter" "db-1"
tui_keys / s : c r e a t e d Enter
tui_expect "state: filter" "filter: s:created (3/3)"
tui_keys Escape

# A VM deleted elsewhere goes away live.
tui_keys j j
tui_expect_selected "moved to web-2" web-2
tui_rpc vm.delete '{"name":"web-2"}' > /dev/null
tui_expect "removal of the selected VM is announced" "web-2 removed"
row_gone() { ! tui_screen | grep -qE '^[> ] +web-2 '; }
t_check "deleted VM's row disappears" t_wait 5 row_gone
tui_expect_selected "selection moves to the neighbour" web-1

# Help overlay lists the action table, each row with the command that runs it; q closes it,
# not the program.
tui_keys '?'
tui_expect "help overlay opens" "banger-tui help"
tui_keys G
tui_expect "G scrolls the help to its end: the dialog keys" "press the focused button"
# k, one line at a time, until the row is in view (the table's length is not this test's).
stop_row='S +stop the VM or the tagged ones \(confirm\) +:stop'
up_to_stop() { _tui_grep "$stop_row" || { tui_keys k; false; }; }
if t_wait 10 up_to_stop; then t_ok "help scrolls back to the list keys: stop on S, run by :stop"; else t_fail "help scrolls back to the list keys: stop on S, run by :stop" "$(tui_screen)"; fi
tui_keys q
tui_expect_gone "q closes the overlay first" "banger-tui help"
tui_expect "still running after q on the overlay" "2 VMs"

# Inspect overlay: every field of the selected VM, untruncated.
tui_keys i
tui_expect "inspect overlay opens for the selection" "inspect web-1"
tui_expect "inspect shows fields the table has no room for" '"image": "minimal"'
tui_expect_re "inspect shows the full id" '"id": "[0-9a-f]{16,}"'
tui_keys Escape
tui_expect_gone "Esc closes inspect" "inspect web-1"

# Colours: 256-colour codes from the default theme.
colours() { tui_screen -e | grep -qF $'\e[38;5;'"$1"'m'; }
t_check "state colour from the theme (created = 245)" t_wait 5 colours 245

# Resize: columns drop by priority, then the too-small notice, then back.
tui_resize 60 20
tui_expect_gone "narrow: BOOT dropped" "BOOT"
t_check "narrow: NAME and STATE stay" t_wait 5 _tui_grep "NAME +STATE"
tui_expect_gone "narrow: PID dropped" " PID"
tui_resize 40 8
tui_expect "tiny: too-small notice" "terminal too small"
tui_resize 100 30
tui_expect "restored: all columns back" "BOOT"
tui_expect_selected "selection survived the resizes" web-1

# 8 colours (TERM=xterm): the themes' fallbacks, never colour 8 for gray text.
tui_launch TERM=xterm
tui_expect "8 colours: list drawn" "web-1"
sel8() { tui_screen -e | grep -F '> ' | grep -qE $'\e\\[([0-9]+;)*44m'; }
t_check "8 colours: selection on the fallback blue (44)" t_wait 5 sel8
no256() { ! tui_screen -e | grep -qE $'\e\\[([0-9]+;)*[34]8;5;'; }
t_check "8 colours: no 256-colour codes" no256
gray8() { tui_screen -e | grep -F 'created' | grep -qE $'\e\\[([0-9]+;)*2m'; }
t_check "8 colours: muted text is dim, not colour 8" t_wait 5 gray8

# NO_COLOR: no colour codes at all; the selection is in reverse video.
tui_launch NO_COLOR=1
tui_expect "mono: list drawn" "web-1"
nocolour() { ! tui_screen -e | grep -qE $'\e\\[[0-9;]*(3[0-7]|38;5;[0-9]+|4[0-7]|48;5;[0-9]+)m'; }
t_check "mono: no colour escape codes" nocolour
rev() { tui_screen -e | grep -F '> ' | grep -qE $'\e\\[([0-9]+;)*7m'; }
t_check "mono: selection in reverse video" rev
t_done

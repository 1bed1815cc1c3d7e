#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Live start progress in banger-tui, driven by the fake daemon's vm.start_step events (the real
# daemon's are checked by tests/integration/cli-progress.sh and, on a guest, tui-real-vm.sh):
# the starting VM's row and the console header show the step, n of N and the elapsed time,
# which keeps running between events; both go when the start ends.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-tui.sh"
tui_require
t_tmpdir
tui_fake_start
tui_fake create web
tui_fake create db
tui_launch
tui_expect_selected "db selected first" db
tui_keys j
tui_expect_selected "web selected" web

row() { tui_screen | grep -E '^.{1,3}web ' | head -1; }
_row_has() { row | grep -qE -- "$1"; }
expect_row() {
	if t_wait "${3:-10}" _row_has "$2"; then t_ok "$1"; else t_fail "$1" "no /$2/ in web's row:" "$(tui_screen)"; fi
}

tui_fake state web starting
tui_fake step web address 1 13 0
expect_row "the row shows the first step, 1 of 13, from 0 s" ' starting +address 1/13 0\.[0-9]s'
tui_fake step web boot 10 13 4200
expect_row "a later step replaces it with the daemon's elapsed time" ' starting +boot 10/13 4\.[2-9]s'
expect_row "the elapsed time runs between events" 'boot 10/13 ([5-9]|[1-9][0-9])\.[0-9]s' 5
tui_expect_re "the console header shows it too" "console: web .* starting: boot 10/13 [0-9]+\.[0-9]s"
if tui_screen | grep -E '^.{1,3}db ' | grep -q '/13'; then
	t_fail "other rows show no progress" "$(tui_screen)"
else
	t_ok "other rows show no progress"
fi
tui_fake done web running
tui_fake state web running
expect_row "once running the progress is gone" ' running '
if _row_has '/13'; then t_fail "no step left in the row" "$(row)"; else t_ok "no step left in the row"; fi
tui_expect_gone "nor in the console header" "starting: "

# a failed start: its error state clears the progress too
tui_fake state web starting
tui_fake step web tap 4 13 300
expect_row "a new start shows again" 'tap 4/13'
tui_fake state web error
expect_row "error: the progress goes with the state" ' error '
if _row_has '/13'; then t_fail "no step left after an error" "$(row)"; else t_ok "no step left after an error"; fi
t_done

#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# banger-tui losing and regaining a real bangerd: the banner with reason, countdown and "stale
# since", dimmed rows, actions refused, reconnecting by itself, and the selection, filter and
# console state surviving.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-tui.sh"
tui_require
t_tmpdir
tui_bangerd_start
tui_image || t_fail "import a stand-in image"
for n in alpha bravo charlie delta; do tui_vm_create "$n"; done
tui_launch
tui_expect "4 VMs listed" "4 VMs"
tui_keys / '!' d e l t a Enter
tui_expect "filter set" "filter: !delta (3/4)"
tui_keys j j
tui_expect_selected "charlie selected" charlie

tui_bangerd_kill
tui_expect_re "banner says disconnected, with a reason" "Disconnected \((daemon closed the connection|connection refused|socket missing)"
tui_expect_re "banner counts down to the next retry" "retry in [0-9]+s \(#[0-9]+\)"
tui_expect_re "banner says since when data is stale" "stale since [0-9]{2}:[0-9]{2}:[0-9]{2}"
tui_expect "header dot goes hollow" "○ disconnected"
dimmed() { tui_screen -e | grep -F 'alpha' | grep -qE $'\e\\[([0-9]+;)*2m'; }
t_check "rows are dimmed" t_wait 5 dimmed
tui_expect "stale rows still shown" "bravo"
tui_keys s
tui_expect "actions are refused while disconnected" "not connected: cannot start"
tui_keys S
tui_expect_gone "no confirm dialog while disconnected" "Stop charlie?"
attempt() { tui_screen | sed -n 's/.*(#\([0-9]*\)).*/\1/p' | head -1; }
a1=$(attempt)
more_attempts() { [ "$(attempt)" -gt "${a1:-0}" ]; }
t_check "it keeps retrying" t_wait 10 more_attempts

tui_bangerd_start
tui_expect "reconnects by itself" "● connected" 15
tui_expect_gone "banner gone" "Disconnected"
tui_expect_re "reconnect announced" "reconnected \(daemon [0-9.]+\)"
tui_expect_selected "selection kept across the reconnect" charlie
tui_expect "filter kept across the reconnect" "filter: !delta (3/4)"
tui_expect "console marks the disconnect" "── disconnected ──"
tui_expect_re "console marks the reconnect" "── reconnected(; lines may be missing)? ──"

# Changes made while disconnected show up after the reconnect.
tui_bangerd_kill
tui_expect "disconnected again" "○ disconnected"
tui_bangerd_start
tui_vm_create echo
tui_expect "a VM created while we were away appears" "echo" 15
tui_expect "counts updated" "5 VMs"
tui_expect_selected "selection still charlie" charlie

# Ctrl-R resyncs on demand.
tui_keys C-r
tui_expect "Ctrl-R resyncs" "resyncing"
tui_expect "connected after resync" "● connected"
tui_expect_selected "selection kept across resync" charlie
t_done

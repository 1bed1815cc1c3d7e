#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# banger-tui's daemon update (U) and reconcile (C) flows, with the fake daemon: this bangerd
# answers "unavailable" to both (tested there by tui-actions), so a stand-in that succeeds shows
# the "updating" banner, update.* progress, the restart, and the reconcile plan in its dialog.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-tui.sh"
tui_require
t_tmpdir
tui_fake_start --vms 4 --update-ok --version 1.4.2
tui_launch
tui_expect "connected to the old daemon" "daemon 1.4.2 ● connected"

tui_keys C
tui_expect "reconcile asks first" "Reconcile?"
tui_expect "the dry-run plan is in the dialog" "adopt 1: vm-0000"
tui_expect "each part of the plan" "clean 1: vm-0003"
tui_keys n
tui_expect_gone "cancelled" "Reconcile?"

tui_keys U
tui_expect "update asks first" "Update the daemon?"
tui_expect "the dialog names the installed version" "Installed daemon: 1.4.2"
tui_keys y
tui_expect_re "the banner says the daemon is updating, not an error" "Daemon updating.* waiting for it to come back"
tui_expect_gone "no disconnected error during the update" "Disconnected" 2
tui_fake_start --vms 4 --version 9.9.9
tui_expect "back on the new daemon" "daemon 9.9.9 ● connected" 15
tui_expect "the update is announced" "daemon updated: now 9.9.9"
tui_expect_gone "banner gone" "Daemon updating"
t_done

#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A VM whose published ports bangerd-root refused (vm.publish_failed, from the fake daemon: the
# real one sends it when a host port was taken between the check and the start) says so on
# banger-tui's message line, naming the VM and the reason; the VM's row keeps running.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-tui.sh"
tui_require
t_tmpdir
tui_fake_start
tui_fake create web running
tui_launch
tui_expect_re "web runs" "web +. running"
tui_expect_gone "no publish message before the event" "published ports" 1
tui_fake publish_failed web host port 18080 is taken
tui_expect "the message line names the VM and the refusal" \
	"web: published ports refused: host port 18080 is taken"
tui_expect_re "web keeps running" "web +. running"
t_done

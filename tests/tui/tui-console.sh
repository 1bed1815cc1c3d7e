#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# banger-tui's console pane, live state changes, config and themes, driven by the fake daemon
# (tests/tui/fake-bangerd.py): this bangerd has no running VMs yet, so it cannot produce vm.log
# lines or state changes; the fake speaks the same protocol (docs/protocol.md).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-tui.sh"
tui_require
t_tmpdir
mkdir -p "$T/config/banger"
cat > "$T/config/banger/tui.conf" << 'EOF2'
[console]
scrollback = 200
[keys]
stop = X
EOF2
tui_fake_start --vms 3
tui_launch BANGER_TUI_THEME_PATH="$BANGER_SRC/themes"
tui_expect_selected "vm-0000 selected" vm-0000
tui_expect "console of the selected VM, following" "console: vm-0000 ── FOLLOW"
tui_expect "attach marker" "── console attached"

tui_fake lines vm-0000 50
tui_expect "follow shows the newest line" "line 50 of vm-0000"
tui_keys Enter
tui_expect "Enter focuses the console (its hints)" "F follow"
tui_keys k k k
tui_expect "scrolling up pauses" "── PAUSED ──"
tui_fake lines vm-0000 10
tui_expect "paused: N new counted" "↓ 10 new"
tui_expect_gone "paused: the view does not move" "line 60 of vm-0000"
tui_keys G
tui_expect "G resumes following" "── FOLLOW ──"
tui_expect "and shows the newest line" "line 60 of vm-0000"

# The daemon dropping lines for a slow reader shows as a marker, and numbering carries on.
tui_fake dropped vm-0000 5321
tui_expect "dropped lines are marked" "── 5321 lines dropped by daemon (slow consumer) ──"
tui_fake lines vm-0000 1
tui_expect "lines after the drop follow" "line 5382 of vm-0000"
tui_expect_gone "no spurious 'missing' marker" "lines missing"

# Sanitising: escapes other than colours stripped, controls visible, CR progress collapsed.
printf 'log vm-0000 bell\a esc\033[2Jcleared \033]0;title\007osc \033[31mred\033[0m tab\tx\n' > "$TUI_CTL"
tui_expect "controls shown as ^X, escapes other than colours stripped" "bell^G esccleared osc red tab   x"
printf 'log vm-0000 progress 10%%\r55%%\rdone 100%%\n' > "$TUI_CTL"
tui_expect "carriage-return progress collapses to its last state" "done 100%"
tui_expect_gone "earlier progress states are gone" "55%"
red() { tui_screen -e | grep -F 'bell' | grep -qE $'\e\\[([0-9;]*;)?31m|\e\\[([0-9;]*;)?38;5;1m'; }
t_check "SGR colour kept" t_wait 5 red

# Search: jump to a match (pausing), n goes to the previous one.
tui_keys / l i n e ' ' 2 5 ' ' Enter
tui_expect "search pauses on the match" "── PAUSED ──"
tui_expect "the match is on screen" "line 25 of vm-0000"
tui_keys n
tui_expect "n on the only match wraps around, and says so" "search wrapped"
current() { tui_screen -e | grep -F 'line 25 of vm-0000' | grep -qE $'\e\\[([0-9]+;)*(48;5;214|43)m'; }
t_check "the current match is highlighted" t_wait 5 current
tui_keys G
tui_expect "G follows again" "── FOLLOW ──"

# W writes the buffer as plain text and says where.
tui_keys W
tui_expect_re "W reports the file it wrote" "saved [0-9]+ lines to .*/banger/console-vm-0000-"
saved() { grep -l "line 42 of vm-0000" "$T"/.local/state/banger/console-vm-0000-*.log; }
t_check "the file holds the console" t_wait 5 saved
plain() { grep -q 'bell^G esccleared osc red' "$T"/.local/state/banger/console-vm-0000-*.log &&
	! grep -q $'\e' "$T"/.local/state/banger/console-vm-0000-*.log; }
t_check "as plain text, without escape codes" plain

# Wrap: a long line takes several rows; w turns wrapping off.
long=$(printf 'W%.0s' $(seq 1 150))
tui_fake log vm-0000 "${long}END"
tui_expect "wrapped: the end of a long line is visible" "WWEND"
tui_keys w
tui_expect "wrap off" "── nowrap ──"
tui_expect_gone "nowrap: the end is cut" "WWEND"
tui_keys w

# Bounds: scrollback = 200 from tui.conf; older lines go.
tui_fake lines vm-0000 500
tui_expect "the buffer holds at most 200 lines" "── 200 lines"
tui_keys g
tui_expect "g jumps to the oldest kept line" "── PAUSED ──"
tui_expect_gone "lines beyond the bound are gone" "line 60 of vm-0000"
tui_keys G Tab

# Live state changes and field updates.
tui_fake state vm-0001 starting
tui_expect_re "state change shows live" "vm-0001 +▷ starting"
tui_fake set vm-0001 state=running ip=10.0.0.77 pid=4242
tui_expect_re "update shows IP and PID" "vm-0001 +▶ running +10\.0\.0\.77 +4242"
tui_fake lagged
tui_expect "a lagged resync keeps the list" "vm-0002"
tui_expect_selected "and the selection" vm-0000

# Keys from [keys]: stop is X now, S does nothing.
tui_keys S
tui_expect_gone "S unbound by the config" "Stop vm-0000?" 2
tui_keys X
tui_expect "X opens the stop dialog" "Stop vm-0000?"
tui_keys Escape
tui_expect_gone "Esc cancels" "Stop vm-0000?"

# Themes at run time.
tui_keys : t h e m e ' ' l i g h t Enter
tui_expect "theme switched" "theme: Light"
light() { tui_screen -e | grep -qF $'\e[38;5;28m'; }
t_check "light theme colours in use (running = 28)" t_wait 5 light
tui_keys : t h e m e ' ' n o s u c h Enter
tui_expect "unknown theme: error, current theme kept" "theme nosuch: No such file or directory; keeping Light"
t_done

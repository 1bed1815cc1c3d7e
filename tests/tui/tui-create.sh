#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Creating and deleting VMs from banger-tui against a real bangerd in tmux: `c` opens the create
# form prefilled with banger.conf's [vm] defaults, each field is checked as it is typed with the
# daemon's own words, Enter creates the VM (the daemon applied exactly the form's values), and
# `D` deletes it after a confirmation.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-tui.sh"
tui_require
t_tmpdir
TUI_ROOT=$T/root
mkdir -p "$TUI_ROOT/etc/banger"
printf '[vm]\nvcpus = 2\nmemory_mib = 256\n' > "$TUI_ROOT/etc/banger/banger.conf"
tui_bangerd_start
tui_image || t_fail "import a stand-in image"
tui_vm_create web-1
TUI_W=80 TUI_H=24 tui_launch BANGER_ROOT=$TUI_ROOT
tui_expect_selected "web-1 selected" web-1

tui_keys c
tui_expect "c opens the create form" "Create a VM"
tui_expect_re "vCPUs prefilled from banger.conf" "vCPUs +2 "
tui_expect_re "memory too" "memory +256 "
tui_expect_re "image: vm.create's default" "image +minimal "
tui_keys W
tui_expect "the name is checked as it is typed, in the daemon's words" "Invalid VM name \"W\": use 1-32"
tui_keys BSpace w e b - 1
tui_expect "a name that is taken is refused before asking" "A VM named \"web-1\" already exists"
tui_keys BSpace 9
tui_expect_gone "a good name clears it" "already exists"
tui_keys Tab Tab C-u 9 9
tui_expect "a number out of range says the range" "must be between 1 and 32, got 99"
tui_keys Enter
tui_expect "Enter with a wrong field sends nothing and says why" "create: Parameter \"vcpus\""
tui_keys C-u 3 Enter
tui_expect "Enter creates; the answer is on the message line" "create web-9: done (created)"
tui_expect_gone "the form closes" "Create a VM"
tui_expect_selected "the new VM is selected" web-9
got=$(tui_rpc vm.get '{"name":"web-9"}' | jq -c '[.vcpus, .memory_mib, .disk_gib, .image]')
t_eq "the daemon created it with the form's values" '[3,256,4,"minimal"]' "$got"
BANGER_ROOT=$TUI_ROOT "$(t_bin banger)" vm create cli-1 > /dev/null
t_eq "banger.conf's defaults are the daemon's: the CLI gets them too" "2 256" \
	"$(tui_rpc vm.get '{"name":"cli-1"}' | jq -r '"\(.vcpus) \(.memory_mib)"')"

# the daemon's own refusal keeps the form open with its reason
tui_keys c
tui_expect "the form again" "Create a VM"
tui_keys n e w Tab C-u n o - s u c h Enter
tui_expect_re "the daemon's refusal is shown in the form" "Image \"no-such\" not found.*"
tui_expect "and the form stays open" "Create a VM"
tui_keys Escape
tui_expect_gone "Esc closes it" "Create a VM"

# D: delete with confirmation
tui_expect_selected "web-9 still selected" web-9
tui_keys D
tui_expect "D asks first" "Delete web-9?"
tui_expect "saying what goes" "record, disk and console log are removed"
tui_keys y
tui_expect_gone "the row is gone" "> web-9"
tui_keys M
tui_expect "the delete's answer is in the message history" "delete web-9: done"
tui_keys q
t_check "the daemon has no web-9" bash -c "python3 '$TUI_DIR/rpc.py' '$TUI_SOCK' vm.get '{\"name\":\"web-9\"}' | grep -q not_found"
t_done

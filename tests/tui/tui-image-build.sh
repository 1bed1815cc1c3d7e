#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Building an image from banger-tui's images view against a real bangerd in tmux: b opens a
# picker of the recipes banger image build finds; the build runs as a child whose output shows,
# line by line, in the view and on the message line; the built image appears in the list; a
# failing recipe's exit status and last lines come up in a dialog; X (or Esc) cancels after a
# confirmation and the child and the recipe are gone; quitting during a build asks first.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-tui.sh"
t_require_root # the minimal recipe reads /boot/vmlinuz-*, mode 0600 root on Debian
tui_require
[ -x "$(t_bin banger)" ] || t_skip_all "banger is not built in $BANGER_BUILD"
t_tmpdir
tui_bangerd_start

R=$T/recipes
mkdir -p "$R/broken" "$R/slow" "$T/tmp"
ln -s "$BANGER_SRC/images/minimal" "$R/minimal"
printf '#!/bin/sh\necho "broken: step one"\necho "broken: the compiler went away" >&2\nexit 3\n' \
	> "$R/broken/build"
printf '#!/bin/sh\necho $$ > %s/slow.pid\ni=0\nwhile :; do i=$((i + 1)); echo "slow: tick $i"; sleep 0.3; done\n' \
	"$T" > "$R/slow/build"
chmod +x "$R/broken/build" "$R/slow/build"

# no banger image build (nor its recipe) of this test still running
_no_build() { ! pgrep -f "image build $1" > /dev/null && ! { [ -f "$T/slow.pid" ] && kill -0 "$(cat "$T/slow.pid")"; }; }
_status_line() { tui_screen | sed -n "$((TUI_H - 1))p"; }

TUI_W=110 tui_launch BANGER_ROOT=$TUI_ROOT BANGER_IMAGES_DIR=$R TMPDIR=$T/tmp
tui_keys v
tui_expect "the images view says how to get an image" "b: build one"
tui_expect "the hints offer building" "b build"

tui_keys b
tui_expect "b opens the recipe picker" "Build an image"
tui_expect "listing every recipe found" "  broken"
tui_expect "minimal preselected" "> minimal"
tui_expect "saying what it does" "Runs banger image build minimal, then imports the result as image"

tui_keys Enter
tui_expect_re "the build's first steps show in the view" "building minimal \([0-9]+s\): build: \[[12]/5\]" 60
first=$(tui_screen | grep -oE "build: \[[0-9]/5\][^(]*" | head -1)
tui_expect_re "then later ones: the progress changes as it runs" \
	"building minimal \([0-9]+s\): (build: \[[4-5]/5\]|Importing image minimal)" 120
t_check "and it was not the same line ($first)" bash -c "! tmux -L $TUI_TMUX capture-pane -p | grep -qF '$first'"
tui_expect_re "the message line follows the build too" "build minimal \([0-9]+s\): " 60
tui_keys b
tui_expect "a second build is refused while one runs" "build minimal is running: one at a time" 5
tui_expect_re "the build's result on the message line" "build minimal: done in [0-9]+s, image minimal imported" 180
tui_expect_re "the new image is in the list (bzImage, both sizes)" "> minimal +[0-9.]+ MiB" 20
t_check "the daemon has it" tui_rpc image.get '{"name":"minimal"}'
tui_expect_gone "the progress row goes" "building minimal"
t_eq "the build directory is gone" "" "$(ls "$T/tmp")"

# a failing recipe: its exit status and last lines in a dialog
tui_keys b
tui_expect "the picker again" "Build an image"
tui_expect "warning that minimal exists now" "An image of that name exists"
tui_keys k
tui_expect "k picks broken" "> broken"
tui_keys Enter
tui_expect "the failure opens a dialog with the exit status" "build broken failed (exit status 1)" 30
tui_expect "and the recipe's last lines" "broken: the compiler went away"
tui_expect "and banger's own reason" "recipe broken failed with exit status 3"
tui_keys q
tui_expect_gone "q closes it" "build broken failed (exit status 1)"
tui_keys M
tui_expect "the reason stays in the message history" "build broken failed with exit status 1"
tui_keys q

# cancel: X asks, n keeps it running, y stops the child and the recipe
tui_keys b j Enter
tui_expect_re "slow runs" "building slow \([0-9]+s\): slow: tick [0-9]+" 30
tui_expect_re "its ticks advance" "building slow \([0-9]+s\): slow: tick ([4-9]|[1-9][0-9])" 30
t_check "its recipe runs" t_wait 10 test -s "$T/slow.pid"
tui_keys X
tui_expect "X asks before cancelling" "Cancel the build of slow?"
tui_keys n
tui_expect_gone "n closes the dialog" "Cancel the build of slow?"
t_check "and the build goes on" pgrep -f "image build slow"
tui_keys Escape
tui_expect "Esc in the images view asks too" "Cancel the build of slow?"
tui_keys y
tui_expect_re "the build is reported cancelled" "build slow: cancelled after [0-9]+s" 20
t_check "banger image build and its recipe are gone" t_wait 10 _no_build slow
t_check "banger removed its build directory" t_wait 10 bash -c "[ -z \"\$(ls '$T/tmp')\" ]"
t_check "nothing was imported" bash -c "python3 '$TUI_DIR/rpc.py' '$TUI_SOCK' image.get '{\"name\":\"slow\"}' | grep -q not_found"

# quitting during a build asks first, and then stops it
rm -f "$T/slow.pid"
tui_keys b j Enter
tui_expect_re "slow runs again" "building slow \([0-9]+s\): slow: tick" 30
tui_keys q
tui_expect "q asks while a build runs" "Quit while slow is building?"
tui_keys n
tui_expect_gone "n stays" "Quit while slow is building?"
t_check "still building" pgrep -f "image build slow"
tui_keys q
tui_expect "asked again" "Quit while slow is building?"
tui_keys y
tui_expect "y quits" "[banger-tui exited]"
t_check "and the build is stopped with it" t_wait 10 _no_build slow
t_done

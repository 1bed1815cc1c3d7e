# SPDX-License-Identifier: LGPL-2.1-or-later
# Helpers for the banger-tui tmux tests (sourced after tests/lib.sh; not a test itself): a real
# bangerd under a private BANGER_ROOT, the fake daemon, banger-tui in a fixed-size tmux window,
# and polling the screen (never sleeping for a fixed time before an assertion).
TUI_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TUI_TMUX="tuitest-$$"
TUI_W=100
TUI_H=30

tui_require() {
	command -v tmux > /dev/null || t_skip_all "tmux is missing"
	command -v python3 > /dev/null || t_skip_all "python3 is missing"
	[ -x "$(t_bin banger-tui)" ] || t_skip_all "banger-tui is not built in $BANGER_BUILD"
	export LANG=C.UTF-8 TZ=UTC
}

# tui_bangerd_start: a real bangerd with its own root; sets TUI_ROOT, TUI_SOCK, TUI_DAEMON_PID.
tui_bangerd_start() {
	[ -x "$(t_bin bangerd)" ] || t_skip_all "bangerd is not built in $BANGER_BUILD"
	TUI_ROOT=${TUI_ROOT:-$T/root}
	mkdir -p "$TUI_ROOT"
	TUI_SOCK=$TUI_ROOT/run/banger/bangerd.sock
	BANGER_ROOT=$TUI_ROOT "$(t_bin bangerd)" --foreground --allow-root --heartbeat 1 \
		>> "$T/bangerd.log" 2>&1 &
	TUI_DAEMON_PID=$!
	t_add_cleanup "kill $TUI_DAEMON_PID"
	t_wait 10 tui_rpc hello '{"protocol":1,"program":"test","version":"0"}' ||
		t_skip_all "bangerd did not come up: $(tail -3 "$T/bangerd.log")"
}

tui_bangerd_kill() {
	kill "$TUI_DAEMON_PID" 2> /dev/null
	wait "$TUI_DAEMON_PID" 2> /dev/null
}

# tui_fake_start ARGS...: the fake daemon (tests/tui/fake-bangerd.py) with a control FIFO.
tui_fake_start() {
	TUI_SOCK=$T/fake.sock
	TUI_CTL=$T/fake.ctl
	[ -p "$TUI_CTL" ] || mkfifo "$TUI_CTL"
	python3 "$TUI_DIR/fake-bangerd.py" --socket "$TUI_SOCK" --control "$TUI_CTL" "$@" \
		>> "$T/fake.log" 2>&1 &
	TUI_DAEMON_PID=$!
	t_add_cleanup "kill $TUI_DAEMON_PID"
	t_wait 10 test -S "$TUI_SOCK" || t_skip_all "the fake daemon did not come up"
}

tui_fake() { echo "$*" > "$TUI_CTL"; }

tui_rpc() { python3 "$TUI_DIR/rpc.py" "$TUI_SOCK" "$@"; }

# tui_image: a stand-in kernel and rootfs imported as image "minimal", the default image
# (enough for vm.create; nothing boots it).
tui_image() {
	head -c 4096 /dev/urandom > "$T/vmlinux"
	head -c 65536 /dev/zero > "$T/rootfs.ext4"
	# The answer may come late (or, in this bangerd, not at all): wait for the image instead.
	timeout 20 python3 "$TUI_DIR/rpc.py" "$TUI_SOCK" image.import \
		"{\"name\":\"minimal\",\"kernel\":\"$T/vmlinux\",\"rootfs\":\"$T/rootfs.ext4\"}" \
		> /dev/null 2>&1 &
	t_wait 20 tui_rpc image.get '{"name":"minimal"}'
}

# tui_vm_create NAME: through the CLI when it can, else the same call over the socket.
tui_vm_create() {
	BANGER_ROOT=$TUI_ROOT "$(t_bin banger)" vm create "$1" > /dev/null 2>&1
	tui_rpc vm.get "{\"name\":\"$1\"}" > /dev/null 2>&1 ||
		tui_rpc vm.create "{\"name\":\"$1\"}" > /dev/null
}

# tui_launch [VAR=value...]: banger-tui in a detached tmux window of TUI_W x TUI_H (options
# from TUI_ARGS).
tui_launch() {
	tmux -L "$TUI_TMUX" kill-server 2> /dev/null
	t_wait 5 _tui_no_server
	tmux -L "$TUI_TMUX" -f /dev/null new-session -d -x "$TUI_W" -y "$TUI_H" \
		"env TERM=tmux-256color LANG=C.UTF-8 TZ=UTC HOME=$T XDG_CONFIG_HOME=$T/config $* \
		$(t_bin banger-tui) --socket $TUI_SOCK ${TUI_ARGS:-}; echo '[banger-tui exited]'; sleep 60"
	t_add_cleanup "tmux -L $TUI_TMUX kill-server"
}

_tui_no_server() { ! tmux -L "$TUI_TMUX" has-session 2> /dev/null; }
tui_screen() { tmux -L "$TUI_TMUX" capture-pane -p "$@"; }
tui_keys() { tmux -L "$TUI_TMUX" send-keys "$@"; }
tui_resize() { tmux -L "$TUI_TMUX" resize-window -x "$1" -y "$2"; }

_tui_has() { tui_screen | grep -qF -- "$1"; }
_tui_lacks() { ! tui_screen | grep -qF -- "$1"; }
_tui_line_has() { tui_screen | sed -n "$1p" | grep -qF -- "$2"; }
_tui_grep() { tui_screen | grep -qE -- "$1"; }

# tui_expect DESC TEXT [SECONDS]: ok once TEXT is on screen; otherwise fails and shows it.
tui_expect() {
	if t_wait "${3:-10}" _tui_has "$2"; then t_ok "$1"; else t_fail "$1" "no \"$2\" on screen:" "$(tui_screen)"; fi
}
tui_expect_re() {
	if t_wait "${3:-10}" _tui_grep "$2"; then t_ok "$1"; else t_fail "$1" "no /$2/ on screen:" "$(tui_screen)"; fi
}
tui_expect_gone() {
	if t_wait "${3:-10}" _tui_lacks "$2"; then t_ok "$1"; else t_fail "$1" "\"$2\" still on screen:" "$(tui_screen)"; fi
}
# The selected row's name (the list marks it with '>' in the first column).
tui_selected() { tui_screen | sed -n 's/^> *\([^ ]*\).*/\1/p' | head -1; }
_tui_selected_is() { [ "$(tui_selected)" = "$1" ]; }
tui_expect_selected() {
	if t_wait "${3:-10}" _tui_selected_is "$2"; then t_ok "$1"; else t_fail "$1" "selected: '$(tui_selected)', want '$2'" "$(tui_screen)"; fi
}

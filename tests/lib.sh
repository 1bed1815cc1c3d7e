# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared shell helpers for tests/{integration,e2e,tui}: TAP output, temporary roots, private
# namespaces, polling. Source it; call t_done at the end.
#
#   t_ok DESC / t_fail DESC [WHY] / t_skip DESC WHY      one TAP line each
#   t_check DESC CMD...                                  ok when CMD exits 0
#   t_eq DESC EXPECTED ACTUAL                            ok when equal (shows both otherwise)
#   t_wait SECONDS CMD...                                polls CMD every 0.1 s until it succeeds
#   t_skip_all WHY                                       prints why and exits 77
#   t_require_root                                       skip-all unless uid 0
#   t_private_ns "$@"                                    re-executes the script inside a new
#                                                        network + mount namespace (once)
#   t_own_mountns CMD...                                 runs CMD in a mount namespace of its
#                                                        own, a slave of the test's (as a unit's)
#   "${T_OWN_MOUNTNS[@]}" CMD... &                       the same in the background, $! = CMD
#   t_tmpdir                                             sets T to a fresh dir removed at exit
set -u
: "${BANGER_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${BANGER_BUILD:=$BANGER_SRC/build}"
export BANGER_SRC BANGER_BUILD
_t_n=0
_t_failed=0
_t_cleanups=()

t_ok() { _t_n=$((_t_n + 1)); echo "ok $_t_n - $1"; }
t_fail() {
	_t_n=$((_t_n + 1)); _t_failed=$((_t_failed + 1))
	echo "not ok $_t_n - $1"
	[ $# -gt 1 ] && printf '#   %s\n' "${@:2}"
	return 0
}
t_skip() { _t_n=$((_t_n + 1)); echo "ok $_t_n - $1 # SKIP $2"; }
t_check() {
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then t_ok "$desc"; else t_fail "$desc" "command: $*" "${out:0:2000}"; fi
}
t_eq() {
	if [ "$2" = "$3" ]; then t_ok "$1"; else t_fail "$1" "expected: $2" "actual:   $3"; fi
}
t_wait() {
	local deadline=$((SECONDS + $1))
	shift
	while ! "$@" > /dev/null 2>&1; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.1
	done
}
t_skip_all() { echo "# SKIP $*"; echo "1..0 # SKIP $*"; exit 77; }
t_require_root() { [ "$(id -u)" -eq 0 ] || t_skip_all "needs root (CI runs as root)"; }
t_private_ns() {
	if [ -z "${_T_IN_NS:-}" ]; then
		t_require_root
		command -v unshare > /dev/null || t_skip_all "unshare (util-linux) is missing"
		export _T_IN_NS=1
		exec unshare --net --mount --propagation private -- "$0" "$@"
	fi
	ip link set lo up
	# Private from the host (above), shared inside: a namespace made with t_own_mountns then
	# sees the test's later mounts, and the test never sees its mounts: systemd's arrangement.
	mount --make-rshared /
}
# systemd gives bangerd-root a mount namespace of its own (ProtectSystem= and friends), a slave
# of the host's; every test that starts the helper starts it this way, never in the test's own.
# As a prefix of a background command (CMD &), so that $! is the program's own pid (unshare
# execs it): "${T_OWN_MOUNTNS[@]}" prog args &
T_OWN_MOUNTNS=(unshare --mount --propagation slave --)
t_own_mountns() { "${T_OWN_MOUNTNS[@]}" "$@"; }
t_add_cleanup() { _t_cleanups+=("$*"); }
_t_run_cleanups() {
	local i
	for ((i = ${#_t_cleanups[@]} - 1; i >= 0; i--)); do eval "${_t_cleanups[$i]}" > /dev/null 2>&1 || true; done
}
trap _t_run_cleanups EXIT
t_tmpdir() {
	T=$(mktemp -d /tmp/banger-test.XXXXXX)
	if [ -n "${BANGER_TEST_KEEP:-}" ]; then
		echo "# BANGER_TEST_KEEP: leaving $T in place"
	else
		t_add_cleanup "rm -rf --one-file-system '$T'" # never into a mount left behind
	fi
}
t_bin() { echo "$BANGER_BUILD/$1"; }
t_done() {
	echo "1..$_t_n"
	[ "$_t_failed" -eq 0 ]
}

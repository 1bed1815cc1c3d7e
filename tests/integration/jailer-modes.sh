#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# banger-jailer's launch modes against the documented contract (firecracker-notes.md a.3, a.5,
# a.6): --daemonize, --new-pid-ns (and both), --netns, --resource-limit, cgroups v2 (--cgroup
# under the parent cgroup; the move into an existing parent without --cgroup) and v1, and the
# order of the privilege steps as seen by strace. Root, private mount + network namespace; the
# jailed program is tests/unit/jailer-probe, with a /proc staged in the jail so it can report its
# namespaces, cgroups and capabilities.
. "$(dirname "$0")/../lib.sh"
t_private_ns "$@"
t_tmpdir

J=$(t_bin banger-jailer)
PROBE_BIN=$(t_bin tests/unit/jailer-probe)
[ -x "$J" ] || t_skip_all "banger-jailer is not built"
[ -x "$PROBE_BIN" ] || t_skip_all "tests/unit/jailer-probe is not built (make check TESTS= builds it)"
JUID=65534 JGID=65534
mkdir -p "$T/base"
cp "$PROBE_BIN" "$T/probe"
NAME=probe

kv() { sed -n "s/^$2=//p" "$1"; }
# stage ID: sets R to a jail root with /proc mounted in it, as a caller may pre-stage the chroot.
stage() {
	R=$T/base/$NAME/$1/root
	mkdir -p "$R/proc"
	mount -t proc proc "$R/proc"
	t_add_cleanup "umount -l '$R/proc'"
}
jail() { # ID ARGS... (after the common ones); output in $T/out, $T/err
	local id=$1
	shift
	"$J" --id "$id" --exec-file "$T/probe" --uid $JUID --gid $JGID --chroot-base-dir "$T/base" \
		"$@" > "$T/out" 2> "$T/err"
}
alive() { kill -0 "$1" 2> /dev/null; }

# --- --daemonize --------------------------------------------------------------------------------
stage d1
jail d1 --daemonize -- --probe-sleep 3 &
jpid=$!
wait $jpid
t_eq "--daemonize: the jailer exits 0" "0" "$?"
t_eq "--daemonize: nothing on the caller's stdout/stderr" "" "$(cat "$T/out" "$T/err")"
if t_wait 10 test -s "$R/probe.out"; then
	pid=$(cat "$R/$NAME.pid")
	t_eq "--daemonize: pid file names the exec'd process" "$pid" "$(kv "$R/probe.out" pid)"
	t_check "--daemonize: it is neither the jailer nor its child" \
		test "$pid" != "$jpid" -a "$(kv "$R/probe.out" ppid)" != "$jpid"
	t_check "--daemonize: own session (setsid), not its leader (second fork)" \
		test "$(kv "$R/probe.out" sid)" != "$pid" -a "$(kv "$R/probe.out" sid)" = "$(kv "$R/probe.out" pgid)"
	t_eq "--daemonize: stdin/out/err are /dev/null (1:3)" "0:1:3 1:1:3 2:1:3" \
		"$(kv "$R/probe.out" fdchr | tr '\n' ' ' | sed 's/ $//')"
	t_check "--daemonize: still running after the jailer exited" alive "$pid"
	kill -9 "$pid" 2> /dev/null
else
	t_fail "--daemonize: the probe ran" "$(cat "$T/err")"
fi

# --- --new-pid-ns -------------------------------------------------------------------------------
stage p1
jail p1 --new-pid-ns -- --probe-sleep 5
t_eq "--new-pid-ns: the jailer (parent) exits 0" "0 " "$? $(cat "$T/err")"
pid=$(cat "$R/$NAME.pid" 2> /dev/null)
t_check "--new-pid-ns: pid file written before the parent exits, without a newline" \
	test -n "$pid" -a "$(stat -c %s "$R/$NAME.pid")" = "${#pid}"
if [ -n "$pid" ] && t_wait 10 test -s "$R/probe.out"; then
	t_eq "--new-pid-ns: the pid file's pid is pid 1 of a new namespace (NStgid)" "$pid 1" \
		"$(awk '/^NStgid:/ { print $2, $3 }' "/proc/$pid/status")"
	t_eq "--new-pid-ns: the exec'd program sees itself as pid 1" "1" "$(kv "$R/probe.out" pid)"
	t_eq "--new-pid-ns: same drop to uid/gid" "$JUID,$JUID,$JUID $JGID,$JGID,$JGID" \
		"$(kv "$R/probe.out" uid) $(kv "$R/probe.out" gid)"
	kill -9 "$pid"
else
	t_fail "--new-pid-ns: the probe ran" "$(cat "$T/err")"
fi

stage dp
jail dp --new-pid-ns --daemonize -- --probe-sleep 5
t_eq "--daemonize --new-pid-ns: exit 0" "0" "$?"
if t_wait 10 test -s "$R/probe.out"; then
	pid=$(cat "$R/$NAME.pid")
	t_eq "--daemonize --new-pid-ns: pid file holds the host pid of the namespace's pid 1" "$pid 1" \
		"$(awk '/^NStgid:/ { print $2, $3 }' "/proc/$pid/status")"
	t_eq "--daemonize --new-pid-ns: stdio is /dev/null" "0:1:3 1:1:3 2:1:3" \
		"$(kv "$R/probe.out" fdchr | tr '\n' ' ' | sed 's/ $//')"
	kill -9 "$pid"
else
	t_fail "--daemonize --new-pid-ns: the probe ran" "$(cat "$T/err")"
fi

# --- --netns, --resource-limit --------------------------------------------------------------
touch "$T/netns"
unshare --net="$T/netns" true
t_add_cleanup "umount '$T/netns'"
stage n1
jail n1 --netns "$T/netns" --resource-limit fsize=1048576 --resource-limit no-file=512
t_eq "--netns: launch succeeds" "0 " "$? $(cat "$T/err")"
t_eq "--netns: the exec'd program is in that network namespace" "net:[$(stat -L -c %i "$T/netns")]" \
	"$(kv "$R/probe.out" netns)"
t_eq "--resource-limit no-file: soft and hard" "512,512" "$(kv "$R/probe.out" nofile)"
t_eq "--resource-limit fsize: soft and hard" "1048576,1048576" "$(kv "$R/probe.out" fsize)"
jail n2 --netns "$T/no-such-netns"
t_eq "--netns missing: refused" \
	"1 Failed to open file $T/no-such-netns: No such file or directory (os error 2)" \
	"$? $(head -n1 "$T/err")"
jail n3 --netns "$T/probe"
t_eq "--netns not a namespace: setns refused" \
	"1 Failed to join network namespace: netns: Invalid argument (os error 22)" \
	"$? $(head -n1 "$T/err")"

# --- cgroup v2 ----------------------------------------------------------------------------------
unified=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
cg_rm() { # remove cgroup dirs, deepest first, once their processes are gone
	local d
	for d in "$@"; do
		t_add_cleanup "rmdir '$d'"
	done
}
if [ -z "$unified" ]; then
	t_skip "cgroup v2" "no cgroup2 mount on this host"
elif ! mkdir "$unified/banger-jt-$$" 2> /dev/null; then
	t_skip "cgroup v2" "cgroup2 at $unified is not writable here"
else
	parent=banger-jt-$$
	cg_rm "$unified/$parent"
	spec=
	for c in $(cat "$unified/cgroup.controllers"); do
		case $c in
		pids) spec=pids.max=50 ;;
		memory) spec=memory.max=536870912 ;;
		cpu) spec=cpu.weight=100 ;;
		hugetlb) [ -e "$unified/$parent/hugetlb.2MB.max" ] && spec=hugetlb.2MB.max=4194304 ;;
		esac
		[ -n "$spec" ] && break
	done
	if [ -z "$spec" ]; then
		t_skip "cgroup v2 --cgroup" "no usable controller in $unified/cgroup.controllers"
	else
		stage c2
		cg_rm "$unified/$parent/c2"
		jail c2 --cgroup-version 2 --parent-cgroup "$parent" --cgroup "$spec"
		t_eq "v2 --cgroup $spec: launch succeeds" "0 " "$? $(cat "$T/err")"
		t_eq "v2: value written to <unified>/<parent>/<id>/${spec%%=*} with a newline" \
			"${spec#*=}" "$(cat "$unified/$parent/c2/${spec%%=*}")"
		t_check "v2: +${spec%%.*} enabled in the root's and the parent's subtree_control" \
			bash -c "grep -qw '${spec%%.*}' '$unified/cgroup.subtree_control' && grep -qw '${spec%%.*}' '$unified/$parent/cgroup.subtree_control'"
		t_eq "v2: the exec'd program runs in <parent>/<id>" "0::/$parent/c2" \
			"$(kv "$R/probe.out" cgroup | grep '^0::')"
	fi
	refuse_ctl=
	for c in pids memory cpu io cpuset rdma misc hugetlb; do
		grep -qw "$c" "$unified/cgroup.controllers" || { refuse_ctl=$c; break; }
	done
	if [ -n "$refuse_ctl" ]; then
		jail c3 --cgroup-version 2 --parent-cgroup "$parent" --cgroup "$refuse_ctl.max=1"
		t_eq "v2: a controller not in cgroup.controllers is refused" \
			"1 Controller $refuse_ctl is unavailable" "$? $(head -n1 "$T/err")"
	fi

	# Without --cgroup: a move into the parent when it exists.
	mkdir "$unified/banger-jt-move-$$"
	cg_rm "$unified/banger-jt-move-$$"
	stage m1
	jail m1 --cgroup-version 2 --parent-cgroup "banger-jt-move-$$"
	t_eq "v2 without --cgroup: launch succeeds" "0 " "$? $(cat "$T/err")"
	t_eq "v2 without --cgroup: moved into the existing parent cgroup" "0::/banger-jt-move-$$" \
		"$(kv "$R/probe.out" cgroup | grep '^0::')"
	t_check "v2 without --cgroup: no child cgroup created" test ! -e "$unified/banger-jt-move-$$/m1"
	stage m2
	jail m2 --cgroup-version 2 --parent-cgroup "banger-jt-none-$$"
	t_eq "v2 without --cgroup, no such parent: stays in the caller's cgroup" \
		"0 $(grep '^0::' /proc/self/cgroup)" "$? $(kv "$R/probe.out" cgroup | grep '^0::')"
	# A parent with domain controllers enabled cannot take processes.
	ctl=$(tr ' ' '\n' < "$unified/cgroup.subtree_control" | grep -m1 .)
	if [ -n "$ctl" ] && echo "+$ctl" > "$unified/banger-jt-move-$$/cgroup.subtree_control" 2> /dev/null; then
		jail m3 --cgroup-version 2 --parent-cgroup "banger-jt-move-$$"
		rc=$?
		t_eq "v2 move into a parent with controllers enabled: CgroupMove" \
			"1 Failed to move process to cgroup ($unified/banger-jt-move-$$): Device or resource busy (os error 16)." \
			"$rc $(head -n1 "$T/err")"
		t_eq "CgroupMove carries upstream's hint" \
			"Hint: If you intended to create a child cgroup under $unified/banger-jt-move-$$, pass any --cgroup parameters." \
			"$(sed -n 2p "$T/err")"
	else
		t_skip "v2 CgroupMove refusal" "no domain controller can be enabled below the root here"
	fi
fi

# --- cgroup v1 --------------------------------------------------------------------------------
pids_v1=$(awk '$3 == "cgroup" && $4 ~ /(^|,)pids(,|$)/ { print $2; exit }' /proc/mounts)
cpuset_v1=$(awk '$3 == "cgroup" && $4 ~ /(^|,)cpuset(,|$)/ { print $2; exit }' /proc/mounts)
if [ -z "$pids_v1" ] || [ -z "$cpuset_v1" ]; then
	t_skip "cgroup v1" "no v1 pids and cpuset hierarchies on this host"
else
	parent=banger-jt1-$$
	stage v1
	cg_rm "$pids_v1/$parent" "$pids_v1/$parent/v1" "$cpuset_v1/$parent" "$cpuset_v1/$parent/v1"
	cpu0=$(cut -d, -f1 < "$cpuset_v1/cpuset.cpus" | cut -d- -f1)
	jail v1 --cgroup-version 1 --parent-cgroup "$parent" --cgroup pids.max=50 \
		--cgroup "cpuset.cpus=$cpu0" --cgroup cpuset.mems=0
	t_eq "v1: launch succeeds (values written before any pid is attached)" "0 " "$? $(cat "$T/err")"
	t_eq "v1: pids.max in <mount>/<parent>/<id>" "50" "$(cat "$pids_v1/$parent/v1/pids.max")"
	t_eq "v1: an empty parent property is inherited from above" "$(cat "$cpuset_v1/cpuset.mems")" \
		"$(cat "$cpuset_v1/$parent/cpuset.mems")"
	t_check "v1: the exec'd program runs in both cgroups" \
		bash -c "grep -qx 'cgroup=[0-9]*:pids:/$parent/v1' '$R/probe.out' && grep -qx 'cgroup=[0-9]*:cpuset:/$parent/v1' '$R/probe.out'"
fi

# --- the order of the privilege steps ------------------------------------------------------------
if command -v strace > /dev/null; then
	jail_trace() {
		strace -f -o "$T/trace" -e trace=unshare,mount,pivot_root,umount2,setgid,setgroups,setuid,execve \
			"$J" --id s1 --exec-file "$T/probe" --uid $JUID --gid $JGID --chroot-base-dir "$T/base" \
			> "$T/out" 2> "$T/err"
	}
	jail_trace
	steps=$(sed -n 's/^[0-9]* *\([a-z0-9_]*\)(\(.*\)$/\1 \2/p' "$T/trace" | tail -n +2 |
		sed -E 's/^(mount) NULL, "\/".*MS_REC\|MS_SLAVE.*/\1-slave/; s/^(mount) "[^"]*", "[^"]*", NULL, MS_BIND\|MS_REC.*/\1-bind/;
			s/^(execve) "\/probe".*/\1-jailed/; s/^(unshare) CLONE_NEWNS.*/\1-mnt/; s/^(pivot_root) "\.", "old_root".*/\1/;
			s/^(umount2) "old_root", MNT_DETACH.*/\1/; s/^(setgid|setuid) 65534.*/\1/; s/^(setgroups) 0, NULL.*/\1/' |
		grep -v '^execve "' | tr '\n' ' ' | sed 's/ $//')
	t_eq "privilege steps in upstream's order" \
		"unshare-mnt mount-slave mount-bind pivot_root umount2 setgid setgroups setuid execve-jailed" "$steps"
else
	t_skip "privilege step order" "strace is not installed"
fi
t_done

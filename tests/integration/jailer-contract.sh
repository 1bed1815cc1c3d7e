#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# banger-jailer against the jailer's documented command-line contract (firecracker-notes.md a):
# chroot layout, owners and modes, the copied exec file, device nodes, the pid file, what the
# exec'd program receives (argv, environment, descriptors, ids), a pre-staged chroot, and every
# documented refusal with its exit status and text. Runs as root in a private mount namespace;
# the jailed program is tests/unit/jailer-probe, which reports from inside the jail.
. "$(dirname "$0")/../lib.sh"
t_private_ns "$@"
t_tmpdir

J=$(t_bin banger-jailer)
PROBE_BIN=$(t_bin tests/unit/jailer-probe)
[ -x "$J" ] || t_skip_all "banger-jailer is not built"
[ -x "$PROBE_BIN" ] || t_skip_all "tests/unit/jailer-probe is not built (make check TESTS= builds it)"
JUID=65534 JGID=65534

kv() { sed -n "s/^$2=//p" "$1"; }
mode_owner() { stat -c '%a %u:%g' "$1"; }
node() { # path -> "type major:minor mode uid:gid"
	printf '%s %d:%d %s' "$(stat -c %F "$1")" "0x$(stat -c %t "$1")" "0x$(stat -c %T "$1")" "$(mode_owner "$1")"
}

# The exec file is reached through a symlink: the jail takes the resolved name.
mkdir -p "$T/bin" "$T/base"
cp "$PROBE_BIN" "$T/bin/probe-v1.2.3"
chmod 0751 "$T/bin/probe-v1.2.3"
ln -s probe-v1.2.3 "$T/bin/probe"
NAME=probe-v1.2.3
ROOT=$T/base/$NAME/vm-1/root

# --- a plain launch --------------------------------------------------------------------------
exec 7< /etc/hostname 9> "$T/leak"
FOO=bar BANGER_SECRET=x "$J" --id vm-1 --exec-file "$T/bin/probe" --uid $JUID --gid $JGID \
	--chroot-base-dir "$T/base" -- --api-sock /run/api.sock --probe-exit 3 -- tail \
	> "$T/out" 2> "$T/err" &
jpid=$!
wait $jpid
rc=$?
exec 7<&- 9>&-
t_eq "the jailer becomes the exec file (its exit status)" 3 "$rc"
t_eq "nothing on stderr" "" "$(cat "$T/err")"
P=$ROOT/probe.out
[ -f "$P" ] || { t_fail "the probe ran inside the jail" "no $P"; t_done; exit 1; }

t_eq "chroot dir is <base>/<resolved exec name>/<id>/root" "directory 700 $JUID:$JGID" \
	"$(stat -c %F "$ROOT") $(mode_owner "$ROOT")"
for d in dev dev/net run; do
	t_eq "/$d: directory 0700 uid:gid" "directory 700 $JUID:$JGID" \
		"$(stat -c %F "$ROOT/$d") $(mode_owner "$ROOT/$d")"
done
t_eq "/dev/net/tun: char 10:200 0600 uid:gid" "character special file 10:200 600 $JUID:$JGID" \
	"$(node "$ROOT/dev/net/tun")"
t_eq "/dev/kvm: char 10:232 0600 uid:gid" "character special file 10:232 600 $JUID:$JGID" \
	"$(node "$ROOT/dev/kvm")"
t_eq "/dev/urandom: char 1:9 0600 uid:gid" "character special file 1:9 600 $JUID:$JGID" \
	"$(node "$ROOT/dev/urandom")"
uffd=$(awk '$2 == "userfaultfd" { print $1 }' /proc/misc)
if [ -n "$uffd" ]; then
	t_eq "/dev/userfaultfd: char 10:$uffd (from /proc/misc) 0600 uid:gid" \
		"character special file 10:$uffd 600 $JUID:$JGID" "$(node "$ROOT/dev/userfaultfd")"
else
	t_check "/dev/userfaultfd absent when /proc/misc has none" test ! -e "$ROOT/dev/userfaultfd"
fi

t_eq "exec file copied: regular, source mode, uid:gid, one link" "regular file 751 $JUID:$JGID 1" \
	"$(stat -c '%F %a %u:%g %h' "$ROOT/$NAME")"
t_check "exec file copy is not the source inode" \
	test "$(stat -c %d:%i "$ROOT/$NAME")" != "$(stat -c %d:%i "$T/bin/$NAME")"
t_check "exec file copy has the source's bytes" cmp -s "$ROOT/$NAME" "$T/bin/$NAME"

t_eq "pid file holds the pid without a newline" "$jpid" "$(cat "$ROOT/$NAME.pid")"
t_eq "pid file size is the digits only" "${#jpid}" "$(stat -c %s "$ROOT/$NAME.pid")"
t_eq "pid file is root's (written before the privilege drop)" "0:0" "$(stat -c %u:%g "$ROOT/$NAME.pid")"
t_eq "the exec file runs as the jailer's own pid" "$jpid" "$(kv "$P" pid)"

argv=$(kv "$P" argv | tr '\n' ' ')
re="^/$NAME --id vm-1 --start-time-us [0-9]+ --start-time-cpu-us [0-9]+ --parent-cpu-time-us [0-9]+ --api-sock /run/api.sock --probe-exit 3 -- tail $"
if [[ $argv =~ $re ]]; then t_ok "argv: /<name> --id --start-time-us --start-time-cpu-us --parent-cpu-time-us, then the words after --"; else t_fail "argv as documented" "got: $argv"; fi
start_us=$(kv "$P" argv | sed -n '/^--start-time-us$/{n;p}')
if now_us=$(python3 -c 'import time; print(time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000)' 2> /dev/null); then
	t_check "--start-time-us is CLOCK_MONOTONIC in microseconds (within the last minute)" \
		test "$start_us" -gt $((now_us - 60000000)) -a "$start_us" -le "$now_us"
else
	t_skip "--start-time-us is CLOCK_MONOTONIC" "python3 is not installed to read that clock"
fi
t_eq "environment cleared" "0" "$(kv "$P" envc)"
t_eq "only stdin, stdout, stderr survive" "0 1 2" "$(kv "$P" fd | tr '\n' ' ' | sed 's/ $//')"
t_eq "uid real/effective/saved" "$JUID,$JUID,$JUID" "$(kv "$P" uid)"
t_eq "gid real/effective/saved" "$JGID,$JGID,$JGID" "$(kv "$P" gid)"
t_eq "supplementary groups dropped" "0" "$(kv "$P" groupc)"
t_eq "cwd is the jail's /" "/" "$(kv "$P" cwd)"
t_eq "the jail's / is the chroot dir" "$(stat -c %d:%i "$ROOT")" "$(kv "$P" root)"
t_eq "old_root unmounted and removed" "absent" "$(kv "$P" old_root)"
t_eq "RLIMIT_NOFILE defaults to 2048 (soft and hard)" "2048,2048" "$(kv "$P" nofile)"
t_eq "RLIMIT_FSIZE untouched by default" "unlimited" "$(kv "$P" fsize)"

# --- the same id again: mknod meets the existing nodes -----------------------------------------
"$J" --id vm-1 --exec-file "$T/bin/probe" --uid $JUID --gid $JGID --chroot-base-dir "$T/base" \
	> "$T/out" 2> "$T/err"
t_eq "re-using an id fails with exit 1" 1 $?
t_eq "re-using an id: mknod EEXIST" \
	"Failed to create /dev/net/tun via mknod inside the jail: File exists (os error 17)" \
	"$(head -n1 "$T/err")"
t_eq "then Rust's Error: <Debug> line" \
	'Error: MknodDev(Os { code: 17, kind: AlreadyExists, message: "File exists" }, "/dev/net/tun")' \
	"$(sed -n 2p "$T/err")"

# --- a chroot pre-staged the way bangerd-root does it -------------------------------------------
R2=$T/base/$NAME/vm-2/root
mkdir -p "$R2/usr/lib" "$R2/proc"
head -c 4096 /dev/urandom > "$T/kernel"
ln "$T/kernel" "$R2/vmlinux"                  # hard-linked kernel
mknod "$R2/rootfs" b 7 0 && chown $JUID:$JGID "$R2/rootfs" && chmod 0600 "$R2/rootfs"
mount --bind -o ro /usr/lib "$R2/usr/lib" && mount -o remount,bind,ro "$R2/usr/lib"
mount -t proc proc "$R2/proc"
head -c 3000000 /dev/zero > "$R2/$NAME"      # a longer stale copy of the exec file, mode 0644
t_add_cleanup "umount -l '$R2/usr/lib' '$R2/proc'"
"$J" --id vm-2 --exec-file "$T/bin/$NAME" --uid $JUID --gid $JGID --chroot-base-dir "$T/base" \
	-- --probe-exit 0 > "$T/out" 2> "$T/err"
t_eq "pre-staged chroot: launch succeeds" "0 " "$? $(cat "$T/err")"
P2=$R2/probe.out
t_check "pre-staged: exec file overwritten to exactly the source" cmp -s "$R2/$NAME" "$T/bin/$NAME"
t_eq "pre-staged: exec file gets the source's mode and uid:gid" "751 $JUID:$JGID 1" \
	"$(stat -c '%a %u:%g %h' "$R2/$NAME")"
t_eq "pre-staged: hard-linked kernel kept" "$(stat -c %i "$T/kernel") 2" "$(stat -c '%i %h' "$R2/vmlinux")"
t_eq "pre-staged: block node kept" "block special file 7:0 600 $JUID:$JGID" "$(node "$R2/rootfs")"
t_check "pre-staged: the read-only /usr/lib bind is visible in the jail" \
	grep -Eq '^mnt=[0-9]+ [0-9]+ [0-9]+:[0-9]+ [^ ]+ /usr/lib ro,' "$P2"
t_check "pre-staged: the jail's root is the chroot bind" grep -Eq '^mnt=[0-9]+ [0-9]+ [^ ]+ [^ ]+ / ' "$P2"
t_check "pre-staged: no host mount is reachable (only /, /usr/lib, /proc)" \
	test "$(grep -c '^mnt=' "$P2")" -eq 3
t_eq "pre-staged: no capabilities after the exec" "0000000000000000" \
	"$(kv "$P2" status | sed -n 's/^CapEff:[[:space:]]*//p')"

# --- destinations that must be refused --------------------------------------------------------
R3=$T/base/$NAME/vm-3/root
mkdir -p "$R3"
touch "$T/other"
ln "$T/other" "$R3/$NAME"
"$J" --id vm-3 --exec-file "$T/bin/$NAME" --uid $JUID --gid $JGID --chroot-base-dir "$T/base" \
	> "$T/out" 2> "$T/err"
t_eq "hard-linked exec destination refused (exit 1)" 1 $?
t_eq "hard link message" "Detected hard link at: $R3/$NAME" "$(head -n1 "$T/err")"
t_eq "hard-linked file left untouched" 0 "$(stat -c %s "$T/other")"
R4=$T/base/$NAME/vm-4/root
mkdir -p "$R4"
ln -s /etc/passwd "$R4/$NAME"
"$J" --id vm-4 --exec-file "$T/bin/$NAME" --uid $JUID --gid $JGID --chroot-base-dir "$T/base" \
	> "$T/out" 2> "$T/err"
t_eq "symlinked exec destination refused (O_NOFOLLOW)" \
	"1 Failed to open file $R4/$NAME: Too many levels of symbolic links (os error 40)" \
	"$? $(head -n1 "$T/err")"

# --- refusals before anything is touched -----------------------------------------------------
mkdir -p "$T/empty-base"
refuse() { # DESC EXPECTED-FIRST-LINE ARGS...
	local desc=$1 want=$2 rc
	shift 2
	"$J" "$@" > "$T/out" 2> "$T/err"
	rc=$?
	if [ "$rc" = 1 ] && [ "$(head -n1 "$T/err")" = "$want" ] &&
		sed -n 2p "$T/err" | grep -q '^Error: ' && [ ! -s "$T/out" ] &&
		[ -z "$(ls -A "$T/empty-base")" ]; then
		t_ok "refused: $desc"
	else
		t_fail "refused: $desc" "exit $rc (want 1)" "want: $want" "stderr: $(cat "$T/err")" \
			"base now holds: $(ls -A "$T/empty-base")"
	fi
}
ok=(--id vm --exec-file "$T/bin/probe" --uid $JUID --gid $JGID --chroot-base-dir "$T/empty-base")
refuse "no arguments" "Failed to parse arguments: Argument 'exec-file' required, but not found."
refuse "--opt=value form" \
	"Failed to parse arguments: Found argument 'id=vm' which wasn't expected, or isn't valid in this context." \
	--id=vm --exec-file "$T/bin/probe" --uid 1 --gid 1
refuse "unknown option" \
	"Failed to parse arguments: Found argument 'node' which wasn't expected, or isn't valid in this context." \
	"${ok[@]}" --node 0
refuse "duplicate option" "Failed to parse arguments: The argument 'uid' was provided more than once." \
	"${ok[@]}" --uid 0
refuse "option without its value" \
	"Failed to parse arguments: The argument 'netns' requires a value, but none was supplied." \
	"${ok[@]}" --netns --daemonize
refuse "uid missing" "Failed to parse arguments: Argument 'uid' required, but not found." \
	--id vm --exec-file "$T/bin/probe" --gid 1 --chroot-base-dir "$T/empty-base"
refuse "gid missing" "Failed to parse arguments: Argument 'gid' required, but not found." \
	--id vm --exec-file "$T/bin/probe" --uid 1 --chroot-base-dir "$T/empty-base"
refuse "uid not a number" "Invalid uid: nobody" \
	--id vm --exec-file "$T/bin/probe" --uid nobody --gid 1 --chroot-base-dir "$T/empty-base"
refuse "empty id" "Invalid instance ID: Invalid len (0);  the length must be between 1 and 64" \
	--id "" --exec-file "$T/bin/probe" --uid 1 --gid 1 --chroot-base-dir "$T/empty-base"
refuse "id of 65 chars" "Invalid instance ID: Invalid len (65);  the length must be between 1 and 64" \
	--id "$(printf 'a%.0s' {1..65})" --exec-file "$T/bin/probe" --uid 1 --gid 1 --chroot-base-dir "$T/empty-base"
for bad in vm_1 vm.1 vm:1 "vm 1" ../x; do
	c=$(grep -o '[^A-Za-z0-9-]' <<< "$bad" | head -n1)
	pos=$(($(expr index "$bad" "$c") - 1))
	refuse "id '$bad'" "Invalid instance ID: Invalid char ($c) at position $pos" \
		--id "$bad" --exec-file "$T/bin/probe" --uid 1 --gid 1 --chroot-base-dir "$T/empty-base"
done
refuse "missing exec file" \
	"Failed to canonicalize path $T/nope: No such file or directory (os error 2)" \
	--id vm --exec-file "$T/nope" --uid 1 --gid 1 --chroot-base-dir "$T/empty-base"
refuse "exec file not a file" "$T/bin is not a file" \
	--id vm --exec-file "$T/bin" --uid 1 --gid 1 --chroot-base-dir "$T/empty-base"
refuse "missing chroot base" \
	"Failed to canonicalize path $T/nobase: No such file or directory (os error 2)" \
	--id vm --exec-file "$T/bin/probe" --uid 1 --gid 1 --chroot-base-dir "$T/nobase"
refuse "chroot base not a directory" "$T/kernel is not a directory" \
	--id vm --exec-file "$T/bin/probe" --uid 1 --gid 1 --chroot-base-dir "$T/kernel"
refuse "gid out of range" "Invalid gid: 4294967296" \
	--id vm --exec-file "$T/bin/probe" --uid 1 --gid 4294967296 --chroot-base-dir "$T/empty-base"
refuse "absolute parent cgroup" \
	"Parent cgroup path is invalid. Path should not be absolute or contain '..' or '.'" \
	"${ok[@]}" --parent-cgroup /sys
refuse "cgroup version not a number" "two is an invalid cgroup version specifier" \
	"${ok[@]}" --cgroup-version two --cgroup pids.max=1
refuse "cgroup version 3" "3 is an invalid cgroup version specifier" \
	"${ok[@]}" --cgroup-version 3 --cgroup pids.max=1
if grep -q ' cgroup2 ' /proc/mounts; then
	refuse "cgroup without '='" "Invalid format for cgroups: pids.max" \
		"${ok[@]}" --cgroup-version 2 --cgroup pids.max
	refuse "cgroup with an empty value" "Invalid format for cgroups: pids.max=" \
		"${ok[@]}" --cgroup-version 2 --cgroup pids.max=
	refuse "cgroup file without a controller" "Cgroup invalid file: pidsmax" \
		"${ok[@]}" --cgroup-version 2 --cgroup pidsmax=1
	refuse "cgroup file escaping the cgroup" "Cgroup invalid file: ../pids.max" \
		"${ok[@]}" --cgroup-version 2 --cgroup ../pids.max=1
	refuse "unknown cgroup v2 controller" "Controller nosuch is unavailable" \
		"${ok[@]}" --cgroup-version 2 --cgroup nosuch.max=1
else
	t_skip "cgroup v2 spec refusals" "no cgroup2 mount on this host"
fi
refuse "resource limit without '='" "Invalid format for resources limits: fsize" \
	"${ok[@]}" --resource-limit fsize
refuse "unknown resource limit" "Invalid resource argument: stack" \
	"${ok[@]}" --resource-limit stack=1
refuse "resource limit not a number" "Invalid limit value for resource: lots: invalid digit found in string" \
	"${ok[@]}" --resource-limit no-file=lots

# --- --version and --help ---------------------------------------------------------------------
version=$(cat "$BANGER_SRC/VERSION")
"$J" --id x --bogus --version > "$T/out" 2> "$T/err"
t_eq "--version wins over bad options, exit 0" "0" "$?"
t_eq "--version prints name, version and an empty line" "$(printf 'banger-jailer %s\n\n' "$version" | od -c)" "$(od -c < "$T/out")"
"$J" --uid 1 -h > "$T/out" 2> "$T/err"
t_eq "-h exits 0" 0 $?
t_check "--help lists required and optional arguments" \
	grep -qz 'required arguments:.*--exec-file <exec-file>.*optional arguments:.*--cgroup-version <cgroup-version> .*\[default: 1\]' "$T/out"
t_check "--help says where the exec file's arguments go" \
	grep -q '^Any arguments after the -- separator will be supplied to the jailed binary.$' "$T/out"
t_done

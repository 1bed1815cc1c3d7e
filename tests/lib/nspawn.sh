# SPDX-License-Identifier: LGPL-2.1-or-later
# A real systemd as PID 1 for tests: a systemd-nspawn container booted over a RAM overlay of the
# host's own root (the host's /usr, /etc and build trees are visible; every write goes to RAM and
# the host is never changed), with a private network (only lo). How and why:
# ../shared/reference/systemd-container.md. Source it after tests/lib.sh.
#
#   ns_require                 skips the whole suite (exit 77, with the reason) when no container
#                              can boot here
#   ns_boot [NSPAWN-ARGS...]   boots one; sets NS_NAME, NS_ROOT (its / seen from the host),
#                              NS_LEADER (its PID 1 as the host sees it); halts it at exit.
#                              A function ns_preboot, when the suite defines one, runs just
#                              before boot with NS_ROOT ready: files to add, units to enable
#   ns_exec CMD...             runs CMD inside (all namespaces), as a host-side process
#   ns_sh SCRIPT               ns_exec bash -c SCRIPT
#   ns_svc CMD...              runs CMD as a transient service of the container's systemd
#   ns_halt                    halts it (also done at exit)
NS_NAME= NS_ROOT= NS_LEADER= NS_PID= _ns_base=

ns_require() {
	t_require_root
	command -v systemd-nspawn > /dev/null || t_skip_all "systemd-nspawn is missing (package systemd-container)"
	command -v nsenter > /dev/null || t_skip_all "nsenter (util-linux) is missing"
	[ -d /sys/fs/cgroup ] || t_skip_all "no cgroup file system at /sys/fs/cgroup"
	grep -qw overlay /proc/filesystems || modprobe overlay 2> /dev/null ||
		t_skip_all "the kernel has no overlay file system"
}

# Puts the calling shell in a cgroup of its own in every hierarchy systemd uses here, as
# systemd-nspawn --keep-unit wants when there is no systemd on the host.
_ns_cgroup() {
	local d
	for d in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified /sys/fs/cgroup; do
		[ -e "$d/cgroup.procs" ] || continue
		mkdir -p "$d/$NS_NAME" && echo "$BASHPID" > "$d/$NS_NAME/cgroup.procs" || return 1
		[ "$d" = /sys/fs/cgroup ] && break # a pure cgroup2 host: one hierarchy
	done
	return 0
}

# rmdir of a cgroup tree, deepest first (the container's systemd leaves its own below ours).
_ns_cgroup_rm() {
	local d
	for d in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified /sys/fs/cgroup; do
		[ -d "$d/$NS_NAME" ] || continue
		find "$d/$NS_NAME" -depth -type d -exec rmdir {} + 2> /dev/null
	done
}

ns_boot() {
	local i state
	NS_NAME=bgt$$$RANDOM
	_ns_base=$(mktemp -d /var/tmp/banger-nspawn.XXXXXX)
	NS_ROOT=$_ns_base/root
	mkdir -p "$_ns_base/rw" "$NS_ROOT"
	# Host / read-only underneath, RAM on top. The tmpfs is not nodev: device nodes the helper
	# and the jailer make in the container's /var/lib must open.
	mount -t tmpfs -o mode=0755,size=8g tmpfs "$_ns_base/rw" || return 1
	mkdir -p "$_ns_base/rw/upper" "$_ns_base/rw/work"
	mount -t overlay overlay \
		-o "lowerdir=/,upperdir=$_ns_base/rw/upper,workdir=$_ns_base/rw/work" "$NS_ROOT" || return 1
	t_add_cleanup ns_halt
	systemd-id128 new > "$NS_ROOT/etc/machine-id"
	# nothing the host enabled starts in here; what we need is enabled by the test
	rm -f "$NS_ROOT"/etc/systemd/system/*.wants/* "$NS_ROOT"/etc/systemd/system/*.requires/*
	for i in systemd-firstboot.service systemd-timesyncd.service apt-daily.timer \
		apt-daily-upgrade.timer man-db.timer e2scrub_all.timer fstrim.timer \
		postgresql.service redis-server.service nginx.service memcached.service; do
		ln -sf /dev/null "$NS_ROOT/etc/systemd/system/$i"
	done
	mkdir -p "$NS_ROOT/etc/systemd/system.conf.d"
	printf '[Manager]\nDefaultTimeoutStopSec=15s\nDefaultTimeoutStartSec=60s\n' \
		> "$NS_ROOT/etc/systemd/system.conf.d/50-banger-test.conf"
	# the host's banger installation, if any, is not the container's
	rm -rf "$NS_ROOT/etc/banger" "$NS_ROOT/var/lib/banger" "$NS_ROOT/var/log/banger"
	if declare -F ns_preboot > /dev/null; then
		ns_preboot || return 1
	fi
	(
		_ns_cgroup || exit 1
		exec timeout --signal=TERM --kill-after=20 1800 systemd-nspawn \
			--directory="$NS_ROOT" --machine="$NS_NAME" --boot --register=no \
			--keep-unit --private-network --console=read-only --link-journal=no \
			--resolv-conf=off --timezone=off --capability=all "$@"
	) > "$_ns_base/console.log" 2>&1 &
	NS_PID=$!
	for i in $(seq 100); do
		local np
		np=$(pgrep -P "$NS_PID" -x systemd-nspawn) && NS_LEADER=$(pgrep -P "$np" -x systemd) && break
		sleep 0.1
	done
	if [ -z "$NS_LEADER" ]; then
		echo "# the container did not start:"; sed 's/^/#   /' "$_ns_base/console.log" | tail -20
		return 1
	fi
	for i in $(seq 300); do
		state=$(ns_exec systemctl is-system-running 2> /dev/null)
		case $state in running | degraded) break ;; esac
		sleep 0.1
	done
	case $state in
	running | degraded) echo "# container $NS_NAME booted ($state) in $((i / 10)).$((i % 10)) s, leader pid $NS_LEADER" ;;
	*)
		echo "# the container did not finish booting (state: ${state:-none}):"
		sed 's/^/#   /' "$_ns_base/console.log" | tail -20
		return 1
		;;
	esac
}

ns_exec() { nsenter -t "$NS_LEADER" -a "$@"; }
ns_sh() { nsenter -t "$NS_LEADER" -a bash -c "$1"; }
ns_svc() { nsenter -t "$NS_LEADER" -a systemd-run --quiet --wait --pipe --collect "$@"; }

ns_halt() {
	[ -n "$NS_PID" ] || return 0
	local np i
	np=$(pgrep -P "$NS_PID" -x systemd-nspawn)
	[ -n "$np" ] && kill -TERM "$np" 2> /dev/null
	for i in $(seq 300); do kill -0 "$NS_PID" 2> /dev/null || break; sleep 0.1; done
	if kill -0 "$NS_PID" 2> /dev/null; then
		# a halt that hangs: its PID 1 takes its whole pid namespace with it
		[ -n "$NS_LEADER" ] && kill -KILL "$NS_LEADER" 2> /dev/null
		sleep 1
	fi
	wait "$NS_PID" 2> /dev/null
	umount "$NS_ROOT" 2> /dev/null || umount -l "$NS_ROOT"
	umount "$_ns_base/rw" 2> /dev/null || umount -l "$_ns_base/rw"
	_ns_cgroup_rm
	rm -rf "/run/systemd/nspawn/propagate/$NS_NAME" "$_ns_base"
	NS_PID= NS_LEADER=
}

#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bangerd-root against hostile input: every case must be refused with a clear error and leave the
# kernel's view (links, nftables, mounts) and banger's directories exactly as they were.
. "$(dirname "$0")/../lib.sh"
t_private_ns "$@"
. "$(dirname "$0")/helper-common.inc"
command -v jq > /dev/null || t_skip_all "jq is missing"
command -v nft > /dev/null || t_skip_all "nft is missing"

h_setup
h_install
h_network 172.31.9.0/24
h_start || t_skip_all "bangerd-root did not start"
state=$T/var/lib/banger/state
vm=$state/vms/keep
mkdir -p "$vm"
head -c 4096 /dev/urandom > "$vm/kernel"
: > "$vm/console.log"
: > "$vm/disk"
truncate -s 1M "$vm/base"
ln "$vm/base" "$vm/base-link"
printf 'base-image' > "$vm/img" && truncate -s 1M "$vm/img" # a base with one link
mkfifo "$vm/fifo"
chown -R "$H_UID:$H_GID" "$state"
echo secret > "$T/rootfile" && chmod 0644 "$T/rootfile"
mkdir -p "$T/stolen" && chown "$H_UID:$H_GID" "$T/stolen" # where the owner tries to put things
ip link add eth9 type ifb && ip link set eth9 up

# Kernel interfaces that look like the owner's regular files (issue 11, item 3).
printf '0x7f\n' > "$vm/filter" # a one-link base whose content is a valid coredump_filter
chown "$H_UID:$H_GID" "$vm/filter"
setpriv --reuid="$H_UID" --regid="$H_GID" --clear-groups sleep infinity & # outlives the run: a case late in a slow run still needs it
SLEEPER=$!
t_add_cleanup "kill $SLEEPER"
# These mounts are the host's own kernel objects seen through this test's mount namespace (a
# cgroup2 mount is the host's cgroup tree): each is unmounted before $T is removed, so that the
# removal never walks into one. Cleanups run last-registered first.
pmount() { # TYPE DIR [OPTIONS]
	mkdir -p "$2" && mount -t "$1" ${3:+-o "$3"} "$1" "$2" 2> /dev/null && t_add_cleanup "umount -l '$2'"
}
pmount sysfs "$T/sys" # this network namespace's view: eth9 is ours
pmount hugetlbfs "$T/huge" "uid=$H_UID,gid=$H_GID,mode=0755" &&
	setpriv --reuid="$H_UID" --regid="$H_GID" --clear-groups touch "$T/huge/file"
pmount mqueue "$T/mq" && setpriv --reuid="$H_UID" --regid="$H_GID" --clear-groups touch "$T/mq/banger-hostile-$$" &&
	t_add_cleanup "rm -f '$T/mq/banger-hostile-$$'"
pmount cgroup2 "$T/cg2" && mkdir "$T/cg2/banger-hostile-$$" &&
	chown -R "$H_UID:$H_GID" "$T/cg2/banger-hostile-$$" && t_add_cleanup "rmdir '$T/cg2/banger-hostile-$$'"
pmount debugfs "$T/debug"
pmount tracefs "$T/trace"
pmount securityfs "$T/security"
pmount configfs "$T/config"

# Things that exist and must survive every case.
h_call net.bridge_ensure '{"address":"172.31.9.1/24"}' > /dev/null
h_call net.tap_create '{"tap":"bgt-keep"}' > /dev/null
h_call nat.ensure '{"subnet":"172.31.9.0/24"}' > /dev/null
h_call jail.stage '{"vm_id":"keep"}' --fd kernel="$vm/kernel" > /dev/null
nft add table ip other

snap() {
	# Not operstate: a bridge's carrier settles on its own after a port joins.
	ip -j link | jq -c '[.[] | [.ifname, .master, (.flags | index("UP") != null)]]'
	ip -4 -j addr | jq -c '[.[] | [.ifname, [.addr_info[]? | "\(.local)/\(.prefixlen)"]]]'
	ip -4 -j route show table all | jq -c '[.[] | del(.expires, .flags)]'
	nft -j list ruleset | jq -c 'del(.nftables[0])'
	# the helper's mounts (its own namespace) and the host's (the test's)
	awk -v p="$T" 'index($5, p) == 1 { print "helper", $5, $6 }' "/proc/$H_PID/mountinfo"
	awk -v p="$T" 'index($5, p) == 1 { print "host", $5, $6 }' /proc/self/mountinfo
	# The read-only binds under a jail's usr/ are the host's own trees: the mount table covers them.
	find "$T/var/lib/banger" "$T/run" "$T/stolen" -path "$T/var/lib/banger/jail/*/root/usr" -prune \
		-o -printf '%p %y %U %m %s %n\n' 2> /dev/null | sort
	# device nodes banger could make in the host's /dev (other software makes loop nodes there
	# too: loop devices count when backed by this test's files), processes, sysctls
	find /dev/mapper -maxdepth 1 \( -type b -o -type c -o -type l \) -printf '%p %U %G %m\n' 2> /dev/null | sort
	losetup -J 2> /dev/null | jq -c --arg t "$T" '[.loopdevices[]? | select(."back-file" | startswith($t)) | [.name, ."back-file"]]'
	# processes of this test's banger (the uid is shared with other software): whatever runs in a
	# jail under $T or names $T, and the helper's own children
	# (one process for the scan: a fork or two per process took seconds per case on a busy host)
	python3 -c '
import os, sys
t, me = sys.argv[1], os.getpid()
for p in sorted(int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != me):
    try:
        root = os.readlink("/proc/%d/root" % p)
        cmd = open("/proc/%d/cmdline" % p, "rb").read().replace(b"\0", b" ").decode(errors="replace")
        comm = open("/proc/%d/comm" % p).read().strip()
    except OSError:
        continue
    if (t in root or t in cmd) and comm not in ("bash", "awk", "find", "sort", "cat", "jq", "grep"):
        print(p, comm)
' "$T"
	ps --ppid "$H_PID" -o pid=,comm= | sort
	cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv4/conf/all/forwarding
	# kernel interfaces the owner can open for writing
	cat "/proc/$SLEEPER/coredump_filter" "/proc/$SLEEPER/oom_score_adj" "$T/sys/class/net/eth9/ifalias"
	cat "$T/cg2/banger-hostile-$$/cgroup.procs" "$T/huge/file" "$T/mq/banger-hostile-$$" 2> /dev/null
}

# hcase DESC REGEX CMD...: the answer must be an error matching REGEX (or, for connection-level
# refusals, contain it), and nothing may change.
hcase() {
	local desc=$1 re=$2 before after out msg
	shift 2
	before=$(snap)
	out=$("$@" 2>&1)
	after=$(snap)
	msg=$(printf '%s' "$out" | jq -rs 'map(.error.message // empty) | join(" | ")' 2> /dev/null)
	if [ -z "$msg" ] || ! [[ "$msg" =~ $re ]]; then
		t_fail "$desc" "expected an error matching: $re" "answer: ${out:0:500}"
	elif [ "$before" != "$after" ]; then
		t_fail "$desc" "refused, but something changed:" "$(diff <(echo "$before") <(echo "$after") | head -20)"
	else
		t_ok "$desc: $msg"
	fi
}
raw() { printf '%s' "$1" | setpriv --reuid=$H_UID --regid=$H_GID --clear-groups "$(t_bin bangerd-root-call)" --socket "$H_SOCK" --raw "${@:2}"; }
rawreq() { raw "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":$2}"$'\n' "${@:3}"; }
long=$(printf 'a%.0s' $(seq 1 70))
export PYTHONDONTWRITEBYTECODE=1
# py_as UID GID SCRIPT ARGS...: Python as that uid with helper_rpc importable (root.sock is $1)
py_as() {
	local uid=$1 gid=$2 script=$3
	shift 3
	setpriv --reuid="$uid" --regid="$gid" --clear-groups env PYTHONPATH="$BANGER_SRC/tests/integration" \
		/usr/bin/python3 -c "$script" "$H_SOCK" "$@"
}

# Who may connect.
out=$(h_call_as 4242 hello '{"protocol":1}' 2>&1)
if [[ "$out" == *"Permission denied"* ]]; then
	t_ok "another uid cannot even connect (the socket's ACL)"
else
	t_fail "another uid cannot even connect (the socket's ACL)" "answer: $out"
fi
# /run/banger is root:<owner group> 1770: let uid 4242 through the directory too
setfacl -m u:4242:x "$(dirname "$H_SOCK")"
setfacl -m u:4242:rw "$H_SOCK"
hcase "connection from another uid that reaches the socket" "uid 4242 is not the banger owner" h_call_as 4242 hello '{"protocol":1}'
setfacl -x u:4242 "$H_SOCK"
hcase "connection from root" "uid 0 is not the banger owner" h_call_as 0 hello '{"protocol":1}'

# Ops and fields.
hcase "unknown op" "Unknown op" h_call system.shell '{"cmd":"id"}'
hcase "unknown op close to a real one" "Unknown op" h_call net.tap_create2 '{"tap":"bgt-x"}'
hcase "unknown op with a trailing space" "Unknown op" h_call "net.tap_create " '{"tap":"bgt-x"}'
# the owner chooses when to update, never what: update.start takes no URL, version or file
for p in '{"url":"file:///tmp/evil/manifest.json"}' '{"from":"http://192.0.2.1/m.json"}' \
	'{"version":"0.0.1"}' '{"allow_downgrade":true}' '{"fds":["tarball"]}'; do
	hcase "update.start naming a release ($p)" "Unknown parameter" h_call update.start "$p"
done
hcase "unknown field" "Unknown parameter \"mode\"" h_call net.tap_create '{"tap":"bgt-x","mode":"0777"}'
hcase "unknown field on a no-argument op" "Unknown parameter" h_call nat.remove '{"all":true}'
hcase "unknown field next to a valid request" "Unknown parameter \"path\"" h_call jail.cleanup '{"vm_id":"keep","path":"/"}'
hcase "missing required field" "Missing parameter \"tap\"" h_call net.tap_create '{}'

# Types.
hcase "tap as a number" "must be a string" h_call net.tap_create '{"tap":5}'
hcase "address as a boolean" "must be a string" h_call net.bridge_ensure '{"address":true}'
hcase "vm_id as a number" "must be a string" h_call jail.cleanup '{"vm_id":1}'
hcase "vm_id as an object" "must be a string" h_call jail.cleanup '{"vm_id":{"a":1}}'
hcase "params as an array" "JSON object" rawreq net.tap_create '["bgt-x"]'
hcase "fds as a string" "must be an array" rawreq jail.stage '{"vm_id":"x","fds":"kernel"}'
hcase "block_drives as an object" "must be an array" h_call jail.stage '{"vm_id":"x","block_drives":{}}' --fd kernel="$vm/kernel"
hcase "pid as a string" "must be an integer" h_call proc.signal '{"vm_id":"keep","signal":"KILL","pid":"1"}'
hcase "pid 0" "between" h_call proc.signal '{"vm_id":"keep","signal":"KILL","pid":0}'
hcase "negative cow size" "between" h_call disk.prepare '{"vm_id":"keep","cow_size_mib":-1}' --fd base="$vm/base" --fd-rw disk="$vm/disk"

# Names.
hcase "over-long tap name" "tap name" h_call net.tap_create '{"tap":"bgt-0123456789ab"}'
hcase "tap eth0" "tap name" h_call net.tap_delete '{"tap":"eth0"}'
hcase "tap lo" "tap name" h_call net.tap_delete '{"tap":"lo"}'
hcase "tap docker0" "tap name" h_call net.tap_delete '{"tap":"docker0"}'
hcase "tap eth9 (exists, not ours)" "tap name" h_call net.tap_delete '{"tap":"eth9"}'
ip tuntap add dev bgt-tun mode tun user "$H_UID"
ip tuntap add dev bgt-other mode tap user 4242
ip tuntap add dev bgt-root mode tap
hcase "a bgt- TUN device" "is a TUN device, not a tap" h_call net.tap_delete '{"tap":"bgt-tun"}'
hcase "another uid's bgt- tap" "owned by uid 4242" h_call net.tap_delete '{"tap":"bgt-other"}'
hcase "an owner-less bgt- tap" "no owner" h_call net.tap_delete '{"tap":"bgt-root"}'
hcase "tap with a slash" "tap name" h_call net.tap_create '{"tap":"bgt-a/b"}'
hcase "bridge eth9" "bridge name" h_call net.bridge_remove '{"bridge":"eth9"}'
hcase "bridge docker0" "bridge name" h_call net.bridge_ensure '{"bridge":"docker0","address":"10.1.0.1/24"}'
hcase "bridge lo" "bridge name" h_call net.tap_create '{"tap":"bgt-x","bridge":"lo"}'
hcase "over-long VM id" "VM id" h_call jail.cleanup "{\"vm_id\":\"$long\"}"
hcase "VM id traversal ../../etc" "VM id" h_call jail.cleanup '{"vm_id":"../../etc"}'
hcase "VM id with a slash" "VM id" h_call jail.stage '{"vm_id":"keep/../../x"}' --fd kernel="$vm/kernel"
hcase "VM id .." "VM id" h_call disk.release '{"vm_id":".."}'
hcase "VM id absolute path" "VM id" h_call jail.cleanup '{"vm_id":"/etc"}'
hcase "VM id with a NUL" "NUL" rawreq jail.cleanup '{"vm_id":"keep\u0000x"}'
hcase "VM id with a newline" "VM id" h_call proc.find '{"vm_id":"keep\nx"}'

# Descriptors.
hcase "descriptor that is a directory" "directory" h_call disk.prepare '{"vm_id":"keep"}' --fd base="$vm" --fd-rw disk="$vm/disk"
hcase "descriptor that is a device" "character device" h_call disk.prepare '{"vm_id":"keep"}' --fd base=/dev/null --fd-rw disk="$vm/disk"
hcase "descriptor that is a FIFO" "FIFO" h_call disk.prepare '{"vm_id":"keep"}' --fd base="$vm/fifo" --fd-rw disk="$vm/disk"
hcase "descriptor of a root-owned file" "owned by uid 0" h_call disk.prepare '{"vm_id":"keep"}' --fd base="$T/rootfile" --fd-rw disk="$vm/disk"
hcase "kernel descriptor of a root-owned file" "owned by uid 0" h_call jail.stage '{"vm_id":"vm5"}' --fd kernel=/etc/passwd
hcase "descriptor of a hard-linked file" "hard links" h_call disk.prepare '{"vm_id":"keep"}' --fd base="$vm/base-link" --fd-rw disk="$vm/disk"
hcase "console opened read-only" "open for writing" h_call jail.launch '{"vm_id":"keep"}' --fd console="$vm/console.log"
hcase "fewer descriptors than named" "only 0 arrived" rawreq disk.prepare '{"vm_id":"keep","fds":["base","disk"]}'
hcase "duplicate descriptor names" "twice" rawreq disk.prepare '{"vm_id":"keep","fds":["base","base"]}'
hcase "descriptor name the op does not take" "Unknown descriptor" h_call jail.stage '{"vm_id":"vm5"}' --fd kernel="$vm/kernel" --fd evil="$vm/base"
hcase "more descriptors than the cap" "Too many descriptors" rawreq hello '{"protocol":1}' $(for i in $(seq 1 20); do echo --fd "f$i=$vm/kernel"; done)
# Descriptors belong to their message: a hello sent with two is refused and they are closed, so
# the next request (naming two, sending none) cannot use them.
hcase "descriptors sent with a request that takes none feed no later request" \
	"hello takes 0 descriptors but 2 arrived.*names 2 descriptors but only 0 arrived" py_as "$H_UID" "$H_GID" '
import json, sys, helper_rpc as h
c = h.Conn(sys.argv[1])
names, fds = h.open_files(["base=" + sys.argv[2], "disk=" + sys.argv[3] + ":rw"])
print(json.dumps(c.call("hello", {"protocol": 1}, fds)))
print(json.dumps(c.call("disk.prepare", {"vm_id": "keep", "strategy": "sparse-copy"}, names=names)))
' "$vm/img" "$vm/disk"

# Kernel interfaces that look like regular files: refused by filesystem, whoever owns them.
chown "$H_UID" "$T/sys/class/net/eth9/ifalias"
prep_into() { h_call disk.prepare '{"vm_id":"keep","strategy":"sparse-copy"}' --fd base="$vm/filter" --fd-rw disk="$1"; }
hcase "disk: the owner's /proc/PID/coredump_filter" "file on procfs" prep_into "/proc/$SLEEPER/coredump_filter"
hcase "disk: the owner's /proc/PID/oom_score_adj" "file on procfs" prep_into "/proc/$SLEEPER/oom_score_adj"
hcase "disk: a sysfs attribute the owner was given" "file on sysfs" prep_into "$T/sys/class/net/eth9/ifalias"
if [ -e "$T/cg2/banger-hostile-$$/cgroup.procs" ]; then
	hcase "disk: a file of a cgroup delegated to the owner" "file on cgroup2" prep_into "$T/cg2/banger-hostile-$$/cgroup.procs"
else
	t_skip "disk: a file of a cgroup delegated to the owner" "cannot mount cgroup2 here"
fi
if [ -e "$T/huge/file" ]; then
	hcase "disk: the owner's file on hugetlbfs" "file on hugetlbfs" prep_into "$T/huge/file"
else
	t_skip "disk: the owner's file on hugetlbfs" "no hugetlbfs here"
fi
if [ -e "$T/mq/banger-hostile-$$" ]; then
	hcase "disk: the owner's POSIX message queue" "file on mqueue" prep_into "$T/mq/banger-hostile-$$"
else
	t_skip "disk: the owner's POSIX message queue" "no mqueue filesystem here"
fi
# Files of debugfs, tracefs, securityfs the owner cannot open itself: passed by a process that
# opened them as root and then became the owner (what counts is the filesystem, not who opened).
pass_as_owner() { # METHOD PARAMS NAME=PATH...: opens as root, sends as the owner
	PYTHONPATH="$BANGER_SRC/tests/integration" /usr/bin/python3 -c '
import json, os, sys, helper_rpc as h
sock, uid, gid, method, params = sys.argv[1:6]
names, fds = h.open_files(sys.argv[6:])
os.setgroups([]); os.setresgid(int(gid), int(gid), int(gid)); os.setresuid(int(uid), int(uid), int(uid))
print(json.dumps(h.Conn(sock).call(method, json.loads(params), fds, names)))
' "$H_SOCK" "$H_UID" "$H_GID" "$@"
}
for fs in debug trace security config; do
	f=$(find "$T/$fs" -maxdepth 2 -type f -perm -0400 2> /dev/null | head -1)
	if [ -n "$f" ]; then
		hcase "base: a ${fs}fs file" "file on ${fs}fs" pass_as_owner disk.prepare '{"vm_id":"keep","strategy":"sparse-copy"}' \
			"base=$f" "disk=$vm/disk:rw"
	else
		t_skip "base: a ${fs}fs file" "no ${fs}fs here"
	fi
done

# Devices and paths.
hcase "block drive /dev/sda" "drive device" h_call jail.stage '{"vm_id":"vm5","block_drives":[{"name":"r","device":"/dev/sda"}]}' --fd kernel="$vm/kernel"
hcase "block drive /dev/mapper/control" "drive device" h_call jail.stage '{"vm_id":"vm5","block_drives":[{"name":"r","device":"/dev/mapper/control"}]}' --fd kernel="$vm/kernel"
hcase "block drive path traversal" "drive device" h_call jail.stage '{"vm_id":"vm5","block_drives":[{"name":"r","device":"/dev/loop0/../sda"}]}' --fd kernel="$vm/kernel"
hcase "drive name traversal" "drive names" h_call jail.stage '{"vm_id":"vm5","block_drives":[{"name":"../../x","device":"/dev/loop0"}]}' --fd kernel="$vm/kernel"
hcase "a loop device that is not this VM's" "not a loop device backed by a file of VM" h_call jail.stage '{"vm_id":"vm5","block_drives":[{"name":"r","device":"/dev/loop0"}]}' --fd kernel="$vm/kernel"
hcase "cleanup of a path outside the base" "VM id" h_call jail.cleanup '{"vm_id":"../../../../tmp"}'
hcase "staging over an existing jail" "already exists" h_call jail.stage '{"vm_id":"keep"}' --fd kernel="$vm/kernel"

# An ACL on the jail base letting the owner write (mode bits alone do not show it).
setfacl -m "u:$H_UID:rwx" "$T/var/lib/banger/jail"
hcase "staging under a jail base with an ACL granting the owner rwx" "ACL entry letting uid $H_UID write" \
	h_call jail.stage '{"vm_id":"vm6"}' --fd kernel="$vm/kernel"
setfacl -b "$T/var/lib/banger/jail"
setfacl -m "g:4242:rwx" "$T/var/lib"
hcase "staging below a parent with an ACL granting a group rwx" "ACL entry letting gid 4242 write" \
	h_call jail.stage '{"vm_id":"vm6"}' --fd kernel="$vm/kernel"
setfacl -b "$T/var/lib"

# Signals.
hcase "signal pid 1" "pid 1" h_call proc.signal '{"vm_id":"keep","signal":"KILL","pid":1}'
hcase "signal the helper" "helper itself" h_call proc.signal "{\"vm_id\":\"keep\",\"signal\":\"KILL\",\"pid\":$H_PID}"
hcase "signal a process that is not a VMM" "not VM|No VMM" h_call proc.signal "{\"vm_id\":\"keep\",\"signal\":\"TERM\",\"pid\":$$}"
hcase "signal SEGV" "TERM, KILL, INT" h_call proc.signal '{"vm_id":"keep","signal":"SEGV"}'
hcase "signal by number" "must be a string" h_call proc.signal '{"vm_id":"keep","signal":9}'

# Host routing: only banger.conf's pool, on banger.conf's bridge, one address, NAT of it alone.
hcase "bridge address 8.8.8.1/24 (would route 8.8.8.8 to the owner's taps)" "address pool is 172.31.9.0/24" \
	h_call net.bridge_ensure '{"address":"8.8.8.1/24"}'
hcase "bridge address inside the host's LAN" "address pool is 172.31.9.0/24" h_call net.bridge_ensure '{"address":"10.20.0.129/25"}'
hcase "a second address stacked on banger0" "address pool is 172.31.9.0/24" h_call net.bridge_ensure '{"address":"172.31.10.1/24"}'
hcase "another bridge with the pool's address" "banger's bridge is \"banger0\"" h_call net.bridge_ensure '{"bridge":"banger1","address":"172.31.9.1/24"}'
ip route add 172.31.9.128/25 dev eth9
hcase "the pool while the host routes part of it elsewhere" "overlaps the route to 172.31.9.128/25" h_call net.bridge_ensure
ip route del 172.31.9.128/25 dev eth9
hcase "NAT for the host's LAN" "banger NATs its own pool" h_call nat.ensure '{"subnet":"10.20.0.0/24"}'
hcase "NAT for 8.0.0.0/8" "banger NATs its own pool" h_call nat.ensure '{"subnet":"8.0.0.0/8"}'
hcase "NAT through another bridge" "banger's bridge is \"banger0\"" h_call nat.ensure '{"subnet":"172.31.9.0/24","bridge":"banger1"}'
hcase "a tap on another bridge" "banger's bridge is \"banger0\"" h_call net.tap_create '{"tap":"bgt-x","bridge":"banger1"}'

# nftables and VMM arguments: nothing reaches a script or a command line unchecked.
hcase "NAT for the whole internet" "prefix length" h_call nat.ensure '{"subnet":"0.0.0.0/0"}'
hcase "NAT subnet with an injected command" "subnet" h_call nat.ensure '{"subnet":"10.0.0.0/8; flush ruleset"}'
hcase "NAT bridge with an injected quote" "bridge name" h_call nat.ensure '{"subnet":"10.0.0.0/8","bridge":"banger0\" ; flush ruleset"}'
# publish.apply: DNAT only to a guest address of the pool, only from free unprivileged host
# ports, and nothing but parsed numbers in the script.
python3 -c 'import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 18099)); s.listen(); time.sleep(3600)' &
PUB_HOLDER=$!
t_add_cleanup "kill $PUB_HOLDER"
t_wait 5 bash -c 'ss -ltn | grep -q 127.0.0.1:18099'
pub() { h_call publish.apply "{\"vm_id\":\"keep\",\"address\":\"$1\",\"publish\":[$2]}"; }
hcase "publish to a foreign destination" "only to a guest address of its pool" pub 8.8.8.8 '"18080:53/udp"'
hcase "publish to the host's LAN" "only to a guest address of its pool" pub 10.20.0.5 '"18080:80"'
hcase "publish to the pool's gateway (the host itself)" "only to a guest address of its pool" pub 172.31.9.1 '"18080:22"'
hcase "publish to the pool's broadcast address" "only to a guest address of its pool" pub 172.31.9.255 '"18080:80"'
hcase "publish a privileged host port" "host port 22 is privileged" pub 172.31.9.2 '"22:22"'
hcase "publish a host port another service holds" "taken by another program" pub 172.31.9.2 '"18099:80"'
hcase "publish a port range" "no ranges" pub 172.31.9.2 '"18080-18090:80"'
hcase "publish with injected rule text" "no ranges|publish" pub 172.31.9.2 '"18080:80 ; flush ruleset"'
hcase "publish with an injected protocol" "tcp or udp" pub 172.31.9.2 '"18080:80/tcp; flush ruleset"'
hcase "publish with an injected host address" "not an IPv4 address|publish" pub 172.31.9.2 '"1.2.3.4 ip daddr 0.0.0.0/0:18080:80"'
hcase "publish to an address with injected text" "IPv4 address" pub '172.31.9.2 ; flush ruleset' '"18080:80"'
hcase "publish overlapping itself" "overlaps" pub 172.31.9.2 '"18080:80","0.0.0.0:18080:81"'
hcase "publish under an injected VM id" "vm_id" h_call publish.apply '{"vm_id":"keep; flush ruleset","address":"172.31.9.2","publish":["18080:80"]}'
hcase "remove the table of an injected VM id" "vm_id" h_call publish.remove '{"vm_id":"x } ; flush ruleset"}'

# dns.ensure: names only for guest addresses of the pool, nothing but "ADDRESS NAME" reaches
# dnsmasq's hosts file (when refused, nothing is written and nothing started)
dns() { h_call dns.ensure "{\"hosts\":[$1]}"; }
hcase "a name for a foreign address" "only to guest addresses of the pool" dns '"8.8.8.8 demo"'
hcase "a name for the gateway (the host)" "only to guest addresses of the pool" dns '"172.31.9.1 demo"'
hcase "a hosts entry with a newline" "entries are" dns '"172.31.9.2 demo\nserver=/x/1.2.3.4"'
hcase "a hosts entry with dnsmasq syntax" "entries are" dns '"172.31.9.2 demo,address=/#/6.6.6.6"'
hcase "a hosts entry naming a domain" "not a VM name" dns '"172.31.9.2 deb.debian.org"'
hcase "a hosts entry with extra names" "not a VM name" dns '"172.31.9.2 demo other"'
hcase "too many hosts entries" "at most 256" dns "$(printf '"172.31.9.2 a",%.0s' $(seq 1 256))\"172.31.9.2 a\""

hcase "VMM args redirecting the API socket" "not an allowed VMM option" h_call jail.launch '{"vm_id":"keep","vmm_args":["--api-sock","/etc/x"]}' --fd-rw console="$vm/console.log"
hcase "VMM args with shell metacharacters" "arguments are" h_call jail.launch '{"vm_id":"keep","vmm_args":["$(id)"]}' --fd-rw console="$vm/console.log"
hcase "VMM args choosing the binary banger-vmm runs" "\"--qemu\" is not an allowed VMM option" h_call jail.launch '{"vm_id":"keep","vmm_args":["--qemu","/tmp/evil"]}' --fd-rw console="$vm/console.log"
hcase "VMM args turning seccomp off" "\"--no-seccomp\" is not an allowed VMM option" h_call jail.launch '{"vm_id":"keep","vmm_args":["--level","Info","--no-seccomp"]}' --fd-rw console="$vm/console.log"
hcase "VMM args naming a file for the VMM to write" "\"--log-path=/etc/x\" is not an allowed VMM option" h_call jail.launch '{"vm_id":"keep","vmm_args":["--log-path=/etc/x"]}' --fd-rw console="$vm/console.log"
hcase "too many VMM args" "at most 16" h_call jail.launch "{\"vm_id\":\"keep\",\"vmm_args\":[$(printf '"a",%.0s' $(seq 1 17))\"a\"]}" --fd-rw console="$vm/console.log"

# Frames.
hcase "over-size frame" "over 1048576 bytes" bash -c "head -c 1100000 /dev/zero | tr '\\0' a | setpriv --reuid=$H_UID --regid=$H_GID --clear-groups '$(t_bin bangerd-root-call)' --socket '$H_SOCK' --raw"
hcase "malformed frame" "parse|JSON" raw $'{"jsonrpc":"2.0","id":1,"method":\n'
hcase "frame that is not an object" "object" raw $'[1,2,3]\n'
hcase "notification instead of a request" "with an id" raw $'{"jsonrpc":"2.0","method":"nat.remove"}\n'
hcase "wrong jsonrpc version" "jsonrpc" raw $'{"jsonrpc":"1.0","id":1,"method":"nat.remove"}\n'
hcase "deeply nested params" "nest|depth|parse|JSON" raw "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"hello\",\"params\":{\"a\":$(printf '[%.0s' $(seq 1 3000))$(printf ']%.0s' $(seq 1 3000))}}"$'\n'
hcase "duplicate keys" "duplicate|parse|JSON" raw $'{"jsonrpc":"2.0","id":1,"method":"net.tap_delete","params":{"tap":"bgt-keep","tap":"eth9"}}\n'
hcase "invalid UTF-8" "UTF-8|parse|JSON" raw $'{"jsonrpc":"2.0","id":1,"method":"hello","params":{"program":"\xff\xfe"}}\n'
hcase "hello with another protocol version" "protocol" h_call hello '{"protocol":99}'

# Log forging: what the caller chose (an op name, a parameter name) never starts a log line.
forged='caller uid=0 pid=1 op=jail.launch args={} outcome=ok'
hcase "an op name carrying a forged log line" "Unknown op" h_call $'x\n'"$forged" '{}'
hcase "a parameter name carrying a forged log line" "Unknown parameter" \
	h_call net.tap_create "{\"tap\":\"bgt-x\",\"a\\nbangerd-root: $forged\":1}"
t_eq "no forged line in the log" "" "$(grep -E "^(bangerd-root: )?caller uid=0 pid=1 op=jail.launch" "$H_LOG")"
t_check "the op name is logged escaped" grep -qF 'op=x\x0acaller uid=0' "$H_LOG"

# ---- a launched jail is the owner's chroot: nothing in it reachable from outside -------------
# A VM launched with a block drive (a loop device on its own disk file, as a loop or dm start
# makes it). The jailer hands the chroot to the owner, makes /dev/kvm in it, and the VMM runs as
# the owner: the nodes must not be linkable or openable from the host, through the VMM's
# /proc/PID/root from outside its mount, or through a handle kept after the jail is gone; and the
# launch state must not be the owner's to reset.
as_owner() { setpriv --reuid="$H_UID" --regid="$H_GID" --clear-groups "$@"; }
# ocase DESC CMD...: CMD, run as the owner, must fail, and nothing may change.
ocase() {
	local desc=$1 before after out
	shift
	before=$(snap)
	if out=$(as_owner "$@" 2>&1); then
		t_fail "$desc" "the owner's command succeeded: $*" "${out:0:500}"
		return
	fi
	after=$(snap)
	if [ "$before" != "$after" ]; then
		t_fail "$desc" "refused, but something changed:" "$(diff <(echo "$before") <(echo "$after") | head -20)"
	else
		t_ok "$desc: $(printf '%s' "$out" | tail -1)"
	fi
}
# every argument pair SRC DST: hard-link SRC to DST; succeeds when any link did
link_any() { local r=1; while [ $# -gt 1 ]; do ln "$1" "$2" && r=0; shift 2; done; return $r; }
if [ "$H_PROVIDER" != real ]; then
	t_skip "launched-jail cases" "they need banger-jailer and banger-vmm built (the stand-ins make no chroot)"
else
	jv=$state/vms/vmx
	mkdir -p "$jv" && head -c 4096 /dev/urandom > "$jv/kernel" && : > "$jv/console.log"
	printf 'the-vms-own-disk' > "$jv/disk" && truncate -s 4M "$jv/disk"
	chown -R "$H_UID:$H_GID" "$jv"
	jroot=$(h_jail_root vmx)
	# launch_vmx LOOP: stage vmx with LOOP as its rootfs and launch it; VMM=its pid
	launch_vmx() {
		local out
		h_call jail.stage "{\"vm_id\":\"vmx\",\"block_drives\":[{\"name\":\"rootfs\",\"device\":\"$1\"}]}" \
			--fd kernel="$jv/kernel" > /dev/null
		out=$(h_call jail.launch '{"vm_id":"vmx"}' --fd-rw console="$jv/console.log")
		VMM=$(printf '%s' "$out" | jq -r '.pid // empty')
		[ -n "$VMM" ] && t_add_cleanup "kill -9 $VMM" && t_wait 10 test -c "/proc/$VMM/root/dev/kvm"
	}
	jloop=$(losetup -f --show "$jv/disk")
	t_add_cleanup "losetup -d $jloop"
	if ! launch_vmx "$jloop"; then
		t_fail "vmx launches with a loop rootfs" "$(tail -5 "$H_LOG")"
	else
		t_eq "the VM's jail directory is root 0700 (the host side)" "0 700" "$(stat -c '%u %a' "$(dirname "$jroot")")"
		ocase "owner hard-links the drive node and /dev/kvm out of the jail (host paths, /proc/PID/root)" \
			bash -c "$(declare -f link_any); link_any '$jroot/drives/rootfs' '$T/stolen/rootfs' '$jroot/dev/kvm' '$T/stolen/kvm' \
				/proc/$VMM/root/drives/rootfs '$T/stolen/rootfs2' /proc/$VMM/root/dev/kvm '$T/stolen/kvm2' \
				/proc/$VMM/root/drives/rootfs '$state/vms/keep/rootfs3'"
		ocase "owner opens the drive node by its host path" dd if="$jroot/drives/rootfs" of=/dev/null count=1 status=none

		# Handles kept on the nodes through the VMM's /proc/PID/root (where the owner may look while
		# the VMM runs) open nothing once the jail is gone, not even after the loop device is
		# reused by root for a root-only image.
		coproc STALE { as_owner /usr/bin/python3 -c '
import errno, os, sys
fds = [(os.path.basename(p), os.open(p, os.O_PATH)) for p in sys.argv[1:]]
print("ready", flush=True)
sys.stdin.readline()
for name, fd in fds:
    try:
        f = os.open("/proc/self/fd/%d" % fd, os.O_RDWR)
        print("%s:opened:%r" % (name, os.read(f, 16)), flush=True)
    except OSError as e:
        print("%s:%s" % (name, errno.errorcode[e.errno]), flush=True)
' "/proc/$VMM/root/drives/rootfs" "/proc/$VMM/root/dev/kvm" 2>&1; }
		read -r -t 10 ready <&"${STALE[0]}"
		t_eq "the owner holds O_PATH handles on the nodes while the VMM runs" ready "$ready"
		h_call proc.signal '{"vm_id":"vmx","signal":"KILL"}' > /dev/null
		t_wait 10 bash -c "[ ! -e /proc/$VMM ] || [ \"\$(awk '{print \$3}' /proc/$VMM/stat)\" = Z ]"
		h_expect_ok "jail.cleanup of vmx" "$(h_call jail.cleanup '{"vm_id":"vmx"}')"
		losetup -d "$jloop"
		printf 'root-only-secret' > "$T/secret.img" && truncate -s 1M "$T/secret.img" && chmod 0600 "$T/secret.img"
		losetup "$jloop" "$T/secret.img"
		echo go >&"${STALE[1]}"
		read -r -t 10 r1 <&"${STALE[0]}"
		read -r -t 10 r2 <&"${STALE[0]}"
		t_eq "a kept handle on the loop node opens nothing after cleanup and reuse" "rootfs:EACCES" "$r1"
		t_eq "a kept handle on the jail's /dev/kvm opens nothing after cleanup" "kvm:EACCES" "$r2"
		losetup -d "$jloop"
		t_wait 10 bash -c "[ -z \"\$(losetup -j '$T/secret.img')\" ]"

		# The owner resets the launch state it can reach and plants a FIFO where the jailer copies
		# the VMM; a second launch must be refused at once, not run the root jailer over it.
		jloop=$(losetup -f --show "$jv/disk")
		t_add_cleanup "losetup -d $jloop"
		launch_vmx "$jloop"
		as_owner bash -c "rm -f /proc/$VMM/root/$H_EXEC.pid /proc/$VMM/root/$H_EXEC && mkfifo /proc/$VMM/root/$H_EXEC"
		h_call proc.signal '{"vm_id":"vmx","signal":"KILL"}' > /dev/null
		t_wait 10 bash -c "[ ! -e /proc/$VMM ] || [ \"\$(awk '{print \$3}' /proc/$VMM/stat)\" = Z ]"
		hcase "relaunch into a chroot the owner changed (pid file gone, FIFO planted)" "already launched" \
			h_call jail.launch '{"vm_id":"vmx"}' --fd-rw console="$jv/console.log"
		s0=$(date +%s%N)
		h_call jail.launch '{"vm_id":"vmx"}' --fd-rw console="$jv/console.log" > /dev/null
		t_check "the refusal comes at once (no jailer runs)" test $(( ($(date +%s%N) - s0) / 1000000 )) -lt 3000
		hcase "disk.release while the VM's jail (with its device nodes) exists" "jail still exists" \
			h_call disk.release '{"vm_id":"vmx"}'
		h_call jail.cleanup '{"vm_id":"vmx"}' > /dev/null
		losetup -d "$jloop"
		# a clear the kernel deferred (the dying VMM still held it) finishes in its own time:
		# wait for it, or a later snapshot sees the loop device go
		t_wait 10 bash -c "[ -z \"\$(losetup -j '$jv/disk')\" ]"
	fi
fi

# The helper is still serving after all that, and everything it made is intact.
out=$(h_call resources.list)
t_eq "bgt-keep survived" '["bgt-keep"]' "$(printf '%s' "$out" | jq -c .taps)"
t_eq "banger0 survived" '["banger0"]' "$(printf '%s' "$out" | jq -c .bridges)"
t_eq "the nftables table survived" '["inet banger"]' "$(printf '%s' "$out" | jq -c .nft_tables)"
t_eq "the staged jail survived" '["keep"]' "$(printf '%s' "$out" | jq -c '[.chroots[].vm_id]')"
t_check "refusals were logged with their reason" grep -q "outcome=refused: Unknown op \"system.shell\"" "$H_LOG"
t_check "refused connections were logged" grep -q "caller uid=4242 .*outcome=refused: Connection refused" "$H_LOG"

# ---- connections: a filesystem without ACLs, a full table, idle peers -----------------------
# root.sock on ramfs (no ACLs) falls back to the owner's group; other members of that group are
# turned away at accept and never hold a slot. A 17th connection is told why it is closed, and
# silent connections are closed after the idle timeout.
h_stop
mount -t ramfs ramfs "$T/run/banger"
t_add_cleanup "umount -l '$T/run/banger'"
h_start --idle-timeout 3 || t_fail "bangerd-root restarts on ramfs"
t_eq "without ACLs root.sock is root:<owner group> 0660" "0 $H_GID 660" "$(stat -c '%u %g %a' "$H_SOCK")"
hold_conns() { # UID GID N SECONDS: N silent connections for SECONDS; prints the first line each got
	py_as "$1" "$2" '
import socket, sys, time
conns = []
for _ in range(int(sys.argv[2])):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); conns.append(s)
print("held", flush=True)
end = time.monotonic() + float(sys.argv[3])
for s in conns:
    s.settimeout(max(0.1, end - time.monotonic()))
    try:
        line = s.recv(4096).decode().split("\n")[0]
    except socket.timeout:
        line = "(nothing)"
    print(line or "(closed without a word)", flush=True)
time.sleep(max(0, end - time.monotonic()))
' "$3" "$4"
}
before=$(snap)
hold_conns 4242 "$H_GID" 16 4 > "$T/lockout.out" &
lockout=$!
t_check "16 connections from another uid in the owner's group are open" t_wait 5 grep -q held "$T/lockout.out"
out=$(h_call hello '{"protocol":1}' 2>&1)
t_eq "16 silent connections from another uid in the owner's group do not lock the owner out" "bangerd-root" "$(printf '%s' "$out" | jq -r .program 2> /dev/null)"
wait $lockout
t_eq "... each of them was refused at once, saying why" "16" "$(grep -c "uid 4242 is not the banger owner" "$T/lockout.out")"
t_eq "... and nothing changed" "$before" "$(snap)"

before=$(snap)
hold_conns "$H_UID" "$H_GID" 16 1 > "$T/full.out" &
full=$!
t_check "the owner holds 16 connections open" t_wait 5 grep -q held "$T/full.out"
out=$(h_call hello '{"protocol":1}' 2>&1)
wait $full
t_check "a 17th connection is told why it is closed: $(h_err "$out")" grep -q "all 16 connections are in use" <<< "$(h_err "$out")"
t_eq "... and nothing changed" "$before" "$(snap)"
hold_conns "$H_UID" "$H_GID" 16 5 > "$T/idle.out"
t_eq "silent connections are closed after the idle timeout (3 s), saying why" "16" "$(grep -c "no request for 3 s" "$T/idle.out")"
t_check "the idle closes were logged" grep -q "outcome=closed: Closing the connection: no request for 3 s" "$H_LOG"
out=$(py_as "$H_UID" "$H_GID" '
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(0.2)
start, got = time.monotonic(), b""
while time.monotonic() - start < 8 and b"\n" not in got:
    try:
        got += s.recv(4096)
    except socket.timeout:
        pass
    try:
        s.send(b"{")             # a line that never ends, a byte at a time
    except OSError:
        got += s.recv(4096) if b"\n" not in got else b""
        break
    time.sleep(0.8)
print("%.0f %s" % (time.monotonic() - start, got.decode().strip()))
')
t_check "a connection trickling a line that never ends is closed as idle too ($out)" \
	bash -c "[[ '$out' == [345]\ *'no request for 3 s'* ]]"
t_done

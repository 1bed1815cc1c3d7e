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
h_start || t_skip_all "bangerd-root did not start"
state=$T/var/lib/banger/state
vm=$state/vms/keep
mkdir -p "$vm"
head -c 4096 /dev/urandom > "$vm/kernel"
: > "$vm/console.log"
: > "$vm/disk"
truncate -s 1M "$vm/base"
ln "$vm/base" "$vm/base-link"
mkfifo "$vm/fifo"
chown -R "$H_UID:$H_GID" "$state"
echo secret > "$T/rootfile" && chmod 0644 "$T/rootfile"
ip link add eth9 type ifb

# Things that exist and must survive every case.
h_call net.bridge_ensure '{"address":"172.31.9.1/24"}' > /dev/null
h_call net.tap_create '{"tap":"bgt-keep"}' > /dev/null
h_call nat.ensure '{"subnet":"172.31.9.0/24"}' > /dev/null
h_call jail.stage '{"vm_id":"keep"}' --fd kernel="$vm/kernel" > /dev/null
nft add table ip other

snap() {
	# Not operstate: a bridge's carrier settles on its own after a port joins.
	ip -j link | jq -c '[.[] | [.ifname, .master, (.flags | index("UP") != null)]]'
	nft -j list ruleset | jq -c 'del(.nftables[0])'
	# the helper's mounts (its own namespace) and the host's (the test's)
	awk -v p="$T" 'index($5, p) == 1 { print "helper", $5, $6 }' "/proc/$H_PID/mountinfo"
	awk -v p="$T" 'index($5, p) == 1 { print "host", $5, $6 }' /proc/self/mountinfo
	# The read-only binds under a jail's usr/ are the host's own trees: the mount table covers them.
	find "$T/var/lib/banger" "$T/run" -path "$T/var/lib/banger/jail/*/root/usr" -prune \
		-o -printf '%p %U %m %s %n\n' | sort
	cat /proc/sys/net/ipv4/ip_forward
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

# Devices and paths.
hcase "block drive /dev/sda" "drive device" h_call jail.stage '{"vm_id":"vm5","block_drives":[{"name":"r","device":"/dev/sda"}]}' --fd kernel="$vm/kernel"
hcase "block drive /dev/mapper/control" "drive device" h_call jail.stage '{"vm_id":"vm5","block_drives":[{"name":"r","device":"/dev/mapper/control"}]}' --fd kernel="$vm/kernel"
hcase "block drive path traversal" "drive device" h_call jail.stage '{"vm_id":"vm5","block_drives":[{"name":"r","device":"/dev/loop0/../sda"}]}' --fd kernel="$vm/kernel"
hcase "drive name traversal" "drive names" h_call jail.stage '{"vm_id":"vm5","block_drives":[{"name":"../../x","device":"/dev/loop0"}]}' --fd kernel="$vm/kernel"
hcase "a loop device that is not this VM's" "not a loop device backed by a file of VM" h_call jail.stage '{"vm_id":"vm5","block_drives":[{"name":"r","device":"/dev/loop0"}]}' --fd kernel="$vm/kernel"
hcase "cleanup of a path outside the base" "VM id" h_call jail.cleanup '{"vm_id":"../../../../tmp"}'
hcase "staging over an existing jail" "already exists" h_call jail.stage '{"vm_id":"keep"}' --fd kernel="$vm/kernel"

# Signals.
hcase "signal pid 1" "pid 1" h_call proc.signal '{"vm_id":"keep","signal":"KILL","pid":1}'
hcase "signal the helper" "helper itself" h_call proc.signal "{\"vm_id\":\"keep\",\"signal\":\"KILL\",\"pid\":$H_PID}"
hcase "signal a process that is not a VMM" "not VM|No VMM" h_call proc.signal "{\"vm_id\":\"keep\",\"signal\":\"TERM\",\"pid\":$$}"
hcase "signal SEGV" "TERM, KILL, INT" h_call proc.signal '{"vm_id":"keep","signal":"SEGV"}'
hcase "signal by number" "must be a string" h_call proc.signal '{"vm_id":"keep","signal":9}'

# nftables and VMM arguments: nothing reaches a script or a command line unchecked.
hcase "NAT for the whole internet" "prefix length" h_call nat.ensure '{"subnet":"0.0.0.0/0"}'
hcase "NAT subnet with an injected command" "subnet" h_call nat.ensure '{"subnet":"10.0.0.0/8; flush ruleset"}'
hcase "NAT bridge with an injected quote" "bridge name" h_call nat.ensure '{"subnet":"10.0.0.0/8","bridge":"banger0\" ; flush ruleset"}'
hcase "VMM args redirecting the API socket" "set by the helper" h_call jail.launch '{"vm_id":"keep","vmm_args":["--api-sock","/etc/x"]}' --fd-rw console="$vm/console.log"
hcase "VMM args with shell metacharacters" "arguments are" h_call jail.launch '{"vm_id":"keep","vmm_args":["$(id)"]}' --fd-rw console="$vm/console.log"
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

# The helper is still serving after all that, and everything it made is intact.
out=$(h_call resources.list)
t_eq "bgt-keep survived" '["bgt-keep"]' "$(printf '%s' "$out" | jq -c .taps)"
t_eq "banger0 survived" '["banger0"]' "$(printf '%s' "$out" | jq -c .bridges)"
t_eq "the nftables table survived" '["inet banger"]' "$(printf '%s' "$out" | jq -c .nft_tables)"
t_eq "the staged jail survived" '["keep"]' "$(printf '%s' "$out" | jq -c '[.chroots[].vm_id]')"
t_check "refusals were logged with their reason" grep -q "outcome=refused: Unknown op \"system.shell\"" "$H_LOG"
t_check "refused connections were logged" grep -q "caller uid=4242 .*outcome=refused: Connection refused" "$H_LOG"
t_done

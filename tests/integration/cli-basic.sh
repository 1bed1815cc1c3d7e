#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The banger CLI against a real bangerd: every command group, human tables, --json that jq
# parses, exit codes 0-4, colour rules, the events stream, and the generated completion.
. "$(dirname "$0")/daemon-lib.sh"
t_require_root
t_tmpdir
export BANGER_ROOT=$T/root
B=$(t_bin banger)
cd "$T"

# 3: nobody listening
out=$("$B" vm list 2>&1)
t_eq "no daemon: exit 3" 3 "$?"
t_check "and the message says how to start it" grep -q "bangerd --foreground" <<< "$out"
"$B" --socket "$T/nowhere.sock" version > /dev/null 2>&1
t_eq "version without a daemon: exit 3" 3 "$?"

d_start
# 2: usage errors
for args in "" "vm" "frobnicate" "vm create" "vm create a b" "vm create a --vcpus" "vm create a --vcpus x" "vm create a --vcpus 99" "vm list --nope" "image import x --kernel k"; do
	"$B" $args > /dev/null 2>&1
	t_eq "banger $args: exit 2" 2 "$?"
done
for args in "--help" "vm --help" "vm create --help" "image --help" "system --help" "events --help" "doctor -h"; do
	out=$("$B" $args 2>&1)
	t_eq "banger $args: exit 0" 0 "$?"
	t_check "banger $args says Usage and the exit codes" bash -c 'grep -q "^Usage: banger" <<< "$1" && grep -q "4  the VM or image was not found" <<< "$1"' _ "$out"
done

mkdir -p img && head -c 4096 /dev/urandom > img/vmlinuz && truncate -s 1M img/rootfs.ext4 && echo x > img/initrd.img
out=$("$B" image import minimal --kernel img/vmlinuz --rootfs img/rootfs.ext4 --initrd img/initrd.img)
t_eq "image import with relative paths: exit 0" 0 "$?"
t_check "and says so" grep -q "Imported image minimal" <<< "$out"
t_eq "image get --json parses and has the initrd's sha256" "$(sha256sum < img/initrd.img | cut -d' ' -f1)" "$("$B" --json image get minimal | jq -r .initrd_sha256)"
out=$("$B" image list)
t_check "image list has a header" grep -q "^NAME  *ROOTFS  *KERNEL  *INITRD  *SHA256  *IMPORTED" <<< "$out"
t_check "image list shows human sizes" grep -Eq "^minimal +1 MiB +4 KiB +2 B " <<< "$out"
"$B" image get nope > /dev/null 2>&1
t_eq "image get of a missing image: exit 4" 4 "$?"

out=$("$B" vm create web --vcpus 2 --memory 1024 --disk 8)
t_eq "vm create: exit 0" 0 "$?"
"$B" --json vm create db -i minimal | jq -e '.name == "db" and .state == "created"' > /dev/null
t_eq "vm create --json prints the VM object" 0 "$?"
"$B" vm create web > /dev/null 2>&1
t_eq "vm create of a taken name: exit 1" 1 "$?"
out=$("$B" vm create Web 2>&1)
t_eq "vm create of a bad name: exit 1 (the daemon refuses it)" 1 "$?"
t_check "with the daemon's message" grep -q "Invalid VM name" <<< "$out"
out=$("$B" vm list)
t_eq "vm list header" "NAME STATE IP VCPUS MEM IMAGE UPTIME BOOT-ID PORTS" "$(head -1 <<< "$out" | tr -s ' ')"
t_check "vm list rows are aligned under the header" bash -c '
	h=$(head -1 <<< "$1"); col=$(awk -v h="$h" "BEGIN{print index(h, \"STATE\")}")
	tail -n +2 <<< "$1" | while read -r line; do [ "${line:$((col-1)):7}" = created ] || exit 1; done' _ "$out"
t_check "vm list shows memory in human units" grep -Eq "^web +created +- +2 +1 GiB +minimal" <<< "$out"
t_check "no colour when stdout is not a terminal" bash -c '! grep -q $'"'"'\e\['"'"' <<< "$1"' _ "$out"
t_eq "vm list --json parses" "db web" "$("$B" vm list --json | jq -r '[.vms[].name] | join(" ")')"
out=$("$B" vm ssh-config web 2>&1)
t_eq "vm ssh-config of a VM that never started: exit 1" 1 "$?"
t_check "  saying it has no address yet" grep -q "VM web has no address yet" <<< "$out"
out=$("$B" vm ssh-config 2>&1)
t_eq "vm ssh-config with no VM holding an address: exit 0" 0 "$?"
t_eq "  and no Host block, only the header" 0 "$(grep -c '^Host ' <<< "$out")"
"$B" vm ssh-config nope > /dev/null 2>&1
t_eq "vm ssh-config of a missing VM: exit 4" 4 "$?"
t_eq "vm get --json" 2 "$("$B" --json vm get web | jq .vcpus)"
t_check "vm get human" bash -c '"$1" vm get web | grep -q "^Memory: *1 GiB"' _ "$B"
"$B" vm get nope > /dev/null 2>&1
t_eq "vm get of a missing VM: exit 4" 4 "$?"
out=$("$B" vm start web 2>&1)
t_eq "vm start without bangerd-root: exit 1" 1 "$?"
t_check "printing why (the helper is not reachable)" grep -q "bangerd-root is not reachable" <<< "$out"
# vm run creates with vm create's options; a bad one is a usage error before anything exists
"$B" vm run ports --publish 99999:80 > /dev/null 2>&1
t_eq "vm run with a bad --publish: exit 2" 2 "$?"
"$B" vm get ports > /dev/null 2>&1
t_eq "  and no VM was created" 4 "$?"
"$B" vm run ports --memory 256 --vcpus 2 --disk 2 --publish 18080:80 --publish 127.0.0.1:18053:53/udp > /dev/null 2>&1
t_eq "vm run that creates: the start fails here (no bangerd-root), exit 1" 1 "$?"
t_eq "  the VM it created has the vcpus, memory, disk and ports asked for" '2 256 2 ["127.0.0.1:18080:80/tcp","127.0.0.1:18053:53/udp"]' \
	"$("$B" --json vm get ports | jq -c -r '"\(.vcpus) \(.memory_mib) \(.disk_gib) \(.publish)"')"
out=$("$B" vm run ports --publish 18081:80 2>&1)
t_check "vm run of an existing VM with --publish: a note that it applies only to a VM it creates" \
	grep -q "note: VM ports exists already: --vcpus, --memory, --disk and --publish apply only to a VM that vm run creates" <<< "$out"
t_eq "  and the VM's ports are unchanged" '["127.0.0.1:18080:80/tcp","127.0.0.1:18053:53/udp"]' "$("$B" --json vm get ports | jq -c .publish)"
"$B" vm delete ports > /dev/null
out=$("$B" vm stop web 2>&1)
t_eq "vm stop of a VM that is not running: exit 1" 1 "$?"
t_check "saying it is not running" grep -q "is not running" <<< "$out"
out=$("$B" vm logs web 2>&1)
t_eq "vm logs of a VM that never booted: exit 0, nothing printed" "0:" "$?:$out"
out=$("$B" reconcile --dry-run 2>&1)
t_eq "reconcile without bangerd-root: exit 1" 1 "$?"
t_check "saying it needs bangerd-root" grep -q "needs bangerd-root" <<< "$out"
# (this suite runs banger as root, with no install.json under its root)
for args in "update" "update --check" "update --rollback"; do
	out=$("$B" $args 2>&1)
	t_eq "banger $args before banger is installed: exit 1" 1 "$?"
	t_check "banger $args says it is not installed" grep -q "banger is not installed" <<< "$out"
done
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$B" update --from file:///x 2>&1)
t_eq "banger update --from as a user: exit 1" 1 "$?"
t_check "saying it needs root" grep -q "need root" <<< "$out"
out=$("$B" vm ssh web 2>&1)
t_eq "vm ssh to a VM that is not running: exit 1" 1 "$?"
t_check "saying it is not running" grep -q "not running" <<< "$out"
# the failed start above got web an address (the first step): it has a Host block now
out=$("$B" vm ssh-config 2>&1)
t_eq "vm ssh-config: exit 0" 0 "$?"
t_eq "  one Host block, web's (db never started)" "Host web web.banger" "$(grep '^Host ' <<< "$out")"
t_check "  with web's address" grep -qx "$(printf '\tHostName %s' "$("$B" --json vm get web | jq -r .ip)")" <<< "$out"
t_eq "vm ssh-config web prints the same" "$out" "$("$B" vm ssh-config web)"
sshconf=$(find "$BANGER_ROOT" -path '*/.config/banger/ssh/config')
t_check "bangerd keeps the same text in ~/.config/banger/ssh/config" bash -c '[ -n "$1" ] && [ "$(cat "$1")" = "$2" ]' _ "$sshconf" "$out"
t_eq "  mode 0600" 600 "$(stat -c %a "$sshconf" 2> /dev/null)"
for sub in install uninstall restart; do
	out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$B" system $sub 2>&1)
	t_eq "system $sub as a user: exit 1" 1 "$?"
	t_eq "system $sub message" "banger system $sub: must run as root (try: sudo banger system $sub)" "$out"
done
out=$("$B" system status)
t_check "system status: version, VMs, helper" bash -c 'grep -q "^bangerd: *0" <<< "$1" && grep -q "^VMs: *2, 1 created, 1 error" <<< "$1" && grep -q "^Helper: *not reachable" <<< "$1"' _ "$out"
t_eq "system status --json parses" 2 "$("$B" --json system status | jq .counts.vms)"
t_eq "version --json" "$("$B" --version | cut -d' ' -f2) $("$B" --version | cut -d' ' -f2)" "$("$B" version --json | jq -r '"\(.client) \(.daemon)"')"
t_check "version names both" bash -c '"$1" version | grep -q "^bangerd "' _ "$B"

# doctor: real checks; the helper is not running here, so it fails (exit 1) and says why
out=$("$B" doctor --json)
t_eq "doctor exits 1 when a check fails" 1 "$?"
t_eq "doctor --json: daemon ok, helper fail" "ok fail" "$(jq -r '[.checks[] | select(.name == "daemon" or .name == "helper") | .status] | join(" ")' <<< "$out")"
t_eq "doctor checks the state dir, kvm, device-mapper, qemu, the names, publishes and images too" "daemon helper state kvm device-mapper qemu dns resolved ssh-config publish images" "$(jq -r '[.checks[].name] | join(" ")' <<< "$out")"
# the name features before any VM ran (tests/e2e/publish.sh and tests/systemd/resolved.sh check
# them with VMs, with and without systemd-resolved)
check() { jq -r --arg n "$1" '.checks[] | select(.name == $n) | "\(.status): \(.detail)"' <<< "$out"; }
t_check "doctor dns: no VM has run yet, dnsmasq comes with the first" grep -q "^ok: no VM has run yet: bangerd-root starts dnsmasq on 172.30.0.1" <<< "$(check dns)"
t_check "doctor publish: no bridge yet" grep -Eq "^ok: the bridge [a-z0-9]+ does not exist yet" <<< "$(check publish)"
if busctl --system status org.freedesktop.resolve1 > /dev/null 2>&1; then
	t_check "doctor resolved: resolved runs, the bridge is not registered yet" grep -q "^warn: systemd-resolved runs" <<< "$(check resolved)"
else
	t_check "doctor resolved: not running, with what to do instead" grep -q '^warn: systemd-resolved is not running: .*"nameserver 172.30.0.1"' <<< "$(check resolved)"
fi
if [ -e /dev/kvm ]; then kvm=ok; else kvm=warn; fi
t_eq "doctor's kvm check matches /dev/kvm" "$kvm" "$(jq -r '.checks[] | select(.name == "kvm") | .status' <<< "$out")"
if grep -q device-mapper /proc/misc; then dm=ok; else dm=warn; fi
t_eq "doctor's device-mapper check matches /proc/misc" "$dm" "$(jq -r '.checks[] | select(.name == "device-mapper") | .status' <<< "$out")"
# ssh-config: warns, with the line to add, until the user's ~/.ssh/config includes the file
mkdir -p "$T/userhome"
sshdoc() { HOME=$T/userhome "$B" doctor --json | jq -r '.checks[] | select(.name == "ssh-config") | "\(.status) \(.detail)"'; }
out=$(sshdoc)
t_check "doctor: no ~/.ssh/config: ssh-config warns" grep -q "^warn " <<< "$out"
t_check "  naming the Include line to add" grep -q 'add "Include /.*/\.config/banger/ssh/config" near the top of' <<< "$out"
mkdir -p "$T/userhome/.ssh" && printf 'Host other\n\tUser x\n' > "$T/userhome/.ssh/config"
t_check "  a config without the Include: still warns" grep -q "^warn " <<< "$(sshdoc)"
printf '  include ~/.config/banger/ssh/config\n' >> "$T/userhome/.ssh/config"
t_check "  with the Include line: ok" grep -q "^ok .* includes " <<< "$(sshdoc)"

# events: NDJSON until interrupted
"$B" events > "$T/events.out" 2>&1 &
ev=$!
t_wait 5 grep -q events.snapshot "$T/events.out"
"$B" vm delete db > /dev/null
t_wait 5 grep -q vm.deleted "$T/events.out"
kill -INT $ev; wait $ev 2>/dev/null
t_check "banger events prints NDJSON that jq parses" jq -e -s 'length >= 2' "$T/events.out"
t_eq "including the deletion" db "$(grep vm.deleted "$T/events.out" | jq -r .params.name)"

"$B" vm delete web nope > /dev/null 2>&1
t_eq "vm delete of one good and one missing name: exit 4" 4 "$?"
"$B" vm get web > /dev/null 2>&1
t_eq "the good one is deleted anyway" 4 "$?"
"$B" image rm minimal > /dev/null
t_eq "image rm: exit 0" 0 "$?"

# colour only on a terminal, never with NO_COLOR
"$B" image import minimal --kernel img/vmlinuz --rootfs img/rootfs.ext4 > /dev/null
"$B" vm create web > /dev/null
if command -v script > /dev/null; then
	tty_out=$(script -qec "'$B' vm list" /dev/null 2>&1)
	t_check "on a terminal the header is bold" grep -q $'\e\[1m' <<< "$tty_out"
	tty_out=$(NO_COLOR=1 script -qec "'$B' vm list" /dev/null 2>&1)
	t_check "NO_COLOR turns colour off on a terminal" bash -c '! grep -q $'"'"'\e\['"'"' <<< "$1"' _ "$tty_out"
else
	t_skip "colour on a terminal" "script (bsdutils) is not installed"
fi

# the generated completion and man page list every command of the table
comp=$BANGER_BUILD/cli/completion/banger
if [ -f "$comp" ]; then
	t_check "completion: the bash script parses" bash -n "$comp"
	. "$comp"
	COMP_WORDS=(banger vm cr); COMP_CWORD=2; _banger
	t_eq "completion: banger vm cr<TAB>" create "${COMPREPLY[*]}"
	COMP_WORDS=(banger ima); COMP_CWORD=1; _banger
	t_eq "completion: banger ima<TAB>" image "${COMPREPLY[*]}"
	COMP_WORDS=(banger vm create x --vc); COMP_CWORD=4; _banger
	t_eq "completion: options of vm create" --vcpus "${COMPREPLY[*]}"
	COMP_WORDS=(banger vm snapshot re); COMP_CWORD=3; _banger
	t_eq "completion: a group inside a group (vm snapshot re<TAB>)" restore "${COMPREPLY[*]}"
	COMP_WORDS=(banger vm get ""); COMP_CWORD=3; PATH=$BANGER_BUILD:$PATH _banger
	t_eq "completion: VM names from the daemon" web "${COMPREPLY[*]}"
else
	t_fail "the completion file was generated" "$comp is missing"
fi
# zsh and fish: generated from the same table, and they complete the same
if command -v zsh > /dev/null; then
	zcomp=$BANGER_BUILD/cli/completion/_banger
	t_check "zsh: the completion file is generated and parses" zsh -n "$zcomp"
	# compsys stubbed: _describe/compadd print what they would offer
	zsh_complete() {
		PATH=$BANGER_BUILD:$PATH zsh -f -c '
			compdef() { :; }
			_describe() { local -a a; a=("${(@P)${@[-1]}}"); print -l -- "${a[@]%%:*}"; }
			compadd() { shift; print -l -- "$@"; }
			_files() { print FILES; }
			source "$1"; shift
			words=("$@"); CURRENT=$#words
			_banger' _ "$zcomp" "$@" | grep -v '^$' | tr '\n' ' ' | sed 's/ $//'
	}
	t_eq "zsh: banger vm <TAB> offers the vm commands" "create set list get delete start stop restart pause resume snapshot ssh ssh-config logs run" "$(zsh_complete banger vm '')"
	t_eq "zsh: banger <TAB> offers the groups" "vm image events reconcile system update doctor version" "$(zsh_complete banger '')"
	t_check "zsh: options of vm run" bash -c '[[ " $1 " == *" --rm "* && " $1 " == *" --image "* ]]' _ "$(zsh_complete banger vm run x -)"
	t_eq "zsh: VM names from the daemon" web "$(zsh_complete banger vm get '')"
	t_eq "zsh: image names after --image" minimal "$(zsh_complete banger vm create x --image '')"
else
	t_skip "zsh completion" "zsh is not installed"
fi
if command -v fish > /dev/null; then
	fcomp=$BANGER_BUILD/cli/completion/banger.fish
	t_check "fish: the completion file is generated and parses" fish -n "$fcomp"
	fish_complete() { PATH=$BANGER_BUILD:$PATH fish --no-config -c "source $fcomp; complete -C '$*'" | cut -f1 | tr '\n' ' ' | sed 's/ $//'; }
	t_eq "fish: banger vm cr<TAB>" create "$(fish_complete banger vm cr)"
	t_eq "fish: banger vm <TAB> offers the vm commands" "create delete get list logs pause restart resume run set snapshot ssh ssh-config start stop" "$(fish_complete banger vm '' | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')"
	t_check "fish: options of vm run" bash -c '[[ " $1 " == *" --rm "* ]]' _ "$(fish_complete banger vm run x --)"
	t_eq "fish: VM names from the daemon" web "$(fish_complete banger vm get '')"
	t_eq "fish: image names after --image" minimal "$(fish_complete banger vm create x --image '')"
else
	t_skip "fish completion" "fish is not installed"
fi
man=$BANGER_BUILD/man/banger.1
missing=
[ -f "$man" ] || missing="(no $man)"
[ -f "$man" ] && for words in $("$B" --dump-commands=bash | sed -n 's/^_banger_cmds=":\(.*\):"$/\1/p' | tr ':' '\n' | tr ' ' '_'); do
	w=${words//_/ }
	grep -q "^\\\\fBbanger ${w//-/\\\\-}\\\\fR\|^\.SS \"${w//-/\\\\-} " "$man" || missing="$missing [$w]"
done
t_eq "banger.1 documents every command of the table" "" "$missing"
d_stop
t_done

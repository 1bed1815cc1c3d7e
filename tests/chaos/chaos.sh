#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Chaos against a private banger with real guests (at most two at once), after the campaign of
# issue 12: restart cycles of both daemons (SIGTERM and SIGKILL) with a running guest; SIGKILL
# of bangerd or bangerd-root at randomized moments of a start, inside jail.launch and inside a
# long disk.prepare (a sparse copy of a fat image, device-mapper hidden from the helper); a tmpfs
# state directory filled at chosen steps of a start and a stop, with daemon restarts while full;
# abusive clients (idle ones past the cap, slowloris, a 2 MiB line, deep nesting, a subscriber
# that never reads, status calls against a stopped helper). After every perturbation the kernel's
# view is checked: a VM that runs has its VMM (same pid, same boot id), one that does not leaves
# nothing (bangerd-root's resources.list, jail directories, processes). It prints its figures;
# leaks found must be 0. CHAOS_SEED=N replays a run; CHAOS_CYCLES (6), CHAOS_KILLS (2 random
# moments, besides the 4 kills inside jail.launch and disk.prepare) and CHAOS_FILLS (1 random
# moment, besides the 2 chosen steps) size it.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../e2e/vmm-lib.inc"
t_private_ns "$@"
command -v debugfs > /dev/null || t_skip_all "debugfs (e2fsprogs) is missing"
SEED=${CHAOS_SEED:-$(( $(date +%s) % 32768 ))}
RANDOM=$SEED
CYCLES=${CHAOS_CYCLES:-6}
KILLS=${CHAOS_KILLS:-2}
REL_CONF='[vm]
ssh_timeout_sec = 45
stop_timeout_sec = 15
[state]
min_free_mib = 64
[daemon]
client_silent_timeout_sec = 5'
REL_STATE_MB=2560
REL_JAILER_DELAY=1
. "$(dirname "$0")/../e2e/reliability-lib.inc"
rl_setup
t0=$SECONDS
echo "# chaos seed $SEED (CHAOS_SEED=$SEED replays it)"

n_cycles=0 n_term=0 n_kill=0 n_start_kills=0 n_fills=0 n_abuse=0 leaks=0
declare -A landed=()

gone() {
	local p
	for p; do
		case $(awk '{print $3}' "/proc/$p/stat" 2> /dev/null) in "" | Z) ;; *) return 1 ;; esac
	done
}
alive() { ! gone "$@"; }
vm_is() { [ "$(vmget "$1" "$2")" = "$3" ]; }
ssh_boot() { timeout 30 setpriv --reuid=$OWNER --regid=$OWNER --clear-groups env BANGER_ROOT="$T" HOME="$HOMEDIR" "$(t_bin banger)" vm ssh "$1" -- cat /proc/sys/kernel/random/boot_id 2> /dev/null; }
settled() { case $(vmget "$1" state) in starting | stopping) return 1 ;; esac; }
rand_ms() { echo $((RANDOM % ($2 - $1 + 1) + $1)); } # MIN MAX
sleep_ms() { sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; }

# The kernel agrees with the record: a running VM's VMM runs with its pid (and is the one
# bangerd-root finds for its id); any other VM leaves nothing behind. Adds to $leaks.
check_vm() { # NAME WHEN
	local id state pid found out
	id=$(vmget "$1" id) state=$(vmget "$1" state) pid=$(vmget "$1" pid)
	if [ "$state" = running ]; then
		found=$(helper_call proc.find "{\"vm_id\":\"$id\"}" | jq -r '.pid // empty')
		if [ -z "$pid" ] || gone "$pid" || [ "$found" != "$pid" ]; then
			leaks=$((leaks + 1))
			t_fail "$2: $1 says running (pid $pid) and its VMM is pid ${found:-none}"
			return 1
		fi
		return 0
	fi
	out=$(vm_leaks "$id")
	if [ -n "$out" ]; then
		leaks=$((leaks + $(wc -l <<< "$out")))
		t_fail "$2: $1 is $state and left something behind" "$out"
		return 1
	fi
	return 0
}
# a runs on through everything with the same VMM and the same guest boot
check_a() { # WHEN
	if [ "$(vmget a state) $(vmget a pid)" != "running $PID_A" ] || gone "$PID_A" ||
		[ "$(ssh_boot a)" != "$BOOT_A" ]; then
		t_fail "$1: a still runs with VMM $PID_A and boot $BOOT_A" \
			"now: $(banger --json vm get a | jq -c '{state, pid, boot_id, reason}')"
		leaks=$((leaks + 1))
		return 1
	fi
	return 0
}
restart_daemon() { # SIG
	daemon_kill "$1"
	daemon_start
}
restart_helper() { # SIG
	helper_kill "$1"
	helper_start
}
# waits for the background start (pid $1) and for VM $2 to settle
finish_start() {
	wait "$1" 2> /dev/null
	t_wait 120 settled "$2" || t_fail "$2 settles within 120 s" "$(vmget "$2" state): $(vmget "$2" reason)"
}

# ---- 1. restart cycles with running guests ------------------------------------------------------
banger vm create a > /dev/null && banger vm create b > /dev/null
as_owner_exec "$(t_bin banger)" vm start a > "$T/a.out" 2>&1 &
sa=$!
as_owner_exec "$(t_bin banger)" vm start b > "$T/b.out" 2>&1 &
sb=$!
wait $sa && wait $sb && t_ok "two guests run ($((SECONDS - t0)) s)" || t_fail "two guests run" "$(cat "$T/a.out" "$T/b.out")"
PID_A=$(vmget a pid) BOOT_A=$(vmget a boot_id) PID_B=$(vmget b pid) BOOT_B=$(vmget b boot_id)
cycles_failed=0
for ((i = 1; i <= CYCLES; i++)); do
	sig=$([ $((i % 2)) = 1 ] && echo TERM || echo KILL)
	case $((i % 3)) in
	0) who="bangerd" && restart_daemon $sig ;;
	1) who="bangerd-root" && restart_helper $sig ;;
	2) who="both" && helper_kill $sig; daemon_kill $sig; helper_start; daemon_start ;;
	esac
	[ $sig = TERM ] && n_term=$((n_term + 1)) || n_kill=$((n_kill + 1))
	n_cycles=$((n_cycles + 1))
	both() { [ "$(vmget a state) $(vmget a pid) $(vmget b state) $(vmget b pid)" = "running $PID_A running $PID_B" ]; }
	if t_wait 30 both && [ "$(ssh_boot a)" = "$BOOT_A" ] && [ "$(ssh_boot b)" = "$BOOT_B" ]; then :; else
		t_fail "cycle $i (SIG$sig to $who): a and b run on with the same VMMs and boots" \
			"$(banger --json vm list | jq -c '.vms[] | {name, state, pid, boot_id}')"
		leaks=$((leaks + 1))
		cycles_failed=$((cycles_failed + 1))
	fi
done
t_eq "$n_cycles restart cycles ($n_term SIGTERM, $n_kill SIGKILL): the guests ran on, same VMM pids and boot ids (cycles that lost them)" \
	0 "$cycles_failed"
banger vm stop b > /dev/null
check_vm b "after the cycles" && t_ok "b stopped and released"
echo "# phase 1 (restart cycles) done at $((SECONDS - t0)) s"

# ---- 2. SIGKILL at random moments of a start, and inside jail.launch ---------------------------
banger vm create c > /dev/null
IDC=$(vmget c id)
# the last of c's requests bangerd-root had logged (answered) since line $1 of its log
last_op() { tail -n +"$1" "$T/helper.log" | grep "$IDC" | tail -1 | grep -o 'op=[a-z._]*' | cut -c4-; }
kill_during_start() { # TARGET DELAY_MS|jail.launch
	local target=$1 at=$2 sp from op
	from=$(($(wc -l < "$T/helper.log") + 1))
	as_owner_exec "$(t_bin banger)" vm start c > "$T/c.out" 2>&1 &
	sp=$!
	if [ "$at" = jail.launch ]; then
		t_wait 60 pgrep -f "slow-jailer --id $IDC" || t_fail "c's start reached jail.launch"
		sleep_ms "$(rand_ms 100 800)"
		landed[jail.launch]=$((${landed[jail.launch]:-0} + 1))
	else
		sleep_ms "$at"
		op=$(last_op "$from")
		landed["${at}ms,after:${op:-none}"]=1
	fi
	if [ "$target" = bangerd ]; then daemon_kill KILL; else helper_kill KILL; fi
	n_start_kills=$((n_start_kills + 1))
	sleep_ms "$(rand_ms 0 2000)"
	if [ "$target" = bangerd ]; then daemon_start; else helper_start; fi
	finish_start $sp c
	check_vm c "SIGKILL of $target at $at into c's start" || return
	if vm_is c state running; then
		banger vm stop c > /dev/null
		check_vm c "stopping c after SIGKILL of $target"
	fi
}
for ((i = 1; i <= KILLS; i++)); do
	target=$([ $((i % 2)) = 1 ] && echo bangerd || echo bangerd-root)
	kill_during_start $target "$(rand_ms 50 9000)"
done
kill_during_start bangerd-root jail.launch
kill_during_start bangerd jail.launch
check_a "after the kills during starts"
out=$(banger vm start c 2>&1) && t_ok "c starts cleanly after $n_start_kills kills" || t_fail "c starts cleanly after the kills" "$out"
banger vm stop c > /dev/null
check_vm c "c stopped"
echo "# SIGKILL during starts: $n_start_kills (at: ${!landed[*]})"
echo "# phase 2 (kills during starts) done at $((SECONDS - t0)) s"

# ---- 3. inside a long disk.prepare --------------------------------------------------------------
# a fat image: 768 MiB of random data in the root filesystem, copied by disk.prepare when the
# helper sees no device-mapper (no reflink on tmpfs: a sparse copy)
mkdir -p "$T/fat" && cp --sparse=always "$T/img/rootfs.ext4" "$T/fat/rootfs.ext4"
truncate -s 1G "$T/fat/rootfs.ext4" && resize2fs -f "$T/fat/rootfs.ext4" > /dev/null 2>&1
head -c 768M /dev/urandom > "$T/fat/blob"
debugfs -w -R "write $T/fat/blob /blob" "$T/fat/rootfs.ext4" > /dev/null 2>&1
rm -f "$T/fat/blob"
cp "$T/img/vmlinuz" "$T/img/initrd.img" "$T/fat/" && chown -R $OWNER:$OWNER "$T/fat"
banger image import fat --kernel "$T/fat/vmlinuz" --initrd "$T/fat/initrd.img" --rootfs "$T/fat/rootfs.ext4" > /dev/null ||
	t_fail "import the fat image"
rm -f "$T/fat/rootfs.ext4"
REL_HIDE_DM=1 restart_helper TERM
for target in bangerd-root bangerd; do
	banger vm create f --image fat > /dev/null
	IDF=$(vmget f id)
	as_owner_exec "$(t_bin banger)" vm start f > "$T/f.out" 2>&1 &
	sp=$!
	# disk.prepare is copying once the VM's disk file holds more than 64 MiB and less than all
	copying() { local k; k=$(du -k "$STATE/vms/$IDF/disk" 2> /dev/null | cut -f1); [ "${k:-0}" -gt 65536 ]; }
	if t_wait 60 copying; then
		if [ "$target" = bangerd ]; then daemon_kill KILL; else helper_kill KILL; fi
		landed[disk.prepare]=$((${landed[disk.prepare]:-0} + 1))
		echo "# SIGKILL of $target with $(du -k "$STATE/vms/$IDF/disk" | cut -f1) KiB of f's disk copied"
	else
		t_fail "f's disk.prepare copies its disk" "$(tail -5 "$T/bangerd.log")"
	fi
	n_start_kills=$((n_start_kills + 1))
	sleep_ms "$(rand_ms 0 1500)"
	if [ "$target" = bangerd ]; then daemon_start; else REL_HIDE_DM=1 helper_start; fi
	finish_start $sp f
	check_vm f "SIGKILL of $target inside f's disk.prepare"
	vm_is f state running && banger vm stop f > /dev/null
	banger vm delete --force f > /dev/null
	check_vm_gone() { [ -z "$(vm_leaks "$IDF")" ] && [ ! -e "$STATE/vms/$IDF" ]; }
	t_wait 20 check_vm_gone || { t_fail "f deleted leaves nothing" "$(vm_leaks "$IDF")"; leaks=$((leaks + 1)); }
done
restart_helper TERM
check_a "after the kills inside disk.prepare"
echo "# SIGKILL inside a long disk.prepare: ${landed[disk.prepare]:-0}"
echo "# phase 3 (kills inside disk.prepare) done at $((SECONDS - t0)) s"

# ---- 4. the state directory fills at chosen steps ----------------------------------------------
banger vm create d > /dev/null
IDD=$(vmget d id)
nft add table inet chaos && nft add chain inet chaos out '{ type filter hook output priority -10; }'
t_add_cleanup "nft delete table inet chaos"
hold_ssh() { nft add rule inet chaos out tcp dport 22 drop; }
free_ssh() { nft flush chain inet chaos out; }
# (a) after the host key, before "running" is saved; then bangerd restarted while still full
hold_ssh
as_owner_exec "$(t_bin banger)" vm start d > "$T/d.out" 2>&1 &
sp=$!
has_ip() { [ -n "$(vmget d ip)" ]; }
t_wait 120 has_ip
t_wait 120 grep -q "^$(vmget d ip) " "$HOMEDIR/.config/banger/ssh/known_hosts" || t_fail "d's start pins its host key"
fill_state && n_fills=$((n_fills + 1))
free_ssh
finish_start $sp d
PID_D=$(vmget d pid)
t_eq "full before running is saved: d runs in memory, not on disk" "running starting" \
	"$(vmget d state) $(jq -r .state "$STATE/vms/$IDD/vm.json")"
restart_daemon $([ $((RANDOM % 2)) = 0 ] && echo TERM || echo KILL)
t_wait 60 vm_is d state running
t_eq "the restarted daemon kept d's guest (same VMM)" "running $PID_D" "$(vmget d state) $(vmget d pid)"
unfill_state
saved() { [ "$(jq -r .state "$STATE/vms/$IDD/vm.json")" = "$2" ]; }
t_check "d's record lands as running" t_wait 5 saved d running
check_vm d "d after the full state dir"
# (b) full during a stop
fill_state && n_fills=$((n_fills + 1))
banger vm stop d > /dev/null
t_eq "full during a stop: d is stopped in memory" stopped "$(vmget d state)"
check_vm d "d stopped while full"
restart_daemon KILL # the record on disk still says running: the new daemon corrects it
t_wait 30 vm_is d state stopped || t_fail "a daemon restarted while full corrects d to stopped" "$(vmget d state)"
unfill_state
t_check "d's record lands as stopped" t_wait 5 saved d stopped
# (c) full at a random moment of a start, and bangerd killed while full
for ((i = 1; i <= ${CHAOS_FILLS:-1}; i++)); do
	as_owner_exec "$(t_bin banger)" vm start d > "$T/d.out" 2>&1 &
	sp=$!
	at=$(rand_ms 0 12000)
	sleep_ms "$at"
	echo "# filling the state dir ${at} ms into d's start ($(vmget d state))"
	fill_state && n_fills=$((n_fills + 1))
	sleep_ms "$(rand_ms 0 3000)"
	restart_daemon KILL
	unfill_state
	finish_start $sp d
	check_vm d "full ${at} ms into d's start, bangerd killed"
	disk=$(jq -r .state "$STATE/vms/$IDD/vm.json")
	landed_right() { [ "$(jq -r .state "$STATE/vms/$IDD/vm.json")" = "$(vmget d state)" ]; }
	t_wait 5 landed_right || t_fail "d's record on disk agrees with memory again" "disk $disk, memory $(vmget d state)"
	vm_is d state running && banger vm stop d > /dev/null
	check_vm d "d stopped"
done
check_a "after the full state dir"
echo "# phase 4 (full state dir) done at $((SECONDS - t0)) s"

# ---- 5. abusive clients -------------------------------------------------------------------------
SOCK=$T/run/banger/bangerd.sock
cpu() { awk '{print $14 + $15}' "/proc/$DPID/stat"; }
c0=$(cpu)
python3 - "$SOCK" <<'PY' > "$T/abuse.out" 2>&1
import json, socket, sys, threading, time
sock = sys.argv[1]
def conn():
    s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sock); return s
res = {}
# 1,100 idle clients: the ones over the cap are told so, none hangs the daemon
idle = [conn() for _ in range(1100)]
time.sleep(1)
refused = 0
for s in idle:
    s.setblocking(False)
    try:
        if b"unavailable" in s.recv(4096): refused += 1
    except BlockingIOError:
        pass
res["idle_refused"] = refused
for s in idle: s.close()
# a 2 MiB line, deep nesting, slowloris
def first_answer(payload):
    s = conn()
    try:
        s.sendall(payload)
    except OSError:
        pass  # closed on us before all of it went: the answer is already there
    try:
        line = s.makefile("rb").readline()
    except OSError:
        line = b""
    return json.loads(line)["error"]["data"]["code"] if line else "closed"
res["long_line"] = first_answer(b'{"jsonrpc":"2.0","id":1,"method":"vm.list","params":{"x":"' + b"a" * (2 << 20) + b'"}}\n')
res["deep"] = first_answer(b'{"jsonrpc":"2.0","id":1,"method":"vm.list","params":' + b"[" * 100000 + b"]" * 100000 + b"}\n")
slow = conn()
for b in b'{"jsonrpc":"2.0","id":1,"meth':
    try: slow.send(bytes([b])); time.sleep(0.3)
    except OSError: break
# a subscriber that never reads while events flow
sub = conn(); sub.sendall(b'{"jsonrpc":"2.0","id":1,"method":"events.subscribe"}\n')
c = conn(); f = c.makefile("rwb")
for i in range(300):
    for m in ("vm.create", "vm.delete"):
        f.write(json.dumps({"jsonrpc": "2.0", "id": i, "method": m, "params": {"name": "z%d" % i}}).encode() + b"\n"); f.flush()
        json.loads(f.readline())
t = time.time()
f.write(b'{"jsonrpc":"2.0","id":9,"method":"vm.get","params":{"name":"a"}}\n'); f.flush()
res["answered_meanwhile"] = json.loads(f.readline())["result"]["state"]
res["latency_ms"] = round((time.time() - t) * 1000)
print(json.dumps(res))
PY
c1=$(cpu)
echo "# abusive clients: $(tail -1 "$T/abuse.out"); daemon CPU $((c1 - c0)) ticks"
n_abuse=$((n_abuse + 6))
t_eq "abusive clients: idle ones over the cap refused, 2 MiB line and deep nesting refused, others answered" \
	'76 protocol_error protocol_error running' \
	"$(tail -1 "$T/abuse.out" | jq -r '"\(.idle_refused) \(.long_line) \(.deep) \(.answered_meanwhile)"' 2> /dev/null)"
# status calls while bangerd-root is stopped: bounded, and nobody else waits
kill -STOP "$HPID"
out=$(python3 - "$SOCK" <<'PY'
import json, socket, sys, time
def conn():
    s = socket.socket(socket.AF_UNIX); s.settimeout(20); s.connect(sys.argv[1]); return s, None
a, _ = conn(); b, _ = conn(); fa, fb = a.makefile("rb"), b.makefile("rb")
t0 = time.time()
a.sendall(b"".join(b'{"jsonrpc":"2.0","id":%d,"method":"system.status"}\n' % i for i in range(10)))
time.sleep(0.05)
b.sendall(b'{"jsonrpc":"2.0","id":1,"method":"vm.list"}\n'); fb.readline()
other = time.time() - t0
for _ in range(10): fa.readline()
print("%.2f %.2f" % (other, time.time() - t0))
PY
)
kill -CONT "$HPID"
n_abuse=$((n_abuse + 1))
echo "# status x10 against a SIGSTOPped helper: another client answered after ${out% *} s, all 10 after ${out#* } s"
t_check "a stopped helper delays nobody else (< 0.5 s) and the status calls at most ~1 s" \
	awk -v a="${out% *}" -v b="${out#* }" 'BEGIN { exit !(a != "" && b != "" && a < 0.5 && b < 1.5) }'
check_a "after the abusive clients"

# ---- the end: everything stopped, nothing left ------------------------------------------------
for v in a c d; do banger vm stop "$v" > /dev/null 2>&1; done
ids=$(banger --json vm list | jq -r '.vms[].id')
out=$(vm_leaks $ids)
for j in "$T"/var/lib/banger/jail/banger-vmm/*; do [ -e "$j" ] && out+=$'\n'"jail dir $(basename "$j") (no record)"; done
out=$(sed '/^$/d' <<< "$out")
[ -n "$out" ] && leaks=$((leaks + $(wc -l <<< "$out")))
echo "# chaos figures: seed $SEED; restart cycles $n_cycles ($n_term SIGTERM, $n_kill SIGKILL); SIGKILLs during starts $n_start_kills (inside jail.launch ${landed[jail.launch]:-0}, inside disk.prepare ${landed[disk.prepare]:-0}); state-dir fills $n_fills; abusive clients $n_abuse; leaks found $leaks; $((SECONDS - t0)) s"
t_eq "leaks found" 0 "$leaks"
[ -n "$out" ] && echo "$out" | sed 's/^/#   /'
if [ "$_t_failed" -gt 0 ]; then
	echo "# bangerd.log (last 40 lines):"
	tail -n 40 "$T/bangerd.log" | sed 's/^/#   /'
fi
t_done

#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bangerd's methods over a raw socket: hello, VM and image records, every error code, the
# socket's mode and the methods reserved for later work.
. "$(dirname "$0")/daemon-lib.sh"
t_require_root
d_start

t_eq "socket is mode 0600" 600 "$(stat -c %a "$SOCK")"
t_eq "hello answers bangerd" bangerd "$(d_rpc hello '{"protocol":1,"program":"t"}' | jq -r .result.program)"
t_eq "hello with another protocol is refused" protocol_error "$(d_code hello '{"protocol":99}')"
t_eq "an unknown method is invalid_argument" invalid_argument "$(d_code no.such.method)"

t_eq "vm.create needs an existing image" not_found "$(d_code vm.create '{"name":"a"}')"
d_image minimal
img=$(d_rpc image.get '{"name":"minimal"}')
t_eq "image.get reports the kernel's sha256" "$(sha256sum < "$T/img-minimal/vmlinuz" | cut -d' ' -f1)" "$(jq -r .result.kernel_sha256 <<< "$img")"
t_eq "image.get reports the rootfs size" "$(stat -c %s "$T/img-minimal/rootfs.ext4")" "$(jq -r .result.rootfs_size <<< "$img")"
t_check "the rootfs copy is identical" cmp "$T/img-minimal/rootfs.ext4" "$(jq -r .result.rootfs <<< "$img")"
t_eq "image.import of an existing name is a conflict" conflict "$(d_code image.import "{\"name\":\"minimal\",\"kernel\":\"$T/img-minimal/vmlinuz\",\"rootfs\":\"$T/img-minimal/rootfs.ext4\"}")"
t_eq "image.import of a missing file is not_found" not_found "$(d_code image.import "{\"name\":\"x\",\"kernel\":\"$T/nope\",\"rootfs\":\"$T/img-minimal/rootfs.ext4\"}")"
t_eq "image.import of a directory is invalid_argument" invalid_argument "$(d_code image.import "{\"name\":\"x\",\"kernel\":\"$T\",\"rootfs\":\"$T/img-minimal/rootfs.ext4\"}")"
t_eq "image.import of a relative path is invalid_argument" invalid_argument "$(d_code image.import '{"name":"x","kernel":"vmlinuz","rootfs":"r"}')"
t_eq "image.import with a bad name is invalid_argument" invalid_argument "$(d_code image.import "{\"name\":\"X\",\"kernel\":\"$T/img-minimal/vmlinuz\",\"rootfs\":\"$T/img-minimal/rootfs.ext4\"}")"
t_eq "image.list lists it" minimal "$(d_rpc image.list | jq -r '.result.images[].name')"

created=$(d_rpc vm.create '{"name":"web-1","vcpus":2,"memory_mib":1024,"disk_gib":8}')
id=$(jq -r .result.id <<< "$created")
t_check "vm.create returns a 32-hex id" grep -Eq '^[0-9a-f]{32}$' <<< "$id"
t_eq "vm.create starts in state created" created "$(jq -r .result.state <<< "$created")"
t_eq "vm.create keeps vcpus/memory/disk" "2 1024 8" "$(jq -r '.result | "\(.vcpus) \(.memory_mib) \(.disk_gib)"' <<< "$created")"
t_check "vm.json is in vms/<id>/" test -f "$BANGER_ROOT/var/lib/banger/state/vms/$id/vm.json"
t_eq "vm.get by name" "$id" "$(d_rpc vm.get '{"name":"web-1"}' | jq -r .result.id)"
t_eq "vm.get by id" web-1 "$(d_rpc vm.get "{\"id\":\"$id\"}" | jq -r .result.name)"
t_eq "vm.get of a missing VM is not_found" not_found "$(d_code vm.get '{"name":"nope"}')"
t_eq "vm.get with name and id is invalid_argument" invalid_argument "$(d_code vm.get "{\"name\":\"web-1\",\"id\":\"$id\"}")"
t_eq "a duplicate name is a conflict" conflict "$(d_code vm.create '{"name":"web-1"}')"
for bad in '{"name":"Web"}' '{"name":"1abc"}' '{"name":"a_b"}' '{"name":"abcdefghijklmnopqrstuvwxyz0123456"}' \
	'{"name":"ok","vcpus":0}' '{"name":"ok","vcpus":33}' '{"name":"ok","memory_mib":127}' \
	'{"name":"ok","memory_mib":65537}' '{"name":"ok","disk_gib":0}' '{"name":"ok","vcpus":"2"}' \
	'{"name":"ok","bogus":1}' '{}'; do
	t_eq "vm.create refuses $bad" invalid_argument "$(d_code vm.create "$bad")"
done
t_eq "a 32-character name is fine" ok "$(d_code vm.create '{"name":"abcdefghijklmnopqrstuvwxyz012345"}')"
t_eq "vm.list is sorted by name" "abcdefghijklmnopqrstuvwxyz012345 web-1" "$(d_rpc vm.list | jq -r '[.result.vms[].name] | join(" ")')"
t_eq "image.delete refuses an image in use" conflict "$(d_code image.delete '{"name":"minimal"}')"

# a record that says running while no helper can tell whether its VMM lives: re-adoption leaves
# it alone (and retries), so delete needs force
sed -i 's/"state": "created"/"state": "running"/' "$BANGER_ROOT/var/lib/banger/state/vms/$id/vm.json"
d_stop
d_start
t_eq "vm.delete refuses a running VM without force" conflict "$(d_code vm.delete '{"name":"web-1"}')"
t_eq "vm.delete with force deletes it" web-1 "$(d_rpc vm.delete '{"name":"web-1","force":true}' | jq -r .result.name)"
t_check "its directory is gone" test ! -e "$BANGER_ROOT/var/lib/banger/state/vms/$id"
t_eq "vm.delete again is not_found" not_found "$(d_code vm.delete '{"name":"web-1"}')"
t_eq "vm.delete of the other" ok "$(d_code vm.delete '{"name":"abcdefghijklmnopqrstuvwxyz012345"}')"
t_eq "image.delete once unused" ok "$(d_code image.delete '{"name":"minimal"}')"
t_check "the image directory is gone" test ! -e "$BANGER_ROOT/var/lib/banger/state/images/minimal"
t_eq "image.get after delete is not_found" not_found "$(d_code image.get '{"name":"minimal"}')"

for m in vm.start vm.stop vm.restart vm.pause vm.resume vm.logs; do
	t_eq "$m of a missing VM is not_found" not_found "$(d_code "$m" '{"name":"x"}')"
done
# No bangerd-root in this suite: a start fails at its first privileged step, says why, and
# leaves the VM in error with the step named (tests/e2e/lifecycle.sh starts VMs for real).
d_image small
d_rpc vm.create '{"name":"lone","image":"small"}' > /dev/null
ans=$(d_rpc vm.start '{"name":"lone"}')
t_eq "vm.start without the helper answers unavailable" unavailable "$(jq -r .error.data.code <<< "$ans")"
t_check "vm.start says bangerd-root is not reachable" grep -q "bangerd-root is not reachable" <<< "$ans"
t_eq "the VM is left in error" error "$(d_rpc vm.get '{"name":"lone"}' | jq -r .result.state)"
t_check "its reason names the step" bash -c 'grep -q "step \\\"bridge\\\"" <<< "$1"' _ "$(d_rpc vm.get '{"name":"lone"}' | jq -r .result.reason)"
t_eq "vm.stop of a VM that is not running is a conflict" conflict "$(d_code vm.stop '{"name":"lone"}')"
t_eq "vm.pause of a VM that is not running is a conflict" conflict "$(d_code vm.pause '{"name":"lone"}')"
t_check "  saying it is not running" grep -q 'Cannot pause VM \\"lone\\": it is not running (error)' <<< "$(d_rpc vm.pause '{"name":"lone"}')"
t_eq "vm.resume of a VM that is not running is a conflict" conflict "$(d_code vm.resume '{"name":"lone"}')"
t_eq "vm.logs of a VM that never booted: no lines" 0 "$(d_rpc vm.logs '{"name":"lone"}' | jq '.result.lines | length')"
t_eq "vm.logs refuses a negative tail" invalid_argument "$(d_code vm.logs '{"name":"lone","tail":-1}')"
d_rpc vm.delete '{"name":"lone"}' > /dev/null
d_rpc image.delete '{"name":"small"}' > /dev/null

ans=$(d_rpc reconcile '{"dry_run":true}')
t_eq "reconcile without the helper answers unavailable" unavailable "$(jq -r .error.data.code <<< "$ans")"
t_check "reconcile says it needs bangerd-root" grep -q "needs bangerd-root" <<< "$ans"
t_eq "reconcile refuses unknown parameters" invalid_argument "$(d_code reconcile '{"dryrun":true}')"
for m in update.check update.apply; do
	t_eq "$m refuses parameters (the owner names no release)" invalid_argument "$(d_code "$m" '{"from":"file:///x"}')"
done
ans=$(d_rpc update.apply)
t_eq "update.apply without the helper answers unavailable" unavailable "$(jq -r .error.data.code <<< "$ans")"
t_check "update.apply says bangerd-root must start it" grep -q "bangerd-root" <<< "$ans"
ans=$(d_rpc update.check)
t_eq "update.check where banger is not installed answers unavailable" unavailable "$(jq -r .error.data.code <<< "$ans")"
t_check "update.check says why" grep -q "Cannot check for an update" <<< "$ans"

st=$(d_rpc system.status)
t_eq "system.status has the version" "$("$(t_bin bangerd)" --version | cut -d' ' -f2)" "$(jq -r .result.version <<< "$st")"
t_eq "system.status counts VMs" 0 "$(jq -r .result.counts.vms <<< "$st")"
t_eq "system.status: no helper here" false "$(jq -r .result.helper.reachable <<< "$st")"
# (an error answer has no .result.methods: that is a failure, not "nothing listed")
t_check "system.status lists no unavailable method any more" \
	jq -e '.result.methods != null and ((.result.methods.unavailable // {}) | length == 0)' <<< "$st"
t_check "system.status no longer lists vm.start as unavailable" \
	jq -e '.result.methods != null and .result.methods.unavailable["vm.start"] == null' <<< "$st"

# a helper that answers hello: a stand-in on root.sock, which appears only once it listens (a
# socket file that exists between bind and listen refuses connections). It serves every
# connection, not the first only: the daemon's own reconcile, waiting for bangerd-root, may
# connect first (with resources.list). Only hello is answered.
python3 - "$BANGER_ROOT/run/banger/root.sock" <<'PY' &
import json, os, socket, sys, threading
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1] + ".tmp"); s.listen(16)
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
def serve(c):
    f = c.makefile("rwb")
    for line in f:
        m = json.loads(line)
        if m.get("method") == "hello":
            f.write((json.dumps({"jsonrpc": "2.0", "id": m["id"], "result": {"protocol": 1, "program": "bangerd-root", "version": "9.9"}}) + "\n").encode()); f.flush()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
helper=$!
t_add_cleanup "kill $helper"
t_check "the stand-in helper listens on root.sock" t_wait 5 test -S "$BANGER_ROOT/run/banger/root.sock"
st=$(d_rpc system.status)
t_eq "system.status sees a helper that answers hello" "true bangerd-root 9.9" "$(jq -r '.result.helper | "\(.reachable) \(.program) \(.version)"' <<< "$st")"
kill $helper
wait $helper 2> /dev/null
rm -f "$BANGER_ROOT/run/banger/root.sock"

# a large import is copied and hashed a chunk at a time: others are answered meanwhile
truncate -s 1G "$T/big.ext4"
printf 'end' >> "$T/big.ext4"
out=$(python3 - "$SOCK" "$T" <<'PY'
import json, socket, sys
sock, t = sys.argv[1], sys.argv[2]
a = socket.socket(socket.AF_UNIX); a.connect(sock)
a.sendall((json.dumps({"jsonrpc": "2.0", "id": 1, "method": "image.import", "params": {
    "name": "big", "kernel": t + "/img-minimal/vmlinuz", "rootfs": t + "/big.ext4"}}) + "\n").encode())
b = socket.socket(socket.AF_UNIX); b.connect(sock); b.settimeout(30)
b.sendall(b'{"jsonrpc":"2.0","id":2,"method":"vm.list"}\n')
answered = "result" in json.loads(b.makefile("rb").readline())
a.setblocking(False)
try:
    pending = a.recv(1) == b""
except BlockingIOError:
    pending = True
a.setblocking(True); a.settimeout(120)
imported = json.loads(a.makefile("rb").readline())["result"]
print(answered, pending, imported["rootfs_size"])
PY
)
t_eq "vm.list is answered while a 1 GiB import is still running" "True True $((1024 * 1024 * 1024 + 3))" "$out"
copy=$BANGER_ROOT/var/lib/banger/state/images/big/rootfs.ext4
t_check "the copy keeps the holes (under 1 MiB allocated)" test "$(du -k "$copy" | cut -f1)" -lt 1024
t_check "and is identical" cmp "$T/big.ext4" "$copy"
t_eq "image.delete removes it" ok "$(d_code image.delete '{"name":"big"}')"

d_stop
t_eq "bangerd exits 0 on SIGTERM" 0 "$?"
t_check "the socket is removed on exit" test ! -e "$SOCK"
out=$(timeout 5 "$(t_bin bangerd)" 2>&1)
t_eq "bangerd refuses root without --allow-root (exit 1)" 1 "$?"
t_check "and says why" grep -q "never as root" <<< "$out"
t_done

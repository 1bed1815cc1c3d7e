#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A full state directory (a small tmpfs), without guests: it is announced before it bites
# (daemon.low_space, banger doctor); a start that fails while nothing can be saved ends in error
# with its reason in memory, vm get and the events, not "starting" with nothing behind it; the
# record lands on disk once there is room (vm.saved); the daemon never exits over it; an image
# replaced by a new import that runs out of space is kept whole.
. "$(dirname "$0")/daemon-lib.sh"
t_private_ns "$@"
t_tmpdir
export BANGER_ROOT=$T/root
SOCK=$BANGER_ROOT/run/banger/bangerd.sock
STATE=$BANGER_ROOT/var/lib/banger/state
mkdir -p "$BANGER_ROOT/etc/banger" "$STATE"
mount -t tmpfs -o size=8m tmpfs "$STATE"
t_add_cleanup "umount -l '$STATE'"
printf '[state]\nmin_free_mib = 4\n' > "$BANGER_ROOT/etc/banger/banger.conf"
d_start
d_image minimal
d_rpc vm.create '{"name":"f1"}' > /dev/null
ID=$(d_rpc vm.get '{"name":"f1"}' | jq -r .result.id)
python3 - "$SOCK" > "$T/events.ndjson" <<'PY' &
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"events.subscribe"}\n')
for line in s.makefile("rb"):
    print(line.decode().strip(), flush=True)
PY
EV=$!
t_add_cleanup "kill $EV"
t_wait 5 grep -q '"snapshot"' "$T/events.ndjson"

st=$(d_rpc system.status)
t_eq "system.status: free space known, not low" "true false" \
	"$(jq -r '.result.store | "\(.free_bytes > 4194304) \(.low_space)"' <<< "$st")"
avail=$(df --output=avail -B1 "$STATE" | tail -1)
fallocate -l $((avail - 65536)) "$STATE/.filler"
dd if=/dev/zero of="$STATE/.filler2" bs=4k status=none 2> /dev/null
t_check "a state dir below min_free_mib is announced (daemon.low_space within 6 s)" \
	t_wait 8 grep -q '"daemon.low_space"' "$T/events.ndjson"
t_eq "system.status says so" true "$(d_rpc system.status | jq -r .result.store.low_space)"

# no bangerd-root here: the start fails at its first helper step
ans=$(d_rpc vm.start '{"name":"f1"}')
t_eq "vm.start fails (the helper is not there)" unavailable "$(jq -r .error.data.code <<< "$ans")"
vm=$(d_rpc vm.get '{"name":"f1"}' | jq -c .result)
t_eq "f1 is in error in memory, not left starting" error "$(jq -r .state <<< "$vm")"
t_check "with the reason naming the step" grep -q 'start failed at step "bridge"' <<< "$(jq -r .reason <<< "$vm")"
t_check "and the save error" grep -q "No space left on device" <<< "$(jq -r .save_error <<< "$vm")"
t_eq "the disk still holds the record as it was" created "$(jq -r .state "$STATE/vms/$ID/vm.json")"
t_check "the events told the truth: starting, then error" bash -c \
	"jq -r 'select(.method == \"vm.state\") | .params.new' '$T/events.ndjson' | tr '\n' ' ' | grep -q 'starting error'"
t_check "and vm.save_failed" grep -q '"vm.save_failed"' "$T/events.ndjson"
st=$(d_rpc system.status)
t_eq "system.status lists the unsaved record (and handles.json)" "2 1 f1" \
	"$(jq -r '.result.store.unsaved | "\(.waiting) \(.records | length) \(.records[0].name)"' <<< "$st")"
out=$(BANGER_ROOT=$BANGER_ROOT "$(t_bin banger)" doctor 2>&1)
t_check "banger doctor: the state check fails, naming f1" grep -Eq "state +fail .*f1" <<< "$out"

rm -f "$STATE/.filler" "$STATE/.filler2"
landed() { [ "$(jq -r '"\(.state) \(.reason)"' "$STATE/vms/$ID/vm.json")" = "error $(jq -r .reason <<< "$vm")" ]; }
t_check "once there is room the record lands (error, with its reason)" t_wait 5 landed
t_check "the file has no save_error in it" bash -c "test -s '$STATE/vms/$ID/vm.json' && ! grep -q save_error '$STATE/vms/$ID/vm.json'"
t_eq "vm get: saved" null "$(d_rpc vm.get '{"name":"f1"}' | jq -r .result.save_error)"
t_check "vm.saved was published" t_wait 3 grep -q '"vm.saved"' "$T/events.ndjson"
t_check "and daemon.space_ok once the space is back" t_wait 8 grep -q '"daemon.space_ok"' "$T/events.ndjson"
t_eq "system.status: nothing waits" 0 "$(d_rpc system.status | jq -r .result.store.unsaved.waiting)"
out=$(BANGER_ROOT=$BANGER_ROOT "$(t_bin banger)" doctor 2>&1)
t_check "banger doctor: the state check is ok" grep -Eq "state +ok " <<< "$out"

# a record deleted while its save waits is not written back
fallocate -l $(($(df --output=avail -B1 "$STATE" | tail -1) - 65536)) "$STATE/.filler"
dd if=/dev/zero of="$STATE/.filler2" bs=4k status=none 2> /dev/null
d_rpc vm.start '{"name":"f1"}' > /dev/null
t_eq "vm.delete of f1 while its save waits" ok "$(d_code vm.delete '{"name":"f1"}')"
rm -f "$STATE/.filler" "$STATE/.filler2"
sleep 2
t_check "its directory does not come back" test ! -e "$STATE/vms/$ID"
t_check "the daemon is still running" kill -0 "$D_PID"

# image.import with replace (what banger image pull does for a moved tag): the old image stays
# whole until the new one is, so a replacement that runs out of space loses nothing
d_image spare
spare_sha=$(d_rpc image.get '{"name":"spare"}' | jq -r .result.rootfs_sha256)
mkdir -p "$T/img-new"
cp "$T/img-spare/vmlinuz" "$T/img-new/"
head -c 3M /dev/urandom > "$T/img-new/rootfs.ext4"
new_sha=$(sha256sum < "$T/img-new/rootfs.ext4" | cut -d' ' -f1)
replace='{"name":"spare","kernel":"'$T'/img-new/vmlinuz","rootfs":"'$T'/img-new/rootfs.ext4","replace":true}'
t_eq "image.import of an existing name without replace: conflict" conflict \
	"$(d_code image.import "${replace/,\"replace\":true/}")"
fallocate -l $(($(df --output=avail -B1 "$STATE" | tail -1) - 1048576)) "$STATE/.filler"
ans=$(d_rpc image.import "$replace")
rm -f "$STATE/.filler"
t_eq "a replacement that runs out of space fails" internal "$(jq -r .error.data.code <<< "$ans")"
t_check "  saying so" grep -q "No space left on device" <<< "$ans"
t_eq "  the old image is still there, unchanged" "$spare_sha" \
	"$(d_rpc image.get '{"name":"spare"}' | jq -r .result.rootfs_sha256)"
t_check "  its files are whole" cmp "$T/img-spare/rootfs.ext4" "$STATE/images/spare/rootfs.ext4"
t_eq "  no staging directory is left" "minimal spare" "$(ls -A "$STATE/images" | tr '\n' ' ' | sed 's/ $//')"
ans=$(d_rpc image.import "$replace")
t_eq "with room, the replacement lands" "$new_sha" "$(jq -r .result.rootfs_sha256 <<< "$ans")"
t_check "  its rootfs is the new file" cmp "$T/img-new/rootfs.ext4" "$STATE/images/spare/rootfs.ext4"
t_eq "  the old files and the staging directory are gone" "minimal spare" \
	"$(ls -A "$STATE/images" | tr '\n' ' ' | sed 's/ $//')"
t_eq "  one image named spare" 1 "$(d_rpc image.list | jq '[.result.images[] | select(.name == "spare")] | length')"
d_stop
d_start
t_eq "  a restarted daemon loads the new record" "$new_sha" \
	"$(d_rpc image.get '{"name":"spare"}' | jq -r .result.rootfs_sha256)"
d_rpc vm.create '{"name":"user","image":"spare"}' > /dev/null
ans=$(d_rpc image.import "$replace")
t_eq "an image a VM uses is not replaced: conflict" conflict "$(jq -r .error.data.code <<< "$ans")"
t_check "  saying so" grep -q 'is used by 1 VM; it cannot be replaced' <<< "$ans"
t_done

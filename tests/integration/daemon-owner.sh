#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bangerd as an ordinary owner user (nobody here): it runs without --allow-root, refuses files
# the owner cannot read (permission_denied), reports a state directory it cannot use
# (internal), and only the owner and root may connect.
. "$(dirname "$0")/daemon-lib.sh"
t_require_root
command -v setpriv > /dev/null || t_skip_all "setpriv (util-linux) is missing"
t_tmpdir
chmod 755 "$T"
export BANGER_ROOT=$T/root
SOCK=$BANGER_ROOT/run/banger/bangerd.sock
mkdir -p "$BANGER_ROOT"
chown nobody:nogroup "$BANGER_ROOT"
# setpriv execs bangerd: $! is the daemon itself
setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$(t_bin bangerd)" --foreground > "$T/bangerd.log" 2>&1 &
D_PID=$!
t_add_cleanup 'kill $D_PID'
t_wait 10 test -S "$SOCK" || { cat "$T/bangerd.log"; t_fail "bangerd runs as nobody without --allow-root"; t_done; exit 1; }
t_ok "bangerd runs as nobody without --allow-root"
t_eq "the socket belongs to the owner, mode 0600" "nobody 600" "$(stat -c '%U %a' "$SOCK")"
t_eq "system.status names the owner from the process (no install.json)" "nobody false" "$(d_rpc system.status | jq -r '.result.owner | "\(.name) \(.from_install)"')"

mkdir -p "$T/files"
head -c 1024 /dev/urandom > "$T/files/vmlinuz"
truncate -s 1M "$T/files/rootfs.ext4"
chmod 600 "$T/files/vmlinuz"
chmod 644 "$T/files/rootfs.ext4"
t_eq "a kernel the owner cannot read: permission_denied" permission_denied "$(d_code image.import "{\"name\":\"x\",\"kernel\":\"$T/files/vmlinuz\",\"rootfs\":\"$T/files/rootfs.ext4\"}")"
chmod 644 "$T/files/vmlinuz"
state=$BANGER_ROOT/var/lib/banger/state
mv "$state/images" "$state/images.away"
touch "$state/images"
ans=$(d_rpc image.import "{\"name\":\"x\",\"kernel\":\"$T/files/vmlinuz\",\"rootfs\":\"$T/files/rootfs.ext4\"}")
t_eq "an images directory that is not one: internal" internal "$(jq -r .error.data.code <<< "$ans")"
t_check "naming the image" grep -q 'importing \\"x\\"' <<< "$ans"
rm "$state/images"
mv "$state/images.away" "$state/images"
t_eq "and once it is back, the import works" x "$(d_rpc image.import "{\"name\":\"x\",\"kernel\":\"$T/files/vmlinuz\",\"rootfs\":\"$T/files/rootfs.ext4\"}" | jq -r .result.name)"
t_eq "the imported files belong to the owner" nobody "$(stat -c %U "$state/images/x/rootfs.ext4")"

# a third user may not talk to the owner's daemon, even with the socket opened up for it
chmod 666 "$SOCK"
chmod 755 "$BANGER_ROOT" "$BANGER_ROOT/run" "$BANGER_ROOT/run/banger"
out=$(setpriv --reuid=daemon --regid=daemon --clear-groups -- "$(t_bin banger)" --socket "$SOCK" vm list 2>&1)
t_eq "another user is turned away" 3 "$?"
t_check "the daemon logs the refusal" grep -q "neither the owner nor root" "$T/bangerd.log"
t_eq "root may connect" ok "$(d_code vm.list)"
kill -TERM $D_PID
wait $D_PID
t_eq "clean stop" 0 "$?"
t_done

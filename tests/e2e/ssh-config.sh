#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The OpenSSH config bangerd keeps (~/.config/banger/ssh/config), used by the real OpenSSH client
# against a real guest (one QEMU guest, in a private network + mount namespace): a config that
# only Includes it reaches `demo.banger` and `demo` with the pinned host key; the file follows
# the VM through create, start, stop and delete, and `banger vm ssh-config` prints what it holds.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/vmm-lib.inc"
t_private_ns "$@"
LC_CONF='[vm]
ssh_timeout_sec = 150
stop_timeout_sec = 20'
. "$(dirname "$0")/lifecycle-lib.inc"
lc_setup
t_ok "bangerd-root (root) and bangerd (uid $OWNER) are up"
t_check "image import minimal" banger image import minimal --kernel "$T/img/vmlinuz" \
	--initrd "$T/img/initrd.img" --rootfs "$T/img/rootfs.ext4"

CONF=$HOMEDIR/.config/banger/ssh/config
hosts() { grep '^Host ' "$CONF" 2> /dev/null | tr '\n' ';'; }
t_check "bangerd wrote the file at start-up" test -f "$CONF"
t_eq "  no Host block yet" "" "$(hosts)"

banger vm create demo > /dev/null
t_eq "a created VM has no address, so no block" "" "$(hosts)"
t_check "vm start demo" banger vm start --quiet demo
IP=$(banger --json vm get demo | jq -r .ip)
t_eq "a started VM has its block" "Host demo demo.banger;" "$(hosts)"
t_check "  with its address" grep -qx "$(printf '\tHostName %s' "$IP")" "$CONF"
t_check "  and StrictHostKeyChecking yes" grep -qx "$(printf '\tStrictHostKeyChecking yes')" "$CONF"
t_eq "  owned by the owner, 0600" "$OWNER 600" "$(stat -c '%u %a' "$CONF")"
t_eq "vm ssh-config prints the file" "$(cat "$CONF")" "$(banger vm ssh-config)"

# the owner's own ssh config, as README shows it: one Include line
printf 'Include %s\n' "$CONF" > "$HOMEDIR/ssh_config"
chown $OWNER:$OWNER "$HOMEDIR/ssh_config" && chmod 600 "$HOMEDIR/ssh_config"
sshf() { as_owner ssh -F "$HOMEDIR/ssh_config" -o BatchMode=yes -o ConnectTimeout=10 "$@" < /dev/null; }
t_eq "ssh demo.banger through the Include line runs a command" "root" "$(sshf demo.banger id -un 2> "$T/ssh.err")"
cat "$T/ssh.err" | sed 's/^/# /'
t_eq "ssh demo (the bare name) too" "$(banger vm ssh demo -- cat /proc/sys/kernel/random/boot_id < /dev/null)" \
	"$(sshf demo cat /proc/sys/kernel/random/boot_id 2> /dev/null)"
# the host key is checked, not learned: a known_hosts without demo's key refuses the connection
cp "$HOMEDIR/.config/banger/ssh/known_hosts" "$T/kh.saved"
: > "$HOMEDIR/.config/banger/ssh/known_hosts"
sshf demo.banger true 2> "$T/ssh2.err"
t_eq "with the pinned key gone: ssh refuses (255)" 255 "$?"
t_check "  saying the host key is unknown" grep -qi "host key" "$T/ssh2.err"
cat "$T/kh.saved" > "$HOMEDIR/.config/banger/ssh/known_hosts"
t_check "  and works again with it back" sshf demo.banger true

t_check "vm stop demo" banger vm stop demo
t_check "a stopped VM keeps its block (and its address)" grep -q '^Host demo demo.banger$' "$CONF"
sshf demo.banger true 2> /dev/null
t_eq "  and ssh to it fails as a connection does (255)" 255 "$?"

t_check "vm delete demo" banger vm delete demo
t_eq "a deleted VM's block goes" "" "$(hosts)"
t_done

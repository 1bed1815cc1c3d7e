#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Warm states for real, one QEMU guest at a time in a private network + mount namespace:
# vm pause stops the guest (SSH does not answer, its clock stands still), vm resume continues
# it (SSH answers, the same boot, the clock runs again); a restarted bangerd re-adopts a paused
# VM as paused, and a purge is refused while it is; a stop of a paused VM resumes it first, so
# the guest shuts down by itself (Ctrl-Alt-Del, no signal).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/vmm-lib.inc"
t_private_ns "$@"
LC_CONF='[vm]
ssh_timeout_sec = 150
stop_timeout_sec = 30'
. "$(dirname "$0")/lifecycle-lib.inc"
lc_setup
t_ok "bangerd-root (root) and bangerd (uid $OWNER) are up"
t_check "image import minimal" banger image import minimal --kernel "$T/img/vmlinuz" \
	--initrd "$T/img/initrd.img" --rootfs "$T/img/rootfs.ext4"

vmget() { banger --json vm get "$1" | jq -r ".$2 // empty"; }
SSH_DIR=$HOMEDIR/.config/banger/ssh
# The guest's SSH, asked directly as the owner (banger vm ssh refuses a paused VM before trying);
# a script, so that t_check and t_wait can run it. GIP: the guest's address.
cat > "$T/gssh" << EOF
#!/usr/bin/env bash
exec setpriv --reuid=$OWNER --regid=$OWNER --clear-groups env HOME="$HOMEDIR" \\
	ssh -i "$SSH_DIR/id_ed25519" -o IdentitiesOnly=yes -o BatchMode=yes \\
	-o "UserKnownHostsFile=$SSH_DIR/known_hosts" -o GlobalKnownHostsFile=/dev/null \\
	-o StrictHostKeyChecking=yes -o ConnectTimeout=4 "root@\$GIP" "\$@"
EOF
chmod 0755 "$T/gssh"
# PID is gone, or a zombie: nobody may reap a detached VMM in a test's namespace
gone() { case $(awk '{print $3}' "/proc/$1/stat" 2> /dev/null) in "" | Z) return 0 ;; *) return 1 ;; esac; }
guest_ssh() { "$T/gssh" "$@"; }
not_answering() { ! "$T/gssh" true 2> /dev/null; }
# The guest's monotonic clock in whole seconds (the first field of /proc/uptime).
guest_uptime() { guest_ssh cat /proc/uptime | awk '{printf "%d\n", $1}'; }

# ---- pause and resume -------------------------------------------------------------------------
out=$(banger vm run w 2>&1) && t_ok "vm run w" || t_fail "vm run w" "$out" "$(tail -n 30 "$T/bangerd.log")"
export GIP
GIP=$(vmget w ip)
BOOT=$(vmget w boot_id) PID=$(vmget w pid)
t_check "SSH answers before the pause" guest_ssh true
up0=$(guest_uptime) h0=$SECONDS

out=$(banger vm pause w 2>&1)
t_eq "vm pause w: exit 0" 0 "$?"
t_eq "  says so" "Paused VM w" "$out"
t_eq "  the record says paused" paused "$(vmget w state)"
t_check "  vm list shows it paused" grep -Eq '^w[[:space:]].*paused' <<< "$(banger vm list)"
t_check "  SSH does not answer while paused" not_answering
out=$(banger vm ssh w -- true 2>&1)
t_eq "  banger vm ssh refuses: exit 1" 1 "$?"
t_check "  saying it is paused and how to resume" grep -q 'is paused.*banger vm resume w' <<< "$out"
out=$(banger vm pause w 2>&1)
t_eq "  a second pause is refused: exit 1" 1 "$?"
t_check "  saying it is already paused" grep -q 'already paused' <<< "$out"
out=$(banger vm start w 2>&1)
t_eq "  a start is refused (it runs): exit 1" 1 "$?"
t_check "  saying it is already running" grep -q 'already running' <<< "$out"
sleep 8 # the guest's clock must not move meanwhile

out=$(banger vm resume w 2>&1)
t_eq "vm resume w: exit 0" 0 "$?"
t_eq "  says so" "Resumed VM w" "$out"
t_eq "  the record says running" running "$(vmget w state)"
t_check "  SSH answers again" t_wait 20 guest_ssh true
up1=$(guest_uptime) h1=$SECONDS
echo "# guest clock moved $((up1 - up0)) s over $((h1 - h0)) s of host time (8+ s of it paused)"
t_check "  the guest clock stood still while paused (moved at least 6 s less than the host's)" \
	test $((up1 - up0)) -le $((h1 - h0 - 6))
sleep 3
up2=$(guest_uptime)
t_check "  and it runs again ($up1 s, then $up2 s 3 s later)" test $((up2 - up1)) -ge 2
t_eq "  the same boot" "$BOOT" "$(guest_ssh cat /proc/sys/kernel/random/boot_id)"
t_eq "  the same VMM" "$PID" "$(vmget w pid)"
out=$(banger vm resume w 2>&1)
t_eq "  a resume of a running VM is refused: exit 1" 1 "$?"
t_check "  saying it is not paused" grep -q 'not paused' <<< "$out"

# ---- a restarted daemon re-adopts a paused VM as paused ----------------------------------------
banger vm pause w > /dev/null
kill "$DPID"
wait "$DPID" 2> /dev/null
t_check "the paused VMM outlives bangerd" kill -0 "$PID"
start_daemon
t_check "the new bangerd re-adopts w as paused, same VMM" t_wait 10 bash -c \
	"[ \"\$(setpriv --reuid=$OWNER --regid=$OWNER --clear-groups env BANGER_ROOT='$T' '$(t_bin banger)' --json vm get w | jq -r '\"\(.state) \(.pid)\"')\" = 'paused $PID' ]"
t_check "  SSH still does not answer" not_answering
out=$(env BANGER_ROOT="$T" "$(t_bin banger)" system uninstall --purge 2>&1)
t_eq "  system uninstall --purge is refused while it is paused (its VMM runs): exit 1" 1 "$?"
t_check "  naming it" grep -q 'refused, VMs are running: w' <<< "$out"
t_check "  and it resumes" banger vm resume w
t_check "  SSH answers again" t_wait 20 guest_ssh true
t_eq "  the same boot" "$BOOT" "$(guest_ssh cat /proc/sys/kernel/random/boot_id)"

# ---- a stop of a paused VM: resumed first, the guest shuts down by itself ----------------------
banger vm pause w > /dev/null
t0=$SECONDS
out=$(banger vm stop w 2>&1)
t_eq "vm stop of a paused VM: exit 0" 0 "$?"
echo "# stop of a paused VM took $((SECONDS - t0)) s"
t_eq "  stopped" stopped "$(vmget w state)"
t_check "  the VMM is gone" gone "$PID"
t_check "  the daemon's log is where its lines go (VM w paused)" grep -q 'VM w paused' "$T/bangerd.log"
t_check "  by the guest's own shutdown: no signal was sent" bash -c "! grep -q 'VM w: sending SIG' '$T/bangerd.log'"
out=$(banger vm pause w 2>&1)
t_eq "a pause of a stopped VM is refused: exit 1" 1 "$?"
t_check "  saying it is not running" grep -q 'not running' <<< "$out"
t_done

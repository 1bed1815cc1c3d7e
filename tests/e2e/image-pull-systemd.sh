#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# banger image pull of an image that boots its own systemd and has sshd (a Debian 12 minbase
# root with systemd-sysv and openssh-server, made with mmdebstrap from the package mirror and
# cached): systemd is PID 1, banger-guest.service sets up network and keys and prints the host
# key line, vm run reaches SSH with the VM's own host key, vm stop powers off. Slow (a 220 MB
# root, systemd under TCG: about 5 minutes) and needs the mirror, so it runs only with
# BANGER_TEST_SLOW=1.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/vmm-lib.inc"
[ -n "${BANGER_TEST_SLOW:-}" ] || t_skip_all "set BANGER_TEST_SLOW=1: builds a Debian root with mmdebstrap and boots systemd under TCG (~5 min)"
t_private_ns "$@"
for c in skopeo umoci mmdebstrap python3; do command -v "$c" > /dev/null || t_skip_all "$c is missing"; done
LC_CONF='[vm]
ssh_timeout_sec = 400
stop_timeout_sec = 60'
. "$(dirname "$0")/lifecycle-lib.inc"
lc_setup
cache=${BANGER_TEST_CACHE:-/var/tmp/banger-test-cache}
tar=$cache/oci-systemd-rootfs.tar
mkdir -p "$cache"
if [ ! -s "$tar" ]; then
	# the network namespace has no route out: build in the host's, through nsenter on pid 1
	nsenter --net=/proc/1/ns/net mmdebstrap --variant=minbase \
		--include=systemd-sysv,openssh-server,udev bookworm "$tar.tmp" > "$T/mmdebstrap.log" 2>&1 &&
		mv "$tar.tmp" "$tar" || { tail -5 "$T/mmdebstrap.log"; rm -f "$tar.tmp"; t_skip_all "mmdebstrap could not build the root"; }
fi
mkdir -p "$T/oci" && chmod 0755 "$T/oci"
python3 "$(dirname "$0")/oci-layout.py" "rootfs:$tar" "$T/oci/deb" v1 && chmod -R a+rX "$T/oci"
t_check "image import minimal" banger image import minimal --kernel "$T/img/vmlinuz" \
	--initrd "$T/img/initrd.img" --rootfs "$T/img/rootfs.ext4"
t0=$SECONDS
banger image pull --name deb "oci:$T/oci/deb:v1" > "$T/pull.out" 2>&1
t_eq "pull a systemd + sshd image" 0 $?
echo "# pull took $((SECONDS - t0)) s"
t_check "  it says it keeps the image's systemd" grep -q "boots its own systemd and has sshd" "$T/pull.out"
t0=$SECONDS
banger vm run sd --image deb < /dev/null > "$T/run.out" 2>&1
st=$?
echo "# vm run (boot to SSH) took $((SECONDS - t0)) s"
t_eq "vm run reaches SSH (host key pinned from banger-guest.service's line)" 0 $st
[ $st -eq 0 ] || { cat "$T/run.out"; banger vm logs sd | grep -v '^\[' | tail -30; }
t_eq "systemd is PID 1" systemd "$(banger vm ssh sd -- cat /proc/1/comm < /dev/null)"
t_eq "banger-guest.service and ssh.service are active" "active active" "$(banger vm ssh sd -- systemctl is-active banger-guest ssh < /dev/null | tr '\n' ' ' | sed 's/ $//')"
image_key=$(tar -xOf "$tar" ./etc/ssh/ssh_host_ed25519_key.pub 2> /dev/null | cut -d' ' -f2)
vm_key=$(banger vm ssh sd -- "cut -d' ' -f2 /etc/ssh/ssh_host_ed25519_key.pub" < /dev/null)
t_check "the VM has a host key of its own, not the image's" test -n "$vm_key" -a "$vm_key" != "$image_key"
t_check "  and printed it on the console for pinning" grep -qF "banger-hostkey: ssh-ed25519 ${vm_key:-MISSING}" <<< "$(banger vm logs sd)"
t0=$SECONDS
t_check "vm stop" banger vm stop sd
echo "# vm stop took $((SECONDS - t0)) s"
t_check "  through systemd's poweroff (Ctrl-Alt-Del → poweroff.target)" grep -q "Reached target.*poweroff.target\|Powering off" <<< "$(banger vm logs sd)"
t_done

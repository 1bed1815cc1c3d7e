#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# `banger image build debian` for real, in a private network + mount namespace: the recipe's
# usage errors (unknown suite, bad package names, bad size) leave no image and no build directory;
# a build with an extra package imports with boots_on; `banger vm run` boots it under banger-vmm
# to SSH with the pinned host key; inside, apt works, systemd is running (failed units named),
# the root filesystem spans the disk, hostname and resolv.conf come from ip=. Built once per run
# (BANGER_TEST_DEBIAN_IMAGE=DIR imports an earlier build instead, for working on this test).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/vmm-lib.inc"
t_private_ns "$@"
command -v mmdebstrap > /dev/null || t_skip_all "mmdebstrap is missing (scripts/install-deps)"
command -v curl > /dev/null || t_skip_all "curl is missing"
# The mirror the recipe will use (the host's, as the recipe finds it), reachable or skip.
MIRROR=$(cat /etc/apt/sources.list.d/*.sources 2> /dev/null |
	awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }')
MIRROR=${MIRROR:-http://deb.debian.org/debian}
# The namespace has no way out; the build downloads through the network the test was started
# in: the runner's (this script keeps its pid across t_private_ns's exec, so $PPID is the runner).
HOSTNET=(nsenter --net=/proc/$PPID/ns/net --)
"${HOSTNET[@]}" true 2> /dev/null || t_skip_all "cannot enter the runner's network namespace"
"${HOSTNET[@]}" curl -fsI --max-time 20 "$MIRROR/dists/bookworm/Release" > /dev/null 2>&1 ||
	t_skip_all "the Debian mirror $MIRROR is unreachable"
LC_CONF='[vm]
ssh_timeout_sec = 300
stop_timeout_sec = 30'
. "$(dirname "$0")/lifecycle-lib.inc"
lc_setup
t_ok "bangerd-root (root) and bangerd (uid $OWNER) are up"
mkdir -m 0755 "$T/tmp"
# as root, as a person runs it (sudo): mmdebstrap --mode=root and /boot/vmlinuz-* need it
build() { "${HOSTNET[@]}" env BANGER_ROOT="$T" HOME="$HOMEDIR" TMPDIR="$T/tmp" "$(t_bin banger)" image build "$@"; }
no_debian_left() {
	! banger --json image list | jq -e '.images[] | select(.name == "debian")' > /dev/null &&
		! ls -d "$T"/tmp/banger-image-* > /dev/null 2>&1
}

# ---- refusals: clear errors, nothing left behind -------------------------------------------
build debian --suite no-such-suite > "$T/out1" 2>&1
t_eq "an unknown --suite is a usage error (exit 2)" 2 $?
t_check "  which names the suite and the mirror" grep -q 'has no suite "no-such-suite"' "$T/out1"
t_check "  and leaves no image and no build directory" no_debian_left
build debian --packages 'curl,Not_A_Name' > "$T/out2" 2>&1
t_eq "a --packages entry that is not a package name is a usage error (exit 2)" 2 $?
t_check "  which names it" grep -q '"Not_A_Name" is not a Debian package name' "$T/out2"
t_check "  and leaves no image and no build directory" no_debian_left
for size in 0 abc 2000 -1; do
	build debian --size "$size" > "$T/out3" 2>&1
	t_eq "--size $size is a usage error (exit 2)" 2 $?
	t_check "  which says what a size is" grep -q 'not a size in GiB from 1 to 1024' "$T/out3"
done
t_check "  and none leaves an image or a build directory" no_debian_left
build minimal --suite bookworm > "$T/out4" 2>&1
t_eq "a recipe option the minimal recipe does not take is a usage error (exit 2)" 2 $?
t_check "  the recipe names the option" grep -q 'unknown option --suite' "$T/out4"

build debian --packages no-such-package-banger > "$T/out5" 2>&1
t_eq "a package the mirror does not have: the recipe fails (exit 1)" 1 $?
t_check "  naming the package" grep -q 'no package no-such-package-banger in Debian bookworm' "$T/out5"
t_check "  and leaves no image and no build directory" no_debian_left

# ---- the build ----------------------------------------------------------------------------
t0=$SECONDS
if [ -n "${BANGER_TEST_DEBIAN_IMAGE:-}" ]; then
	echo "# BANGER_TEST_DEBIAN_IMAGE: importing $BANGER_TEST_DEBIAN_IMAGE instead of building"
	mkdir -m 0755 "$T/prebuilt" && cp -a "$BANGER_TEST_DEBIAN_IMAGE"/. "$T/prebuilt/" && chmod -R a+rX "$T/prebuilt"
	out=$(banger image import debian --kernel "$T/prebuilt/vmlinuz" --initrd "$T/prebuilt/initrd.img" \
		--rootfs "$T/prebuilt/rootfs.ext4" 2>&1)
	rc=$?
else
	out=$(build debian --packages bash-completion 2>&1)
	rc=$?
fi
echo "# image build debian: $((SECONDS - t0)) s"
t_eq "banger image build debian --packages bash-completion" 0 "$rc"
[ "$rc" = 0 ] || { tail -c 3000 <<< "$out" | sed 's/^/# /'; t_done; exit 1; }
[ -n "${BANGER_TEST_DEBIAN_IMAGE:-}" ] ||
	t_check "  progress lines for banger-tui: build: [n/6]" grep -q '^build: \[6/6\]' <<< "$out"
t_check "  and removed its build directory" bash -c "! ls -d '$T'/tmp/banger-image-* 2> /dev/null"
IMGJ=$(banger --json image get debian)
t_eq "the image record keeps the recipe's boots_on" '["banger-vmm"]' "$(jq -c .boots_on <<< "$IMGJ")"
t_check "  with the reason Firecracker is not there" grep -q 'uncompressed ELF vmlinux' <<< "$(jq -r .boots_on_note <<< "$IMGJ")"
ROOTFS_SIZE=$(jq -r .rootfs_size <<< "$IMGJ")
echo "# rootfs $ROOTFS_SIZE bytes"

# ---- a VM ---------------------------------------------------------------------------------
t0=$SECONDS
out=$(banger vm run deb --image debian 2>&1) && t_ok "vm run deb --image debian" ||
	t_fail "vm run deb --image debian" "$out" "$(tail -n 30 "$T/bangerd.log")"
echo "# debian guest running (SSH answered) after $((SECONDS - t0)) s"
vmget() { banger --json vm get deb | jq -r ".$1 // empty"; }
t_eq "deb is running" running "$(vmget state)"
IP=$(vmget ip)
CON=$T/var/lib/banger/state/vms/$(vmget id)/console.log
KH=$HOMEDIR/.config/banger/ssh/known_hosts
rsh() { banger vm ssh deb -- "$@"; }
GUEST_KEY=$(rsh cat /etc/ssh/ssh_host_ed25519_key.pub | cut -d' ' -f1,2)
t_check "the guest printed its host key on the console" grep -q "banger-hostkey: $GUEST_KEY" "$CON"
t_check "known_hosts pins that key for $IP (and ssh checked it)" grep -qx "$IP $GUEST_KEY" "$KH"
t_check "banger-ready came after sshd answered" grep -q '^banger-ready' "$CON"
t_check "apt-get --version works in the guest" bash -c "setpriv --reuid=$OWNER --regid=$OWNER --clear-groups env BANGER_ROOT='$T' HOME='$HOMEDIR' '$(t_bin banger)' vm ssh deb -- apt-get --version | grep -q '^apt '"
[ -n "${BANGER_TEST_DEBIAN_IMAGE:-}" ] ||
	t_eq "the extra package is installed" "install ok installed" "$(rsh dpkg-query -W -f='\${Status}' bash-completion 2>&1)"
t_eq "PID 1 is systemd" systemd "$(rsh cat /proc/1/comm 2>&1)"
# SSH answers before every unit has started: wait for systemd to settle (its own verdict)
t0=$SECONDS
t_wait 180 bash -c "! setpriv --reuid=$OWNER --regid=$OWNER --clear-groups env BANGER_ROOT='$T' HOME='$HOMEDIR' '$(t_bin banger)' vm ssh deb -- systemctl is-system-running | grep -qx starting"
echo "# systemd settled $((SECONDS - t0)) s after SSH answered"
state=$(rsh systemctl is-system-running 2>&1)
[ "$state" = running ] || rsh systemctl list-jobs --no-pager 2>&1 | sed 's/^/# /' 
failed=$(rsh systemctl --failed --no-legend --plain 2>&1 | awk '{ print $1 }' | tr '\n' ' ')
echo "# systemctl is-system-running: $state; failed units: ${failed:-none}"
t_check "systemd is running (failed units: ${failed:-none})" test "$state" = running
t_check "no unit waited for a device that never came (console: \"Timed out\")" bash -c "! grep -a 'Timed out\|Dependency failed' '$CON'"
t_eq "the hostname is the VM's name" deb "$(rsh hostname 2>&1)"
GW=$SUBNET_PREFIX.1
t_check "/etc/resolv.conf names the gateway $GW" grep -qx "nameserver $GW" <<< "$(rsh cat /etc/resolv.conf 2>&1)"
t_eq "eth0 has the VM's address" "$IP" "$(rsh ip -4 -o addr show dev eth0 2>&1 | awk '{ print $4 }' | cut -d/ -f1)"
t_check "the default route goes through the gateway" grep -q "default via $GW" <<< "$(rsh ip route 2>&1)"
DISK=$(( $(vmget disk_gib) * 1024 * 1024 * 1024 ))
FS=$(rsh df -B1 --output=size / 2>&1 | tail -n1 | tr -d ' ')
echo "# disk $DISK bytes, root filesystem $FS bytes, image rootfs $ROOTFS_SIZE bytes"
t_check "the root filesystem was grown to the disk ($FS of $DISK bytes)" \
	test "$FS" -gt "$ROOTFS_SIZE" -a "$FS" -gt $((DISK * 9 / 10))
t_check "the guest's machine id is its own (made at first boot)" \
	bash -c "[ \"\$(setpriv --reuid=$OWNER --regid=$OWNER --clear-groups env BANGER_ROOT='$T' HOME='$HOMEDIR' '$(t_bin banger)' vm ssh deb -- cat /etc/machine-id)\" != uninitialized ]"
t_check "no getty on tty1" bash -c "! setpriv --reuid=$OWNER --regid=$OWNER --clear-groups env BANGER_ROOT='$T' HOME='$HOMEDIR' '$(t_bin banger)' vm ssh deb -- systemctl is-active getty@tty1.service"
doctor_images() { banger --json doctor | jq -r '.checks[] | select(.name == "images") | "\(.status) \(.detail)"'; }
t_check "doctor: the configured banger-vmm boots every image" grep -q '^ok the configured provider banger-vmm boots every image' <<< "$(doctor_images)"
cp "$T/etc/banger/install.json" "$T/install.json.saved"
jq '.vmm = "/usr/local/bin/firecracker"' "$T/install.json.saved" > "$T/etc/banger/install.json"
t_check "doctor: with firecracker configured, it warns about debian" \
	grep -Eq '^warn the configured provider firecracker cannot boot images? .*debian' <<< "$(doctor_images)"
cp "$T/install.json.saved" "$T/etc/banger/install.json"
t_check "vm stop deb (Ctrl-Alt-Del, systemd shuts down)" banger vm stop deb
t_eq "deb is stopped" stopped "$(vmget state)"
t_done

#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The minimal image recipe's output without booting it: the four files `banger image build`
# relies on, image.json's facts against the files, module load order against modinfo, and the
# root filesystem's contents read with debugfs (nothing mounted).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/vmm-lib.inc"
t_require_root
for c in debugfs jq cpio modinfo; do command -v "$c" > /dev/null || t_skip_all "$c is missing"; done
t_tmpdir
RECIPE=$BANGER_SRC/images/minimal

"$RECIPE/build" > /dev/null 2>&1
t_eq "build without --output is a usage error (exit 2)" 2 $?
vmm_image || t_skip_all "the minimal image could not be built"
for f in vmlinuz initrd.img rootfs.ext4 image.json; do t_check "build wrote $f" test -s "$IMG/$f"; done

J=$IMG/image.json
t_check "image.json is JSON" jq -e . "$J"
t_eq "image.json names the image" minimal "$(jq -r .name "$J")"
t_eq "kernel suitability: banger-vmm yes" true "$(jq -r '.kernel.suitability."banger-vmm"' "$J")"
t_eq "kernel suitability: upstream Firecracker no" false "$(jq -r '.kernel.suitability.firecracker' "$J")"
t_check "the suitability note says what Firecracker would need" \
	bash -c "jq -r .kernel.suitability.note '$J' | grep -q 'uncompressed ELF vmlinux' && jq -r .kernel.suitability.note '$J' | grep -q VIRTIO_MMIO_CMDLINE_DEVICES"
for part in kernel initrd rootfs; do
	f=$IMG/$(jq -r ".$part.file" "$J")
	t_eq "image.json: $part size" "$(stat -c %s "$f")" "$(jq -r ".$part.size" "$J")"
	t_eq "image.json: $part sha256" "$(sha256sum < "$f" | cut -d' ' -f1)" "$(jq -r ".$part.sha256" "$J")"
done
t_eq "image.json documents the SSH key boot argument" banger.ssh_key "$(jq -r .ssh.key_boot_arg "$J")"
t_eq "image.json: the host key console marker" "banger-hostkey: " "$(jq -r .console_markers.host_key "$J")"
kver=$(jq -r .kernel.version "$J")
t_check "the kernel is the host's Debian kernel $kver" cmp -s "$IMG/vmlinuz" "/boot/vmlinuz-$kver"

mkdir "$T/initrd"
(cd "$T/initrd" && gzip -dc "$IMG/initrd.img" | cpio -id --quiet)
t_check "initrd has an executable /init" test -x "$T/initrd/init"
t_check "initrd's busybox is static" bash -c "ldd '$T/initrd/bin/busybox' 2>&1 | grep -q 'not a dynamic executable'"
order=$(tr '\n' ' ' < "$T/initrd/lib/modules/order")
for m in virtio_mmio virtio_blk virtio_net ext4; do
	t_check "initrd loads $m" grep -qw "$m" <<< "$order"
done
ok=yes
pos() { local i=0 w; for w in $order; do [ "$w" = "$1" ] && { echo $i; return; }; i=$((i + 1)); done; echo 999; }
for m in $order; do
	t_check "initrd has $m.ko" test -s "$T/initrd/lib/modules/$m.ko"
	for dep in $(modinfo -k "$kver" -F depends "$m" | tr ',' ' '); do
		[ "$(pos "$dep")" -lt "$(pos "$m")" ] || { ok=no; echo "# $dep must load before $m"; }
	done
done
t_eq "every module loads after its dependencies (modinfo)" yes $ok

R=$IMG/rootfs.ext4
t_check "rootfs is ext4" bash -c "dumpe2fs -h '$R' 2> /dev/null | grep -q 'has_journal.*extent'"
cat_fs() { debugfs -R "cat $1" "$R" 2> /dev/null; }
stat_fs() { debugfs -R "stat $1" "$R" 2> /dev/null; }
t_check "rootfs has dropbear" bash -c "debugfs -R 'stat /usr/sbin/dropbear' '$R' 2>&1 | grep -q 'Type: regular'"
for lib in $(ldd /usr/sbin/dropbear | awk '/=>/ { print $3 }'); do
	t_check "rootfs has dropbear's $(basename "$lib")" bash -c "debugfs -R 'stat $lib' '$R' 2>&1 | grep -q 'Type: regular'"
done
t_check "rootfs: /lib64 resolves the loader (symlink into usr)" bash -c "debugfs -R 'stat /lib64' '$R' 2>&1 | grep -q 'Type: symlink'"
t_check "rootfs: busybox init turns Ctrl-Alt-Del into poweroff" grep -q '^::ctrlaltdel:/sbin/poweroff' <<< "$(cat_fs /etc/inittab)"
t_check "rootfs: init prints the host key and ready markers" \
	bash -c "debugfs -R 'cat /sbin/banger-init' '$R' 2> /dev/null | grep -q 'banger-hostkey: ' && debugfs -R 'cat /sbin/banger-init' '$R' 2> /dev/null | grep -q banger-ready"
t_check "rootfs: /root/.ssh is 0700" grep -q 'Mode:  0700' <<< "$(stat_fs /root/.ssh)"
t_check "rootfs: root's shell is /bin/sh" grep -q '^root:x:0:0:root:/root:/bin/sh$' <<< "$(cat_fs /etc/passwd)"
t_check "rootfs: no host key baked in (each VM makes its own)" bash -c "! debugfs -R 'stat /etc/dropbear/dropbear_ed25519_host_key' '$R' 2>&1 | grep -q 'Type: regular'"

if setpriv --reuid 65534 --regid 65534 --clear-groups test -r "/boot/vmlinuz-$kver"; then
	mkdir "$T/user" && chown 65534:65534 "$T/user" && chmod 0755 "$T"
	if setpriv --reuid 65534 --regid 65534 --clear-groups env TMPDIR="$T/user" \
		"$RECIPE/build" --output "$T/user/out" > "$T/user.log" 2>&1; then
		t_ok "the recipe runs as an ordinary user"
		for p in / /root /root/.ssh /usr/sbin/dropbear /etc/passwd /bin/sh; do
			t_check "user-built rootfs: $p is owned by root" bash -c \
				"debugfs -R 'stat $p' '$T/user/out/rootfs.ext4' 2> /dev/null | grep -Eq 'User: +0 +Group: +0 '"
		done
	else
		t_fail "the recipe runs as an ordinary user" "$(cat "$T/user.log")"
	fi
else
	t_skip "the recipe runs as an ordinary user" "/boot/vmlinuz-$kver is not readable by others"
fi
"$RECIPE/build" --output "$T/small" --rootfs-size 80 > /dev/null 2>&1
t_eq "--rootfs-size sets the filesystem size" $((80 * 1024 * 1024)) "$(stat -c %s "$T/small/rootfs.ext4")"
t_done

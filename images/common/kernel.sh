# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by the image recipes (images/*/build): the host's Debian kernel and a busybox initramfs
# that loads the modules that kernel lacks built in (virtio-mmio, virtio-blk/net, ext4) and
# switches to the root filesystem. Defines image_pick_kernel, image_build_initrd, image_copy_kernel;
# expects the recipe's die() and a PATH that holds /usr/sbin and /sbin.

# KVER: the given version, else the newest /boot/vmlinuz-* that has /lib/modules/<version>.
image_pick_kernel() {
	kver=${1:-}
	if [ -z "$kver" ]; then
		for k in $(ls /boot/vmlinuz-* 2> /dev/null | sed 's|^/boot/vmlinuz-||' | sort -V); do
			[ -d "/lib/modules/$k" ] && kver=$k
		done
	fi
	[ -n "$kver" ] || die "no /boot/vmlinuz-* with /lib/modules/<version> (install linux-image-amd64)"
	[ -r "/boot/vmlinuz-$kver" ] || die "/boot/vmlinuz-$kver is not readable (run as root)"
}

# image_build_initrd KVER INIT WORKDIR OUTPUT: INIT becomes the initramfs's /init; sets
# modules_order, the modules in load order (each after its dependencies, modinfo -F depends,
# plus ext4's soft dependency on a crc32c implementation).
image_build_initrd() {
	_k=$1 _init=$2 _work=$3 _out=$4
	busybox_bin=$(command -v busybox) || die "busybox is missing (install busybox-static)"
	ldd "$busybox_bin" 2>&1 | grep -q 'not a dynamic' || die "$busybox_bin is not static (install busybox-static)"
	modules_order=
	for m in virtio_mmio virtio_blk virtio_net crc32c_generic ext4; do _image_add_module "$_k" "$m"; done
	_i=$_work/initrd
	mkdir -p "$_i/bin" "$_i/lib/modules" "$_i/dev" "$_i/proc" "$_i/sys" "$_i/newroot"
	cp "$busybox_bin" "$_i/bin/busybox"
	ln -s busybox "$_i/bin/sh"
	for m in $modules_order; do
		f=$(modinfo -k "$_k" -F filename "$m")
		case $f in
		*.ko) cp "$f" "$_i/lib/modules/$m.ko" ;;
		*.ko.xz) xz -dc "$f" > "$_i/lib/modules/$m.ko" ;;
		*.ko.zst) zstd -qdc "$f" > "$_i/lib/modules/$m.ko" ;;
		*) die "module $m is built in or missing ($f)" ;;
		esac
	done
	modules_order=$(echo $modules_order)
	echo $modules_order | tr ' ' '\n' > "$_i/lib/modules/order"
	cp "$_init" "$_i/init"
	chmod 0755 "$_i/init"
	(cd "$_i" && find . | sort | cpio -o -H newc -R 0:0 --quiet) | gzip -9n > "$_out"
}

_image_add_module() {
	case " $modules_order " in *" $2 "*) return 0 ;; esac
	for dep in $(modinfo -k "$1" -F depends "$2" | tr ',' ' '); do _image_add_module "$1" "$dep"; done
	modules_order="$modules_order $2"
}

# image_copy_kernel KVER OUTPUT
image_copy_kernel() {
	cp "/boot/vmlinuz-$1" "$2"
}

# What the Debian kernel boots on, for image.json's "boots_on" and "boots_on_note".
image_boots_on='["banger-vmm"]'
image_boots_on_note="Debian's compressed bzImage with virtio-mmio as a module and no CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES: banger-vmm (QEMU microvm, ACPI device discovery) boots it; upstream Firecracker needs an uncompressed ELF vmlinux whose kernel finds virtio-mmio devices from the command line (CONFIG_VIRTIO_MMIO=y, CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES=y) or through Firecracker's ACPI tables"

#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bangerd-root disk ops: sparse copy on the default filesystem, reflink on a btrfs the test makes
# on a loop device, dm-snapshot where device-mapper exists; refusals leave the disk untouched.
. "$(dirname "$0")/../lib.sh"
t_private_ns "$@"
. "$(dirname "$0")/helper-common.inc"
command -v jq > /dev/null || t_skip_all "jq is missing"

h_setup
h_start || t_skip_all "bangerd-root did not start"
vmdir=$T/var/lib/banger/state/vms/vm1
mkdir -p "$vmdir"
chown -R "$H_UID:$H_GID" "$T/var/lib/banger/state"

# A 64 MiB base with data at three places and holes between.
mkbase() {
	truncate -s 64M "$1"
	printf 'banger-base-start' | dd of="$1" conv=notrunc status=none
	head -c 1M /dev/urandom | dd of="$1" bs=1M seek=20 conv=notrunc status=none
	printf 'banger-base-end' | dd of="$1" bs=1 seek=$((64 * 1024 * 1024 - 15)) conv=notrunc status=none
	chown "$H_UID:$H_GID" "$1"
}
mkdisk() { rm -f "$1"; : > "$1"; chown "$H_UID:$H_GID" "$1"; }

mkbase "$vmdir/base"
mkdisk "$vmdir/disk"

dm_works() { [ -c /dev/mapper/control ] && (exec 3<> /dev/mapper/control) 2> /dev/null; }

# Sparse copy on the default filesystem (ext4 here: no reflinks).
out=$(h_call disk.prepare '{"vm_id":"vm1","strategy":"sparse-copy"}' --fd base="$vmdir/base" --fd-rw disk="$vmdir/disk")
t_eq "sparse copy: strategy" "sparse-copy" "$(printf '%s' "$out" | jq -r .strategy)"
t_check "sparse copy: contents equal the base" cmp "$vmdir/base" "$vmdir/disk"
t_eq "sparse copy: same size" "$(stat -c %s "$vmdir/base")" "$(stat -c %s "$vmdir/disk")"
alloc=$(du -k "$vmdir/disk" | cut -f1)
t_check "sparse copy: holes kept ($alloc KiB allocated of 65536)" test "$alloc" -lt 8192
t_eq "sparse copy: disk still the owner's" "$H_UID" "$(stat -c %u "$vmdir/disk")"

# auto on ext4 picks the sparse copy too (no device-mapper, no reflink).
mkdisk "$vmdir/disk"
out=$(h_call disk.prepare '{"vm_id":"vm1"}' --fd base="$vmdir/base" --fd-rw disk="$vmdir/disk")
if dm_works; then
	t_eq "auto: dm-snapshot where device-mapper works" "dm-snapshot" "$(printf '%s' "$out" | jq -r .strategy)"
	h_call disk.release '{"vm_id":"vm1"}' > /dev/null
else
	t_eq "auto: sparse copy without device-mapper or reflink" "sparse-copy" "$(printf '%s' "$out" | jq -r .strategy)"
fi

# Refusals: the disk stays empty.
mkdisk "$vmdir/disk"
out=$(h_call disk.prepare '{"vm_id":"vm1","strategy":"reflink"}' --fd base="$vmdir/base" --fd-rw disk="$vmdir/disk")
h_expect_err "reflink on ext4 is refused as unavailable" "$out" "reflink is unavailable"
t_eq "refused reflink left the disk empty" "0" "$(stat -c %s "$vmdir/disk")"
out=$(h_call disk.prepare '{"vm_id":"vm1"}' --fd base="$vmdir/base" --fd disk="$vmdir/disk")
h_expect_err "a read-only disk descriptor is refused" "$out" "reading and writing"
echo data > "$vmdir/other" && chown "$H_UID" "$vmdir/other"
out=$(h_call disk.prepare '{"vm_id":"vm1"}' --fd base="$vmdir/base" --fd-rw disk="$vmdir/other")
h_expect_err "a non-empty disk is refused" "$out" "not empty"
# reattach: only for dm-snapshot, only over an earlier COW, and a failure never empties the COW
out=$(h_call disk.prepare '{"vm_id":"vm1","reattach":true}' --fd base="$vmdir/base" --fd-rw disk="$vmdir/other")
h_expect_err "reattach without strategy dm-snapshot is refused" "$out" "only for strategy"
out=$(h_call disk.prepare '{"vm_id":"vm1","strategy":"dm-snapshot","reattach":true}' --fd base="$vmdir/base" --fd-rw disk="$vmdir/disk")
h_expect_err "reattach over an empty disk is refused" "$out" "needs the COW of an earlier start"
before=$(sha256sum < "$vmdir/other")
out=$(h_call disk.prepare '{"vm_id":"vm1","strategy":"dm-snapshot","reattach":true}' --fd base="$vmdir/base" --fd-rw disk="$vmdir/other")
if [ -e /dev/mapper/control ] && dmsetup version > /dev/null 2>&1; then
	t_skip "a failed reattach leaves the COW untouched" "this host has device-mapper (the dm suite covers reattach)"
	h_call disk.release '{"vm_id":"vm1"}' > /dev/null
else
	h_expect_err "reattach without device-mapper says so" "$out" "dm-snapshot is unavailable"
	t_eq "a failed reattach leaves the COW untouched" "$before" "$(sha256sum < "$vmdir/other")"
fi
t_eq "the non-empty disk is unchanged" "data" "$(cat "$vmdir/other")"
out=$(h_call disk.prepare '{"vm_id":"vm1"}' --fd base="$vmdir/disk" --fd-rw disk="$vmdir/disk")
h_expect_err "base and disk the same file is refused" "$out" "same file"
out=$(h_call disk.prepare '{"vm_id":"vm1"}' --fd image="$vmdir/base" --fd-rw disk="$vmdir/disk")
h_expect_err "wrong descriptor names are refused" "$out" "exactly the descriptors"
out=$(h_call disk.prepare '{"vm_id":"vm1","fds":["base","disk"]}' --fd-rw disk="$vmdir/disk")
h_expect_err "fewer descriptors than named are refused" "$out" "only 1 arrived"
t_eq "refusals left the disk empty" "0" "$(stat -c %s "$vmdir/disk")"

# A copy that fails half-way (a 512 KiB tmpfs fills up with 1 MiB of data) truncates the disk back to empty.
mkdir -p "$T/small" && mount -t tmpfs -o size=512k,mode=0755 tmpfs "$T/small" && t_add_cleanup "umount '$T/small'"
mkdisk "$T/small/disk"
out=$(h_call disk.prepare '{"vm_id":"vm1","strategy":"sparse-copy"}' --fd base="$vmdir/base" --fd-rw disk="$T/small/disk")
h_expect_err "a copy that runs out of space fails" "$out" "No space left"
t_eq "the half-written disk was truncated back to empty" "0 0" "$(stat -c '%s %b' "$T/small/disk")"
t_eq "the tmpfs holds no leftover data" "0" "$(df --output=used -k "$T/small" | tail -1 | tr -d ' ')"

# dm-snapshot: real code, but this kernel may have no device-mapper.
if ! dm_works; then
	t_skip "dm-snapshot path" "no device-mapper in this kernel (/dev/mapper/control cannot be opened)"
	out=$(h_call disk.prepare '{"vm_id":"vm1","strategy":"dm-snapshot"}' --fd base="$vmdir/base" --fd-rw disk="$vmdir/disk")
	h_expect_err "forcing dm-snapshot without device-mapper is refused" "$out" "/dev/mapper/control"
	t_eq "refused dm-snapshot left the disk empty" "0" "$(stat -c %s "$vmdir/disk")"
else
	out=$(h_call disk.prepare '{"vm_id":"vm1","strategy":"dm-snapshot","cow_size_mib":16}' --fd base="$vmdir/base" --fd-rw disk="$vmdir/disk")
	t_eq "dm-snapshot: strategy" "dm-snapshot" "$(printf '%s' "$out" | jq -r .strategy)"
	t_check "dm-snapshot: device exists" test -b /dev/mapper/banger-vm1
	t_check "dm-snapshot: reads the base" cmp -n 17 /dev/mapper/banger-vm1 "$vmdir/base"
	t_check "dm-snapshot: snapshot target" bash -c "dmsetup table banger-vm1 | grep -q snapshot"
	t_eq "dm-snapshot: two loops backed by the VM's files" "2" \
		"$(losetup -J | jq --arg d "$vmdir/" '[.loopdevices[] | select(.["back-file"] | startswith($d))] | length')"
	out=$(h_call disk.release '{"vm_id":"vm1"}')
	t_eq "disk.release removes the dm device" "true" "$(printf '%s' "$out" | jq -r .dm_removed)"
	t_check "dm device gone" test ! -e /dev/mapper/banger-vm1
	t_eq "loops detached (autoclear)" "0" \
		"$(losetup -J | jq --arg d "$vmdir/" '[.loopdevices[]? | select(.["back-file"] | startswith($d))] | length')"
fi
out=$(h_call disk.release '{"vm_id":"vm1"}')
h_expect_ok "disk.release with nothing to release succeeds" "$out"

# Reflink on a btrfs made on a loop device (mounted in this test's private mount namespace).
if grep -qw btrfs /proc/filesystems && command -v mkfs.btrfs > /dev/null; then
	truncate -s 256M "$T/btrfs.img"
	mkfs.btrfs -q "$T/btrfs.img" > /dev/null 2>&1
	mkdir -p "$T/btrfs"
	if mount -o loop "$T/btrfs.img" "$T/btrfs" 2> /dev/null; then
		t_add_cleanup "umount '$T/btrfs'"
		chmod 0755 "$T/btrfs"
		mkbase "$T/btrfs/base"
		mkdisk "$T/btrfs/disk"
		out=$(h_call disk.prepare '{"vm_id":"vm1"}' --fd base="$T/btrfs/base" --fd-rw disk="$T/btrfs/disk")
		t_eq "btrfs: auto picks reflink" "reflink" "$(printf '%s' "$out" | jq -r .strategy)"
		t_check "btrfs: contents equal the base" cmp "$T/btrfs/base" "$T/btrfs/disk"
		sync
		t_check "btrfs: extents are shared with the base" bash -c "filefrag -v '$T/btrfs/disk' | grep -q shared"
		mkdisk "$T/btrfs/disk2"
		out=$(h_call disk.prepare '{"vm_id":"vm1","strategy":"sparse-copy"}' --fd base="$T/btrfs/base" --fd-rw disk="$T/btrfs/disk2")
		t_eq "btrfs: sparse copy when asked" "sparse-copy" "$(printf '%s' "$out" | jq -r .strategy)"
		t_check "btrfs: sparse copy equals the base" cmp "$T/btrfs/base" "$T/btrfs/disk2"
	else
		t_skip "reflink path" "cannot mount a btrfs loop image here"
	fi
else
	t_skip "reflink path" "no btrfs in this kernel"
fi
t_done

#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# banger-tui's images view against a real bangerd in tmux: v switches to it; each image shows its
# size, kernel format, the VMMs that boot it, its root filesystem's digest and where it came
# from (a pulled image's reference and manifest digest); ":image-import" (a) imports with the daemon's progress shown as it copies; D removes
# after a confirmation that names the VMs using it (the daemon refuses while one does).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-tui.sh"
tui_require
t_tmpdir
tui_bangerd_start
tui_image || t_fail "import a stand-in image (random bytes: no kernel format)"
tui_vm_create web-1
# an ELF "kernel" and a large sparse root filesystem, so the copy takes a while
mkdir -p "$T/elf"
{ printf '\177ELF'; head -c 4092 /dev/urandom; } > "$T/elf/vmlinux"
truncate -s 3G "$T/elf/rootfs.ext4"
printf 'end' >> "$T/elf/rootfs.ext4"
# a pulled image's record: its reference and the manifest digest it was pulled at
mkdir -p "$T/web"
head -c 4096 /dev/urandom > "$T/web/vmlinuz"
head -c 65536 /dev/urandom > "$T/web/rootfs.ext4"
DIGEST=sha256:0123456789abcdef$(printf '%048d' 7)
timeout 20 python3 "$TUI_DIR/rpc.py" "$TUI_SOCK" image.import "{\"name\":\"web\",\"kernel\":\"$T/web/vmlinuz\",\"rootfs\":\"$T/web/rootfs.ext4\",\"source\":\"docker://127.0.0.1:5000/web:1\",\"digest\":\"$DIGEST\"}" > /dev/null 2>&1 &
t_wait 20 tui_rpc image.get '{"name":"web"}' || t_fail "import a stand-in pulled image"
TUI_W=$((140 + ${#T})) tui_launch BANGER_ROOT=$TUI_ROOT # wide enough for the SOURCE column
tui_expect_selected "web-1 selected" web-1

tui_keys v
tui_expect "v switches to the images view" "Images ── 2"
tui_expect_re "the image's row: size, kernel format, providers, digest, source" \
	"> minimal +68\.0 KiB +unknown +none +[0-9a-f]{12} .* $T\$"
tui_expect_re "a pulled image: its reference and manifest digest" \
	"web +.* docker://127\.0\.0\.1:5000/web:1 @sha256:0123456789ab\$"
tui_expect "the hints are the view's" "a import"

tui_keys a
tui_expect "a asks for what to import" ":image-import"
tui_keys -l "big $T/elf/vmlinux $T/elf/rootfs.ext4"
tui_keys Enter
tui_expect_re "the daemon's progress shows while it copies" "importing big: rootfs [0-9.]+ [KMG]iB of 3\.0 GiB \([0-9]+%\)" 30
tui_expect "the import's answer" "import big: done" 120
tui_expect_gone "the progress line goes" "importing big"
tui_expect_re "an ELF kernel boots on both VMMs" "big +3\.0 GiB +elf +firecracker,banger-vmm +[0-9a-f]{12} .* $T/elf\$"

# D on an image a VM uses: the dialog says so, the daemon refuses
tui_keys g j # big, then minimal
tui_expect_selected "minimal selected" minimal
tui_keys D
tui_expect "D asks first" "Remove image minimal?"
tui_expect "naming the VMs that use it" "Used by 1 VM (web-1)"
tui_keys y
tui_expect_re "the daemon's refusal is on the message line" "remove image minimal failed \(conflict\)"
tui_keys g D
tui_expect "D on big" "Remove image big?"
tui_keys y
tui_expect_gone "big is removed" " big "
t_check "the daemon has no big" bash -c "python3 '$TUI_DIR/rpc.py' '$TUI_SOCK' image.get '{\"name\":\"big\"}' | grep -q not_found"

tui_keys v
tui_expect "v goes back to the VMs" "web-1"
tui_expect "and the console" "console: web-1"
t_done

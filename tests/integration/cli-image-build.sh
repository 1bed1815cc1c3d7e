#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# banger image build: finds the recipe ($BANGER_IMAGES_DIR first), runs RECIPE/build --output
# DIR, imports DIR/vmlinuz, DIR/initrd.img (when there) and DIR/rootfs.ext4, cleans up after
# itself; failing or incomplete recipes are reported with exit 1; a SIGTERM to banger stops the
# whole recipe and banger still cleans up (banger-tui cancels a build that way).
. "$(dirname "$0")/daemon-lib.sh"
t_require_root
d_start
B=$(t_bin banger)
export BANGER_IMAGES_DIR=$T/recipes
export TMPDIR=$T/tmp
mkdir -p "$TMPDIR"
recipe() {
	mkdir -p "$BANGER_IMAGES_DIR/$1"
	printf '#!/bin/sh\n%s\n' "$2" > "$BANGER_IMAGES_DIR/$1/build"
	chmod +x "$BANGER_IMAGES_DIR/$1/build"
}
recipe fake '[ "$1" = --output ] || exit 9
echo "building into $2"
printf '{}' > "$2/image.json"; printf kernel > "$2/vmlinuz"; printf initrd > "$2/initrd.img"; truncate -s 2M "$2/rootfs.ext4"'
recipe opts 'out=$2; shift 2; printf "%s\n" "$@" > "$out/../opts.args"
case " $* " in *" --suite bad "*) echo "build: --suite bad" >&2; exit 2 ;; esac
printf "{\"boots_on\": [\"banger-vmm\", \"some-future-vmm\"], \"boots_on_note\": \"why\"}" > "$out/image.json"
printf kernel > "$out/vmlinuz"; truncate -s 2M "$out/rootfs.ext4"'
recipe broken 'echo "no luck" >&2; exit 3'
recipe empty 'exit 0'
recipe slow "echo \$\$ > $T/slow.pid; sleep 300 & echo \$! > $T/slow-child.pid; wait"

out=$("$B" image build fake)
t_eq "image build fake: exit 0" 0 "$?"
t_check "the recipe's output is shown" grep -q "building into $TMPDIR/banger-image-fake" <<< "$out"
t_check "not on a terminal, a line says the import began" grep -qx "Importing image fake" <<< "$out"
img=$("$B" --json image get fake)
t_eq "the image is imported under the recipe's name" "$(printf kernel | sha256sum | cut -d' ' -f1)" "$(jq -r .kernel_sha256 <<< "$img")"
t_eq "with its initrd and rootfs" "6 2097152" "$(jq -r '"\(.initrd_size) \(.rootfs_size)"' <<< "$img")"
t_eq "the build directory is removed" "" "$(ls "$TMPDIR")"
json=$("$B" --json image build fake --name fake-two 2> "$T/build.err")
t_eq "--json prints only the image object (recipe chatter goes to stderr)" fake-two "$(jq -r .name <<< "$json")"
out=$("$B" image build fake 2>&1)
t_eq "building a name that exists: exit 1 (conflict)" 1 "$?"
t_check "with the daemon's message" grep -q "already exists" <<< "$out"
out=$("$B" image build broken 2>&1)
t_eq "a failing recipe: exit 1" 1 "$?"
t_check "naming its exit status" grep -q "failed with exit status 3" <<< "$out"
out=$("$B" image build empty 2>&1)
t_eq "a recipe that produces nothing: exit 1" 1 "$?"
t_check "saying what is missing" grep -q "did not produce vmlinuz and rootfs.ext4" <<< "$out"
out=$("$B" image build nosuch 2>&1)
t_eq "a missing recipe: exit 1" 1 "$?"
t_check "saying where it looked" grep -q "no recipe \"nosuch\"" <<< "$out"
"$B" image build slow > "$T/slow.out" 2>&1 &
pid=$!
t_wait 10 test -s "$T/slow-child.pid"
kill -TERM "$pid"
wait "$pid"
t_eq "SIGTERM during the recipe: exit 1" 1 "$?"
t_check "saying the recipe did not finish" grep -q "recipe slow did not finish" "$T/slow.out"
t_check "the recipe got it too" t_wait 5 bash -c "! kill -0 $(cat "$T/slow.pid")"
t_check "and its children (its process group)" t_wait 5 bash -c "! kill -0 $(cat "$T/slow-child.pid")"
out=$("$B" image build opts --suite trixie --packages a,b --size 3 --mirror http://m.example/debian 2>&1)
t_eq "image build passes --suite, --packages, --size, --mirror on to the recipe" \
	"--suite trixie --packages a,b --size 3 --mirror http://m.example/debian" "$(tr '\n' ' ' < "$TMPDIR/opts.args" | sed 's/ $//')"
rm -f "$TMPDIR/opts.args"
img=$("$B" --json image get opts)
t_eq "the record keeps the recipe's boots_on (names it knows)" '["banger-vmm"]' "$(jq -c .boots_on <<< "$img")"
t_eq "and its note" why "$(jq -r .boots_on_note <<< "$img")"
t_check "image get shows it" grep -q '^Boots on:  banger-vmm$' <<< "$("$B" image get opts)"
t_eq "a recipe that declares nothing: no boots_on in the record" null "$(jq -c .boots_on <<< "$("$B" --json image get fake)")"
d_stop
d_start
t_eq "boots_on survives a daemon restart" '["banger-vmm"]' "$(jq -c .boots_on <<< "$("$B" --json image get opts)")"
t_eq "a record without boots_on still loads" fake "$(jq -r .name <<< "$("$B" --json image get fake)")"
for bad in "--size 0" "--size x" "--size 1025"; do
	# shellcheck disable=SC2086
	"$B" image build opts2 $bad > "$T/opts.out" 2>&1
	t_eq "image build $bad: usage error (exit 2) before any recipe runs" 2 "$?"
done
t_check "  and no recipe ran" test ! -e "$TMPDIR/opts.args"
"$B" image build opts --name opts3 --suite bad > "$T/opts.out" 2>&1
t_eq "a recipe refusing its options (its exit 2) is a usage error (exit 2)" 2 "$?"
t_check "  saying so" grep -q "recipe opts refused its options" "$T/opts.out"
rm -f "$TMPDIR/opts.args"
"$B" image build ../fake > /dev/null 2>&1
t_eq "a recipe path instead of a name: exit 2" 2 "$?"
t_eq "nothing is left in TMPDIR" "" "$(ls "$TMPDIR")"
d_stop
t_done

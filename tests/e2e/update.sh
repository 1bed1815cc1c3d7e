#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# banger update for real, detached daemons (no systemd), two running guests: an installation of
# this tree's build under a prefix of its own, a signed release of the tree with the next version
# built by scripts/release, then
#   refused, with the old version running and nothing touched: no signature, a bad one, one by
#   another key, a wrong SHA-256, a truncated tarball, an unsafe tar entry, a new bangerd that
#   fails --version, an older release without --allow-downgrade;
#   rolled back: a release whose bangerd exits at start-up;
#   installed over file:// and over http://127.0.0.1 with both VMs keeping their VMM pid and
#   guest boot id; --rollback back to the previous version.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/vmm-lib.inc"
t_private_ns "$@"
for c in openssl jq python3 qemu-system-x86_64 ssh sha256sum; do
	command -v "$c" > /dev/null || t_skip_all "$c is missing"
done
vmm_image || t_skip_all "the minimal image could not be built"
t_tmpdir
chmod 0755 "$T"

OLD=$("$(t_bin bangerd)" --version | cut -d' ' -f2)
IFS=. read -r maj min pat <<< "${OLD%%-*}"
NEW=$maj.$min.$((pat + 1))
OWNER=65534
P=$T/prefix R=$T/root
export BANGER_ROOT=$R
echo "# installed: $OLD, release: $NEW"

# ---- the installation: this build's programs under $P, daemons detached ----
mkdir -p "$P/bin" "$P/sbin" "$R" "$T/img"
for b in banger bangerd banger-tui banger-vmm banger-jailer; do cp "$(t_bin $b)" "$P/bin/"; done
cp "$(t_bin bangerd-root)" "$P/sbin/"
openssl genpkey -algorithm ed25519 -out "$T/key.pem" 2> /dev/null
openssl pkey -in "$T/key.pem" -pubout -out "$T/pub.pem"
openssl genpkey -algorithm ed25519 -out "$T/other.pem" 2> /dev/null
mkdir -p "$R/etc/banger"
printf '[vm]\nssh_timeout_sec = 90\n[update]\nurl = file://%s/rel/manifest.json\n' "$T" > "$R/etc/banger/banger.conf"
"$P/bin/banger" system install --owner nobody --release-key "$T/pub.pem" > "$T/install.log" 2>&1 ||
	{ sed 's/^/#   /' "$T/install.log"; t_skip_all "banger system install failed"; }
t_add_cleanup "BANGER_ROOT='$R' '$P/bin/banger' system uninstall > /dev/null 2>&1"
t_eq "install.json names the release key" /etc/banger/release-key.pem "$(jq -r .release_key "$R/etc/banger/install.json")"
t_eq "installed root 0644" "0 644" "$(stat -c '%u %a' "$R/etc/banger/release-key.pem")"
HOMEDIR=$R$(getent passwd nobody | cut -d: -f6)
as_owner() { setpriv --reuid=$OWNER --regid=$OWNER --clear-groups env BANGER_ROOT="$R" HOME="$HOMEDIR" "$@"; }
banger() { as_owner "$P/bin/banger" "$@"; }
cp "$IMG/vmlinuz" "$IMG/initrd.img" "$T/img/" && cp --sparse=always "$IMG/rootfs.ext4" "$T/img/"
chown -R $OWNER:$OWNER "$T/img"
banger image import minimal --kernel "$T/img/vmlinuz" --initrd "$T/img/initrd.img" --rootfs "$T/img/rootfs.ext4" > /dev/null ||
	t_skip_all "image import failed"
stop_all() {
	for v in a b; do banger vm stop "$v" > /dev/null 2>&1; done
}
t_add_cleanup stop_all
t_check "VM a starts" banger vm run a
t_check "VM b starts" banger vm run b

vmget() { banger --json vm get "$1" | jq -r ".$2 // empty"; }
boot_of() { banger vm ssh "$1" -- cat /proc/sys/kernel/random/boot_id 2> /dev/null; }
PID_A=$(vmget a pid) PID_B=$(vmget b pid) BOOT_A=$(boot_of a) BOOT_B=$(boot_of b)
t_check "both guests answer with a boot id" test ${#BOOT_A} -eq 36 -a ${#BOOT_B} -eq 36
kept() {
	[ "$(vmget a state) $(vmget a pid) $(vmget b state) $(vmget b pid)" = "running $PID_A running $PID_B" ] &&
		[ "$(boot_of a) $(boot_of b)" = "$BOOT_A $BOOT_B" ]
}
versions() { banger --json system status | jq -r '"\(.version) \(.helper.version)"'; }
installed() { sha256sum "$P"/bin/* "$P"/sbin/* | sha256sum | cut -c1-16; }
INSTALLED=$(installed)
t_eq "both daemons run $OLD" "$OLD $OLD" "$(versions)"

# ---- the release ----
start=$SECONDS
"$BANGER_SRC/scripts/release" --version "$NEW" --key "$T/key.pem" --out "$T/rel" > "$T/release.log" 2>&1 ||
	{ tail -n 20 "$T/release.log" | sed 's/^/#   /'; t_fail "scripts/release builds $NEW"; t_done; exit 1; }
echo "# scripts/release took $((SECONDS - start)) s"
TAR=banger-$NEW-$(uname -m).tar.gz
t_check "scripts/release wrote the tarball, manifest and signature" test -s "$T/rel/$TAR" -a -s "$T/rel/manifest.json" -a -s "$T/rel/manifest.json.sig"
t_check "the signature verifies with openssl" openssl pkeyutl -verify -pubin -inkey "$T/pub.pem" -rawin \
	-in "$T/rel/manifest.json" -sigfile "$T/rel/manifest.json.sig"
t_eq "the manifest names the tarball with its size and SHA-256" \
	"$NEW $TAR $(stat -c %s "$T/rel/$TAR") $(sha256sum "$T/rel/$TAR" | cut -d' ' -f1)" \
	"$(jq -r '"\(.version) \(.file) \(.size) \(.sha256)"' "$T/rel/manifest.json")"

# a copy of the release to tamper with: case NAME
case_dir() { rm -rf "$T/$1" && cp -a "$T/rel" "$T/$1" && echo "$T/$1"; }
sign() { openssl pkeyutl -sign -inkey "${2:-$T/key.pem}" -rawin -in "$1/manifest.json" -out "$1/manifest.json.sig"; }
# repack DIR: the tarball from DIR/x/ (unpacked and changed by the caller), manifest updated, signed
unpack() { mkdir -p "$1/x" && tar -xzf "$1/$TAR" -C "$1/x"; }
repack() {
	tar --sort=name --owner=0 --group=0 -C "$1/x" -czf "$1/$TAR" "banger-$NEW"
	jq --argjson s "$(stat -c %s "$1/$TAR")" --arg h "$(sha256sum "$1/$TAR" | cut -d' ' -f1)" \
		'.size = $s | .sha256 = $h' "$1/manifest.json" > "$1/m" && mv "$1/m" "$1/manifest.json"
	sign "$1"
}
# refused NAME REGEX URL: banger update --from URL fails saying REGEX, and nothing changed
refused() {
	local name=$1 re=$2 url=$3 out
	rm -rf "$R/var/lib/banger/update/download" # nothing a good download left can stand in
	out=$("$P/bin/banger" update --from "$url" 2>&1)
	if [ $? -eq 0 ] || ! [[ $out =~ $re ]]; then
		t_fail "refused: $name" "expected an error matching: $re" "output: ${out:0:600}"
	elif [ "$(installed)" != "$INSTALLED" ] || [ "$(versions)" != "$OLD $OLD" ] || ! kept; then
		t_fail "refused: $name, and nothing changed" "installed: $(installed) (was $INSTALLED), versions: $(versions)"
	else
		t_ok "refused, nothing changed: $name ($(grep -m1 -o "$re" <<< "$out"))"
	fi
}

d=$(case_dir nosig) && rm "$d/manifest.json.sig"
refused "no signature" "no signature" "file://$d/manifest.json"
d=$(case_dir badsig) && printf '\x55' | dd of="$d/manifest.json.sig" bs=1 seek=7 conv=notrunc 2> /dev/null
refused "a damaged signature" "signature does not verify" "file://$d/manifest.json"
d=$(case_dir otherkey) && sign "$d" "$T/other.pem"
refused "signed by another key" "signature does not verify" "file://$d/manifest.json"
d=$(case_dir badsha) && jq '.sha256 = "0000000000000000000000000000000000000000000000000000000000000000"' "$d/manifest.json" > "$d/m" && mv "$d/m" "$d/manifest.json" && sign "$d"
refused "a wrong SHA-256 (signed)" "does not match the signed manifest" "file://$d/manifest.json"
d=$(case_dir truncated) && truncate -s 100000 "$d/$TAR"
refused "a truncated tarball" "does not match the signed manifest" "file://$d/manifest.json"
d=$(case_dir unsafe) && unpack "$d" && echo evil > "$d/evil" &&
	tar --owner=0 --group=0 -C "$d/x" -cf "$d/t.tar" "banger-$NEW" && python3 - "$d" "$NEW" <<'PY'
import sys, tarfile, io
d, v = sys.argv[1], sys.argv[2]
with tarfile.open(d + "/t.tar", "a") as t:
    data = b"evil\n"
    i = tarfile.TarInfo("banger-%s/../../etc/evil" % v); i.size = len(data)
    t.addfile(i, io.BytesIO(data))
PY
gzip -c "$d/t.tar" > "$d/$TAR" && rm -rf "$d/x" && mkdir "$d/x" && jq --argjson s "$(stat -c %s "$d/$TAR")" --arg h "$(sha256sum "$d/$TAR" | cut -d' ' -f1)" '.size = $s | .sha256 = $h' "$d/manifest.json" > "$d/m" && mv "$d/m" "$d/manifest.json" && sign "$d"
refused "an unsafe tar entry (..)" "not inside" "file://$d/manifest.json"
t_check "(the unsafe entry was written nowhere)" test ! -e "$R/etc/evil" -a ! -e /etc/evil
d=$(case_dir badversion) && unpack "$d" && printf '#!/bin/sh\necho "oops"\n' > "$d/x/banger-$NEW/bin/bangerd" && repack "$d"
refused "a new bangerd that fails --version" "does not run|answers" "file://$d/manifest.json"
d=$(case_dir downgrade) && jq '.version = "0.0.1"' "$d/manifest.json" > "$d/m" && mv "$d/m" "$d/manifest.json" && sign "$d"
refused "an older release without --allow-downgrade" "older than the installed" "file://$d/manifest.json"
refused "plain http to another host" "only for loopback" "http://192.0.2.1/manifest.json"

# ---- rolled back: the new bangerd exits at start-up ----
d=$(case_dir dies) && unpack "$d" &&
	printf '#!/bin/sh\n[ "$1" = --version ] && { echo "bangerd %s"; exit 0; }\necho "bangerd: broken on purpose" >&2\nexit 1\n' "$NEW" > "$d/x/banger-$NEW/bin/bangerd" && repack "$d"
out=$("$P/bin/banger" update --from "file://$d/manifest.json" 2>&1)
rc=$?
echo "$out" | sed 's/^/#   /'
t_eq "a release whose bangerd dies at start: exit 1" 1 "$rc"
t_check "saying it rolled back and why" grep -q "rolled back; $OLD runs again: .*bangerd" <<< "$out"
t_eq "the old programs are back" "$INSTALLED" "$(installed)"
t_eq "both daemons run $OLD again" "$OLD $OLD" "$(versions)"
t_check "both VMs kept their VMM and boot id through it" kept
t_eq "install.json says $OLD" "$OLD" "$(jq -r .version "$R/etc/banger/install.json")"

# ---- the update ----
out=$("$P/bin/banger" update 2>&1)
rc=$?
echo "$out" | sed 's/^/#   /'
t_eq "banger update (the configured file:// URL): exit 0" 0 "$rc"
t_check "it went through every step" bash -c "grep -q '\[12/12\] confirm' <<< \"\$1\"" _ "$out"
t_eq "both daemons run $NEW" "$NEW $NEW" "$(versions)"
t_eq "banger version says $NEW" "$NEW" "$("$P/bin/banger" --version | cut -d' ' -f2)"
t_check "both VMs kept their VMM pid and boot id" kept
t_eq "install.json says $NEW" "$NEW" "$(jq -r .version "$R/etc/banger/install.json")"
st=$(cat "$R/run/banger/update.json")
t_eq "update.json ends finished" "finished $OLD $NEW" "$(jq -r '"\(.state) \(.from) \(.to)"' <<< "$st")"
out=$("$P/bin/banger" update 2>&1)
t_check "updating again: already installed" grep -q "already installed" <<< "$out"

out=$("$P/bin/banger" update --rollback 2>&1)
t_eq "banger update --rollback: exit 0" 0 "$?"
t_eq "both daemons run $OLD again" "$OLD $OLD" "$(versions)"
t_eq "the previous programs are back" "$INSTALLED" "$(installed)"
t_check "both VMs kept running through the rollback" kept

# ---- the owner starts it: bangerd asks bangerd-root, which starts the root updater ----
events_loop() { while :; do as_owner "$P/bin/banger" events 2> /dev/null; sleep 0.2; done; }
events_loop > "$T/events.ndjson" &
EVPID=$!
t_add_cleanup "kill $EVPID"
sleep 1
out=$(banger update --from "file://$T/rel/manifest.json" 2>&1)
t_eq "the owner cannot name the release (--from needs root)" 1 "$?"
t_check "saying so" grep -q "need root" <<< "$out"
out=$(banger update 2>&1)
rc=$?
echo "$out" | sed 's/^/#   /'
t_eq "banger update as the owner: exit 0" 0 "$rc"
t_check "the helper started the root updater" grep -q "Update started by bangerd-root" <<< "$out"
t_check "the owner saw every step" grep -q "\[12/12\] confirm" <<< "$out"
t_eq "both daemons run $NEW" "$NEW $NEW" "$(versions)"
t_check "both VMs kept their VMM pid and boot id" kept
kill $EVPID 2> /dev/null
steps=$(jq -r 'select(.method == "update.progress") | .params.step' "$T/events.ndjson" | LC_ALL=C sort -u | tr '\n' ' ')
t_eq "update.progress events named the steps up to the restart" \
	"check download restart snapshot swap test units unpack verify " \
	"$(tr ' ' '\n' <<< "$steps" | grep -xE 'check|download|verify|unpack|test|snapshot|swap|units|restart' | LC_ALL=C sort -u | tr '\n' ' ')"
t_eq "and the new daemon announced update.finished" "finished $OLD $NEW" \
	"$(jq -r 'select(.method == "update.finished") | "\(.params.result) \(.params.from) \(.params.to)"' "$T/events.ndjson" | tail -1)"
sed -i "s|^url = .*|url = file://$T/downgrade/manifest.json|" "$R/etc/banger/banger.conf"
out=$(banger update 2>&1)
t_eq "an older release at the configured URL, started by the owner: exit 1" 1 "$?"
t_check "refused: a downgrade needs root" grep -q "a downgrade needs root" <<< "$out"
t_eq "both daemons still run $NEW" "$NEW $NEW" "$(versions)"
sed -i "s|^url = .*|url = file://$T/rel/manifest.json|" "$R/etc/banger/banger.conf"
out=$("$P/bin/banger" update --rollback 2>&1)
t_eq "back to $OLD for the next part" "$OLD $OLD" "$(versions)"

# over http on a loopback address, served from the test's own namespace
python3 -m http.server --bind 127.0.0.1 8765 --directory "$T/rel" > "$T/http.log" 2>&1 &
t_add_cleanup "kill $!"
t_wait 10 curl -sf -o /dev/null http://127.0.0.1:8765/manifest.json
out=$("$P/bin/banger" update --from http://127.0.0.1:8765/manifest.json 2>&1)
t_eq "banger update over http://127.0.0.1: exit 0" 0 "$?"
t_eq "both daemons run $NEW" "$NEW $NEW" "$(versions)"
t_check "both VMs kept their VMM pid and boot id" kept
t_done

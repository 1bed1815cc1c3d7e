#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# banger image pull for real, in a private network + mount namespace: a local registry (Debian's
# docker-registry) serves images this suite builds itself (busybox-static, umoci, skopeo; no
# network), the pulled image boots under banger-vmm to SSH with banger's init and dropbear and
# runs its entrypoint as a service; a re-pull is "up to date", a pull by digest works; and every
# refusal (registry down, no such image, an index without amd64, layers with ".." / absolute
# paths / an escaping whiteout / a hard link out, too little space, plain HTTP off loopback)
# says why and leaves no image record and no staging directory.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/vmm-lib.inc"
t_private_ns "$@"
for c in skopeo umoci python3 busybox curl; do command -v "$c" > /dev/null || t_skip_all "$c is missing"; done
[ -x /usr/bin/docker-registry ] || t_skip_all "docker-registry is missing"
LC_CONF='[vm]
ssh_timeout_sec = 150
stop_timeout_sec = 20'
. "$(dirname "$0")/lifecycle-lib.inc"
lc_setup
t_ok "bangerd-root (root) and bangerd (uid $OWNER) are up"
LAYOUT=$(dirname "$0")/oci-layout.py
STATE=$T/var/lib/banger/state

# ---- no kernel image yet: a clear error ---------------------------------------------------------
mkdir -p "$T/oci" && chmod 0755 "$T/oci"
out=$(banger image pull oci:/nonexistent:v1 2>&1)
t_check "without a minimal image: says to build it" grep -q 'no image "minimal" to take the kernel.*banger image build' <<< "$out"
t_check "image import minimal" banger image import minimal --kernel "$T/img/vmlinuz" \
	--initrd "$T/img/initrd.img" --rootfs "$T/img/rootfs.ext4"

# ---- the registry, on loopback and on a non-loopback address of a dummy interface -----------------
# (an address outside 127.0.0.0/8 on this namespace's own lo: no dummy module needed)
ip addr add 10.213.0.1/32 dev lo
mkdir -p "$T/registry"
cat > "$T/registry/config.yml" << YAML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $T/registry/data
http:
  addr: :5000
YAML
/usr/bin/docker-registry serve "$T/registry/config.yml" > "$T/registry.log" 2>&1 &
RPID=$!
t_add_cleanup "kill $RPID"
t_wait 20 curl -fs http://127.0.0.1:5000/v2/ || { cat "$T/registry.log"; t_skip_all "docker-registry did not start"; }
REG=127.0.0.1:5000
push() { skopeo copy --quiet --dest-tls-verify=false "$1" "docker://$REG/$2" > "$T/push.log" 2>&1 || cat "$T/push.log"; }

# ---- a test image: busybox-static, an entrypoint that leaves a mark and serves HTTP ---------------
# Owners as a service needs them: /srv is web's own (0755, the entrypoint writes there), /home/app
# and a file in it (a space and a quote in its name) web's, a database's files 999's, a setuid
# binary root's; umoci --rootless and mke2fs in a user namespace would make them all root's.
src=$T/oci/src
mkdir -p "$src/bin" "$src/etc" "$src/srv" "$src/home/app" "$src/var/lib/db" "$src/opt"
cp "$(command -v busybox)" "$src/bin/busybox"
for a in $(busybox --list); do [ "$a" = busybox ] || ln -s busybox "$src/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\nweb:x:1000:1000:web:/srv:/bin/sh\ndb:x:999:999::/var/lib/db:/bin/sh\n' > "$src/etc/passwd"
printf 'root:x:0:\nweb:x:1000:\ndb:x:999:\n' > "$src/etc/group"
echo app > "$src/home/app/my \"notes\"" && echo db > "$src/var/lib/db/data"
chmod 0644 "$src/home/app/my \"notes\"" "$src/var/lib/db/data"
printf '#!/bin/sh\nid -u\n' > "$src/opt/suid" && chmod 4755 "$src/opt/suid"
chmod 0755 "$src/srv" && chmod 0750 "$src/home/app" && chmod 0700 "$src/var/lib/db"
chown -R 1000:1000 "$src/srv" "$src/home/app" && chown -R 999:999 "$src/var/lib/db"
python3 "$LAYOUT" "tree:$src" "$T/oci/web" v1 &&
	umoci config --image "$T/oci/web:v1" --config.entrypoint /bin/sh --config.cmd -c \
		--config.cmd 'echo "$GREETING $(id -u) $(pwd)" > /srv/ran; trap '"'"'echo "stopped by INT" > /srv/stopped; kill $h; exit 0'"'"' INT; httpd -f -p 8080 -h /srv & h=$!; wait $h' \
		--config.env GREETING=hello-from-oci --config.workingdir /srv --config.user web \
		--config.stopsignal SIGINT --config.exposedports 8080/tcp
t_eq "the test image is built (oci-layout.py, umoci config)" 0 $?
push "oci:$T/oci/web:v1" test/web:v1
t_check "  and pushed to the local registry (skopeo)" curl -fs "http://$REG/v2/test/web/manifests/v1" -H 'Accept: application/vnd.oci.image.manifest.v1+json'

no_staging() { ! ls -d "$STATE"/.pull-* 2> /dev/null | grep -q .; }
images() { banger --json image list | jq -c '[.images[] | {name, digest}]'; }

# ---- pull, boot, the entrypoint ran ---------------------------------------------------------------
t0=$SECONDS
banger image pull "docker://$REG/test/web:v1" > "$T/pull.out" 2>&1
st=$?
echo "# pull took $((SECONDS - t0)) s"
t_eq "image pull docker://$REG/test/web:v1 succeeds" 0 $st
[ $st -eq 0 ] || cat "$T/pull.out"
t_check "  it says what it pulled" grep -q "^Pulled image web from docker://$REG/test/web:v1 (sha256:" "$T/pull.out"
t_check "  and how to publish the port the image exposes" \
	grep -q "the image exposes 8080/tcp: publish it on the host with --publish HOSTPORT:8080 (vm create, vm run)" "$T/pull.out"
t_check "  no staging directory is left" no_staging
DIGEST=$(curl -fsI "http://$REG/v2/test/web/manifests/v1" -H 'Accept: application/vnd.oci.image.manifest.v1+json' | tr -d '\r' | awk -F': ' 'tolower($1) == "docker-content-digest" { print $2 }')
t_eq "the record keeps the source as given" "docker://$REG/test/web:v1" "$(banger --json image get web | jq -r .source)"
t_eq "  and the registry's manifest digest" "$DIGEST" "$(banger --json image get web | jq -r .digest)"
out=$(banger image get web)
t_check "image get shows the digest in full" grep -q "$DIGEST" <<< "$out"
t_check "  (the source line)" grep -q "docker://$REG/test/web:v1" <<< "$out"
t_check "image list shows the source and the digest, short" grep -q "^web .*${DIGEST:7:12}" <<< "$(banger image list)"

t0=$SECONDS
banger vm run pulled --image web --memory 384 --publish 18080:8080 < /dev/null > "$T/run.out" 2>&1
st=$?
echo "# vm run (boot to SSH) took $((SECONDS - t0)) s"
t_eq "vm run --image web reaches SSH (host key pinned from the console)" 0 $st
[ $st -eq 0 ] || { cat "$T/run.out"; banger vm logs pulled | tail -30; }
ran() { banger vm ssh pulled -- cat /srv/ran < /dev/null; }
t_wait 30 ran
t_eq "the entrypoint ran as the image's user, in its WorkingDir, with its Env" "hello-from-oci 1000 /srv" "$(ran 2> /dev/null)"
owners=$(banger vm ssh pulled -- 'stat -c "%n %u:%g %a" /srv /home/app "/home/app/my \"notes\"" /var/lib/db /var/lib/db/data /opt/suid /etc/passwd /.banger/init' < /dev/null | tr '\n' ';')
t_eq "  the image's owners and modes are kept (web's /srv and /home/app, db's files, setuid, root's /.banger)" \
	'/srv 1000:1000 755;/home/app 1000:1000 750;/home/app/my "notes" 1000:1000 644;/var/lib/db 999:999 700;/var/lib/db/data 999:999 644;/opt/suid 0:0 4755;/etc/passwd 0:0 644;/.banger/init 0:0 755;' "$owners"
t_eq "  the entrypoint, as web, wrote in its own /srv" 1000:1000 "$(banger vm ssh pulled -- stat -c %u:%g /srv/ran < /dev/null)"
t_check "  and serves HTTP on 8080 (busybox httpd)" grep -q hello-from-oci <<< "$(banger vm ssh pulled -- wget -qO- http://127.0.0.1:8080/ran < /dev/null)"
t_check "  and on the host, through the port vm run published (127.0.0.1:18080)" \
	grep -q hello-from-oci <<< "$(curl -fs --max-time 10 http://127.0.0.1:18080/ran)"
t_eq "  vm run gave it the memory asked for" 384 "$(banger --json vm get pulled | jq .memory_mib)"
t_check "  its start is on the console log" grep -q 'banger-service: starting /bin/sh -c' <<< "$(banger vm logs pulled)"
t_eq "the SSH login is the image's root with its /bin/sh" "0 busybox" "$(banger vm ssh pulled -- 'id -u; readlink /bin/sh' < /dev/null | tr '\n' ' ' | sed 's/ $//')"
t_check "the guest is told how long a stop waits (banger.stop_timeout=20)" \
	grep -qw 'banger.stop_timeout=20' <<< "$(banger vm ssh pulled -- cat /proc/cmdline < /dev/null)"
PULLED_ID=$(banger --json vm get pulled | jq -r .id)
t0=$SECONDS
t_check "vm stop" banger vm stop pulled
echo "# vm stop took $((SECONDS - t0)) s"
logs=$(banger vm logs pulled)
t_check "  Ctrl-Alt-Del reached banger's init, which stopped the service and powered off" grep -q 'banger-init: stopping' <<< "$logs"
t_check "  the service got the image's StopSignal (SIGINT), with the stop's 20 s less 3 to act on it" \
	grep -qE 'banger-init: stopping the service \(pid [0-9]+\) with SIGINT, up to 17s' <<< "$logs"
t_check "  and stopped on it, before anything else was killed" grep -q 'banger-init: the service stopped' <<< "$logs"
t_eq "  its handler ran (read from the stopped VM's disk)" "stopped by INT" \
	"$(debugfs -R 'cat /srv/stopped' "$STATE/vms/$PULLED_ID/disk" 2> /dev/null)"
t_check "vm delete" banger vm delete pulled

# ---- an image with no shell, no passwd, no init: only a static binary as its entrypoint ---------
mkdir -p "$T/oci/static"
python3 "$LAYOUT" "static:$(command -v busybox)" "$T/oci/static" v1
# a StopSignal no kernel has: the pull says so, and the service is stopped with SIGTERM
umoci config --image "$T/oci/static:v1" --config.stopsignal SIGBOGUS > /dev/null 2>&1
push "oci:$T/oci/static:v1" test/static:v1
banger image pull "docker://$REG/test/static:v1" > "$T/pull-static.out" 2>&1
t_eq "pull an image with nothing but a static binary" 0 $?
t_check "  it says the image's StopSignal is unknown and SIGTERM stops its service" \
	grep -q "the image's StopSignal SIGBOGUS is not a signal banger's init knows; it stops the service with SIGTERM" "$T/pull-static.out"
t0=$SECONDS
banger vm run bare --image static < /dev/null > "$T/run2.out" 2>&1
st=$?
echo "# vm run (boot to SSH) took $((SECONDS - t0)) s"
t_eq "  it boots to SSH (banger's init, dropbear, and a login shell of banger's)" 0 $st
[ $st -eq 0 ] || { cat "$T/run2.out"; banger vm logs bare | tail -30; }
served() { banger vm ssh bare -- wget -qO- http://127.0.0.1:8081/marker < /dev/null; }
t_wait 30 served
t_eq "  its entrypoint serves HTTP" static-marker "$(served 2> /dev/null)"
t_check "vm stop bare" banger vm stop bare
logs=$(banger vm logs bare)
t_check "  an unknown StopSignal (SIGBOGUS): the service is stopped with SIGTERM" \
	grep -qE 'banger-init: stopping the service \(pid [0-9]+\) with SIGTERM' <<< "$logs"
t_check "  and stops on it" grep -q 'banger-init: the service stopped' <<< "$logs"
t_check "vm delete bare" banger vm delete bare

# ---- re-pull, by digest --------------------------------------------------------------------------
before=$(images)
out=$(banger image pull "docker://$REG/test/web:v1" 2>&1)
t_check "re-pulling an unchanged digest: up to date" grep -q "^Image web is up to date" <<< "$out"
t_eq "  the image list is unchanged" "$before" "$(images)"
# the tag moves to a new image: a pull replaces the record (same name, new digest)
umoci config --image "$T/oci/web:v1" --config.env GREETING=second-version > /dev/null 2>&1
push "oci:$T/oci/web:v1" test/web:v1
out=$(banger image pull "docker://$REG/test/web:v1" 2>&1)
t_check "a moved tag: pulled again" grep -q "^Pulled image web from" <<< "$out"
NEW=$(banger --json image get web | jq -r .digest)
t_check "  the record has the new digest" test "$NEW" != "$DIGEST" -a "${NEW:0:7}" = sha256:
t_eq "  one image named web" 1 "$(banger --json image list | jq '[.images[] | select(.name == "web")] | length')"
banger image pull --name web-digest "docker://$REG/test/web@$DIGEST" > "$T/pull2.out" 2>&1
t_eq "pull by digest" 0 $?
t_eq "  its digest is the one asked for" "$DIGEST" "$(banger --json image get web-digest | jq -r .digest)"
t_check "  no staging directory is left" no_staging
t_check "image rm web-digest" banger image rm web-digest
skopeo copy --quiet "oci:$T/oci/web:v1" "oci-archive:$T/oci/web.tar" && chmod a+r "$T/oci/web.tar"
banger image pull --name web-archive "oci-archive:$T/oci/web.tar" > "$T/pull4.out" 2>&1
t_eq "pull oci-archive:FILE" 0 $?
t_eq "  its source is the reference as given" "oci-archive:$T/oci/web.tar" "$(banger --json image get web-archive 2> /dev/null | jq -r .source)"

# a pull killed outright leaves its staging directory; the next pull removes it (its pid is gone)
mkdir -p "$STATE/.pull-web.999999999.AbCdEf/layout" && chown -R $OWNER "$STATE/.pull-web.999999999.AbCdEf"
banger image pull "docker://$REG/test/web:v1" > /dev/null 2>&1
t_check "a dead pull's staging directory is removed by the next pull" test ! -e "$STATE/.pull-web.999999999.AbCdEf"

# ---- refusals: clear text, no record, no staging ---------------------------------------------------
refuses() { # DESC PATTERN ARGS...
	local desc=$1 pat=$2 before out st
	shift 2
	before=$(images)
	out=$(banger image pull "$@" 2>&1)
	st=$?
	if [ $st -ne 0 ] && grep -qE -- "$pat" <<< "$out"; then t_ok "$desc"; else t_fail "$desc" "exit $st" "$out"; fi
	t_eq "  the image list is unchanged" "$before" "$(images)"
	t_check "  no staging directory is left" no_staging
}
refuses "registry down: cannot be reached" "registry 127.0.0.1:5999 cannot be reached" "docker://127.0.0.1:5999/test/web:v1"
refuses "no such image" "no such image" "docker://$REG/test/nope:v1"
refuses "a bad reference is a usage error" "is not an image reference" "docker://$REG/Test/UPPER"

# ---- a registry that wants credentials: none or wrong ones refused, skopeo's auth.json used ------
AREG=127.0.0.1:5001
mkdir -p "$T/registry-auth"
python3 -W ignore -c 'import crypt; print("alice:" + crypt.crypt("s3cret-pw", crypt.mksalt(crypt.METHOD_BLOWFISH)))' \
	> "$T/registry-auth/htpasswd"
cat > "$T/registry-auth/config.yml" << YAML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $T/registry-auth/data
http:
  addr: $AREG
auth:
  htpasswd:
    realm: banger-test
    path: $T/registry-auth/htpasswd
YAML
/usr/bin/docker-registry serve "$T/registry-auth/config.yml" > "$T/registry-auth.log" 2>&1 &
APID=$!
t_add_cleanup "kill $APID"
t_wait 20 bash -c "curl -s -o /dev/null -w '%{http_code}' http://$AREG/v2/ | grep -q 401"
t_eq "the second registry refuses anonymous requests (htpasswd)" 401 "$(curl -s -o /dev/null -w '%{http_code}' "http://$AREG/v2/")"
skopeo copy --quiet --dest-tls-verify=false --dest-creds alice:s3cret-pw "oci:$T/oci/web:v1" "docker://$AREG/test/web:v1" > "$T/push.log" 2>&1 || cat "$T/push.log"
t_eq "  and serves test/web:v1 to alice" 200 "$(curl -s -o /dev/null -w '%{http_code}' -u alice:s3cret-pw \
	-H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$AREG/v2/test/web/manifests/v1")"
login_hint="the registry $AREG wants credentials, and we have none for it or it refused them: log in with \"skopeo login $AREG\""
refuses "a registry that wants credentials, none given: says to log in" "$login_hint" --name web-auth "docker://$AREG/test/web:v1"
# auth.json where skopeo login and podman login keep it for the owner ($XDG_RUNTIME_DIR's is
# checked first; none here)
authjson() { # USER:PASSWORD
	as_owner mkdir -p "$HOMEDIR/.config/containers"
	printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$AREG" "$(printf '%s' "$1" | base64)" |
		as_owner tee "$HOMEDIR/.config/containers/auth.json" > /dev/null
}
authjson alice:wrong
refuses "wrong credentials in auth.json: refused, says to log in" "$login_hint" --name web-auth "docker://$AREG/test/web:v1"
authjson alice:s3cret-pw
as_owner env -u XDG_RUNTIME_DIR "$(t_bin banger)" image pull --name web-auth "docker://$AREG/test/web:v1" > "$T/pull-auth.out" 2>&1
st=$?
t_eq "with the owner's auth.json: the pull succeeds" 0 $st
[ $st -eq 0 ] || cat "$T/pull-auth.out"
ADIGEST=$(curl -fsI -u alice:s3cret-pw "http://$AREG/v2/test/web/manifests/v1" -H 'Accept: application/vnd.oci.image.manifest.v1+json' |
	tr -d '\r' | awk -F': ' 'tolower($1) == "docker-content-digest" { print $2 }')
t_eq "  the record has the manifest digest the registry gives alice" "$ADIGEST" "$(banger --json image get web-auth | jq -r .digest)"
t_eq "  the record's source has no credentials in it" "docker://$AREG/test/web:v1" "$(banger --json image get web-auth | jq -r .source)"
t_check "  the password appears nowhere in what banger printed or keeps" \
	bash -c "! grep -rqs s3cret-pw '$T/pull-auth.out' '$STATE/images/web-auth'"
t_check "  image rm web-auth" banger image rm web-auth

mkdir -p "$T/oci/bad" && chmod 0755 "$T/oci/bad"
python3 "$LAYOUT" arm64-index "$T/oci/bad/arm" v1
skopeo copy --quiet --all --dest-tls-verify=false "oci:$T/oci/bad/arm:v1" "docker://$REG/test/arm:v1" > /dev/null 2>&1
refuses "an index with only arm64: no linux/amd64 image" "has no linux/amd64 image \(only: linux/arm64\)" "docker://$REG/test/arm:v1"
python3 "$LAYOUT" arm64 "$T/oci/bad/arm-single" v1 && chmod -R a+rX "$T/oci"
refuses "a single arm64 manifest (no index): refused by its configuration" "it is an image for arm64, not amd64" --name arm "oci:$T/oci/bad/arm-single:v1"
rm -f /tmp/banger-pull-escaped
for k in dotdot absolute whiteout hardlink; do python3 "$LAYOUT" $k "$T/oci/bad/$k" v1; done
chmod -R a+rX "$T/oci"
refuses "a layer entry with ..: refused" 'entry "\.\./\.\./.*banger-pull-escaped" is an absolute path or goes up' --name evil "oci:$T/oci/bad/dotdot:v1"
refuses "a layer entry with an absolute path: refused" 'entry "/tmp/banger-pull-escaped" is an absolute path' --name evil "oci:$T/oci/bad/absolute:v1"
refuses "a whiteout that escapes the root: refused" 'layer 2 .*entry "etc/\.\./\.\./\.wh\.tmp"' --name evil "oci:$T/oci/bad/whiteout:v1"
refuses "a hard link out of the image: refused" 'hard link "etc/shadow-copy" points to "/etc/shadow"' --name evil "oci:$T/oci/bad/hardlink:v1"
t_check "nothing was written outside the staging directory" test ! -e /tmp/banger-pull-escaped

# too little space: the CLI's state directory (from BANGER_ROOT) on a 24 MiB tmpfs, the same daemon
S2=$T/small
mkdir -p "$S2/var/lib/banger/state"
mount -t tmpfs -o size=24m,mode=0755,uid=$OWNER tmpfs "$S2/var/lib/banger/state"
t_add_cleanup "umount '$S2/var/lib/banger/state'"
python3 "$LAYOUT" big:40 "$T/oci/bad/big" v1
chmod -R a+rX "$T/oci"
before=$(images)
out=$(as_owner env BANGER_ROOT="$S2" "$(t_bin banger)" --socket "$T/run/banger/bangerd.sock" image pull --name big "oci:$T/oci/bad/big:v1" 2>&1)
st=$?
if [ $st -ne 0 ] && grep -qE "its layers need at least .* free" <<< "$out"; then t_ok "a layer bigger than the free space: refused"; else t_fail "a layer bigger than the free space: refused" "exit $st" "$out"; fi
t_eq "  the image list is unchanged" "$before" "$(images)"
t_eq "  nothing left in the state directory" "" "$(ls -A "$S2/var/lib/banger/state")"
# small as stored, too big once unpacked: the space runs out half-way, in umoci
python3 "$LAYOUT" zeros:64 "$T/oci/bad/zeros" v1
chmod -R a+rX "$T/oci"
out=$(as_owner env BANGER_ROOT="$S2" "$(t_bin banger)" --socket "$T/run/banger/bangerd.sock" image pull --name zeros "oci:$T/oci/bad/zeros:v1" 2>&1)
st=$?
if [ $st -ne 0 ] && grep -qE "ran out of space" <<< "$out"; then t_ok "space running out while unpacking: a clear error"; else t_fail "space running out while unpacking: a clear error" "exit $st" "$out"; fi
t_eq "  the image list is unchanged" "$before" "$(images)"
t_eq "  the staging directory is gone" "" "$(ls -A "$S2/var/lib/banger/state")"

# the kernel image: missing, or with an initrd from before pulled images (no /.banger/init)
refuses "--kernel naming no image: says so" 'no image "nokernel" to take the kernel' --kernel nokernel --name web-k "docker://$REG/test/web:v1"
mkdir -p "$T/oldrd" && printf '#!/bin/sh\nexec switch_root /newroot /sbin/init\n' > "$T/oldrd/init" && chmod 0755 "$T/oldrd/init"
(cd "$T/oldrd" && echo init | cpio -o -H newc --quiet | gzip) > "$T/img/old-initrd.img" && chmod a+r "$T/img/old-initrd.img"
banger image import oldkernel --kernel "$T/img/vmlinuz" --initrd "$T/img/old-initrd.img" --rootfs "$T/img/rootfs.ext4" > /dev/null
refuses "--kernel with an initrd that does not run /.banger/init: says to rebuild it" "initrd predates pulled images.*rebuild" --kernel oldkernel --name web-k "docker://$REG/test/web:v1"
banger image rm oldkernel > /dev/null

# Ctrl-C in the middle: the tool running stops, the staging directory goes, no record
python3 "$LAYOUT" zeros:256 "$T/oci/bad/slow" v1 && chmod -R a+rX "$T/oci"
before=$(images)
as_owner_exec "$(t_bin banger)" image pull --name slow "oci:$T/oci/bad/slow:v1" > "$T/int.out" 2>&1 &
IPID=$!
t_wait 30 grep -q "Unpacking" "$T/int.out"
sleep 0.5
kill -INT $IPID
wait $IPID
st=$?
t_check "an interrupted pull fails" test $st -ne 0
t_eq "  the image list is unchanged" "$before" "$(images)"
t_check "  no staging directory is left" no_staging

# plain HTTP off loopback: only with --insecure
refuses "plain HTTP on 10.213.0.1 without --insecure: refused" "10.213.0.1:5000 speaks plain HTTP.*--insecure" --name remote "docker://10.213.0.1:5000/test/web:v1"
banger image pull --insecure --name remote "docker://10.213.0.1:5000/test/web:v1" > "$T/pull3.out" 2>&1
t_eq "  with --insecure it pulls" 0 $?
t_eq "  the tag's current digest" "$NEW" "$(banger --json image get remote | jq -r .digest)"
t_done

#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every request body banger sends a VMM, and every body banger-vmm answers with, validated against
# Firecracker's own API description (tests/data/firecracker/firecracker.yaml, shipped with the
# sources) by python3-jsonschema, a third-party validator; and banger-vmm's accept/refuse
# verdicts compared with the schema's on bodies that differ only in what the schema can express
# (types, required fields, enums).
#
# The request bodies are what the daemon builds: daemon/fc-requests.c's, printed by
# tests/unit/fc-requests-print in the order the lifecycle sends them (a body change that breaks
# the API contract fails here). BANGER_FC_REQUESTS names other bodies instead: a file, or a
# directory of *.requests files, each line "METHOD PATH BODY" (tests/data/firecracker/README.md);
# each file is replayed in order on a banger-vmm of its own.
. "$(dirname "$0")/../lib.sh"

PY=/usr/bin/python3
DATA=$BANGER_SRC/tests/data/firecracker
SPEC=${BANGER_FC_SPEC:-$DATA/firecracker.yaml}
REQUESTS=${BANGER_FC_REQUESTS:-}

# The description ships with the sources: without it this test fails, it never skips.
if [ ! -f "$SPEC" ]; then
	t_fail "Firecracker's API description is there" "missing: $SPEC"
	t_done
	exit 1
fi
t_ok "Firecracker's API description is there"
if [ -z "${BANGER_FC_SPEC:-}" ]; then
	t_check "it is the copy its README describes (SHA256SUMS)" \
		bash -c 'cd "$1" && sha256sum --quiet -c SHA256SUMS' - "$DATA"
fi
$PY -c 'import jsonschema, yaml' 2> /dev/null || t_skip_all "python3-jsonschema/python3-yaml missing for $PY"
command -v curl > /dev/null || t_skip_all "curl is missing"
VMM=$(t_bin banger-vmm)
[ -x "$VMM" ] || t_skip_all "$VMM is not built"
t_tmpdir
if [ -z "$REQUESTS" ]; then
	PRINT=$(t_bin tests/unit/fc-requests-print)
	mkdir "$T/requests"
	REQUESTS=$T/requests
	# daemon.requests creates the snapshot restore.requests loads (replayed in that order)
	if [ -x "$PRINT" ] && "$PRINT" > "$REQUESTS/daemon.requests" && "$PRINT" restore > "$REQUESTS/restore.requests"; then
		t_ok "the daemon's request bodies printed (daemon/fc-requests.c)"
	else
		t_fail "the daemon's request bodies printed (daemon/fc-requests.c)" \
			"$PRINT is missing or failed: build it with make check"
	fi
fi
: > "$T/vmlinux"
: > "$T/initrd"
truncate -s 1M "$T/root.ext4"

# schema < LINES -> one verdict per line ("ok DEF", "invalid DEF WHY", "unknown WHY"); see
# tests/lib/fc-schema.py.
schema() { $PY "$BANGER_SRC/tests/lib/fc-schema.py" "$SPEC" 2>> "$T/schema.err"; }
# start_vmm SOCKET [ARGS...]: a banger-vmm without a guest; sets pid.
start_vmm() {
	"$VMM" --api-sock "$1" --no-boot "${@:2}" >> "$T/vmm.out" 2>&1 &
	pid=$!
	t_add_cleanup "kill $pid"
	t_wait 5 test -S "$1"
}
# send SOCKET METHOD PATH [BODY] -> prints the status; the answer's body is in $T/resp.
send() { curl -s -o "$T/resp" -w '%{http_code}' --unix-socket "$1" -X "$2" ${4+--data-binary "$4"} "http://localhost$3"; }

# The validator must be able to say no, or the checks below prove nothing.
mapfile -t v < <(schema << EOF
request PUT /machine-config {"vcpu_count":"two","mem_size_mib":128}
request PUT /drives/rootfs {"drive_id":"rootfs"}
request PUT /machine-config {"kernel_image_path":"$T/vmlinux"}
request PUT /nowhere {}
request PUT /machine-config {"vcpu_count":2,"mem_size_mib":128}
EOF
)
t_check "the validator refuses a wrong type" grep -q '^invalid MachineConfiguration ' <<< "${v[0]:-}"
t_check "the validator refuses a missing required field" grep -q '^invalid Drive ' <<< "${v[1]:-}"
t_check "the validator picks the schema from the path (a body for another endpoint)" grep -q '^invalid MachineConfiguration ' <<< "${v[2]:-}"
t_check "the validator refuses an endpoint the API does not have" grep -q '^unknown ' <<< "${v[3]:-}"
t_check "the validator accepts a valid body" grep -qx 'ok MachineConfiguration' <<< "${v[4]:-}"

# replay NAME FILE: every request of FILE is a valid body for its endpoint, and a fresh banger-vmm
# accepts each, in order.
replay() {
	local name=$1 file=$2 sock=$T/$1.sock req verdict method path body
	sed 's/^/request /' "$file" | schema > "$T/$name.verdicts"
	# --accel tcg: a snapshot of a guestless VMM names no accelerator a load could use
	if ! start_vmm "$sock" --id "$name" --accel tcg; then
		t_fail "banger-vmm starts for $name" "$(cat "$T/vmm.out")"
		return
	fi
	while IFS= read -r req; do
		IFS= read -r verdict <&3 || verdict="no verdict: $(cat "$T/schema.err")"
		read -r method path body <<< "$req"
		case $verdict in
		ok\ *) t_ok "schema: $method $path body is a valid ${verdict#ok }" ;;
		*) t_fail "schema: $method $path body is valid" "$verdict" "$body" ;;
		esac
		t_eq "banger-vmm accepts it: $method $path" 204 "$(send "$sock" "$method" "$path" "$body")"
	done < "$file" 3< "$T/$name.verdicts"
}
# requests FILE: its request lines, comments dropped and @DIR@ filled in.
requests() { sed -e '/^[[:space:]]*#/d' -e '/^[[:space:]]*$/d' -e "s|@DIR@|$T|g" "$1"; }

# What the daemon sends.
if [ -d "$REQUESTS" ]; then files=("$REQUESTS"/*.requests); else files=("$REQUESTS"); fi
n=0
for f in "${files[@]}"; do
	[ -f "$f" ] || continue
	name=$(basename "$f" .requests)
	requests "$f" > "$T/$name.list"
	n=$((n + $(wc -l < "$T/$name.list")))
	replay "$name" "$T/$name.list"
done
if [ "$n" -gt 0 ]; then t_ok "$n request bodies found in $REQUESTS"; else t_fail "request bodies found in $REQUESTS" "no *.requests file with a request in it"; fi

# The other requests banger-vmm serves.
cat > "$T/more.list" << EOF
PUT /logger {"log_path":"$T/fc.log","level":"Info","show_level":true,"show_log_origin":false}
PUT /metrics {"metrics_path":"$T/metrics"}
PUT /boot-source {"kernel_image_path":"$T/vmlinux","boot_args":"console=ttyS0"}
PUT /drives/rootfs {"drive_id":"rootfs","path_on_host":"$T/root.ext4","is_root_device":true,"is_read_only":false}
PUT /actions {"action_type":"InstanceStart"}
PATCH /vm {"state":"Paused"}
PATCH /vm {"state":"Resumed"}
PUT /actions {"action_type":"FlushMetrics"}
EOF
replay more "$T/more.list"

# What banger-vmm answers, checked against the response schema of each endpoint and status.
start_vmm "$T/r.sock" --id answers || t_fail "banger-vmm starts for the answers" "$(cat "$T/vmm.out")"
for step in before after; do
	for path in / /version /machine-config /vm/config; do
		code=$(send "$T/r.sock" GET "$path")
		echo "response GET $path $code $(tr -d '\n' < "$T/resp")"
	done > "$T/answers-$step"
	while IFS= read -r line; do
		IFS= read -r verdict <&3 || verdict="no verdict: $(cat "$T/schema.err")"
		read -r _ method path code body <<< "$line"
		case $verdict in
		ok\ *) t_ok "schema: $method $path ($step boot) answers $code, a valid ${verdict#ok }" ;;
		*) t_fail "schema: $method $path ($step boot) answers a valid body" "$verdict" "$body" ;;
		esac
	done < "$T/answers-$step" 3< <(schema < "$T/answers-$step")
	send "$T/r.sock" PUT /boot-source "{\"kernel_image_path\":\"$T/vmlinux\",\"boot_args\":\"console=ttyS0\"}" > /dev/null
	send "$T/r.sock" PUT /drives/rootfs "{\"drive_id\":\"rootfs\",\"path_on_host\":\"$T/root.ext4\",\"is_root_device\":true,\"is_read_only\":false}" > /dev/null
	send "$T/r.sock" PUT /network-interfaces/eth0 '{"iface_id":"eth0","host_dev_name":"tap0","guest_mac":"06:00:ac:1e:00:02"}' > /dev/null
	send "$T/r.sock" PUT /actions '{"action_type":"InstanceStart"}' > /dev/null
done
code=$(send "$T/r.sock" PUT /machine-config '{}')
fault=$(cat "$T/resp")
verdict=$(echo "response PUT /machine-config $code $fault" | schema)
t_eq "schema: a refusal ($code $fault) is a valid Error" "ok Error" "$verdict"
vmm_version=$(send "$T/r.sock" GET /version > /dev/null && $PY -c 'import json, sys; print(json.load(sys.stdin)["firecracker_version"])' < "$T/resp")
spec_version=$($PY -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["info"]["version"])' "$SPEC")
t_eq "the description is of the Firecracker version banger-vmm implements" "$vmm_version" "$spec_version"

# Same verdict as the schema where the schema can tell: type, required and enum violations.
cat > "$T/cases" << EOF
PUT /machine-config {"vcpu_count":1,"mem_size_mib":128}
PUT /machine-config {"vcpu_count":1}
PUT /machine-config {"vcpu_count":1,"mem_size_mib":"128"}
PUT /machine-config {"vcpu_count":1,"mem_size_mib":128,"smt":"no"}
PUT /machine-config {"vcpu_count":1,"mem_size_mib":128,"huge_pages":"1G"}
PUT /boot-source {"boot_args":"console=ttyS0"}
PUT /boot-source {"kernel_image_path":"$T/vmlinux","boot_args":7}
PUT /drives/d1 {"drive_id":"d1","path_on_host":"$T/root.ext4","is_root_device":false}
PUT /drives/d2 {"drive_id":"d2","path_on_host":"$T/root.ext4"}
PUT /drives/d3 {"drive_id":"d3","path_on_host":"$T/root.ext4","is_root_device":"no"}
PUT /drives/d4 {"drive_id":"d4","path_on_host":"$T/root.ext4","is_root_device":false,"cache_type":"Fast"}
PUT /drives/d5 {"drive_id":"d5","path_on_host":"$T/root.ext4","is_root_device":false,"io_engine":"Async"}
PUT /network-interfaces/n1 {"iface_id":"n1"}
PUT /network-interfaces/n2 {"iface_id":"n2","host_dev_name":"tap9","mtu":"1500"}
PUT /network-interfaces/n3 {"iface_id":"n3","host_dev_name":"tap8","mtu":1400}
PUT /metrics {}
PUT /actions {"action_type":"Reboot"}
PUT /actions {}
EOF
start_vmm "$T/v.sock" || t_fail "banger-vmm starts for the verdicts" "$(cat "$T/vmm.out")"
while IFS= read -r req; do
	IFS= read -r verdict <&3 || verdict="no verdict: $(cat "$T/schema.err")"
	read -r method path body <<< "$req"
	case $verdict in
	ok\ *) want=accept ;;
	invalid\ *) want=refuse ;;
	*) t_fail "the schema has a verdict on $method $path" "$verdict"; continue ;;
	esac
	if [ "$(send "$T/v.sock" "$method" "$path" "$body")" = 204 ]; then got=accept; else got=refuse; fi
	t_eq "same verdict as the schema ($want): $method $path $body" "$want" "$got"
done < "$T/cases" 3< <(sed 's/^/request /' "$T/cases" | schema)
t_done

#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every request body banger's daemon sends to a VMM (daemon/lifecycle.c's configure steps and
# actions), and every body banger-vmm answers with, validated against Firecracker's own API
# description (../shared/reference/firecracker-api.yaml) by python3-jsonschema, a third-party
# validator; and banger-vmm's accept/refuse verdicts compared with the schema's on bodies that
# differ only in what the schema can express (types, required fields, enums).
. "$(dirname "$0")/../lib.sh"

PY=/usr/bin/python3
SPEC=${BANGER_FC_SPEC:-$BANGER_SRC/../shared/reference/firecracker-api.yaml}
[ -f "$SPEC" ] || t_skip_all "Firecracker's API description is not at $SPEC (set BANGER_FC_SPEC)"
$PY -c 'import jsonschema, yaml' 2> /dev/null || t_skip_all "python3-jsonschema/python3-yaml missing for $PY"
command -v curl > /dev/null || t_skip_all "curl is missing"
VMM=$(t_bin banger-vmm)
[ -x "$VMM" ] || t_skip_all "$VMM is not built"
t_tmpdir
S=$T/api.sock
: > "$T/vmlinux"
: > "$T/initrd"
truncate -s 1M "$T/root.ext4"

# validate DEFINITION JSON -> exit 0 when valid; prints the validator's message otherwise.
cat > "$T/validate.py" << 'PYEOF'
import json, sys, yaml, jsonschema
spec = yaml.safe_load(open(sys.argv[1]))
schema = {"$ref": "#/definitions/" + sys.argv[2], "definitions": spec["definitions"]}
try:
    jsonschema.Draft4Validator(schema).validate(json.loads(sys.argv[3]))
except jsonschema.ValidationError as e:
    print(e.message)
    sys.exit(1)
PYEOF
valid() { $PY "$T/validate.py" "$SPEC" "$1" "$2"; }

# The validator must be able to say no, or the checks below prove nothing.
if valid MachineConfiguration '{"vcpu_count":"two","mem_size_mib":128}' > /dev/null; then
	t_fail "the validator refuses a wrong type"
else
	t_ok "the validator refuses a wrong type"
fi
if valid Drive '{"drive_id":"rootfs"}' > /dev/null; then t_fail "the validator refuses a missing required field"; else t_ok "the validator refuses a missing required field"; fi

# What the daemon sends, field for field (daemon/lifecycle.c: machine-config, boot-source, drives,
# network-interfaces, InstanceStart, SendCtrlAltDel), plus the other requests banger-vmm serves.
key="ssh-ed25519:AAAAC3NzaC1lZDI1NTE5AAAAIBbG2iKJ7c8H4wq4L9mF3X0W2Yx9ZQ1l2b3c4d5e6f7g"
args="console=ttyS0 reboot=k panic=1 ip=172.30.0.2::172.30.0.1:255.255.255.0:vm1:eth0:off banger.ssh_key=$key"
daemon_bodies=(
	"MachineConfiguration|PUT|/machine-config|{\"vcpu_count\":2,\"mem_size_mib\":1024,\"smt\":false}"
	"BootSource|PUT|/boot-source|{\"kernel_image_path\":\"$T/vmlinux\",\"boot_args\":\"$args\",\"initrd_path\":\"$T/initrd\"}"
	"Drive|PUT|/drives/rootfs|{\"drive_id\":\"rootfs\",\"path_on_host\":\"$T/root.ext4\",\"is_root_device\":true,\"is_read_only\":false}"
	"NetworkInterface|PUT|/network-interfaces/eth0|{\"iface_id\":\"eth0\",\"host_dev_name\":\"tap0\",\"guest_mac\":\"06:00:ac:1e:00:02\"}"
	"Logger|PUT|/logger|{\"log_path\":\"$T/fc.log\",\"level\":\"Info\",\"show_level\":true,\"show_log_origin\":false}"
	"Metrics|PUT|/metrics|{\"metrics_path\":\"$T/metrics\"}"
	"InstanceActionInfo|PUT|/actions|{\"action_type\":\"InstanceStart\"}"
	"Vm|PATCH|/vm|{\"state\":\"Paused\"}"
	"Vm|PATCH|/vm|{\"state\":\"Resumed\"}"
	"InstanceActionInfo|PUT|/actions|{\"action_type\":\"FlushMetrics\"}"
	"InstanceActionInfo|PUT|/actions|{\"action_type\":\"SendCtrlAltDel\"}"
)
"$VMM" --api-sock "$S" --no-boot --id schema > "$T/vmm.out" 2>&1 &
pid=$!
t_add_cleanup "kill $pid"
t_wait 5 test -S "$S" || t_skip_all "banger-vmm did not start: $(cat "$T/vmm.out")"
for entry in "${daemon_bodies[@]}"; do
	IFS='|' read -r def method path body <<< "$entry"
	if why=$(valid "$def" "$body"); then t_ok "schema: $method $path body is a valid $def"; else t_fail "schema: $method $path body is a valid $def" "$why" "$body"; fi
	code=$(curl -s -o "$T/resp" -w '%{http_code}' --unix-socket "$S" -X "$method" --data-binary "$body" "http://localhost$path")
	t_eq "banger-vmm accepts it: $method $path" 204 "$code"
done

# What banger-vmm answers, checked against the response definitions.
"$VMM" --api-sock "$T/r.sock" --no-boot --id answers > /dev/null 2>&1 &
pid2=$!
t_add_cleanup "kill $pid2"
t_wait 5 test -S "$T/r.sock"
get() { curl -s --unix-socket "$T/r.sock" "http://localhost$1"; }
put() { curl -s --unix-socket "$T/r.sock" -X PUT --data-binary "$2" "http://localhost$1" > /dev/null; }
for step in before after; do
	for pair in "InstanceInfo|/" "FirecrackerVersion|/version" "MachineConfiguration|/machine-config" "FullVmConfiguration|/vm/config"; do
		IFS='|' read -r def path <<< "$pair"
		body=$(get "$path")
		if why=$(valid "$def" "$body"); then t_ok "schema: GET $path ($step boot) is a valid $def"; else t_fail "schema: GET $path ($step boot) is a valid $def" "$why" "$body"; fi
	done
	put /boot-source "{\"kernel_image_path\":\"$T/vmlinux\",\"boot_args\":\"$args\"}"
	put /drives/rootfs "{\"drive_id\":\"rootfs\",\"path_on_host\":\"$T/root.ext4\",\"is_root_device\":true,\"is_read_only\":false}"
	put /network-interfaces/eth0 '{"iface_id":"eth0","host_dev_name":"tap0","guest_mac":"06:00:ac:1e:00:02"}'
	put /actions '{"action_type":"InstanceStart"}'
done
fault=$(curl -s --unix-socket "$T/r.sock" -X PUT --data-binary '{}' http://localhost/machine-config)
if why=$(valid Error "$fault"); then t_ok "schema: a refusal is a valid Error ($fault)"; else t_fail "schema: a refusal is a valid Error" "$why" "$fault"; fi

# Same verdict as the schema where the schema can tell: type, required and enum violations.
"$VMM" --api-sock "$T/v.sock" --no-boot > /dev/null 2>&1 &
pid3=$!
t_add_cleanup "kill $pid3"
t_wait 5 test -S "$T/v.sock"
cases=(
	"MachineConfiguration|/machine-config|{\"vcpu_count\":1,\"mem_size_mib\":128}"
	"MachineConfiguration|/machine-config|{\"vcpu_count\":1}"
	"MachineConfiguration|/machine-config|{\"vcpu_count\":1,\"mem_size_mib\":\"128\"}"
	"MachineConfiguration|/machine-config|{\"vcpu_count\":1,\"mem_size_mib\":128,\"smt\":\"no\"}"
	"MachineConfiguration|/machine-config|{\"vcpu_count\":1,\"mem_size_mib\":128,\"huge_pages\":\"1G\"}"
	"BootSource|/boot-source|{\"boot_args\":\"console=ttyS0\"}"
	"BootSource|/boot-source|{\"kernel_image_path\":\"$T/vmlinux\",\"boot_args\":7}"
	"Drive|/drives/d1|{\"drive_id\":\"d1\",\"path_on_host\":\"$T/root.ext4\",\"is_root_device\":false}"
	"Drive|/drives/d2|{\"drive_id\":\"d2\",\"path_on_host\":\"$T/root.ext4\"}"
	"Drive|/drives/d3|{\"drive_id\":\"d3\",\"path_on_host\":\"$T/root.ext4\",\"is_root_device\":\"no\"}"
	"Drive|/drives/d4|{\"drive_id\":\"d4\",\"path_on_host\":\"$T/root.ext4\",\"is_root_device\":false,\"cache_type\":\"Fast\"}"
	"Drive|/drives/d5|{\"drive_id\":\"d5\",\"path_on_host\":\"$T/root.ext4\",\"is_root_device\":false,\"io_engine\":\"Async\"}"
	"NetworkInterface|/network-interfaces/n1|{\"iface_id\":\"n1\"}"
	"NetworkInterface|/network-interfaces/n2|{\"iface_id\":\"n2\",\"host_dev_name\":\"tap9\",\"mtu\":\"1500\"}"
	"NetworkInterface|/network-interfaces/n3|{\"iface_id\":\"n3\",\"host_dev_name\":\"tap8\",\"mtu\":1400}"
	"Metrics|/metrics|{}"
	"InstanceActionInfo|/actions|{\"action_type\":\"Reboot\"}"
	"InstanceActionInfo|/actions|{}"
)
for entry in "${cases[@]}"; do
	IFS='|' read -r def path body <<< "$entry"
	if valid "$def" "$body" > /dev/null; then want=accept; else want=refuse; fi
	code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$T/v.sock" -X PUT --data-binary "$body" "http://localhost$path")
	if [ "$code" = 204 ]; then got=accept; else got=refuse; fi
	t_eq "same verdict as the schema ($want): PUT $path $body" "$want" "$got"
done
t_done

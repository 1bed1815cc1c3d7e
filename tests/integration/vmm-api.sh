#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# banger-vmm's Firecracker contract without a guest (--no-boot): command line, every endpoint,
# phase rules, error shapes and status codes, over real HTTP on the unix socket (curl).
. "$(dirname "$0")/../lib.sh"

command -v curl > /dev/null || t_skip_all "curl is missing"
vmm=$(t_bin banger-vmm)
[ -x "$vmm" ] || t_skip_all "$vmm is not built"
t_tmpdir
S=$T/api.sock

# api METHOD PATH [BODY] -> prints "STATUS BODY"
api() {
	local out code
	out=$(curl -s -S --unix-socket "$S" -X "$1" -w '\n%{http_code}' ${3+-H 'Content-Type: application/json' --data-binary "$3"} "http://localhost$2")
	code=${out##*$'\n'}
	echo "$code ${out%$'\n'*}"
}
# expect DESC STATUS SUBSTRING METHOD PATH [BODY]
expect() {
	local desc=$1 status=$2 sub=$3 res
	shift 3
	res=$(api "$@")
	if [ "${res%% *}" = "$status" ] && [[ "${res#* }" == *"$sub"* ]]; then t_ok "$desc"; else t_fail "$desc" "expected $status containing: $sub" "got: $res"; fi
}
# fault DESC TEXT METHOD PATH [BODY]: 400 with Firecracker's {"fault_message": "...TEXT..."} shape
fault() {
	local desc=$1 sub=$2 res
	shift 2
	res=$(api "$@")
	if [ "${res%% *}" = 400 ] && [[ "${res#* }" == '{"fault_message":"'*"$sub"*'"}' ]]; then t_ok "$desc"; else t_fail "$desc" "expected 400 fault_message containing: $sub" "got: $res"; fi
}
start_vmm() {
	rm -f "$S"
	"$vmm" --api-sock "$S" --no-boot "$@" > "$T/vmm.out" 2>&1 &
	pid=$!
	t_add_cleanup "kill $pid"
	t_wait 5 test -S "$S"
}

# Command line (Firecracker's arg_parser rules and exit codes).
out=$("$vmm" --version)
t_check "--version first line is Firecracker's 'Firecracker vX.Y.Z'" grep -Eq '^Firecracker v[0-9]+\.[0-9]+\.[0-9]+$' <<< "$(head -n1 <<< "$out")"
t_check "--version says banger-vmm and its version" grep -q "^banger-vmm [0-9]" <<< "$out"
"$vmm" --bogus > /dev/null 2>&1
t_eq "an unknown option exits 153" 153 $?
"$vmm" --id a --id b --no-boot > /dev/null 2>&1
t_eq "an option given twice exits 153" 153 $?
"$vmm" --id=abc > /dev/null 2>&1
t_eq "--opt=value is not understood (exit 153)" 153 $?
"$vmm" --api-sock > /dev/null 2>&1
t_eq "an option without its value exits 153" 153 $?
"$vmm" --api-sock --id > /dev/null 2>&1
t_eq "a value starting with -- is refused (exit 153)" 153 $?
"$vmm" --id bad_id --api-sock "$S" > /dev/null 2>&1
t_eq "an instance id with '_' exits 153" 153 $?
"$vmm" --no-api > /dev/null 2>&1
t_eq "--no-api without --config-file exits 153" 153 $?
"$vmm" --accel fast > /dev/null 2>&1
t_eq "--accel outside auto|kvm|tcg exits 153" 153 $?
"$vmm" --level Loud --api-sock "$S" > /dev/null 2>&1
t_eq "an invalid --level exits 152" 152 $?
deps=$("$vmm" --print-jail-deps)
t_check "--print-jail-deps names the QEMU binary read-only" grep -q '^bind-ro /usr/bin/qemu-system-x86_64$' <<< "$deps"
t_check "--print-jail-deps names QEMU's data directory" grep -q '^bind-ro /usr/share/qemu$' <<< "$deps"

# The API before boot.
# Everything below needs the socket: without it, one failure says why and the rest is not run.
if start_vmm --id vm-1; then
	t_ok "the API socket appears"
else
	t_fail "the API socket appears" "$(cat "$T/vmm.out")"
	t_done
	exit 1
fi
: > "$T/busy"
"$vmm" --api-sock "$T/busy" --no-boot > /dev/null 2>&1
t_eq "an API socket path that exists exits 1" 1 $?
expect "GET / says Not started" 200 '"id":"vm-1","state":"Not started","vmm_version":"1.16.1","app_name":"Firecracker"' GET /
expect "GET /version" 200 '{"firecracker_version":"1.16.1"}' GET /version
expect "GET /machine-config has Firecracker's defaults" 200 '"vcpu_count":1,"mem_size_mib":128,"smt":false' GET /machine-config
hdr=$(curl -s -D - -o /dev/null --unix-socket "$S" http://localhost/version)
t_check "responses carry 'Server: Firecracker API'" grep -qi '^Server: Firecracker API' <<< "$hdr"
t_check "JSON responses carry Content-Type application/json" grep -qi '^Content-Type: application/json' <<< "$hdr"
two=$(curl -s -v --unix-socket "$S" http://localhost/ http://localhost/version 2>&1)
t_check "HTTP/1.1 keep-alive: two requests on one connection" grep -q 'Re-using existing connection' <<< "$two"

expect "PUT /machine-config" 204 "" PUT /machine-config '{"vcpu_count":2,"mem_size_mib":256}'
expect "GET /machine-config shows it" 200 '"vcpu_count":2,"mem_size_mib":256' GET /machine-config
fault "unknown field refused" 'An error occurred when deserializing the json body of a request: unknown field `foo`' PUT /machine-config '{"vcpu_count":1,"mem_size_mib":128,"foo":1}'
fault "missing required field refused" 'An error occurred when deserializing the json body of a request: missing field `mem_size_mib`' PUT /machine-config '{"vcpu_count":1}'
fault "wrong field type refused" 'An error occurred when deserializing the json body of a request: invalid type: string' PUT /machine-config '{"vcpu_count":"1","mem_size_mib":128}'
fault "vcpu_count 0 refused" 'The vCPU number is invalid!' PUT /machine-config '{"vcpu_count":0,"mem_size_mib":128}'
fault "odd vcpu_count with smt refused" 'The vCPU number is invalid!' PUT /machine-config '{"vcpu_count":3,"mem_size_mib":128,"smt":true}'
fault "mem_size_mib 0 refused" 'The memory size (MiB) is invalid.' PUT /machine-config '{"vcpu_count":1,"mem_size_mib":0}'
fault "huge pages answered as unsupported" 'huge_pages \"2M\" is not supported by banger-vmm' PUT /machine-config '{"vcpu_count":1,"mem_size_mib":128,"huge_pages":"2M"}'
fault "a malformed body refused" 'An error occurred when deserializing the json body of a request' PUT /machine-config '{"vcpu_count":'
fault "a non-object body refused" 'An error occurred when deserializing the json body of a request: invalid type: sequence' PUT /machine-config '[1]'
fault "an empty PUT refused" 'Empty PUT request.' PUT /machine-config ''
fault "an empty PATCH refused" 'Empty PATCH request.' PATCH /machine-config ''
expect "PATCH /machine-config is a partial update" 204 "" PATCH /machine-config '{"mem_size_mib":512}'
expect "GET /machine-config after PATCH keeps vcpu_count" 200 '"vcpu_count":2,"mem_size_mib":512' GET /machine-config
expect "a refused PUT changed nothing" 200 '"vcpu_count":2,"mem_size_mib":512' GET /machine-config

: > "$T/vmlinux"
: > "$T/initrd"
truncate -s 1M "$T/root.ext4" "$T/data.img"
fault "boot source with a missing kernel refused" 'The kernel file cannot be opened: No such file or directory' PUT /boot-source "{\"kernel_image_path\":\"$T/nope\"}"
fault "boot source with a missing initrd refused" 'The initrd file cannot be opened' PUT /boot-source "{\"kernel_image_path\":\"$T/vmlinux\",\"initrd_path\":\"$T/nope\"}"
expect "PUT /boot-source" 204 "" PUT /boot-source "{\"kernel_image_path\":\"$T/vmlinux\",\"initrd_path\":\"$T/initrd\",\"boot_args\":\"console=ttyS0 reboot=k panic=1\"}"

fault "a drive id with '-' refused" 'API Resource IDs can only contain alphanumeric characters and underscores.' PUT /drives/bad-id '{"drive_id":"bad-id","path_on_host":"/x","is_root_device":false}'
fault "path id must equal body id" 'The id from the path does not match the id from the body!' PUT /drives/a "{\"drive_id\":\"b\",\"path_on_host\":\"$T/data.img\",\"is_root_device\":false}"
fault "a missing backing file refused" 'Unable to open the block device backing file' PUT /drives/data "{\"drive_id\":\"data\",\"path_on_host\":\"$T/nope\",\"is_root_device\":false}"
fault "an unknown cache_type refused" 'unknown variant `Fast`' PUT /drives/data "{\"drive_id\":\"data\",\"path_on_host\":\"$T/data.img\",\"is_root_device\":false,\"cache_type\":\"Fast\"}"
fault "an empty drive id refused" 'The ID cannot be empty.' PUT /drives/ '{"drive_id":"","path_on_host":"/x","is_root_device":false}'
expect "PUT /drives/data (not root)" 204 "" PUT /drives/data "{\"drive_id\":\"data\",\"path_on_host\":\"$T/data.img\",\"is_root_device\":false,\"is_read_only\":true}"
expect "PUT /drives/rootfs (root)" 204 "" PUT /drives/rootfs "{\"drive_id\":\"rootfs\",\"path_on_host\":\"$T/root.ext4\",\"is_root_device\":true,\"is_read_only\":false}"
fault "a second root device refused" 'A root block device already exists!' PUT /drives/other "{\"drive_id\":\"other\",\"path_on_host\":\"$T/data.img\",\"is_root_device\":true}"
expect "PUT on an existing drive id replaces it" 204 "" PUT /drives/data "{\"drive_id\":\"data\",\"path_on_host\":\"$T/data.img\",\"is_root_device\":false,\"is_read_only\":false}"

fault "an interface id with '-' refused" 'API Resource IDs can only contain' PUT /network-interfaces/eth-0 '{"iface_id":"eth-0","host_dev_name":"tap0"}'
fault "interface path id must equal body id" 'The id from the path does not match the id from the body!' PUT /network-interfaces/eth0 '{"iface_id":"eth1","host_dev_name":"tap0"}'
fault "a malformed MAC refused" 'invalid MAC address' PUT /network-interfaces/eth0 '{"iface_id":"eth0","host_dev_name":"tap0","guest_mac":"06:00:zz:00:00:01"}'
fault "host_dev_name is required" 'missing field `host_dev_name`' PUT /network-interfaces/eth0 '{"iface_id":"eth0"}'
expect "PUT /network-interfaces/eth0" 204 "" PUT /network-interfaces/eth0 '{"iface_id":"eth0","host_dev_name":"tap0","guest_mac":"06:00:ac:10:00:02"}'
fault "a tap used twice refused" 'The host device name is already in use: tap0' PUT /network-interfaces/eth1 '{"iface_id":"eth1","host_dev_name":"tap0"}'
fault "a MAC used twice refused" 'The MAC address is already in use' PUT /network-interfaces/eth1 '{"iface_id":"eth1","host_dev_name":"tap1","guest_mac":"06:00:AC:10:00:02"}'
fault "rate limiters answered as unsupported" 'not supported by banger-vmm' PUT /network-interfaces/eth1 '{"iface_id":"eth1","host_dev_name":"tap1","rx_rate_limiter":{"bandwidth":{"size":1,"refill_time":1}}}'

expect "PUT /logger" 204 "" PUT /logger "{\"log_path\":\"$T/fc.log\",\"level\":\"debug\",\"show_level\":true}"
fault "an unknown log level refused" 'unknown variant `Loud`' PUT /logger '{"level":"Loud"}'
expect "PUT /metrics" 204 "" PUT /metrics "{\"metrics_path\":\"$T/metrics\"}"
fault "metrics cannot be set twice" 'Reinitialization of metrics not allowed.' PUT /metrics "{\"metrics_path\":\"$T/metrics\"}"
expect "PUT /serial" 204 "" PUT /serial "{\"serial_out_path\":\"$T/serial.out\"}"
expect "GET /vm/config puts the root drive first" 200 '"drives":[{"drive_id":"rootfs"' GET /vm/config
expect "GET /vm/config has the interface" 200 '"network-interfaces":[{"iface_id":"eth0","host_dev_name":"tap0","guest_mac":"06:00:ac:10:00:02"}]' GET /vm/config
expect "GET /vm/config has the boot source" 200 "\"boot-source\":{\"kernel_image_path\":\"$T/vmlinux\"" GET /vm/config

fault "an unknown path refused" 'Invalid request method and/or path: GET nothing.' GET /nothing
fault "a wrong method refused" 'Invalid request method and/or path: PUT vm.' PUT /vm '{"state":"Paused"}'
fault "vsock answered as unsupported" 'PUT /vsock is not supported by banger-vmm.' PUT /vsock '{"guest_cid":3,"uds_path":"v.sock"}'
fault "snapshot/create before boot refused" 'The requested operation is not supported before starting the microVM.' PUT /snapshot/create '{"snapshot_path":"a","mem_file_path":"b"}'
fault "mmds answered as unsupported" 'is not supported by banger-vmm.' PUT /mmds '{}'
fault "PATCH /vm before boot refused" 'The requested operation is not supported before starting the microVM.' PATCH /vm '{"state":"Paused"}'
fault "SendCtrlAltDel before boot refused" 'The requested operation is not supported before starting the microVM.' PUT /actions '{"action_type":"SendCtrlAltDel"}'
fault "FlushMetrics before boot refused" 'The requested operation is not supported before starting the microVM.' PUT /actions '{"action_type":"FlushMetrics"}'
fault "an unknown action refused" 'unknown variant `Reboot`' PUT /actions '{"action_type":"Reboot"}'
big=$(head -c 60000 /dev/zero | tr '\0' 'a')
expect "a body over the payload limit gets micro_http's {\"error\"} shape" 400 '{"error":' PUT /machine-config "{\"x\":\"$big\"}"

# Boot and after.
expect "InstanceStart" 204 "" PUT /actions '{"action_type":"InstanceStart"}'
expect "GET / says Running" 200 '"state":"Running"' GET /
fault "InstanceStart twice refused" 'The requested operation is not supported after starting the microVM.' PUT /actions '{"action_type":"InstanceStart"}'
fault "PUT /boot-source after boot refused" 'The requested operation is not supported after starting the microVM.' PUT /boot-source "{\"kernel_image_path\":\"$T/vmlinux\"}"
fault "PUT /machine-config after boot refused" 'not supported after starting the microVM.' PUT /machine-config '{"vcpu_count":1,"mem_size_mib":128}'
fault "PUT /logger after boot refused" 'not supported after starting the microVM.' PUT /logger '{"level":"Info"}'
fault "drive hot-plug answered as unsupported" 'Hot-plugging drives after boot is not supported by banger-vmm.' PUT /drives/late "{\"drive_id\":\"late\",\"path_on_host\":\"$T/data.img\",\"is_root_device\":false}"
fault "PATCH /drives after boot answered as unsupported" 'not supported by banger-vmm' PATCH /drives/data '{"drive_id":"data","path_on_host":"/x"}'
expect "PATCH /vm Paused" 204 "" PATCH /vm '{"state":"Paused"}'
expect "GET / says Paused" 200 '"state":"Paused"' GET /
expect "PATCH /vm Paused again is idempotent" 204 "" PATCH /vm '{"state":"Paused"}'
fault "PATCH /vm with a bad state refused" 'unknown variant `Sleeping`' PATCH /vm '{"state":"Sleeping"}'
expect "PATCH /vm Resumed" 204 "" PATCH /vm '{"state":"Resumed"}'
expect "GET / says Running again" 200 '"state":"Running"' GET /
expect "FlushMetrics" 204 "" PUT /actions '{"action_type":"FlushMetrics"}'
t_eq "the metrics file has a line per flush (PUT /metrics + FlushMetrics)" 2 "$(grep -c utc_timestamp_ms "$T/metrics")"
expect "SendCtrlAltDel after boot" 204 "" PUT /actions '{"action_type":"SendCtrlAltDel"}'
t_check "the log file got Firecracker-style lines with levels" grep -q '\[vm-1:main:ERROR\] PUT /boot-source' "$T/fc.log"
kill -TERM "$pid"
wait "$pid"
t_eq "SIGTERM ends the VMM (killed by the signal, as Firecracker is)" 143 $?
t_check "the API socket is removed on exit" test ! -e "$S"

# --config-file: configured and "booted" at start; the API stays up.
cat > "$T/config.json" << JSON
{
  "boot-source": {"kernel_image_path": "$T/vmlinux", "boot_args": "console=ttyS0"},
  "drives": [{"drive_id": "rootfs", "path_on_host": "$T/root.ext4", "is_root_device": true, "is_read_only": false}],
  "machine-config": {"vcpu_count": 1, "mem_size_mib": 64},
  "network-interfaces": [{"iface_id": "eth0", "host_dev_name": "tap0"}]
}
JSON
if start_vmm --config-file "$T/config.json"; then t_ok "--config-file: the API socket appears"; else t_fail "--config-file: the API socket appears" "$(cat "$T/vmm.out")"; fi
expect "--config-file boots (GET / says Running)" 200 '"state":"Running"' GET /
expect "--config-file's machine-config applied" 200 '"mem_size_mib":64' GET /machine-config
expect "--config-file's drive applied" 200 '"drive_id":"rootfs"' GET /vm/config
kill "$pid"
wait "$pid" 2> /dev/null
echo '{"vsock": {"guest_cid": 3, "uds_path": "v"}}' > "$T/bad.json"
"$vmm" --no-boot --api-sock "$T/b.sock" --config-file "$T/bad.json" > "$T/bad.out" 2>&1
t_eq "an unsupported --config-file section exits 152" 152 $?
t_check "and says it is unsupported" grep -q 'not supported by banger-vmm' "$T/bad.out"
"$vmm" --no-api --no-boot --config-file "$T/config.json" > /dev/null 2>&1 &
p2=$!
sleep 0.3
t_check "--no-api with --config-file runs without a socket" kill -0 $p2
kill $p2
wait $p2 2> /dev/null
t_done

# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared by the daemon-*.sh and cli-*.sh suites (sourced, not run: not executable): a real
# bangerd under a temporary BANGER_ROOT, a raw JSON-RPC client, and a throwaway image.
. "$(dirname "$0")/../lib.sh"

# d_start [BANGERD OPTIONS...]: starts bangerd in $T/root and waits for its socket.
d_start() {
	[ -n "${T:-}" ] || t_tmpdir
	export BANGER_ROOT=$T/root
	SOCK=$BANGER_ROOT/run/banger/bangerd.sock
	mkdir -p "$BANGER_ROOT"
	"$(t_bin bangerd)" --allow-root --foreground "$@" >> "$T/bangerd.log" 2>&1 &
	D_PID=$!
	t_add_cleanup 'kill $D_PID'
	t_wait 10 test -S "$SOCK" || { cat "$T/bangerd.log"; t_fail "bangerd started"; t_done; exit 1; }
}

# d_stop: SIGTERM and wait; returns bangerd's exit status.
d_stop() {
	kill -TERM "$D_PID"
	wait "$D_PID"
}

# d_rpc METHOD [PARAMS-JSON]: one request on a fresh connection; prints the whole answer line.
d_rpc() {
	python3 - "$SOCK" "$1" "${2:-{\}}" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(30)
s.sendall((json.dumps({"jsonrpc": "2.0", "id": 7, "method": sys.argv[2],
                       "params": json.loads(sys.argv[3])}) + "\n").encode())
f = s.makefile("rb")
while True:
    line = f.readline()
    if not line:
        sys.exit("connection closed")
    m = json.loads(line)
    if m.get("id") == 7:
        print(json.dumps(m)); break
PY
}

# d_code METHOD PARAMS: the error's data.code, or "ok".
d_code() {
	d_rpc "$1" "${2:-{\}}" | jq -r 'if .error then .error.data.code else "ok" end'
}

# d_image NAME: imports a small fake image (random kernel bytes, sparse rootfs).
d_image() {
	mkdir -p "$T/img-$1"
	head -c 65536 /dev/urandom > "$T/img-$1/vmlinuz"
	truncate -s 8M "$T/img-$1/rootfs.ext4"
	printf 'tail' >> "$T/img-$1/rootfs.ext4"
	d_rpc image.import "{\"name\":\"$1\",\"kernel\":\"$T/img-$1/vmlinuz\",\"rootfs\":\"$T/img-$1/rootfs.ext4\"}" > /dev/null
}

#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Hostile and busy clients: garbage, an over-long line, a half message, a response sent to the
# daemon — each gets protocol_error (where it can) and is closed, and nobody else notices; 64
# concurrent clients × 200 requests are all answered; pipelined requests come back in order.
. "$(dirname "$0")/daemon-lib.sh"
t_require_root
d_start
d_image minimal
d_rpc vm.create '{"name":"keep"}' > /dev/null

# bystander: a connection opened before the abuse, used after it
python3 - "$SOCK" "$T" <<'PY' &
import json, os, socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(30)
open(sys.argv[2] + "/bystander.ready", "w").close()
while not os.path.exists(sys.argv[2] + "/abuse.done"):
    time.sleep(0.05)
s.sendall(b'{"jsonrpc":"2.0","id":5,"method":"vm.get","params":{"name":"keep"}}\n')
print(s.makefile("rb").readline().decode().strip(), file=open(sys.argv[2] + "/bystander.out", "w"))
PY
bystander=$!
t_wait 5 test -e "$T/bystander.ready"

# abuse MODE: sends something bad, prints the answer's error code (or "none") and whether the
# daemon then closed the connection
abuse() {
	python3 - "$SOCK" "$1" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(20)
mode = sys.argv[2]
payload = {
    "garbage": b"hello there\n",
    "not-jsonrpc": b'{"jsonrpc":"1.0","id":1,"method":"vm.list"}\n',
    "not-object": b'[1,2,3]\n',
    "response": b'{"jsonrpc":"2.0","id":1,"result":{}}\n',
    "bad-utf8": b'{"jsonrpc":"2.0","id":1,"method":"\xff\xfe"}\n',
    "long": b'{"jsonrpc":"2.0","id":1,"method":"vm.list","params":{"x":"' + b"a" * (1024 * 1024 + 16),
}[mode]
try:
    s.sendall(payload)
except (BrokenPipeError, ConnectionResetError):
    pass
data = b""
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    closed = "closed"
except socket.timeout:
    closed = "open"
except ConnectionResetError:
    closed = "closed"
line = data.split(b"\n")[0]
code = json.loads(line)["error"]["data"]["code"] if line else "none"
print(code, closed)
PY
}
for mode in garbage not-jsonrpc not-object response bad-utf8 long; do
	t_eq "$mode: protocol_error, then closed" "protocol_error closed" "$(abuse $mode)"
done
python3 - "$SOCK" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b'{"jsonrpc":"2.0","id":1,"meth')
s.close()
PY
t_check "a half message and a hang-up is noticed" \
	t_wait 5 grep -q "hung up in the middle of a message" "$T/bangerd.log"
touch "$T/abuse.done"
wait $bystander
t_eq "a connection opened before the abuse still works" keep "$(jq -r .result.name "$T/bystander.out")"
t_eq "params that are not an object: invalid_argument, connection kept" "invalid_argument ok" "$(python3 - "$SOCK" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(10); f = s.makefile("rwb")
f.write(b'{"jsonrpc":"2.0","id":1,"method":"vm.list","params":[1]}\n{"jsonrpc":"2.0","id":2,"method":"vm.list"}\n'); f.flush()
a, b = json.loads(f.readline()), json.loads(f.readline())
print(a["error"]["data"]["code"], "ok" if "result" in b else "lost")
PY
)"
t_eq "a notification from a client is ignored, the next request answered" 2 "$(python3 - "$SOCK" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(10); f = s.makefile("rwb")
f.write(b'{"jsonrpc":"2.0","method":"vm.list"}\n{"jsonrpc":"2.0","id":2,"method":"hello","params":{"protocol":1}}\n'); f.flush()
print(json.loads(f.readline())["id"])
PY
)"

# 64 clients × 200 requests, concurrently; every answer must carry its own request's id
out=$(python3 - "$SOCK" <<'PY'
import json, socket, sys, threading
ok = [0] * 64
def client(n):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(60)
    f = s.makefile("rwb")
    for i in range(200):
        method = ("vm.get", "vm.list", "hello", "image.list")[i % 4]
        params = {"name": "keep"} if method == "vm.get" else {"protocol": 1} if method == "hello" else {}
        rid = "c%d-%d" % (n, i)
        f.write((json.dumps({"jsonrpc": "2.0", "id": rid, "method": method, "params": params}) + "\n").encode()); f.flush()
        m = json.loads(f.readline())
        if m.get("id") == rid and "result" in m:
            ok[n] += 1
threads = [threading.Thread(target=client, args=(n,)) for n in range(64)]
for t in threads: t.start()
for t in threads: t.join()
print(sum(ok))
PY
)
t_eq "64 concurrent clients × 200 requests all answered" 12800 "$out"

out=$(python3 - "$SOCK" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(30)
s.sendall(b"".join(('{"jsonrpc":"2.0","id":%d,"method":"vm.get","params":{"name":"keep"}}\n' % i).encode() for i in range(2000)))
f = s.makefile("rb")
print(" ".join(str(json.loads(f.readline())["id"]) for _ in range(2000)) == " ".join(map(str, range(2000))))
PY
)
t_eq "2000 pipelined requests (written before reading any answer) are answered in order" True "$out"
t_eq "the daemon is still serving" ok "$(d_code vm.get '{"name":"keep"}')"
t_eq "system.status counts only live clients" 1 "$(d_rpc system.status | jq -r .result.counts.clients)"
t_check "the daemon is still running" kill -0 "$D_PID"
t_done

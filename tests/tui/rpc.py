#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# One JSON-RPC call on a banger socket for the tui tests: rpc.py SOCKET METHOD [PARAMS-JSON].
# Prints the result; exits 1 (printing the error) when the daemon answers with an error.
import json, socket, sys

s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
params = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
s.sendall((json.dumps({"jsonrpc": "2.0", "id": 1, "method": sys.argv[2], "params": params}) + "\n").encode())
buf = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        sys.exit("rpc.py: connection closed")
    buf += chunk
    while b"\n" in buf:
        line, buf = buf.split(b"\n", 1)
        msg = json.loads(line)
        if msg.get("id") == 1:
            if "error" in msg:
                print(json.dumps(msg["error"]))
                sys.exit(1)
            print(json.dumps(msg["result"]))
            sys.exit(0)

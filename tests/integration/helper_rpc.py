# SPDX-License-Identifier: LGPL-2.1-or-later
"""A small root.sock client for the helper's tests and benchmarks: several connections at once,
requests pipelined or not, descriptors sent with exactly the line they belong to, and every
answer stamped with the time it arrived. Only the standard library (runs as the owner)."""
import array
import json
import os
import select
import socket
import time


class Conn:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buf = b""
        self.next_id = 1
        self.stamp = 0.0  # when the bytes in buf arrived (gather)

    def send(self, method, params=None, fds=(), names=None):
        """Sends one request (descriptors on its own sendmsg) and returns its id."""
        params = dict(params or {})
        if names:
            params["fds"] = list(names)
        rid = self.next_id
        self.next_id += 1
        line = json.dumps({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        self.send_raw((line + "\n").encode(), fds)
        return rid

    def send_raw(self, data, fds=()):
        anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds).tobytes())] if fds else []
        sent = self.sock.sendmsg([data], anc)
        if sent < len(data):
            self.sock.sendall(data[sent:])

    def recv(self, timeout=30.0):
        """The next answer line as (arrival time, parsed JSON); None at EOF or timeout."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return time.monotonic(), json.loads(line)

    def _line(self):
        if b"\n" not in self.buf:
            return None
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def call(self, method, params=None, fds=(), names=None, timeout=30.0):
        self.send(method, params, fds, names)
        got = self.recv(timeout)
        return got[1] if got else None

    def close(self):
        self.sock.close()


def open_files(spec):
    """NAME=PATH[:rw] ... -> (names, fds)"""
    names, fds = [], []
    for item in spec:
        name, path = item.split("=", 1)
        mode = os.O_RDONLY
        if path.endswith(":rw"):
            path, mode = path[:-3], os.O_RDWR
        names.append(name)
        fds.append(os.open(path, mode | os.O_CLOEXEC))
    return names, fds


def gather(expect, timeout=60.0):
    """Reads answers from several connections as they arrive. expect: {conn: how many}.
    Returns [(arrival time, conn, answer)] in arrival order (each stamped when its bytes came
    in, whoever is read first); stops early at EOF or timeout."""
    out, left = [], dict(expect)
    deadline = time.monotonic() + timeout
    while any(left.values()):
        for c in [c for c, n in left.items() if n]:
            while left[c]:
                msg = c._line()
                if msg is None:
                    break
                out.append((c.stamp, c, msg))
                left[c] -= 1
        waiting = [c for c, n in left.items() if n]
        if not waiting:
            break
        wait = deadline - time.monotonic()
        if wait <= 0:
            break
        ready, _, _ = select.select([c.sock for c in waiting], [], [], wait)
        now = time.monotonic()
        for c in waiting:
            if c.sock in ready:
                c.sock.settimeout(None)
                chunk = c.sock.recv(1 << 20)
                if not chunk:
                    left[c] = 0
                    continue
                c.buf += chunk
                c.stamp = now
    return out

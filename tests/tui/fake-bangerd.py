#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# A stand-in for bangerd that speaks docs/protocol.md (hello, events.subscribe with since_seq
# replay or snapshot, vm.* events, vm.log, heartbeats) for banger-tui tests and benchmarks where
# the real daemon cannot produce the traffic yet (console lines, 1,000 VMs, 10,000 lines/s).
# Driven by command lines on a FIFO (--control): create NAME [STATE] | state NAME NEW |
# set NAME KEY=VALUE... | delete NAME | log NAME TEXT | lines NAME COUNT | lagged | rate N |
# step NAME STEP N OF ELAPSED_MS | done NAME running|failed | quit
import argparse, asyncio, json, os, sys, time, uuid

p = argparse.ArgumentParser()
p.add_argument("--socket", required=True)
p.add_argument("--vms", type=int, default=0)
p.add_argument("--log-vm", default="vm-0000")
p.add_argument("--log-rate", type=int, default=0, help="console lines per second")
p.add_argument("--log-vms", type=int, default=1, help="stream to vm-0000... round robin")
p.add_argument("--heartbeat", type=float, default=2.0)
p.add_argument("--control")
p.add_argument("--version", default="0.0.0-fake")
p.add_argument("--update-ok", action="store_true",
               help="update.apply succeeds: update.* events, the answer, then exit (a restart)")
args = p.parse_args()

seq = 0
vms = {}          # id -> vm object
by_name = {}
lines = {}        # id -> last line number
backlog = []      # recent events (for since_seq replay)
clients = set()
rate = args.log_rate


def now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def make_vm(name, state="created", i=0):
    vid = uuid.uuid5(uuid.NAMESPACE_DNS, name).hex[:16]
    vm = {"id": vid, "name": name, "state": state, "reason": None, "image": "default",
          "vcpus": 1 + i % 4, "memory_mib": 256 * (1 + i % 8), "disk_gib": 4,
          "ip": "10.0.%d.%d" % (i // 250, 2 + i % 250) if state == "running" else None,
          "mac": "02:00:00:00:%02x:%02x" % (i // 256 % 256, i % 256),
          "pid": 10000 + i if state == "running" else None,
          "boot_id": uuid.uuid4().hex if state == "running" else None,
          "disk_strategy": "reflink", "created_at": now(),
          "started_at": now() if state == "running" else None, "schema_version": 1}
    vms[vid] = vm
    by_name[name] = vid
    lines[vid] = 0
    return vm


class Client:
    def __init__(self, writer):
        self.w = writer
        self.subscribed = False
        self.dropped = {}

    def send(self, obj):
        data = (json.dumps(obj, separators=(",", ":")) + "\n").encode()
        self.w.write(data)

    def backlogged(self):
        return self.w.transport.get_write_buffer_size() > (4 << 20)


def publish(method, params, log=False):
    global seq
    seq += 1
    params = dict(params, seq=seq)
    msg = {"jsonrpc": "2.0", "method": method, "params": params}
    if not log:
        backlog.append(msg)
        del backlog[:-10000]
    for c in list(clients):
        if not c.subscribed:
            continue
        if log and c.backlogged():
            # A slow consumer loses lines, and is told so.
            d = c.dropped.setdefault(params["id"], [params["first_line"], 0])
            d[1] += len(params["lines"])
            continue
        if log and params["id"] in c.dropped:
            first, count = c.dropped.pop(params["id"])
            c.send({"jsonrpc": "2.0", "method": "vm.log_dropped",
                    "params": {"seq": seq, "id": params["id"], "name": params["name"],
                               "first_line": first, "count": count}})
        c.send(msg)


def log_lines(vid, texts):
    vm = vms[vid]
    first = lines[vid] + 1
    lines[vid] += len(texts)
    publish("vm.log", {"id": vid, "name": vm["name"], "first_line": first, "lines": texts},
            log=True)


def answer(c, mid, result=None, error=None):
    if error:
        code, text = error
        num = {"unavailable": -32004, "not_found": -32001, "invalid_argument": -32602}.get(code, -32603)
        c.send({"jsonrpc": "2.0", "id": mid, "error": {"code": num, "message": text,
                                                       "data": {"code": code}}})
    else:
        c.send({"jsonrpc": "2.0", "id": mid, "result": result})


def handle(c, msg):
    mid, method, params = msg.get("id"), msg.get("method"), msg.get("params") or {}
    if method == "hello":
        answer(c, mid, {"protocol": 1, "program": "bangerd", "version": args.version})
    elif method == "events.subscribe":
        since = params.get("since_seq")
        if since is not None and (since == seq or (backlog and backlog[0]["params"]["seq"] <= since + 1)) and since <= seq:
            replay = [m for m in backlog if m["params"]["seq"] > since]
            answer(c, mid, {"seq": seq, "replayed": len(replay)})
            for m in replay:
                c.send(m)
        else:
            answer(c, mid, {"seq": seq, "snapshot": True})
            c.send({"jsonrpc": "2.0", "method": "events.snapshot",
                    "params": {"seq": seq, "vms": list(vms.values()), "images": []}})
        c.subscribed = True
    elif method == "vm.create":
        vm = make_vm(params["name"], "created", len(vms))
        publish("vm.created", {"vm": vm})
        answer(c, mid, vm)
    elif method == "update.apply" and args.update_ok:
        publish("update.progress", {"message": "downloading bangerd 9.9.9"})
        publish("update.progress", {"message": "installing"})
        answer(c, mid, {"from": args.version, "to": "9.9.9"})
        asyncio.get_running_loop().call_later(0.3, os._exit, 0)
    elif method == "reconcile" and params.get("dry_run") and args.update_ok:
        answer(c, mid, {"adopt": ["vm-0000"], "clean": ["vm-0003"]})
    elif method in ("vm.start", "vm.stop", "vm.restart", "reconcile", "update.apply"):
        answer(c, mid, error=("unavailable", "%s needs the VM lifecycle, which this bangerd does not have yet" % method))
    else:
        answer(c, mid, error=("not_found", "Unknown method %s" % method))


async def serve(reader, writer):
    c = Client(writer)
    clients.add(c)
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            try:
                handle(c, json.loads(line))
            except Exception as e:  # a bad request must not kill the fake daemon
                print("fake-bangerd:", e, file=sys.stderr)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        clients.discard(c)
        writer.close()


def control(line):
    global rate
    parts = line.split()
    if not parts:
        return
    cmd, rest = parts[0], parts[1:]
    if cmd == "create":
        vm = make_vm(rest[0], rest[1] if len(rest) > 1 else "created", len(vms))
        publish("vm.created", {"vm": vm})
    elif cmd == "state":
        vid = by_name[rest[0]]
        old = vms[vid]["state"]
        vms[vid]["state"] = rest[1]
        publish("vm.state", {"id": vid, "name": rest[0], "old": old, "new": rest[1], "reason": None})
    elif cmd == "set":
        vid = by_name[rest[0]]
        for kv in rest[1:]:
            k, v = kv.split("=", 1)
            vms[vid][k] = int(v) if v.isdigit() else (None if v == "null" else v)
        publish("vm.updated", {"vm": vms[vid]})
    elif cmd == "delete":
        vid = by_name.pop(rest[0])
        del vms[vid]
        publish("vm.deleted", {"id": vid, "name": rest[0]})
    elif cmd == "log":
        log_lines(by_name[rest[0]], [line.split(None, 2)[2] if len(parts) > 2 else ""])
    elif cmd == "lines":
        n = int(rest[1])
        vid = by_name[rest[0]]
        log_lines(vid, ["line %d of %s" % (lines[vid] + 1 + i, rest[0]) for i in range(n)])
    elif cmd == "dropped":
        vid = by_name[rest[0]]
        first = lines[vid] + 1
        lines[vid] += int(rest[1])
        publish("vm.log_dropped", {"id": vid, "name": rest[0], "first_line": first, "count": int(rest[1])})
    elif cmd == "step":
        publish("vm.start_step", {"id": by_name[rest[0]], "name": rest[0], "step": rest[1],
                                  "n": int(rest[2]), "of": int(rest[3]), "elapsed_ms": int(rest[4])})
    elif cmd == "done":
        publish("vm.start_done", {"id": by_name[rest[0]], "name": rest[0], "result": rest[1],
                                  "elapsed_ms": 0, "steps": {}})
    elif cmd == "publish_failed":
        publish("vm.publish_failed", {"id": by_name[rest[0]], "name": rest[0],
                                      "error": line.split(None, 2)[2]})
    elif cmd == "lagged":
        publish("events.lagged", {"dropped": 1})
        for c in clients:
            if c.subscribed:
                c.send({"jsonrpc": "2.0", "method": "events.snapshot",
                        "params": {"seq": seq, "vms": list(vms.values()), "images": []}})
    elif cmd == "rate":
        rate = int(rest[0])
    elif cmd == "quit":
        os._exit(0)


async def control_loop():
    # Held open for reading and writing: the pipe never sees its last writer go, so a line
    # written between one writer's close and a reopen is never lost (open-readlines-close
    # per writer dropped such lines when tests wrote two in a row).
    loop = asyncio.get_running_loop()
    fd = open(os.open(args.control, os.O_RDWR), "r", newline="\n")
    while True:
        line = await loop.run_in_executor(None, fd.readline)
        try:
            control(line.rstrip("\n"))
        except Exception as e:
            print("fake-bangerd: control:", e, file=sys.stderr)


async def heartbeat():
    while True:
        await asyncio.sleep(args.heartbeat)
        for c in list(clients):
            if c.subscribed:
                c.send({"jsonrpc": "2.0", "method": "daemon.heartbeat",
                        "params": {"seq": seq, "time": now()}})


async def stream():
    tick = 0.01
    n = 0
    k = 0
    while True:
        await asyncio.sleep(tick)
        targets = [args.log_vm] if args.log_vms <= 1 else ["vm-%04d" % i for i in range(args.log_vms)]
        name = targets[k % len(targets)]
        k += 1
        if rate <= 0 or name not in by_name:
            continue
        batch = max(1, int(rate * tick))
        texts = [("[%10.3f] kernel: line %d \x1b[32mok\x1b[0m virtio_net: eth0 link up, 1000 Mbps"
                  % (time.monotonic(), n + i)) + ("\rprogress 100%%" if (n + i) % 50 == 0 else "")
                 for i in range(batch)]
        n += batch
        log_lines(by_name[name], texts)


async def main():
    for i in range(args.vms):
        make_vm("vm-%04d" % i, ["running", "stopped", "created", "error"][i % 4] if i else "running", i)
    try:
        os.unlink(args.socket)
    except FileNotFoundError:
        pass
    server = await asyncio.start_unix_server(serve, path=args.socket)
    tasks = [heartbeat(), stream()]
    if args.control:
        tasks.append(control_loop())
    async with server:
        await asyncio.gather(server.serve_forever(), *tasks)

asyncio.run(main())

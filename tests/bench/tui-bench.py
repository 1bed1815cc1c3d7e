#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# banger-tui benchmark (figures only, no pass/fail): key-to-screen latency and CPU with 1,000 VMs
# while one console streams LINES_PER_S lines/s, idle CPU and terminal output, and RSS.
# banger-tui runs in a pty of its own; the fake daemon (tests/tui/fake-bangerd.py) makes the load.
# Latency is measured end to end on CLOCK_MONOTONIC: from just before the key is written to the
# pty until banger-tui has painted the frame for it (BANGER_TUI_KEYLOG).
import fcntl, os, pty, signal, struct, subprocess, sys, termios, threading, time

build, src, tmp = sys.argv[1], sys.argv[2], sys.argv[3]
VMS = int(os.environ.get("BENCH_VMS", "1000"))
RATE = int(os.environ.get("BENCH_LINES_PER_S", "10000"))
KEYS = int(os.environ.get("BENCH_KEYS", "300"))
HZ = os.sysconf("SC_CLK_TCK")


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def fake(sock, vms, rate, log_vms=4):
    return subprocess.Popen([sys.executable, os.path.join(src, "tests/tui/fake-bangerd.py"),
                             "--socket", sock, "--vms", str(vms), "--log-rate", str(rate),
                             "--log-vms", str(log_vms),
                             "--heartbeat", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def start_tui(sock, keylog):
    pid, master = pty.fork()
    if pid == 0:
        os.environ.update(TERM="xterm-256color", LANG="C.UTF-8", BANGER_TUI_KEYLOG=keylog,
                          HOME=tmp, XDG_CONFIG_HOME=tmp + "/config")
        os.execv(os.path.join(build, "banger-tui"), ["banger-tui", "--socket", sock])
    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    os.kill(pid, signal.SIGWINCH)
    out = {"bytes": 0, "run": True}

    def drain():
        while out["run"]:
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            out["bytes"] += len(data)
    t = threading.Thread(target=drain, daemon=True)
    t.start()
    return pid, master, out


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(len(v) * p / 100))]


def wait_sock(path):
    for _ in range(100):
        if os.path.exists(path):
            return
        time.sleep(0.05)
    sys.exit("fake daemon did not start")


def loaded():
    sock, keylog = tmp + "/load.sock", tmp + "/keys.log"
    start = time.monotonic()
    d = fake(sock, VMS, RATE)
    wait_sock(sock)
    pid, master, out = start_tui(sock, keylog)
    time.sleep(3)  # snapshot of 1,000 VMs, the stream under way
    # Following: the first VM's console streams on screen, no keys.
    f0, ft0, fb0 = cpu_ticks(pid), time.monotonic(), out["bytes"]
    time.sleep(5)
    f1, ft1, fb1 = cpu_ticks(pid), time.monotonic(), out["bytes"]
    # Keys: down/up across the 4 streaming VMs (so 4 consoles fill), one every 30 ms.
    c0, t0 = cpu_ticks(pid), time.monotonic()
    sent = []
    pattern = b"jjjkkk"
    for i in range(KEYS):
        sent.append(time.clock_gettime_ns(time.CLOCK_MONOTONIC))
        os.write(master, pattern[i % len(pattern):i % len(pattern) + 1])
        time.sleep(0.03)
    time.sleep(0.5)
    c1, t1 = cpu_ticks(pid), time.monotonic()
    rss = rss_kib(pid)
    os.write(master, b"\x03")
    time.sleep(0.3)
    out["run"] = False
    for p in (pid,):
        try:
            os.kill(p, signal.SIGTERM)
            os.waitpid(p, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
    fake_cpu = cpu_ticks(d.pid)
    d.terminate()
    d.wait()
    rows = [l.split() for l in open(keylog) if l.split()[0] in ("106", "107")]  # j, k
    painted = [int(r[1]) for r in rows]
    read = [int(r[2]) for r in rows]
    n = min(len(painted), len(sent))
    lat = [(painted[i] - sent[i]) / 1e6 for i in range(n)]
    work = [(painted[i] - read[i]) / 1e6 for i in range(n)]
    print("load: %d VMs, 4 consoles streaming %d lines/s in total (requested), %d keys" % (VMS, RATE, KEYS))
    print("  CPU following a console on screen (no keys, 5 s): %.1f %% of a core; terminal output %.1f KiB/s"
          % (100.0 * (f1 - f0) / HZ / (ft1 - ft0), (fb1 - fb0) / 1024.0 / (ft1 - ft0)))
    if n:
        print("  key-to-screen latency: p50 %.2f ms, p99 %.2f ms, max %.2f ms (%d keys painted)"
              % (pct(lat, 50), pct(lat, 99), max(lat), n))
        print("  of which in banger-tui (key read to frame painted): p50 %.2f ms, p99 %.2f ms, max %.2f ms"
              % (pct(work, 50), pct(work, 99), max(work)))
    print("  CPU while streaming + keys: %.1f %% of a core (the fake daemon: %.0f %%)"
          % (100.0 * (c1 - c0) / HZ / (t1 - t0), 100.0 * fake_cpu / HZ / (time.monotonic() - start)))
    print("  machine load average: %s (2 cores, shared)" % open("/proc/loadavg").read().split()[0])
    print("  RSS with %d VMs and 4 full consoles: %.1f MiB" % (VMS, rss / 1024.0))


def idle():
    sock = tmp + "/idle.sock"
    d = fake(sock, 50, 0)
    wait_sock(sock)
    pid, master, out = start_tui(sock, tmp + "/idle-keys.log")
    time.sleep(2)
    b0, c0, t0 = out["bytes"], cpu_ticks(pid), time.monotonic()
    time.sleep(float(os.environ.get("BENCH_IDLE_SECONDS", "20")))
    b1, c1, t1 = out["bytes"], cpu_ticks(pid), time.monotonic()
    rss = rss_kib(pid)
    os.write(master, b"\x03")
    time.sleep(0.3)
    out["run"] = False
    try:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass
    d.terminate()
    d.wait()
    print("idle: 50 VMs, no console traffic, %.0f s" % (t1 - t0))
    print("  CPU: %.2f %% of a core (%d ticks of 1/%d s)" % (100.0 * (c1 - c0) / HZ / (t1 - t0), c1 - c0, HZ))
    print("  terminal output: %.0f bytes/s (the 1 Hz clock and uptime cells)" % ((b1 - b0) / (t1 - t0)))
    print("  RSS: %.1f MiB" % (rss / 1024.0))


def everyone_logs():
    """Worst case for memory: every VM's console gets lines (background bounds apply)."""
    sock = tmp + "/all.sock"
    secs = float(os.environ.get("BENCH_ALL_SECONDS", "30"))
    d = fake(sock, VMS, RATE, VMS)
    wait_sock(sock)
    pid, master, out = start_tui(sock, tmp + "/all-keys.log")
    c0, t0 = None, None
    time.sleep(2)
    c0, t0 = cpu_ticks(pid), time.monotonic()
    time.sleep(secs)
    c1, t1 = cpu_ticks(pid), time.monotonic()
    rss = rss_kib(pid)
    os.write(master, b"\x03")
    time.sleep(0.3)
    out["run"] = False
    try:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass
    d.terminate()
    d.wait()
    print("every VM logging: %d VMs, %d lines/s round robin, %.0f s (~%.0f lines per VM)"
          % (VMS, RATE, secs, RATE * secs / VMS))
    print("  CPU: %.1f %% of a core; RSS: %.1f MiB" % (100.0 * (c1 - c0) / HZ / (t1 - t0), rss / 1024.0))


loaded()
idle()
everyone_logs()

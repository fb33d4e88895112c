#!/usr/bin/env python3
"""Idle-connection flood of the security review (issue 13 item 4).

Starts a release `yuming serve` (SQLite, DNS on), opens N TCP connections from 127.0.0.1 to
its HTTP and DNS-over-TCP listeners that never send a byte, holds them, and meanwhile checks
from another source address (127.0.0.2, still to 127.0.0.1) that /healthz answers 200, that a
DNS query over TCP and one over UDP get an answer, and reports the server's open descriptors
and CPU. Fails when any check does not answer.

    bench/idle_flood.py [N]          # default 20000; needs dig and curl
"""

import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
HTTP_PORT, DNS_PORT = 18581, 18553
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def checks():
    """(healthz, dns over tcp, dns over udp), each (ok, seconds)."""
    out = []
    start = time.monotonic()
    r = subprocess.run(
        ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5",
         "--interface", "127.0.0.2", f"http://127.0.0.1:{HTTP_PORT}/healthz"],
        capture_output=True, text=True)
    out.append((r.stdout == "200", time.monotonic() - start))
    for transport in ["+tcp", "+notcp"]:
        start = time.monotonic()
        r = subprocess.run(
            ["dig", transport, "+time=3", "+tries=1", "-b", "127.0.0.2", "-p", str(DNS_PORT),
             "@127.0.0.1", "example.com", "SOA"], capture_output=True, text=True)
        out.append(("status:" in r.stdout, time.monotonic() - start))
    return out


def hold(n, port):
    """Forks a process that opens n idle connections to port and holds them until killed;
    returns (pid, how many it opened)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        held = []
        for _ in range(n):
            s = socket.socket()
            s.setblocking(False)
            try:
                s.connect_ex(("127.0.0.1", port))
                held.append(s)
            except OSError:
                s.close()
        os.write(write_end, f"{len(held)}\n".encode())
        while True:
            time.sleep(60)
    os.close(write_end)
    with os.fdopen(read_end) as r:
        return pid, int(r.readline())


def server_stats(pid):
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    return fds, ticks / os.sysconf("SC_CLK_TCK")


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    subprocess.run(["cargo", "build", "--release", "--locked", "-q", "-p", "yuming"],
                   cwd=ROOT, check=True)
    work = tempfile.mkdtemp()
    env = dict(os.environ, YUMING_DATA_DIR=os.path.join(work, "data"),
               YUMING_HTTP_ADDR=f"127.0.0.1:{HTTP_PORT}", YUMING_DNS_ADDR=f"127.0.0.1:{DNS_PORT}",
               YUMING_LOG="warn")
    log = open(os.path.join(work, "serve.log"), "w")
    server = subprocess.Popen([os.path.join(target, "release", "yuming"), "serve"],
                              env=env, stdout=log, stderr=log)
    holders = []
    failed = False
    try:
        for _ in range(100):
            if checks()[0][0]:
                break
            time.sleep(0.1)
        print(f"before: checks {checks()}, server fds/cpu {server_stats(server.pid)}")
        # Two holder processes: one process may not have 20 000 descriptors here.
        holders = [hold(N // 2, HTTP_PORT), hold(N - N // 2, DNS_PORT)]
        opened = sum(count for _, count in holders)
        refused = N - opened
        time.sleep(2)
        fds0, cpu0 = server_stats(server.pid)
        results = []
        for _ in range(5):
            results.append(checks())
            time.sleep(1)
        fds1, cpu1 = server_stats(server.pid)
        print(f"holding {opened} idle connections from 127.0.0.1 ({refused} not opened)")
        print(f"server: {fds1} open descriptors, {100 * (cpu1 - cpu0) / 5:.0f} % CPU while held")
        for name, index in [("healthz", 0), ("dns tcp", 1), ("dns udp", 2)]:
            answered = sum(1 for r in results if r[index][0])
            slowest = max(r[index][1] for r in results)
            print(f"{name} from 127.0.0.2: {answered}/5 answered, slowest {slowest * 1000:.0f} ms")
            failed |= answered != 5
    finally:
        for pid, _ in holders:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    if failed:
        print("FAIL: a check from another address got no answer", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()

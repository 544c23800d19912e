#!/usr/bin/env python3
"""What `tether listen` holds per idle connection: RSS growth divided by
connections, for N peers that each send one message and stay quiet; then
what is left once they have all closed (after the listener's trim).

Usage: idle_connections.py TETHER [N]   (default N: 10000)

Raises its own descriptor limit to the hard one; standard library only.
"""

import re
import resource
import socket
import subprocess
import sys
import time


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def main() -> None:
    tether = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < n + 64:
        sys.exit(f"the descriptor limit is {hard}, under {n} peers")
    listener = subprocess.Popen(
        [tether, "listen", "tcp://127.0.0.1:0", "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert listener.stderr is not None
        first = listener.stderr.readline()
        found = re.search(r"127\.0\.0\.1:(\d+)", first)
        if not found:
            sys.exit(f"unexpected first line: {first!r}")
        port = int(found.group(1))
        time.sleep(0.3)
        start = rss_kib(listener.pid)
        peers = []
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"\x00\x00\x00\x04idle")
            peers.append(s)
        time.sleep(2)
        held = rss_kib(listener.pid)
        for s in peers:
            s.close()
        time.sleep(3)  # a quiet second after the closes, then the trim
        after = rss_kib(listener.pid)
        print(
            f"{start} KiB with no peers, {held} KiB with {n} idle: "
            f"{(held - start) * 1024 // n} bytes a connection; {after} KiB once they closed"
        )
    finally:
        listener.terminate()
        listener.wait()


if __name__ == "__main__":
    main()

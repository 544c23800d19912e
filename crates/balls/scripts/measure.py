#!/usr/bin/env python3
"""Measures `tether balls` for its README section (issue 14's closing note).

1. Handoff latency: from the frame in which a ball's centre crossed the edge
   on one peer ("sent") to the end of the first frame the next peer drew with
   it ("shown"), over loopback, three peers in three processes with windows
   (under Xvfb if DISPLAY is unset).
2. Frame times of a peer with a window while its right neighbour is killed
   (SIGKILL) and restarted every second, against the same peer with a steady
   neighbour, interleaved, RUNS times each.

    python3 crates/balls/scripts/measure.py target/release/tether [RUNS]
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Dict, List, Optional, Tuple

TETHER = sys.argv[1] if len(sys.argv) > 1 else "target/release/tether"
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 3


class Peer:
    def __init__(self, *args: str, listen: str = "tcp://127.0.0.1:0") -> None:
        argv = [TETHER, "balls", "--json", "--listen", listen, *args]
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        first = json.loads(self.proc.stdout.readline())
        self.endpoint: str = first["endpoint"]
        self.events: List[dict] = [first]
        self.thread = threading.Thread(target=self._read)
        self.thread.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.events.append(json.loads(line))

    def wait(self) -> List[dict]:
        self.proc.wait(timeout=120)
        self.thread.join()
        return self.events


def pct(values: List[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round((len(s) - 1) * q))]


def latency(seconds: int) -> List[float]:
    common = ["--balls", "6", "--speed", "3", "--for", f"{seconds}s"]
    c = Peer(*common, "--name", "C")
    b = Peer(*common, "--name", "B", "--right", c.endpoint)
    a = Peer(*common, "--name", "A", "--right", b.endpoint)
    logs = [a.wait(), b.wait(), c.wait()]
    # A ball crosses many times: each arrival pairs with its latest send.
    sent: Dict[int, List[float]] = {}
    got: List[float] = []
    for log in logs:
        for e in log:
            if e["event"] == "sent":
                sent.setdefault(e["ball"]["id"], []).append(e["t"])
    for log in logs:
        pending: Dict[int, float] = {}
        for e in log:
            if e["event"] == "received":
                before = [t for t in sent.get(e["ball"]["id"], []) if t <= e["t"]]
                if before:
                    pending[e["ball"]["id"]] = max(before)
            elif e["event"] == "shown" and e["id"] in pending:
                got.append(e["t"] - pending.pop(e["id"]))
    return got


def frames(kill: bool, seconds: int) -> dict:
    b = Peer("--headless", "--balls", "6", "--speed", "3", "--for", f"{seconds + 5}s")
    a = Peer("--balls", "6", "--speed", "3", "--for", f"{seconds}s", "--right", b.endpoint)
    end = time.monotonic() + seconds - 1
    while kill and time.monotonic() < end:
        time.sleep(0.5)
        b.proc.send_signal(signal.SIGKILL)
        b.wait()
        time.sleep(0.5)
        b = Peer("--headless", "--balls", "2", "--speed", "3", "--for", f"{seconds}s",
                 listen=b.endpoint)
    log = a.wait()
    b.proc.send_signal(signal.SIGKILL)
    b.wait()
    ups = sum(1 for e in log if e["event"] == "neighbour_up")
    end_event = [e for e in log if e["event"] == "end"][0]
    return {**end_event["frames"], "neighbour_ups": ups,
            "bounced": sum(1 for e in log if e["event"] == "bounced")}


def main() -> None:
    xvfb: Optional[subprocess.Popen] = None
    if "DISPLAY" not in os.environ:
        xvfb = subprocess.Popen(["Xvfb", ":151", "-screen", "0", "2600x700x24", "-nolisten", "tcp"],
                                stderr=subprocess.DEVNULL)
        os.environ["DISPLAY"] = ":151"
        time.sleep(1)
    try:
        lat: List[float] = []
        for _ in range(RUNS):
            lat += latency(15)
        ms = [x * 1000 for x in lat]
        print(f"handoff latency over loopback, {len(ms)} handoffs: p50 {pct(ms, 0.5):.2f} ms, "
              f"p99 {pct(ms, 0.99):.2f} ms, max {max(ms):.2f} ms "
              f"(frame interval 16.67 ms: p50 {pct(ms, 0.5) / 16.667:.2f}, p99 {pct(ms, 0.99) / 16.667:.2f} frames)")
        for run in range(RUNS):
            steady = frames(False, 12)
            killed = frames(True, 12)
            print(f"run {run + 1}: frame time with a steady neighbour: {json.dumps(steady)}")
            print(f"run {run + 1}: while the neighbour is killed and restarted: {json.dumps(killed)}; "
                  f"p99 ratio {killed['p99_ms'] / steady['p99_ms']:.3f}, max ratio {killed['max_ms'] / steady['max_ms']:.3f}")
    finally:
        if xvfb is not None:
            xvfb.terminate()


if __name__ == "__main__":
    main()

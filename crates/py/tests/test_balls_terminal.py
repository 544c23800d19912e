"""``python3 -m tether.balls --terminal`` under tmux: capture-pane shows the
balls (braille dots) and the status corner, follows a resize, and the keys
work. tmux is installed by .ci/test."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, List

import pytest


def tmux(socket: str, *args: str) -> str:
    return subprocess.run(["tmux", "-L", socket, *args], capture_output=True, text=True,
                          timeout=10).stdout


def braille(screen: str) -> int:
    return sum(1 for c in screen if "\u2801" <= c <= "\u28ff")


def wait_screen(socket: str, what: str, ok: Callable[[str], bool], errors: Path) -> str:
    deadline = time.monotonic() + 10
    while True:
        screen = tmux(socket, "capture-pane", "-p", "-t", "balls")
        if ok(screen):
            return screen
        assert time.monotonic() < deadline, f"{what}:\n{screen}\nstderr: {errors.read_text()}"
        time.sleep(0.1)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux (.ci/test installs it)")
def test_the_terminal_shows_balls_and_the_status_and_follows_a_resize(tmp_path: Path) -> None:
    socket = f"tether-pyballs-{os.getpid()}"
    cmd: List[str] = [sys.executable, "-m", "tether.balls", "--terminal", "--balls", "6",
                      "--for", "20s", "--name", "tui", "--listen", "tcp://127.0.0.1:0"]
    errors = tmp_path / "stderr"
    errors.write_text("")
    tmux(socket, "new-session", "-d", "-x", "100", "-y", "30", "-s", "balls",
         shlex.join(cmd) + " 2>" + shlex.quote(str(errors)))
    try:
        def drawn(s: str) -> bool:
            return braille(s) > 20 and "handoffs/s" in s

        screen = wait_screen(socket, "no balls or no status at start", drawn, errors)
        assert "tui  on tcp://127.0.0.1:" in screen, screen
        assert "balls 6" in screen and "left  none (wall)" in screen, screen
        tmux(socket, "resize-window", "-t", "balls", "-x", "70", "-y", "20")
        small = wait_screen(socket, "after a resize", lambda s: drawn(s) and len(s.splitlines()) <= 20, errors)
        assert all(len(line) <= 70 for line in small.splitlines()), small
        tmux(socket, "send-keys", "-t", "balls", "Space")
        wait_screen(socket, "space adds a ball", lambda s: "balls 7" in s, errors)
        tmux(socket, "send-keys", "-t", "balls", "c")
        wait_screen(socket, "c clears", lambda s: "balls 0" in s and braille(s) == 0, errors)
        tmux(socket, "send-keys", "-t", "balls", "q")
        deadline = time.monotonic() + 10
        while subprocess.run(["tmux", "-L", socket, "has-session", "-t", "balls"],
                             capture_output=True, timeout=10).returncode == 0:
            assert time.monotonic() < deadline, "q did not quit"
            time.sleep(0.1)
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True, timeout=10)

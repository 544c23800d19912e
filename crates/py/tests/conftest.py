"""Shared fixtures: temporary Unix socket paths, a listener on port 0, the
Rust CLI binary, and child Python processes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterator, Optional

import pytest

import tether

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def sock_path(tmp_path: Path) -> str:
    """A fresh Unix socket path in a temporary directory."""
    return str(tmp_path / "t.sock")


@pytest.fixture
def server() -> Iterator[tether.Listener]:
    """A TCP listener on 127.0.0.1, any free port."""
    with tether.listen("tcp://127.0.0.1:0") as srv:
        yield srv


def _find_cli() -> Optional[str]:
    given = os.environ.get("TETHER_BIN")
    if given:
        return given
    for profile in ("debug", "release"):
        exe = REPO / "target" / profile / "tether"
        if exe.is_file():
            return str(exe)
    cargo = shutil.which("cargo")
    if cargo is None:
        return None
    subprocess.run([cargo, "build", "-q", "-p", "tether-cli", "--bin", "tether"], cwd=REPO, check=True)
    exe = REPO / "target" / "debug" / "tether"
    return str(exe) if exe.is_file() else None


@pytest.fixture(scope="session")
def cli() -> str:
    """Path of the `tether` binary (TETHER_BIN, target/*/tether, or built)."""
    exe = _find_cli()
    if exe is None:
        pytest.skip("no tether binary and no cargo to build one")
    return exe


def python_child(code: str) -> subprocess.Popen[str]:
    """Runs `code` in a new Python process with pipes for stdout/stderr."""
    return subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

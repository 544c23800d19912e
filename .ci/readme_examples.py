#!/usr/bin/env python3
"""Runs the shell examples of README.md and compares what they print with
what the README shows, so the tours cannot drift from the program.

Usage: readme_examples.py [--tether PATH] [--readme README.md] [-v]

The convention (for anyone adding a README section):

* Scope: the sections whose heading is in SECTIONS below (and their
  subsections). Add yours there once its examples run on loopback.
* In scope, every fenced code block with lines starting with "$ " is a
  transcript and is run. A line "$ CMD" is a command (run with bash in a
  scratch directory shared by the block; "cargo ..." runs in the repository
  root); the lines after it, up to the next "$ ", are what it prints
  (stdout and stderr together). A "# comment" after a command is shell.
* "$ CMD &" starts CMD in the background; the runner waits for its first
  line of output (for a listener, "listening on ..."), which the line
  shown right after it must match (with no line shown, the runner goes on
  at once: "tether send --retry 2s" waits for such a peer). The rest of
  what background commands
  print is shown after "$ wait", which waits for them (10 s at most); jobs
  still running at the end of a block get SIGINT.
* Expected lines may use "..." for any text within a line, and a line that
  is just "..." for any number of lines. Before comparing, both sides have
  addresses (127.0.0.1:PORT, [::1]:PORT), durations (4.1 s, 120 ms, 12 µs),
  rates and RFC 3339 times replaced by placeholders.
* Commands get free loopback ports: a port from 9000 to 10999 written after
  ":" (tcp://127.0.0.1:9000) or after "127.0.0.1 " (nc 127.0.0.1 9000) is
  replaced by a free port, the same number by the same port within a block;
  0.0.0.0 becomes 127.0.0.1, so nothing listens beyond loopback.
* A command must exit 0, unless the output shown for it has a line that
  starts with "tether: " (an error example).
* To leave a block out, put this line right before its fence:
      <!-- readme-examples: skip (the reason) -->
"""

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

SECTIONS = [
    "`tether listen` and `tether send`",
    "The library",
]
SKIP = re.compile(r"<!--\s*readme-examples:\s*skip\b")
WAIT = 10.0


def blocks(readme):
    """Yields (heading, first line number, lines) of each transcript in scope."""
    heading, level_in, skip_next = None, None, False
    fence, start, body = None, 0, []
    for number, line in enumerate(readme.splitlines(), 1):
        if fence is not None:
            if line.startswith(fence):
                if any(l.startswith("$ ") for l in body) and level_in and not skip_next:
                    yield heading, start, body
                fence, skip_next = None, False
            else:
                body.append(line)
            continue
        m = re.match(r"(#+) (.*)", line)
        if m:
            level = len(m.group(1))
            if m.group(2).strip() in SECTIONS:
                heading, level_in = m.group(2).strip(), level
            elif level_in and level <= level_in:
                level_in = None
            continue
        if line.startswith("```"):
            fence, start, body = "```", number, []
            continue
        if line.strip():
            skip_next = bool(SKIP.search(line))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def localise(command, ports):
    """Free loopback ports and 127.0.0.1 instead of what the README writes."""
    def swap(m):
        return str(ports.setdefault(m.group(0), free_port()))

    command = command.replace("0.0.0.0", "127.0.0.1")
    command = re.sub(r"(?<=:)(9\d{3}|10\d{3})\b", swap, command)
    return re.sub(r"(?<=127\.0\.0\.1 )(9\d{3}|10\d{3})\b", swap, command)


def normalise(line):
    line = line.rstrip()
    line = re.sub(r"\d{4}-\d\d-\d\dT[\d:.]+Z", "<time>", line)
    line = re.sub(r"\[[0-9a-f:]+\]:\d+", "<addr>", line)
    line = re.sub(r"\b\d+\.\d+\.\d+\.\d+:\d+", "<addr>", line)
    line = re.sub(r"\b\d+(\.\d+)? ?(s|ms|µs|us|ns)\b", "<duration>", line)
    line = re.sub(r"\b\d+(\.\d+)? ?[KMG]?(msg|B|lines)/s\b", "<rate>", line)
    return line


def matches(expected, actual):
    """Expected lines (with "..." wildcards) against actual lines."""
    expected = [normalise(l) for l in expected]
    actual = [normalise(l) for l in actual]

    def line_ok(e, a):
        parts = [re.escape(p) for p in e.split("...")]
        return re.fullmatch(".*".join(parts), a) is not None

    def walk(i, j):
        if i == len(expected):
            return j == len(actual)
        if expected[i] == "...":
            return any(walk(i + 1, k) for k in range(j, len(actual) + 1))
        return j < len(actual) and line_ok(expected[i], actual[j]) and walk(i + 1, j + 1)

    return walk(0, 0)


class Job:
    """A background command whose output is collected line by line."""

    def __init__(self, command, cwd, env):
        self.proc = subprocess.Popen(
            ["bash", "-c", command], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True)
        self.lines, self.first = [], threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            self.first.set()
        self.first.set()

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
        try:
            self.proc.wait(WAIT)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.reader.join(WAIT)


def without_comment(command):
    """The command without a trailing "# comment" (outside quotes)."""
    quote = None
    for i, c in enumerate(command):
        if quote:
            quote = None if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c == "#" and (i == 0 or command[i - 1].isspace()):
            return command[:i].rstrip()
    return command.rstrip()


def steps(lines):
    """(command, expected lines) pairs of one transcript."""
    out = []
    for line in lines:
        if line.startswith("$ "):
            out.append((line[2:], []))
        elif out:
            out[-1][1].append(line)
    return out


def run_block(lines, root, env, verbose):
    """Runs one transcript; returns a list of failures (empty if it holds)."""
    failures, jobs, waited, ports = [], [], 0, {}
    scratch = tempfile.mkdtemp(prefix="readme-example-")
    try:
        for shown, expected in steps(lines):
            command = localise(shown, ports)
            cwd = root if command.startswith("cargo ") else scratch
            may_fail = any(l.startswith("tether: ") for l in expected)
            if verbose:
                print(f"  $ {command}")
            body = without_comment(command)
            if body == "wait":
                got = []
                for job in jobs[waited:]:
                    try:
                        job.proc.wait(WAIT)
                    except subprocess.TimeoutExpired:
                        failures.append(f"{job.proc.args[2]!r} still running after {WAIT} s")
                    job.reader.join(WAIT)
                    got += job.lines[1:]
                waited = len(jobs)
                if not matches(expected, got):
                    failures.append(diff("wait", expected, got))
                continue
            if body.endswith("&"):
                job = Job(body[:-1], cwd, env)
                jobs.append(job)
                if expected:
                    job.first.wait(WAIT)
                    if not matches(expected[:1], job.lines[:1]):
                        failures.append(diff(shown, expected[:1], job.lines[:1]))
                else:
                    job.lines.insert(0, "")  # no first line to hold back at wait
                continue
            try:
                done = subprocess.run(
                    ["bash", "-c", command], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                    timeout=300 if command.startswith("cargo ") else WAIT)
            except subprocess.TimeoutExpired:
                failures.append(f"{shown!r} did not finish")
                continue
            got = [l for l in done.stdout.splitlines()
                   if not (command.startswith("cargo ") and l.lstrip().startswith(
                       ("Compiling", "Finished", "Running", "Blocking", "warning:")))]
            if done.returncode != 0 and not may_fail:
                failures.append(f"{shown!r} exited {done.returncode}:\n" + "\n".join(got))
            elif not matches(expected, got):
                failures.append(diff(shown, expected, got))
    finally:
        for job in jobs:
            job.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    return failures


def diff(command, expected, got):
    return (f"$ {command}\n  README shows:\n" + "".join(f"    {l}\n" for l in expected)
            + "  it printed:\n" + "".join(f"    {l}\n" for l in got))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tether", default=os.path.join(root, "target", "debug", "tether"))
    ap.add_argument("--readme", default=os.path.join(root, "README.md"))
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    bindir = tempfile.mkdtemp(prefix="readme-bin-")
    os.symlink(os.path.abspath(args.tether), os.path.join(bindir, "tether"))
    env = dict(os.environ, PATH=bindir + os.pathsep + os.environ["PATH"])
    with open(args.readme, encoding="utf-8") as f:
        readme = f.read()
    ran, failed = 0, 0
    for heading, line, body in blocks(readme):
        ran += 1
        if args.verbose:
            print(f"README.md:{line} ({heading})")
        failures = run_block(body, root, env, args.verbose)
        if failures:
            failed += 1
            print(f"README.md:{line} ({heading}): the example does not hold")
            for f in failures:
                print(f)
    shutil.rmtree(bindir, ignore_errors=True)
    print(f"readme examples: {ran - failed} of {ran} transcripts hold")
    return 1 if failed or not ran else 0


if __name__ == "__main__":
    sys.exit(main())

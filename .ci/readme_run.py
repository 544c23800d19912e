"""Runs one README example and compares its output (used by readme_examples.py).

What a block's lines mean, the substitutions and the placeholders are
described in readme_examples.py's docstring; this file holds the mechanics.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading

WAIT = 10.0
# Ports a README command may name that stand for a broker the runner starts.
BROKER_PORTS = {"4222": "nats", "1883": "mqtt"}
# What tshark says on stderr besides the capture itself: as root, that it
# runs as root; when it starts and stops, how many packets it saw.
TSHARK_NOTE = re.compile(r'^( \*\* \(tshark:\d+\) |Running as user "root"|tshark: $|\d+ packets? captured$)')


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Brokers:
    """nats-server and mosquitto on free loopback ports, started when a block needs one."""

    def __init__(self):
        self.ports, self.procs = {}, []

    def port(self, kind):
        if kind not in self.ports:
            port = free_port()
            if kind == "nats":
                argv = ["nats-server", "-a", "127.0.0.1", "-p", str(port)]
            else:
                mosquitto = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
                argv = [mosquitto, "-p", str(port)]
            self.procs.append(subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                                               stderr=subprocess.DEVNULL))
            for _ in range(200):  # up to 10 s for it to accept
                try:
                    socket.create_connection(("127.0.0.1", port), 0.05).close()
                    break
                except OSError:
                    threading.Event().wait(0.05)
            self.ports[kind] = port
        return self.ports[kind]

    def stop(self):
        for proc in self.procs:
            proc.terminate()
            proc.wait(WAIT)


def localise(command, ports, learned, brokers):
    """Free loopback ports, brokers and learned values instead of what the README writes."""
    for shown in sorted(learned, key=len, reverse=True):
        command = command.replace(shown, learned[shown])

    def swap(m):
        if m.group(0) in BROKER_PORTS:
            return str(brokers.port(BROKER_PORTS[m.group(0)]))
        return str(ports.setdefault(m.group(0), free_port()))

    command = command.replace("0.0.0.0", "127.0.0.1")
    if os.geteuid() == 0:
        command = re.sub(r"^sudo ", "", command)
    number = r"(9\d{3}|10\d{3}|7878|4222|1883)\b"
    for before in (r"127\.0\.0\.1:", r"127\.0\.0\.1 ", r'127\.0\.0\.1", ', r"port ", r"port=="):
        command = re.sub(r"(?<=" + before + ")" + number, swap, command)
    return command


def learn(expected, actual, learned):
    """Values a background command printed in place of the README's (its port,
    a copy code) are used in the commands after it."""
    shown, got = expected.split(), actual.split()
    if len(shown) != len(got):
        return
    for s, g in zip(shown, got):
        s, g = s.rstrip(";,)"), g.rstrip(";,)")
        if s != g and re.search(r"\d", s) and len(s) >= 5:
            learned[s] = g


def normalise(line):
    line = line.rstrip()
    line = re.sub(r"\d{4}-\d\d-\d\dT[\d:.]+Z", "<time>", line)
    line = re.sub(r"\[[0-9a-f:]+\]:\d+", "<addr>", line)
    line = re.sub(r"\b\d+\.\d+\.\d+\.\d+:\d+", "<addr>", line)
    line = re.sub(r"\b\d+(\.\d+)? ?(s|ms|µs|us|ns)\b", "<duration>", line)
    line = re.sub(r"\b\d+(\.\d+)? ?[kKMG]?i?(msg|B|lines)/s\b", "<rate>", line)
    line = re.sub(r"^Time: [\d.,]+$", "Time: <duration>", line)  # JUnit's
    line = re.sub(r"\b\d+(-[a-z]+){4}\b", "<code>", line)  # a tether copy code
    # tshark: the frame and time columns, ephemeral ports, the TCP timestamp options
    line = re.sub(r"^\s*\d+ +\d+\.\d+ ", "<frame> <t> ", line)
    line = re.sub(r" TSval=\d+ TSecr=\d+", "", line)
    line = re.sub(r"\b\d+ → \d+\b", "<port> → <port>", line)
    line = re.sub(r"Src Port: \d+, Dst Port: \d+", "Src Port: <port>, Dst Port: <port>", line)
    # JSON: times, rates, clocks, ball ids and peer names (host:port)
    line = re.sub(r'("(t|id|seconds|[a-z0-9_]+_(ns|ms|s|per_s))":)[\d.e+-]+', r"\1<n>", line)
    line = re.sub(r'"peer":"[\w.-]+:\d+"', '"peer":"<host:port>"', line)
    return line


def matches(expected, actual):
    """Expected lines (with "..." wildcards) against actual lines."""
    expected = [normalise(l) for l in expected]
    actual = [normalise(l) for l in actual]
    while expected and not expected[-1]:
        expected.pop()
    while actual and not actual[-1]:  # a blank last line is not shown
        actual.pop()

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
        self.command = command
        self.proc = subprocess.Popen(
            ["bash", "-c", command], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True)
        self.lines, self.first, self.capturing = [], threading.Event(), threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            line = line.rstrip("\n")
            if TSHARK_NOTE.match(line):
                if "Capture started" in line:
                    self.capturing.set()
                continue
            self.lines.append(line)
            self.first.set()
        self.first.set()
        self.capturing.set()

    def ready(self):
        """Its first line; a capture also until it has started (and a moment
        more: its filter is attached by then, its ring may lag)."""
        self.first.wait(WAIT)
        if re.match(r"(sudo )?(tshark|dumpcap) ", self.command):
            self.capturing.wait(WAIT)
            threading.Event().wait(0.3)

    def interrupt(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)

    def stop(self):
        self.interrupt()
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


def steps(lines, commands_only):
    """(command, expected lines) pairs of one block. In a command list
    (commands_only) every line is a command and its output is not compared
    (expected is None); a line ending in "\\" and a here-document go on."""
    out, heredoc, cont = [], None, False
    for line in lines:
        if heredoc is not None or cont:
            out[-1] = (out[-1][0] + "\n" + line, out[-1][1])
            if heredoc is not None and line.strip() == heredoc:
                heredoc = None
            cont = heredoc is None and line.endswith("\\")
            continue
        if commands_only:
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            out.append((line, None))
        elif line.startswith("$ "):
            out.append((line[2:], []))
        elif out:
            out[-1][1].append(line)
            continue
        else:
            continue
        m = re.search(r"<<-?\s*'?(\w+)'?", without_comment(out[-1][0]))
        heredoc = m.group(1) if m else None
        cont = heredoc is None and line.endswith("\\")
    return out


def scratch_dir(root):
    """A scratch directory for a block, with the repository's top-level
    entries linked in, so relative paths (interop/java/..., .venv) work."""
    scratch = tempfile.mkdtemp(prefix="readme-example-")
    for name in os.listdir(root):
        if name != ".git":
            os.symlink(os.path.join(root, name), os.path.join(scratch, name))
    return scratch


def run_block(lines, commands_only, root, env, brokers, verbose):
    """Runs one example; returns a list of failures (empty if it holds)."""
    failures, jobs, waited, ports, learned = [], [], 0, {}, {}
    scratch = scratch_dir(root)
    try:
        for shown, expected in steps(lines, commands_only):
            command = localise(shown, ports, learned, brokers)
            cwd = root if command.startswith("cargo ") else scratch
            may_fail = expected is not None and any(l.startswith("tether: ") for l in expected)
            if verbose:
                print(f"  $ {command}")
            body = without_comment(command)
            if body == "wait":
                got = []
                for job in jobs[waited:]:
                    try:
                        job.proc.wait(WAIT)
                    except subprocess.TimeoutExpired:
                        failures.append(f"{job.command!r} still running after {WAIT} s")
                    job.reader.join(WAIT)
                    got += job.lines[1:]
                waited = len(jobs)
                if not matches(expected, got):
                    failures.append(diff("wait", expected, got))
                continue
            m = re.fullmatch(r"(sleep (\d+); )?kill -INT((?: %\d+)+)", body)
            if m:  # Ctrl-C in the terminals of background jobs N...
                threading.Event().wait(int(m.group(2) or 0))
                for n in m.group(3).split():
                    jobs[int(n[1:]) - 1].interrupt()
                continue
            if body.endswith("&"):
                job = Job(body[:-1], cwd, env)
                jobs.append(job)
                if expected:
                    job.ready()
                    if not matches(expected[:1], job.lines[:1]):
                        failures.append(diff(shown, expected[:1], job.lines[:1]))
                    else:
                        learn(expected[0], job.lines[0], learned)
                else:
                    job.lines.insert(0, "")  # no first line to hold back at wait
                continue
            failures += run_one(shown, command, cwd, env, expected, may_fail)
    finally:
        for job in jobs:
            job.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    return failures


def run_one(shown, command, cwd, env, expected, may_fail):
    """A command in the foreground: its exit status and output."""
    slow = command.startswith("cargo ") or "java" in command
    # Its own process group, so a command that does not finish is stopped
    # with everything it started (tshark leaves dumpcap behind otherwise).
    proc = subprocess.Popen(
        ["bash", "-c", command], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)
    try:
        stdout, _ = proc.communicate(timeout=300 if slow else 3 * WAIT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return [f"{shown!r} did not finish"]
    done = subprocess.CompletedProcess(proc.args, proc.returncode, stdout)
    got = [l for l in done.stdout.splitlines()
           if not (command.startswith("cargo ") and l.lstrip().startswith(
               ("Compiling", "Finished", "Running", "Blocking", "warning:")))]
    if done.returncode != 0 and not may_fail:
        return [f"{shown!r} exited {done.returncode}:\n" + "\n".join(got)]
    if expected is not None and not matches(expected, got):
        return [diff(shown, expected, got)]
    return []


def diff(command, expected, got):
    return (f"$ {command}\n  README shows:\n" + "".join(f"    {l}\n" for l in expected)
            + "  it printed:\n" + "".join(f"    {l}\n" for l in got))

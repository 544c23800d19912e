#!/usr/bin/env python3
"""Runs every shell example of README.md and compares what it prints with
what the README shows, so the tours cannot drift from the program.

Usage: readme_examples.py [--tether PATH] [--readme README.md] [--self-test] [-v]

The convention (for anyone adding a README example):

* Every fenced block with a line starting with "$ " is a transcript, and
  every ```sh block a command list; both are run, in a scratch directory
  per block in which the repository's top-level entries are linked
  ("cargo ..." runs in the repository root). PATH starts with the tether
  under test, then .venv/bin.
* In a transcript, a line "$ CMD" is a command (run with bash); the lines
  after it, up to the next "$ ", are what it prints (stdout and stderr
  together). A "# comment" after a command is shell; a line ending in "\\"
  and a here-document go on. In a command list every line is a command,
  and only its exit status is checked.
* "$ CMD &" starts CMD in the background; the runner waits for its first
  line of output (for a listener, "listening on ..."), which the line
  shown right after it must match (with no line shown, the runner goes on
  at once: "tether send --retry 2s" waits for such a peer). Where that
  line shows a value that varies (a port it picked, a copy code), the
  commands after it get the real one in its place. "$ kill -INT %N" is
  Ctrl-C in job N's terminal ("$ sleep S; kill -INT %N" after S seconds). The rest of what background commands print
  is shown after "$ wait", which waits for them (10 s at most); jobs still
  running at the end of a block get SIGINT.
* Expected lines may use "..." for any text within a line, and a line that
  is just "..." for any number of lines. Before comparing, both sides have
  addresses (127.0.0.1:PORT, [::1]:PORT), durations (4.1 s, 120 ms, 12 µs),
  rates, RFC 3339 times, copy codes, JSON times, rates and ball ids ("t",
  "id", "seconds", "..._ns", "..._ms", "..._per_s", "peer":"HOST:PORT")
  and tshark's frame and time columns, ephemeral ports and TSval/TSecr
  options replaced by placeholders. tshark's notes on stderr (running as
  root, capture started, packets captured) are dropped, and a tshark in
  the background is waited for until its capture has started.
* Commands get free loopback ports: a port from 9000 to 10999 (or 7878)
  after "127.0.0.1:", "127.0.0.1 ", '127.0.0.1", ' (Python), "port " or
  "port==" (tshark) is replaced by a free port, the same number by the
  same port within a block; 4222 and 1883 are a nats-server
  and a mosquitto the runner starts on free ports. 0.0.0.0 becomes
  127.0.0.1, so nothing listens beyond loopback; "sudo " is dropped as root.
* A command must exit 0, unless the output shown for it has a line that
  starts with "tether: " (an error example).
* A block with a prompt naming another machine ("server$ ", "pc2$ ") cannot
  run here and must be left out. To leave a block out, put this line right
  before its fence (the reason is printed with every run):
      <!-- readme-examples: skip (the reason) -->
* --self-test also alters one shown line of one transcript per section, in
  a copy, and fails unless each altered copy is reported.
"""

import argparse
import os
import re
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import readme_run  # noqa: E402

SKIP = re.compile(r"<!--\s*readme-examples:\s*skip\s*\((.*)\)\s*-->")
PROMPT = re.compile(r"^[\w.-]+\$ ")


class Block:
    """One shell example: where it is, its lines, and whether it is run."""

    def __init__(self, section, line, lang, body, skip):
        self.section, self.line, self.body, self.skip = section, line, body, skip
        self.commands_only = lang == "sh" and not any(l.startswith("$ ") for l in body)
        self.is_example = lang == "sh" or any(l.startswith("$ ") or PROMPT.match(l)
                                               for l in body)


def blocks(readme):
    """Every shell example of the README, with the ## section it is in."""
    section, skip, fence, lang, start, body = "(top)", None, False, "", 0, []
    for number, line in enumerate(readme.splitlines(), 1):
        if fence:
            if line.startswith("```"):
                block = Block(section, start, lang, body, skip)
                if block.is_example:
                    yield block
                fence, skip = False, None
            else:
                body.append(line)
            continue
        if line.startswith("## "):
            section = line[3:].strip()
        if line.startswith("```"):
            fence, lang, start, body = True, line[3:].strip(), number, []
        elif line.strip():
            m = SKIP.search(line)
            skip = m.group(1) if m else None


def check(block, root, env, brokers, verbose):
    """Failures of one block (a prompt of another machine without a skip is one)."""
    prompts = [m.group(0) for m in map(PROMPT.match, block.body) if m]
    if prompts:
        return [f"a prompt of another machine ({prompts[0]!r}): it needs a skip marker with a reason"]
    return readme_run.run_block(block.body, block.commands_only, root, env, brokers, verbose)


def altered(block):
    """A copy of a transcript with one shown output line changed, or None."""
    body = list(block.body)
    for i, line in enumerate(body):
        if i and not line.startswith("$ ") and body[i - 1].startswith("$ ") \
                and line.strip() and line.strip() != "...":
            body[i] = line + " (altered)"
            return Block(block.section, block.line, "", body, None)
    return None


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tether", default=os.path.join(root, "target", "debug", "tether"))
    ap.add_argument("--readme", default=os.path.join(root, "README.md"))
    ap.add_argument("--self-test", action="store_true")
    ap.add_argument("--line", type=int, action="append",
                    help="run only the block whose fence is on this line (repeatable)")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    bindir = tempfile.mkdtemp(prefix="readme-bin-")
    os.symlink(os.path.abspath(args.tether), os.path.join(bindir, "tether"))
    path = [bindir, os.path.join(root, ".venv", "bin"), os.environ["PATH"]]
    env = dict(os.environ, PATH=os.pathsep.join(path))
    with open(args.readme, encoding="utf-8") as f:
        readme = f.read()
    brokers = readme_run.Brokers()
    ran, failed, skipped, held, per_section = 0, 0, [], [], {}
    try:
        for block in blocks(readme):
            where = f"README.md:{block.line} ({block.section})"
            if args.line and block.line not in args.line:
                continue
            if block.skip is not None:
                skipped.append(f"{where}: {block.skip}")
                continue
            ran += 1
            if args.verbose:
                print(where)
            start = time.monotonic()
            failures = check(block, root, env, brokers, args.verbose)
            seconds = time.monotonic() - start
            count = per_section.setdefault(block.section, [0, 0])
            count[1] += 1
            if failures:
                failed += 1
                print(f"{where}: the example does not hold")
                for f in failures:
                    print(f)
            else:
                count[0] += 1
                held.append((seconds, block))
        for section, (ok, total) in per_section.items():
            print(f"  {ok} of {total} hold: {section}")
        for line in skipped:
            print(f"  skipped {line}")
        print(f"readme examples: {ran - failed} of {ran} examples hold, {len(skipped)} skipped")
        if args.self_test:
            failed += self_test(held, root, env, brokers)
    finally:
        brokers.stop()
        shutil.rmtree(bindir, ignore_errors=True)
    return 1 if failed or not ran else 0


def self_test(held, root, env, brokers):
    """Alters the quickest held transcript of each section; each must fail."""
    chosen = {}
    for seconds, block in sorted(held, key=lambda sb: sb[0]):
        if block.section not in chosen and altered(block) is not None:
            chosen[block.section] = block
    missed = 0
    for section, block in chosen.items():
        copy = altered(block)
        failures = check(copy, root, env, brokers, False)
        status = "reported" if failures else "NOT reported"
        missed += not failures
        print(f"  self-test: README.md:{block.line} ({section}) with a line altered: {status}")
    print(f"readme self-test: {len(chosen) - missed} of {len(chosen)} altered copies reported")
    return missed


if __name__ == "__main__":
    sys.exit(main())

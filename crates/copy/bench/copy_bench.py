#!/usr/bin/env python3
"""tether copy against nc, scp and tar | nc on loopback.

Runs each pair interleaved (A B A B ...), --runs times, and prints the
median wall time, the rate, the ratio against the baseline from the same
run, and CPU seconds per GiB on each side (from wait4's rusage).

  python3 crates/copy/bench/copy_bench.py --tether target/release/tether
  python3 crates/copy/bench/copy_bench.py --size-mib 1024 --small 10000 --runs 3

Nothing here is run by .ci; it needs nc (netcat-openbsd), tar, and for
the scp row an sshd binary (apt-get install openssh-server): the script
starts one on a free loopback port with a host key and config in a
temporary directory.
"""

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

GIB = 1 << 30


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"nothing listens on {port}")


def reap(proc):
    """Waits for proc; returns its CPU seconds (user + system)."""
    _, status, ru = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{proc.args!r} exited {proc.returncode}")
    return ru.ru_utime + ru.ru_stime


def run_pair(recv_cmd, send_cmd, recv_ready, env=None, shell=False):
    """Starts the receiver, waits until it is ready, times the sender."""
    r = subprocess.Popen(recv_cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, shell=shell)
    extra = recv_ready(r)
    t0 = time.perf_counter()
    s = subprocess.Popen(send_cmd(extra), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, shell=shell)
    cs = reap(s)
    cr = reap(r)
    return time.perf_counter() - t0, cs, cr


def tether_pair(tether, src, dst, port):
    def ready(r):
        line = r.stderr.readline().decode()
        code = line.split("code: ")[1].split()[0]
        return code

    def send(code):
        os.environ["TETHER_CODE"] = code
        return [tether, "copy", src, f"tcp://127.0.0.1:{port}"]

    recv = [tether, "copy", "--listen", f"tcp://127.0.0.1:{port}", "--yes", "--overwrite", dst]
    try:
        return run_pair(recv, send, ready)
    finally:
        os.environ.pop("TETHER_CODE", None)


def nc_pair(src, dst_file, port):
    recv = f"exec nc -l 127.0.0.1 {port} > {dst_file}"
    send = lambda _: f"exec nc -N 127.0.0.1 {port} < {src}"
    return run_pair(recv, send, lambda r: wait_port_nc(port), shell=True)


def wait_port_nc(port):
    # nc -l accepts once: probing would use up its one connection, so wait a moment.
    time.sleep(0.3)


def tar_nc_pair(src_parent, name, dst, port):
    recv = f"nc -l 127.0.0.1 {port} | tar x -C {dst}"
    send = lambda _: f"tar c -C {src_parent} {name} | nc -N 127.0.0.1 {port}"
    return run_pair(["bash", "-c", f"exec bash -c '{recv}'"], lambda _: ["bash", "-c", send(None)], lambda r: wait_port_nc(port))


class Sshd:
    def __init__(self, tmp):
        self.sshd = shutil.which("sshd") or ("/usr/sbin/sshd" if os.path.exists("/usr/sbin/sshd") else None)
        if not self.sshd:
            self.proc = None
            return
        d = os.path.join(tmp, "ssh")
        os.makedirs(d)
        self.key = os.path.join(d, "id")
        for k in ["host", "id"]:
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", os.path.join(d, k)], check=True)
        shutil.copy(self.key + ".pub", os.path.join(d, "authorized_keys"))
        self.port = free_port()
        cfg = os.path.join(d, "sshd_config")
        with open(cfg, "w") as f:
            f.write(
                f"Port {self.port}\nListenAddress 127.0.0.1\nHostKey {d}/host\n"
                f"AuthorizedKeysFile {d}/authorized_keys\nStrictModes no\nPermitRootLogin yes\n"
                f"UsePAM no\nPidFile {d}/pid\nSubsystem sftp internal-sftp\n"
            )
        os.makedirs("/run/sshd", exist_ok=True)
        self.proc = subprocess.Popen([self.sshd, "-D", "-e", "-f", cfg], stderr=subprocess.DEVNULL)
        wait_port(self.port)

    def scp_pair(self, src, dst):
        opts = ["-i", self.key, "-P", str(self.port), "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"]
        t0 = time.perf_counter()
        s = subprocess.Popen(["scp", "-q", *opts, src, f"{os.environ.get('USER', 'root')}@127.0.0.1:{dst}"])
        cs = reap(s)
        # The server side's CPU (sshd session and scp/sftp) is not a child of
        # ours; it is left out (the figure is per side where known).
        return time.perf_counter() - t0, cs, float("nan")

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait()


def make_small_tree(root, n):
    os.makedirs(root)
    for i in range(n):
        d = os.path.join(root, f"d{i // 100:03d}")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"f{i:05d}.txt"), "wb") as f:
            f.write(os.urandom(64 + (i * 37) % 4000))


def tree_bytes(root):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(root) for f in fs)


def report(name, base_name, results, nbytes):
    """results: {label: [(wall, cpu_send, cpu_recv), ...]}."""
    rows = []
    for label, rs in results.items():
        wall = statistics.median(r[0] for r in rs)
        cs = statistics.median(r[1] for r in rs) / (nbytes / GIB)
        cr = statistics.median(r[2] for r in rs) / (nbytes / GIB)
        rows.append((label, wall, nbytes / wall, cs, cr))
    base = next(r for r in rows if r[0] == base_name)
    print(f"\n{name}: {nbytes / GIB:.3f} GiB, median of {len(next(iter(results.values())))} runs")
    print(f"  {'':12} {'wall s':>8} {'MB/s':>8} {'vs ' + base_name:>10} {'cpu s/GiB send':>15} {'recv':>6}")
    for label, wall, rate, cs, cr in rows:
        print(f"  {label:12} {wall:8.3f} {rate / 1e6:8.0f} {rate / base[2]:9.2f}x {cs:15.2f} {cr:6.2f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tether", default="target/release/tether")
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--small", type=int, default=10000, help="files in the small-file tree (0: skip)")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    tether = os.path.abspath(args.tether)
    tmp = tempfile.mkdtemp(prefix="copy-bench-")
    try:
        src = os.path.join(tmp, "big.bin")
        with open(src, "wb") as f:
            for _ in range(args.size_mib):
                f.write(os.urandom(1 << 20))
        nbytes = os.path.getsize(src)
        subprocess.run(["cat", src], stdout=subprocess.DEVNULL, check=True)  # warm the cache
        sshd = Sshd(tmp)
        big = {"tether": [], "nc": []}
        if sshd.proc:
            big["scp"] = []
        for _ in range(args.runs):
            for label in big:
                dst = os.path.join(tmp, f"dst-{label}")
                shutil.rmtree(dst, ignore_errors=True)
                os.makedirs(dst)
                port = free_port()
                if label == "tether":
                    big[label].append(tether_pair(tether, src, dst, port))
                elif label == "nc":
                    big[label].append(nc_pair(src, os.path.join(dst, "big.bin"), port))
                else:
                    big[label].append(sshd.scp_pair(src, dst))
                assert os.path.getsize(os.path.join(dst, "big.bin")) == nbytes
        sshd.stop()
        report("one large file", "nc", big, nbytes)
        if "scp" in big:
            report("one large file", "scp", big, nbytes)
        if args.small:
            tree = os.path.join(tmp, "small", "tree")
            make_small_tree(tree, args.small)
            tb = tree_bytes(tree)
            small = {"tether": [], "tar|nc": []}
            for _ in range(args.runs):
                for label in small:
                    dst = os.path.join(tmp, "sdst-" + label.replace("|", "-"))
                    shutil.rmtree(dst, ignore_errors=True)
                    os.makedirs(dst)
                    port = free_port()
                    if label == "tether":
                        small[label].append(tether_pair(tether, tree, dst, port))
                    else:
                        small[label].append(tar_nc_pair(os.path.dirname(tree), "tree", dst, port))
            report(f"{args.small} small files", "tar|nc", small, tb)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

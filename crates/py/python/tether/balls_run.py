"""The command line of ``python3 -m tether.balls`` and its frame loop: one
peer of a ring, one in place of a textbook program, or ``--local N`` peers in
one process (a real ring over loopback, side by side on one screen)."""

from __future__ import annotations

import argparse
import queue
import re
import sys
import time
from typing import Any, List, Optional, Tuple

import tether
from tether.balls import RIGHT, START, Net, Peer


def parse_duration(text: str) -> float:
    """``10``, ``10s``, ``500ms`` or ``2m`` in seconds."""
    m = re.fullmatch(r"([0-9.]+)(ms|s|m)?", text)
    if not m:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration (e.g. 10s, 500ms)")
    return float(m.group(1)) * {"ms": 0.001, "s": 1.0, "m": 60.0, None: 1.0}[m.group(2)]


def nodes(args: argparse.Namespace) -> List[Tuple[Any, Peer]]:
    """(network, peer) of each screen the arguments ask for."""
    out = sys.stdout if args.json else None
    if args.textbook:
        from tether import balls_textbook as tb  # it builds on tether.balls

        side, listen, target = tb.textbook(args.textbook, args.listen, args.left, args.right)
        texts = tb.TextbookNet(listen, target)
        name = args.name or f"python:{texts.local_addr.rsplit(':', 1)[-1]}"
        return [(texts, tb.TextbookPeer(side, texts, name, 4 / 3, out, args.speed))]
    if args.local:
        # Each listens first, so that each can connect to the next.
        nets = [Net("tcp://127.0.0.1:0", None) for _ in range(args.local)]
        made: List[Tuple[Any, Peer]] = []
        for i, net in enumerate(nets):
            right = nets[(i + 1) % len(nets)].local_addr
            net.connect_right(right)
            peer = Peer(f"{args.name or 'local'}{i + 1}", 4 / 3 / len(nets), out, args.speed)
            peer.endpoints[RIGHT] = right
            made.append((net, peer))
        return made
    net = Net(args.listen or "tcp://127.0.0.1:9100", args.right)
    peer = Peer(args.name or f"python:{net.local_addr.rsplit(':', 1)[-1]}", 4 / 3, out, args.speed)
    peer.endpoints[RIGHT] = args.right
    return [(net, peer)]


class Runner:
    """The frame loop shared by the window, the terminal and headless modes."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.nodes = nodes(args)
        self.peer = self.nodes[0][1]  # the keys add to the first screen
        for net, peer in self.nodes:
            peer.listen = net.local_addr
            peer.emit("listening", endpoint=net.local_addr)
            for _ in range(args.balls):
                peer.add_ball()
        self.deadline = None if args.duration is None else time.monotonic() + args.duration
        self.interval = 1.0 / args.fps

    def peers(self) -> List[Peer]:
        return [peer for _, peer in self.nodes]

    def frame(self) -> bool:
        """One frame's work; False when the time is up."""
        for net, peer in self.nodes:
            while True:
                try:
                    peer.handle(net.events.get_nowait())
                except queue.Empty:
                    break
            peer.tick(time.monotonic() - START)
        return self.deadline is None or time.monotonic() < self.deadline

    def finish(self) -> None:
        """Waits up to 0.5 s for the handovers under way, then stops."""
        end = time.monotonic() + 0.5
        while any(peer.busy() for _, peer in self.nodes) and time.monotonic() < end:
            for net, peer in self.nodes:
                try:
                    peer.handle(net.events.get(timeout=0.01 / len(self.nodes)))
                except queue.Empty:
                    pass
        for net, peer in self.nodes:
            peer.emit("end", balls=peer.held(), pending=peer.pending())
        for net, _ in self.nodes:
            net.close()

    def headless(self) -> None:
        while self.frame():
            time.sleep(self.interval)
        self.finish()

    def window(self) -> None:
        import tkinter  # only the window needs Tk

        root = tkinter.Tk()
        root.title("tether balls (python)")
        canvas = tkinter.Canvas(root, width=800, height=600, background="#101218", highlightthickness=0)
        canvas.pack(fill="both", expand=True)
        keys = {"space": self.peer.add_ball, "c": self.peer.clear, "q": root.destroy, "Escape": root.destroy}
        root.bind("<Key>", lambda e: keys.get(e.keysym, lambda: None)())

        def draw() -> None:
            if not self.frame():
                root.destroy()
                return
            w, h = max(canvas.winfo_width(), 1), max(canvas.winfo_height(), 1)
            pane = w / len(self.nodes)
            canvas.delete("all")
            for i, peer in enumerate(self.peers()):
                peer.width, x0 = pane / h, i * pane
                if i:
                    canvas.create_line(x0, 0, x0, h, fill="#40444c")
                for b in peer.balls:
                    x, y, r = x0 + b.x * h, h - b.y * h, b.radius * h
                    canvas.create_oval(x - r, y - r, x + r, y + r, fill="#%02x%02x%02x" % b.colour, width=0)
                for j, line in enumerate(peer.status()):
                    canvas.create_text(x0 + 8, 8 + 14 * j, text=line, anchor="nw", fill="#d0d4dc",
                                       font=("Courier", 10))
            root.after(int(self.interval * 1000), draw)

        root.after(0, draw)
        root.mainloop()
        self.finish()


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m tether.balls",
                                description="a peer of the tether balls ring")
    p.add_argument("--listen", help="where the left neighbour connects (tcp://127.0.0.1:9100; "
                   "with --textbook the textbook's port)")
    p.add_argument("--right", help="the next peer to the right")
    p.add_argument("--textbook", choices=("left", "right"),
                   help="in place of the textbook's left or right program (its text format)")
    p.add_argument("--left", help="with --textbook right: where the textbook's left program listens")
    p.add_argument("--local", type=int, metavar="N", help="N peers in this process, a ring over loopback")
    p.add_argument("--headless", action="store_true", help="draw nothing")
    p.add_argument("--terminal", action="store_true", help="draw in the terminal (curses), not a window")
    p.add_argument("--json", action="store_true", help="one JSON line per event on stdout")
    p.add_argument("--balls", type=int, default=1, help="balls to start with (on each screen)")
    p.add_argument("--for", dest="duration", type=parse_duration, help="stop after this long, e.g. 10s")
    p.add_argument("--name", help="the name in the status corner and the events")
    p.add_argument("--speed", type=float, default=1.0, help="speed of new balls, a multiple of the usual")
    p.add_argument("--fps", type=int, default=60, help="frames per second")
    args = p.parse_args(argv)
    if not 0 < args.speed <= 20 or not 0 <= args.balls <= 1000 or not 1 <= args.fps <= 1000:
        p.error("--speed must be in (0, 20], --balls in 0..1000, --fps in 1..1000")
    if args.terminal and (args.headless or args.json):
        p.error("--terminal draws on stdout: not with --headless or --json")
    if args.left and not args.textbook:
        p.error("--left is for --textbook right; a ring peer's left neighbour connects to it")
    if args.local is not None and (not 1 <= args.local <= 16 or args.textbook or args.listen or args.right):
        p.error("--local N: give 1 to 16 screens, and no --textbook, --listen or --right")
    try:
        runner = Runner(args)
    except (tether.TetherError, OSError, ValueError) as e:
        print(f"tether.balls: {e}", file=sys.stderr)
        return 1
    try:
        if args.headless:
            runner.headless()
        elif args.terminal:
            from tether import balls_terminal  # only the terminal needs curses

            balls_terminal.run(runner)
            runner.finish()
        else:
            runner.window()
    except KeyboardInterrupt:
        runner.finish()
    return 0

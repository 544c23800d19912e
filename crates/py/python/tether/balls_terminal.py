"""``python3 -m tether.balls --terminal``: the balls drawn in the terminal
with curses (works over ssh), in braille dots: a cell is 2 x 4 dots, about
square on a terminal whose cells are twice as tall as wide.

Keys: space adds a ball, c clears, q or Esc quits. The status corner is the
same as the window's.
"""

from __future__ import annotations

import curses
import os
import time
from typing import Any, Dict, List, Tuple

# The braille dot bits of a cell, by (column, row) of the dot.
DOTS = {(0, 0): 0x01, (0, 1): 0x02, (0, 2): 0x04, (1, 0): 0x08,
        (1, 1): 0x10, (1, 2): 0x20, (0, 3): 0x40, (1, 3): 0x80}


def printable(text: str) -> str:
    """Nothing that could steer the terminal reaches it."""
    return "".join(c if c.isprintable() else "?" for c in text)


def cells(balls: List[Any], cols: int, rows: int) -> Dict[Tuple[int, int], Tuple[int, Tuple[int, int, int]]]:
    """(row, col) -> (braille bits, colour) of the balls on a cols x rows screen."""
    grid: Dict[Tuple[int, int], Tuple[int, Tuple[int, int, int]]] = {}
    h = rows * 4
    for b in balls:
        cx, cy, r = b.x * h, (1 - b.y) * h, max(b.radius * h, 0.5)
        for y in range(max(int(cy - r), 0), min(int(cy + r) + 1, h)):
            for x in range(max(int(cx - r), 0), min(int(cx + r) + 1, cols * 2)):
                if (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= r * r:
                    key = (y // 4, x // 2)
                    bits = grid.get(key, (0, b.colour))[0]
                    grid[key] = (bits | DOTS[(x % 2, y % 4)], b.colour)
    return grid


class Colours:
    """curses colour pairs for ball colours, made as they are first needed."""

    def __init__(self) -> None:
        self.pairs: Dict[Tuple[int, int, int], int] = {}
        self.on = curses.has_colors()
        if self.on:
            curses.start_color()
            curses.use_default_colors()

    def attr(self, rgb: Tuple[int, int, int]) -> int:
        if not self.on:
            return 0
        if rgb not in self.pairs:
            if len(self.pairs) + 1 >= curses.COLOR_PAIRS:
                return 0
            if curses.COLORS >= 256:  # the 6 x 6 x 6 cube of xterm's 256 colours
                colour = 16 + sum(round(c / 255 * 5) * m for c, m in zip(rgb, (36, 6, 1)))
            else:
                colour = sum(1 << i for i, c in enumerate(rgb) if c >= 128) or curses.COLOR_WHITE
            curses.init_pair(len(self.pairs) + 1, colour, -1)
            self.pairs[rgb] = len(self.pairs) + 1
        return curses.color_pair(self.pairs[rgb])


def run(runner: Any) -> None:
    """The frame loop of ``runner`` (a tether.balls_run.Runner) drawn with curses."""
    curses.wrapper(lambda screen: _loop(screen, runner))


def _loop(screen: Any, runner: Any) -> None:
    try:
        curses.curs_set(0)
    except curses.error:  # a terminal that cannot hide the cursor
        pass
    screen.nodelay(True)
    colours = Colours()
    peer = runner.peer
    size = (0, 0)
    while runner.frame():
        key = screen.getch()
        while key != -1:
            if key in (ord("q"), 27):
                return
            if key == ord(" "):
                peer.add_ball()
            elif key == ord("c"):
                peer.clear()
            key = screen.getch()
        try:  # asked each frame: a SIGWINCH that curses missed leaves it drawing for the old size
            real = os.get_terminal_size(1)  # the terminal curses draws on
            if (real.lines, real.columns) != screen.getmaxyx():
                curses.resizeterm(real.lines, real.columns)
        except (OSError, ValueError):
            pass
        rows, cols = screen.getmaxyx()
        if (rows, cols) != size:  # after a resize: repaint all, what curses knows of the screen is stale
            size = (rows, cols)
            screen.clear()
        else:
            screen.erase()
        peers = runner.peers()
        pane = max(cols // len(peers), 1)  # --local N: side by side
        for i, p in enumerate(peers):
            p.width, x0 = (pane * 2) / (rows * 4), i * pane
            for (row, col), (bits, rgb) in cells(p.balls, pane, rows).items():
                try:
                    screen.addstr(row, x0 + col, chr(0x2800 + bits), colours.attr(rgb))
                except curses.error:  # the bottom-right cell moves the cursor off the screen
                    pass
            for j, line in enumerate(p.status()[:rows]):
                try:
                    screen.addnstr(j, x0, printable(line), max(min(pane - 1, cols - x0), 1), curses.A_REVERSE)
                except curses.error:
                    pass
        screen.refresh()
        time.sleep(runner.interval)

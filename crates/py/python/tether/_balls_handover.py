"""The handover of balls over one link (docs/PROTOCOL.md, "A handoff"), as
plain data: the sender decides. A ball it offered is the receiver's only once
the receiver said it holds it (ack) and the sender said so (commit); until
then the sender may take it back (abort), and the receiver keeps it off its
screen. Each side remembers what the other may not have heard, so a link that
breaks at any point and comes back to the same peer ends with the ball on
exactly one screen. The same state machine as crates/balls/src/handoff.rs."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

COMMIT, ABORT = "commit", "abort"


class Handover:
    """The handover state of one link, kept across reconnections."""

    def __init__(self) -> None:
        self.offered: Dict[int, Tuple[Any, float]] = {}  # id -> (ball, deadline)
        self.decided: Dict[int, str] = {}  # id -> COMMIT or ABORT, until done
        self.reserved: Dict[int, Tuple[float, Any]] = {}  # id -> (depth, ball)
        self.neighbour: Optional[int] = None

    def offer(self, ball: Any, deadline: float) -> None:
        """We offered ``ball``; without an ack by ``deadline`` it comes back."""
        self.offered[ball.id] = (ball, deadline)

    def ack(self, ball_id: int) -> Tuple[Optional[Any], Optional[str]]:
        """(the ball now given, the word to send) for an ack of ``ball_id``."""
        if ball_id in self.offered:
            ball, _ = self.offered.pop(ball_id)
            self.decided[ball_id] = COMMIT
            return ball, COMMIT
        return None, self.decided.get(ball_id)

    def done(self, ball_id: int) -> None:
        """The neighbour carried out our word about ``ball_id``."""
        self.decided.pop(ball_id, None)

    def expired(self, now: float) -> bool:
        """Whether an offered ball waited past its deadline."""
        return any(deadline <= now for _, deadline in self.offered.values())

    def take_back(self) -> List[Any]:
        """The link is gone or hung: every offered ball is ours again."""
        back = [ball for ball, _ in self.offered.values()]
        for ball in back:
            self.decided[ball.id] = ABORT
        self.offered.clear()
        return back

    def reserve(self, depth: float, ball: Any) -> None:
        """A ball offered to us: held off screen until the word (once)."""
        self.reserved.setdefault(ball.id, (depth, ball))

    def word(self, ball_id: int, decision: str) -> Optional[Tuple[float, Any]]:
        """The sender's word: on commit, (depth, ball) to put on screen."""
        held = self.reserved.pop(ball_id, None)
        return held if decision == COMMIT else None

    def hello(self, peer_id: int) -> Tuple[List[Tuple[int, str]], List[Tuple[float, Any]]]:
        """(decisions to say again, balls now ours) for a hello from ``peer_id``.
        The same peer may have missed our words; another peer means the one
        before is gone with its copy, so what it offered and never decided is
        ours."""
        same = self.neighbour == peer_id
        self.neighbour = peer_id
        if same:
            return list(self.decided.items()), []
        self.decided.clear()
        orphans = list(self.reserved.values())
        self.reserved.clear()
        return [], orphans

    def busy(self) -> bool:
        """Whether a handover is under way."""
        return bool(self.offered or self.reserved)

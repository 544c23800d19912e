"""asyncio support: wait for a message on the running event loop.

No thread and no second event loop: the link's file descriptor is watched
with ``loop.add_reader`` and the message is taken with ``try_recv``.
"""

from __future__ import annotations

import asyncio
from typing import Optional

from tether._tether import Link


async def recv(link: Link, timeout: Optional[float] = None) -> Optional[bytes]:
    """Receive one message from ``link`` without blocking the event loop;
    ``None`` if ``timeout`` seconds pass first."""
    msg = link.try_recv()  # one may already be buffered
    if msg is not None:
        return msg
    loop = asyncio.get_running_loop()
    got: asyncio.Future[bytes] = loop.create_future()

    def readable() -> None:
        if got.done():
            return
        try:
            m = link.try_recv()
        except BaseException as e:  # ConnectionClosed and friends
            got.set_exception(e)
            return
        if m is not None:
            got.set_result(m)

    fd = link.fileno()
    loop.add_reader(fd, readable)
    try:
        if timeout is None:
            return await got
        try:
            return await asyncio.wait_for(got, timeout)
        except asyncio.TimeoutError:
            return None
    finally:
        loop.remove_reader(fd)

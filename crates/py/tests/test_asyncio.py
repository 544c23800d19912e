"""await link.recv_async() on the running event loop."""

from __future__ import annotations

import asyncio

import pytest

import tether


def test_recv_async_waits_without_blocking_the_loop() -> None:
    async def main() -> "list[bytes | None]":
        a, b = tether.pair()
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.001)

        tick = asyncio.ensure_future(ticker())
        loop = asyncio.get_running_loop()
        loop.call_later(0.05, a.send_many, [b"one", b"two"])
        got = [await b.recv_async(), await b.recv_async()]
        tick.cancel()
        assert ticks > 5  # the loop ran while we waited
        assert await b.recv_async(timeout=0.01) is None
        a.close()
        with pytest.raises(tether.ConnectionClosed):
            await b.recv_async(timeout=5)
        b.close()
        return got

    assert asyncio.run(main()) == [b"one", b"two"]
